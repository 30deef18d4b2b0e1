//! Interface text of the staff pages, one TOML catalogue per language (`i18n/<code>.toml`),
//! chosen from the browser's `Accept-Language`. English is the fallback.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::HttpRequest;

/// Every language the interface speaks: code and catalogue. Add a line to add a language.
const CATALOGUES: &[(&str, &str)] =
    &[("en", include_str!("i18n/en.toml")), ("de", include_str!("i18n/de.toml"))];

type Catalogue = HashMap<String, String>;

fn catalogues() -> &'static HashMap<&'static str, Catalogue> {
    static LOADED: OnceLock<HashMap<&'static str, Catalogue>> = OnceLock::new();
    LOADED.get_or_init(|| {
        CATALOGUES
            .iter()
            .map(|(code, text)| {
                // The catalogues are compiled in and checked by a test, so this cannot fail
                // in a released binary.
                let parsed: Catalogue = toml::from_str(text).unwrap_or_default();
                (*code, parsed)
            })
            .collect()
    })
}

/// The language of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(&'static str);

impl Lang {
    pub const EN: Lang = Lang("en");

    /// The first language in `Accept-Language` that we have, else English.
    pub fn negotiate(req: &HttpRequest) -> Lang {
        let header = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mut ranked: Vec<(f32, &str)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(1.0);
                Some((q, tag))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked
            .into_iter()
            .filter(|(q, _)| *q > 0.0)
            .find_map(|(_, tag)| {
                let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
                CATALOGUES.iter().find(|(code, _)| *code == primary).map(|(code, _)| Lang(code))
            })
            .unwrap_or(Lang::EN)
    }

    /// The language of a code stored earlier; English if it is not one the interface speaks.
    pub fn from_code(code: &str) -> Lang {
        CATALOGUES.iter().find(|(c, _)| *c == code).map_or(Lang::EN, |(c, _)| Lang(c))
    }

    pub fn code(self) -> &'static str {
        self.0
    }

    /// The text for `key`, in this language or else in English; a missing key shows as
    /// itself rather than breaking the page.
    pub fn t(self, key: &str) -> &'static str {
        let all = catalogues();
        all.get(self.0)
            .and_then(|c| c.get(key))
            .or_else(|| all.get("en").and_then(|c| c.get(key)))
            .map(String::as_str)
            .unwrap_or_else(|| {
                tracing::warn!(key, "missing interface text");
                "?"
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn every_catalogue_parses_and_has_exactly_the_english_keys() {
        let english: Catalogue = toml::from_str(CATALOGUES[0].1).expect("en.toml");
        for (code, text) in CATALOGUES {
            let catalogue: Catalogue = toml::from_str(text).unwrap_or_else(|e| panic!("{code}.toml: {e}"));
            let mut missing: Vec<_> = english.keys().filter(|k| !catalogue.contains_key(*k)).collect();
            let mut extra: Vec<_> = catalogue.keys().filter(|k| !english.contains_key(*k)).collect();
            missing.sort();
            extra.sort();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{code}.toml: missing {missing:?}, extra {extra:?}"
            );
            assert!(catalogue.values().all(|v| !v.trim().is_empty()), "{code}.toml has an empty text");
        }
    }

    #[test]
    fn every_text_the_pages_ask_for_exists() {
        let english: Catalogue = toml::from_str(CATALOGUES[0].1).expect("en.toml");
        let sources = [
            include_str!("views/mod.rs"),
            include_str!("views/workflow.rs"),
            include_str!("views/oversight.rs"),
            include_str!("views/admin.rs"),
            include_str!("views/dialogue.rs"),
            include_str!("views/profile.rs"),
            include_str!("views/archive.rs"),
            include_str!("views/notifications.rs"),
            include_str!("archive.rs"),
            include_str!("deliveries.rs"),
            include_str!("views/deliveries.rs"),
            include_str!("notifications.rs"),
            include_str!("profile.rs"),
            include_str!("dialogue.rs"),
            include_str!("auth.rs"),
            include_str!("workflow.rs"),
            include_str!("oversight.rs"),
            include_str!("admin.rs"),
        ];
        let mut asked = 0;
        for source in sources {
            for part in source.split("lang.t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
                assert!(english.contains_key(key), "the pages ask for {key:?}, which en.toml lacks");
                asked += 1;
            }
        }
        assert!(asked > 50, "the scan found the pages' texts ({asked})");
        // The officer's documents and the public pages take their texts as `tr("…")`.
        for (source, least) in [
            (include_str!("../../../compliance/src/report.rs"), 30),
            (include_str!("../../../publishing/src/pages.rs"), 20),
            (include_str!("../../../compliance/src/notice.rs"), 10),
            (include_str!("../../../compliance/src/dsar.rs"), 20),
        ] {
            let mut found = 0;
            for (at, call) in source.match_indices("tr(\"") {
                // `tr(` itself, not the end of another name (`push_str(`).
                if source[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let key = source[at + call.len()..].split('"').next().unwrap_or_default();
                assert!(english.contains_key(key), "a page asks for {key:?}, which en.toml lacks");
                found += 1;
            }
            assert!(found > least, "the scan found the texts ({found})");
        }
        for i in 1..=herold_compliance::report::MEASURES.len() {
            assert!(english.contains_key(&format!("dpo_measure_{i}")), "measure {i} has no text");
        }
        // Asked for by name: the words of a date, and the label of each workflow state.
        for month in 1..=12 {
            assert!(english.contains_key(&format!("month_{month}")), "month {month} has no name");
        }
        // Every rule a typed value can break has words (`invalid_<code>`, the code being the
        // second argument of each `DomainError::invalid` call).
        let mut codes = 0;
        for source in [
            include_str!("../../../domain/src/names.rs"),
            include_str!("../../../domain/src/text.rs"),
            include_str!("../../../domain/src/local_time.rs"),
            include_str!("../../../domain/src/workflow.rs"),
            include_str!("../../../domain/src/profile.rs"),
        ] {
            for call in source.split("DomainError::invalid(").skip(1) {
                let code = call.split('"').nth(3).unwrap_or_default();
                assert!(english.contains_key(&format!("invalid_{code}")), "invalid_{code} has no words");
                codes += 1;
            }
        }
        assert!(codes >= 20, "the scan found the rules ({codes})");
        // Every refusal of the workflow has words, found by scanning for where it is made.
        let mut refusals = 0;
        for source in [
            include_str!("../../../publishing/src/editorial.rs"),
            include_str!("../../../publishing/src/profiles.rs"),
            include_str!("mod.rs"),
            include_str!("relay.rs"),
            include_str!("deliveries.rs"),
            include_str!("dialogue.rs"),
            include_str!("workflow.rs"),
            include_str!("oversight.rs"),
            include_str!("admin.rs"),
        ] {
            for variant in ["PublishError::Forbidden(", "PublishError::Incomplete("] {
                for made in source.split(variant).skip(1) {
                    let Some(words) = made.trim_start().strip_prefix('"').and_then(|m| m.split('"').next())
                    else {
                        continue;
                    };
                    let known = super::super::REFUSALS.iter().find(|(e, _)| *e == words);
                    let (_, key) = known.unwrap_or_else(|| panic!("the refusal {words:?} has no words"));
                    assert!(english.contains_key(*key), "{key} has no words");
                    refusals += 1;
                }
            }
        }
        assert!(refusals >= 15, "the scan found the refusals ({refusals})");
        for (_, key) in super::super::REFUSALS {
            assert!(english.contains_key(*key), "{key} has no words");
        }
        for (key, _) in super::super::views::DELIVERY_PROBLEMS {
            assert!(english.contains_key(*key), "{key} has no words");
        }
        assert!(english.contains_key("delivery_problem_other"));
        for (_, key) in super::super::views::DONE {
            assert!(english.contains_key(*key), "{key} has no words");
        }
        for action in super::super::views::AUDIT_ACTIONS {
            let key = format!("audit_action_{}", action.replace('.', "_"));
            assert!(english.contains_key(&key), "{key} has no words");
        }
        for status in herold_store::PublicationState::ALL {
            assert!(
                english.contains_key(&format!("status_{}", status.as_str().replace('-', "_"))),
                "{status:?}"
            );
        }
        for problem in herold_publishing::profiles::AliasProblem::ALL {
            assert!(english.contains_key(&format!("profile_alias_{}", problem.code())), "{problem:?}");
        }
        for action in ["reject", "block", "remove_publisher"] {
            for key in [format!("relay_confirm_{action}"), format!("relay_confirm_{action}_text")] {
                assert!(english.contains_key(&key), "{key}");
            }
        }
        // The pages a subscription mail's links lead to, named by their step.
        for step in ["confirm", "unsubscribe"] {
            for part in ["title", "intro", "button", "done"] {
                assert!(english.contains_key(&format!("pub_{step}_{part}")), "pub_{step}_{part}");
            }
        }
        for problem in herold_federation::links::LinkProblem::ALL {
            let key = match problem {
                herold_federation::links::LinkProblem::Status(_) => "links_problem_status".to_owned(),
                other => format!("links_problem_{}", other.code()),
            };
            assert!(english.contains_key(&key), "{key} has no words");
        }
        for kind in herold_domain::dialogue::MessageKind::ALL {
            assert!(english.contains_key(&format!("message_kind_{}", kind.as_str())), "{kind:?}");
        }
        for state in herold_domain::dialogue::MessageState::ALL {
            for prefix in ["message_state_", "message_mark_"] {
                assert!(english.contains_key(&format!("{prefix}{}", state.as_str())), "{prefix}{state:?}");
            }
        }
        for audience in herold_federation::dialogue::VISIBILITIES {
            assert!(english.contains_key(&format!("message_visibility_{audience}")), "{audience}");
        }
        for step in super::super::views::HISTORY_STEPS {
            assert!(english.contains_key(&format!("history_{step}")), "{step} has no words");
        }
        // The privacy notice has words for every class that concerns people outside the body.
        for class in herold_store::DataClass::ALL {
            let name = class.as_str();
            let keys = [format!("notice_class_{name}"), format!("notice_class_{name}_text")];
            for key in keys.iter().filter(|_| herold_compliance::notice::concerns_the_public(class)) {
                assert!(english.contains_key(key), "the privacy notice has no words for {name}: add {key}");
            }
        }
        for class in herold_store::DataClass::ALL {
            let key = format!("dpo_class_{}", class.as_str());
            assert!(english.contains_key(&key), "the record of processing has no title for {key}");
        }
        for who in herold_compliance::report::DataSubjects::ALL {
            assert!(english.contains_key(&format!("dpo_subjects_{}", who.code())), "{who:?} has no words");
        }
        for zone in herold_publishing::pages::NAMED_ZONES {
            assert!(english.contains_key(&format!("zone_{zone}")), "{zone} has no name");
        }
        for state in herold_domain::workflow::DraftState::ALL {
            assert!(english.contains_key(&format!("state_{}", state.as_str())), "{state:?} has no label");
        }
    }

    #[test]
    fn accept_language_picks_the_best_language_we_have() {
        let lang = |h: &str| {
            Lang::negotiate(&TestRequest::default().insert_header(("accept-language", h)).to_http_request())
        };
        assert_eq!(lang("de-DE,de;q=0.9,en;q=0.8").code(), "de");
        assert_eq!(lang("fr-FR, en;q=0.5, de;q=0.7").code(), "de");
        assert_eq!(lang("fr").code(), "en");
        assert_eq!(lang("de;q=0, en").code(), "en");
        assert_eq!(Lang::negotiate(&TestRequest::default().to_http_request()).code(), "en");
        assert_eq!(Lang(CATALOGUES[1].0).t("sign_out"), "Abmelden");
    }
}
