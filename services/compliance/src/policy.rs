//! Data-protection policies as files (`policies/`): the catalogue of data classes with their
//! retention rules (`retention.toml`) and per-organisation overrides (`orgs/<slug>.toml`).
//! Parsing is strict: an unknown key, an unknown class or an impossible value is an error
//! naming the file, the line and the fix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use herold_domain::dialogue::DialoguePolicy;
use herold_domain::presence::{Colour, Logo, Presence, Presences, QuoteAudience, ReplyAudience};
use herold_domain::LegalPages;
use herold_domain::{Millis, Zone};
pub use herold_store::AtExpiry;
use herold_store::{DataClass, Visibility};
use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use crate::staff_policy::{ApiPolicy, SecretSource, SignInPolicy, WorkflowPolicy};

#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct PolicyError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// How long data of a class is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Retention {
    /// Kept while it serves its purpose (e.g. while a follow lasts), no time limit.
    WhileNeeded,
    Millis(i64),
}

impl Retention {
    fn parse(s: &str) -> Option<Retention> {
        if s == "while-needed" {
            return Some(Retention::WhileNeeded);
        }
        let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
        let n: i64 = num.parse().ok().filter(|n| *n > 0)?;
        let factor = match unit {
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return None,
        };
        n.checked_mul(factor).map(Retention::Millis)
    }

    pub fn describe(self) -> String {
        match self {
            Retention::WhileNeeded => "while needed".into(),
            Retention::Millis(ms) if ms % 86_400_000 == 0 => format!("{} days", ms / 86_400_000),
            Retention::Millis(ms) if ms % 3_600_000 == 0 => format!("{} hours", ms / 3_600_000),
            Retention::Millis(ms) => format!("{} seconds", ms / 1000),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    classes: BTreeMap<Spanned<String>, RawClass>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClass {
    description: String,
    location: String,
    personal_data: bool,
    purpose: String,
    legal_basis: String,
    recipients: Option<String>,
    retention: Spanned<String>,
    min: Option<Spanned<String>>,
    max: Option<Spanned<String>>,
    at_expiry: Spanned<AtExpiry>,
    /// The texts in other languages, by language code (`[classes.<name>.texts.de]`).
    #[serde(default)]
    texts: BTreeMap<Spanned<String>, ClassTexts>,
}

/// A class's texts in one language; each one left out stays as the catalogue's own.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassTexts {
    pub description: Option<String>,
    pub purpose: Option<String>,
    pub legal_basis: Option<String>,
    pub recipients: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrg {
    #[serde(default)]
    legal_hold: bool,
    time_zone: Option<Spanned<String>>,
    #[serde(default)]
    retention: BTreeMap<Spanned<String>, Spanned<String>>,
    sign_in: Option<crate::staff_policy::RawSignIn>,
    workflow: Option<crate::staff_policy::RawWorkflow>,
    dialogue: Option<crate::staff_policy::RawDialogue>,
    #[serde(default)]
    templates: Vec<crate::staff_policy::RawTemplate>,
    api: Option<crate::staff_policy::RawApi>,
    accounts: Option<RawAccounts>,
    presence: Option<RawPresence>,
    legal: Option<RawLegal>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLegal {
    imprint: Option<Spanned<String>>,
    privacy_notice: Option<Spanned<String>>,
    accessibility_statement: Option<Spanned<String>>,
    dpo_contact: Option<Spanned<String>>,
    controller_contact: Option<Spanned<String>>,
    transfers: Option<Spanned<String>>,
    imprint_text: Option<Spanned<String>>,
    accessibility_statement_text: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPresence {
    quotes: Option<Spanned<String>>,
    replies: Option<Spanned<String>>,
    collections: Option<bool>,
    discoverable: Option<bool>,
    #[serde(default)]
    attribution_domains: Vec<Spanned<String>>,
    email_subscriptions: Option<bool>,
    colour: Option<Spanned<String>>,
    logo: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccounts {
    usernames: Vec<Spanned<String>>,
}

/// One data class as the policy describes it (the Art. 30 record draws on these fields).
#[derive(Debug, Clone, Serialize)]
pub struct ClassPolicy {
    pub class: DataClass,
    pub description: String,
    pub location: String,
    pub personal_data: bool,
    pub purpose: String,
    pub legal_basis: String,
    pub recipients: Option<String>,
    pub retention: Retention,
    pub min: Option<Retention>,
    pub max: Option<Retention>,
    pub at_expiry: AtExpiry,
    /// Its texts in other languages, by language code.
    pub texts: BTreeMap<String, ClassTexts>,
}

impl ClassPolicy {
    /// The class's texts in `language` where the catalogue gives them, else its own
    /// (English), with the language each is in.
    pub fn texts_in(&self, language: &str) -> LocalTexts {
        let given = self.texts.get(language);
        let pick = |local: Option<&String>, own: &str| -> (String, String) {
            match local {
                Some(text) => (text.clone(), language.to_owned()),
                None => (own.to_owned(), "en".to_owned()),
            }
        };
        LocalTexts {
            description: pick(given.and_then(|t| t.description.as_ref()), &self.description),
            purpose: pick(given.and_then(|t| t.purpose.as_ref()), &self.purpose),
            legal_basis: pick(given.and_then(|t| t.legal_basis.as_ref()), &self.legal_basis),
            recipients: match (given.and_then(|t| t.recipients.as_ref()), &self.recipients) {
                (Some(text), _) => Some((text.clone(), language.to_owned())),
                (None, Some(own)) => Some((own.clone(), "en".to_owned())),
                (None, None) => None,
            },
        }
    }
}

/// A class's texts as a reader gets them: each with the language it is in.
#[derive(Debug, Clone)]
pub struct LocalTexts {
    pub description: (String, String),
    pub purpose: (String, String),
    pub legal_basis: (String, String),
    pub recipients: Option<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct OrgPolicy {
    pub legal_hold: bool,
    pub retention: BTreeMap<DataClass, Retention>,
    /// How the organisation's staff sign in; without it, nobody of it can.
    pub sign_in: Option<SignInPolicy>,
    pub workflow: WorkflowPolicy,
    /// Response deadlines and answer templates for citizens' messages.
    pub dialogue: DialoguePolicy,
    /// Texts a new announcement may start from.
    pub templates: Vec<herold_domain::TextTemplate>,
    /// Clients of the organisation's provider that may use the API.
    pub api: Option<ApiPolicy>,
    /// The account names the organisation's administrators may create themselves: exact
    /// names, or prefixes ending in `*`. Empty: only the operator creates its accounts.
    pub usernames: Vec<String>,
    /// How its accounts present themselves, and who may quote or feature them.
    pub presence: Presence,
}

#[derive(Debug, Clone, Serialize)]
pub struct Policies {
    pub classes: BTreeMap<DataClass, ClassPolicy>,
    pub orgs: BTreeMap<String, OrgPolicy>,
    /// Overrides that were clamped to the caps, and similar things an operator should see.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn toml_error(file: &Path, text: &str, e: &toml::de::Error) -> PolicyError {
    PolicyError {
        file: file.display().to_string(),
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        message: e.message().to_owned(),
    }
}

impl Policies {
    /// Reads `dir/retention.toml` and every `dir/orgs/*.toml`.
    pub fn load(dir: &Path) -> Result<Policies, PolicyError> {
        let file = dir.join("retention.toml");
        let text = std::fs::read_to_string(&file).map_err(|e| PolicyError {
            file: file.display().to_string(),
            line: 0,
            message: format!("cannot read it ({e}); every deployment needs the retention catalogue"),
        })?;
        let mut policies = Self::parse_catalogue(&file, &text)?;
        let orgs_dir = dir.join("orgs");
        let orgs_file = orgs_dir.display().to_string();
        if let Ok(entries) = std::fs::read_dir(&orgs_dir) {
            let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "toml")) {
                let text = std::fs::read_to_string(&path).map_err(|e| PolicyError {
                    file: path.display().to_string(),
                    line: 0,
                    message: format!("cannot read it: {e}"),
                })?;
                policies.add_org(&path, &text)?;
            }
        }
        policies
            .tenant_conflict()
            .map_or(Ok(()), |message| Err(PolicyError { file: orgs_file, line: 0, message }))?;
        Ok(policies)
    }

    /// What would let one organisation's people or clients act for another: a claim value
    /// that grants roles in two organisations at the same provider (unless both declare
    /// `shared_groups`), or one API client listed for two.
    pub fn tenant_conflict(&self) -> Option<String> {
        let mut granted: BTreeMap<(&str, &str, &str), &str> = BTreeMap::new();
        let mut clients: BTreeMap<(&str, &str), &str> = BTreeMap::new();
        for (slug, org) in &self.orgs {
            let Some(sign_in) = &org.sign_in else { continue };
            let values: std::collections::BTreeSet<&str> =
                sign_in.roles.values().flatten().map(String::as_str).collect();
            for value in values {
                let key = (sign_in.issuer.as_str(), sign_in.roles_claim.as_str(), value);
                if let Some(other) = granted.insert(key, slug) {
                    let shared = |s: &str| self.orgs[s].sign_in.as_ref().is_some_and(|p| p.shared_groups);
                    if !(shared(other) && shared(slug)) {
                        return Some(format!(
                            "{other}.toml and {slug}.toml both grant roles for {} = {value:?} at {}: everyone with \
                             it would act for both bodies; give each organisation its own groups, or set \
                             shared_groups = true in both [sign_in] tables if the same people act for both",
                            sign_in.roles_claim, sign_in.issuer
                        ));
                    }
                }
            }
            for client in org.api.iter().flat_map(|a| a.clients.keys()) {
                if let Some(other) = clients.insert((sign_in.issuer.as_str(), client.as_str()), slug) {
                    return Some(format!(
                        "{other}.toml and {slug}.toml both list the API client {client:?} of {}: a client acts \
                         for one organisation; register one client per organisation",
                        sign_in.issuer
                    ));
                }
            }
        }
        None
    }

    pub fn parse_catalogue(file: &Path, text: &str) -> Result<Policies, PolicyError> {
        let raw: RawCatalogue = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
        let err = |span: std::ops::Range<usize>, message: String| PolicyError {
            file: file.display().to_string(),
            line: line_of(text, span.start),
            message,
        };
        let parse = |s: &Spanned<String>, what: &str| {
            Retention::parse(s.get_ref()).ok_or_else(|| {
                err(
                    s.span(),
                    format!("{what} {:?} is not a duration: use e.g. \"30d\", \"12h\", \"90m\" or \"while-needed\"", s.get_ref()),
                )
            })
        };
        let mut classes = BTreeMap::new();
        for (name, c) in raw.classes {
            let class = DataClass::parse(name.get_ref()).ok_or_else(|| {
                err(
                    name.span(),
                    format!(
                        "unknown data class {:?}; Herold keeps these: {}",
                        name.get_ref(),
                        DataClass::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )
            })?;
            let retention = parse(&c.retention, "retention")?;
            let min = c.min.as_ref().map(|m| parse(m, "min")).transpose()?;
            let max = c.max.as_ref().map(|m| parse(m, "max")).transpose()?;
            for (bound, value) in [(&c.min, min), (&c.max, max)] {
                if let (Some(b), Some(Retention::WhileNeeded)) = (bound, value) {
                    return Err(err(b.span(), "min and max must be durations such as \"1d\"".into()));
                }
            }
            let ms = |r: Option<Retention>| match r {
                Some(Retention::Millis(m)) => Some(m),
                _ => None,
            };
            if let (Some(lo), Some(hi)) = (ms(min), ms(max)) {
                if lo > hi {
                    return Err(err(c.retention.span(), "min is longer than max: swap them".into()));
                }
            }
            if let Retention::Millis(r) = retention {
                if ms(min).is_some_and(|lo| r < lo) || ms(max).is_some_and(|hi| r > hi) {
                    return Err(err(
                        c.retention.span(),
                        format!("retention {} is outside its own min and max", retention.describe()),
                    ));
                }
            }
            let at_expiry = *c.at_expiry.get_ref();
            match (retention, at_expiry) {
                (Retention::WhileNeeded, AtExpiry::Keep)
                | (Retention::Millis(_), AtExpiry::Delete | AtExpiry::Anonymise | AtExpiry::Archive) => {}
                (Retention::WhileNeeded, _) => {
                    return Err(err(
                        c.at_expiry.span(),
                        "\"while-needed\" data never expires: use at_expiry = \"keep\"".into(),
                    ))
                }
                (Retention::Millis(_), AtExpiry::Keep) => {
                    return Err(err(
                        c.at_expiry.span(),
                        "data with a time limit must be deleted or anonymised at expiry".into(),
                    ))
                }
            }
            let mut texts = BTreeMap::new();
            for (language, given) in c.texts {
                // A language as the interface negotiates it: `de`, `fr`, `pt-BR`.
                let code = language.get_ref();
                let primary = code.split('-').next().unwrap_or_default();
                if herold_domain::LanguageTag::parse(code).is_err() || !(2..=3).contains(&primary.len()) {
                    return Err(err(
                        language.span(),
                        format!(
                            "{:?} is not a language code: name texts as texts.de, texts.fr…",
                            language.get_ref()
                        ),
                    ));
                }
                texts.insert(language.into_inner(), given);
            }
            let own = class.at_expiry();
            if at_expiry != own && !(at_expiry == AtExpiry::Archive && own != AtExpiry::Keep) {
                return Err(err(
                    c.at_expiry.span(),
                    format!(
                        "{} supports at_expiry = {:?} (or \"archive\", which hands the rows to the archive first) only",
                        class.as_str(),
                        own
                    ),
                ));
            }
            classes.insert(
                class,
                ClassPolicy {
                    class,
                    texts,
                    description: c.description,
                    location: c.location,
                    personal_data: c.personal_data,
                    purpose: c.purpose,
                    legal_basis: c.legal_basis,
                    recipients: c.recipients,
                    retention,
                    min,
                    max,
                    at_expiry,
                },
            );
        }
        if let Some(missing) = DataClass::ALL.iter().find(|c| !classes.contains_key(*c)) {
            return Err(PolicyError {
                file: file.display().to_string(),
                line: line_of(text, text.len()),
                message: format!(
                    "data class {} is not declared: every class Herold keeps needs a rule",
                    missing.as_str()
                ),
            });
        }
        Ok(Policies { classes, orgs: BTreeMap::new(), warnings: Vec::new() })
    }

    /// Adds `orgs/<slug>.toml`: a legal hold and/or retention overrides, clamped to the
    /// operator's min and max (with a warning).
    pub fn add_org(&mut self, file: &Path, text: &str) -> Result<(), PolicyError> {
        let slug = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if herold_domain::OrgSlug::parse(&slug).is_err() {
            return Err(PolicyError {
                file: file.display().to_string(),
                line: 0,
                message: format!("{slug:?} is not an organisation slug: name the file <slug>.toml"),
            });
        }
        let raw: RawOrg = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
        let err = |span: std::ops::Range<usize>, message: String| PolicyError {
            file: file.display().to_string(),
            line: line_of(text, span.start),
            message,
        };
        let duration = |value: &Spanned<String>| match Retention::parse(value.get_ref()) {
            Some(Retention::Millis(ms)) => Ok(ms),
            _ => Err(err(value.span(), format!("{:?} is not a duration such as \"30m\"", value.get_ref()))),
        };
        let sign_in = raw.sign_in.map(|s| crate::staff_policy::sign_in(s, &err, &duration)).transpose()?;
        let workflow = crate::staff_policy::workflow(raw.workflow.unwrap_or_default());
        let dialogue = match raw.dialogue {
            Some(d) => crate::staff_policy::dialogue(d, &err, &duration)?,
            None => DialoguePolicy::default(),
        };
        let templates = crate::staff_policy::templates(raw.templates, &err)?;
        let api = raw.api.map(|a| crate::staff_policy::api(a, sign_in.is_some(), &err)).transpose()?;
        let mut usernames = Vec::new();
        for pattern in raw.accounts.map(|a| a.usernames).unwrap_or_default() {
            // A pattern must itself be a name (or a name's start): `*` alone would give the
            // organisation every name on a shared instance.
            let name = pattern.get_ref().strip_suffix('*').unwrap_or(pattern.get_ref());
            if herold_domain::Username::parse(name).is_err() || name.len() < 3 {
                return Err(err(
                    pattern.span(),
                    format!(
                        "{:?} is no account name or prefix of at least 3 characters (e.g. \"{slug}\" or \"{slug}_*\")",
                        pattern.get_ref()
                    ),
                ));
            }
            usernames.push(pattern.get_ref().to_ascii_lowercase());
        }
        let mut presence = match raw.presence {
            Some(p) => presence(p, file.parent().unwrap_or(Path::new(".")), &err)?,
            None => Presence::default(),
        };
        if let Some(zone) = raw.time_zone {
            presence.time_zone = Zone::parse(zone.get_ref()).map_err(|_| {
                err(
                    zone.span(),
                    format!(
                        "time_zone = {:?} is no time zone: use an IANA name such as \"Europe/Berlin\" \
                         (abbreviations like CET and fixed offsets do not follow daylight-saving time)",
                        zone.get_ref()
                    ),
                )
            })?;
        }
        if let Some(legal) = raw.legal {
            presence.legal = legal_pages(legal, &err)?;
        }
        let mut org = OrgPolicy {
            legal_hold: raw.legal_hold,
            retention: BTreeMap::new(),
            sign_in,
            workflow,
            dialogue,
            templates,
            api,
            usernames,
            presence,
        };
        for (name, value) in raw.retention {
            let class = DataClass::parse(name.get_ref())
                .ok_or_else(|| err(name.span(), format!("unknown data class {:?}", name.get_ref())))?;
            let policy = &self.classes[&class];
            let Some(Retention::Millis(mut wanted)) = Retention::parse(value.get_ref()) else {
                return Err(err(
                    value.span(),
                    format!("{:?} is not a duration such as \"30d\"", value.get_ref()),
                ));
            };
            if let Some(Retention::Millis(lo)) = policy.min {
                if wanted < lo {
                    self.warnings.push(format!(
                        "{}:{}: {} for {slug} raised to the minimum of {}",
                        file.display(),
                        line_of(text, value.span().start),
                        class.as_str(),
                        Retention::Millis(lo).describe()
                    ));
                    wanted = lo;
                }
            }
            if let Some(Retention::Millis(hi)) = policy.max {
                if wanted > hi {
                    self.warnings.push(format!(
                        "{}:{}: {} for {slug} lowered to the maximum of {}",
                        file.display(),
                        line_of(text, value.span().start),
                        class.as_str(),
                        Retention::Millis(hi).describe()
                    ));
                    wanted = hi;
                }
            }
            if policy.retention == Retention::WhileNeeded {
                return Err(err(
                    value.span(),
                    format!("{} is kept while needed and has no time limit to override", class.as_str()),
                ));
            }
            org.retention.insert(class, Retention::Millis(wanted));
        }
        self.orgs.insert(slug, org);
        Ok(())
    }

    /// Every organisation's presence, for the documents Herold serves.
    pub fn presences(&self) -> Presences {
        Presences::new(self.orgs.iter().map(|(slug, org)| (slug.clone(), org.presence.clone())).collect())
    }

    /// The retention in force for a class in an organisation (`None`: instance-wide data).
    pub fn retention(&self, class: DataClass, org: Option<&str>) -> Retention {
        org.and_then(|o| self.orgs.get(o))
            .and_then(|p| p.retention.get(&class).copied())
            .unwrap_or(self.classes[&class].retention)
    }

    /// What readers see of each class: expired data is hidden from every reader at once,
    /// before the next retention run removes it.
    pub fn visibility(&self) -> Visibility {
        let limit = |r: Retention| match r {
            Retention::Millis(ms) => Some(ms),
            Retention::WhileNeeded => None,
        };
        let mut v = Visibility::everything();
        for (class, c) in &self.classes {
            v = v.limit(*class, None, limit(c.retention));
        }
        for (org, p) in &self.orgs {
            if p.legal_hold {
                v = v.hold(org);
            }
            for (class, r) in &p.retention {
                v = v.limit(*class, Some(org), limit(*r));
            }
        }
        v
    }

    pub fn on_hold(&self, org: &str) -> bool {
        self.orgs.get(org).is_some_and(|o| o.legal_hold)
    }

    /// The organisations under legal hold.
    pub fn held_orgs(&self) -> Vec<String> {
        self.orgs.iter().filter(|(_, p)| p.legal_hold).map(|(o, _)| o.clone()).collect()
    }

    /// A stable text of the effective policy, to notice and audit changes.
    pub fn fingerprint(&self) -> serde_json::Value {
        serde_json::json!({
            "classes": self.classes.values().map(|c| (c.class.as_str().to_owned(), serde_json::json!({
                "retention": c.retention.describe(),
                "min": c.min.map(Retention::describe),
                "max": c.max.map(Retention::describe),
                "at_expiry": c.at_expiry,
                "personal_data": c.personal_data,
                "description": c.description,
                "location": c.location,
                "recipients": c.recipients,
                "purpose": c.purpose,
                "legal_basis": c.legal_basis,
            }))).collect::<serde_json::Map<_, _>>(),
            "orgs": self.orgs,
        })
    }
}

/// The cutoffs at `now`: data older than its cutoff is expired.
pub fn cutoffs(policies: &Policies, orgs: &[String], now: Millis) -> Vec<herold_store::ClassCutoff> {
    let mut out = Vec::new();
    for class in DataClass::ALL {
        let scopes: Vec<Option<&str>> = if class.per_org() {
            orgs.iter().map(|o| Some(o.as_str())).chain([None]).collect()
        } else {
            vec![None]
        };
        for org in scopes {
            if org.is_some_and(|o| policies.on_hold(o)) {
                continue;
            }
            if let Retention::Millis(ms) = policies.retention(class, org) {
                out.push(herold_store::ClassCutoff { class, org: org.map(str::to_owned), cutoff: now - ms });
            }
        }
    }
    out
}

/// Checks `[legal]`: each page an https address, since every public page and profile links
/// it.
fn legal_pages(
    raw: RawLegal,
    err: &dyn Fn(std::ops::Range<usize>, String) -> PolicyError,
) -> Result<LegalPages, PolicyError> {
    let check = |value: Option<Spanned<String>>, key: &str| -> Result<Option<String>, PolicyError> {
        let Some(value) = value else { return Ok(None) };
        match herold_domain::link_of(value.get_ref()) {
            Some(url) => Ok(Some(url.to_string())),
            None => Err(err(
                value.span(),
                format!(
                    "{key} = {:?} is no https address with a host name; give the page's full address, \
                     e.g. \"https://www.bfdi.bund.de/impressum\"",
                    value.get_ref()
                ),
            )),
        }
    };
    // A page is linked or hosted, not both: which would followers be shown?
    let text =
        |value: Option<Spanned<String>>, key: &str, linked: bool| -> Result<Option<String>, PolicyError> {
            let Some(value) = value else { return Ok(None) };
            let trimmed = value.get_ref().trim();
            if linked {
                return Err(err(
                    value.span(),
                    format!(
                        "{key}_text: the page is linked already ({key}); give either the address or the text"
                    ),
                ));
            }
            if trimmed.is_empty() || trimmed.len() > 20_000 {
                return Err(err(
                    value.span(),
                    format!("{key}_text: give the page's text, at most 20000 characters"),
                ));
            }
            Ok(Some(trimmed.to_owned()))
        };
    let imprint_text = text(raw.imprint_text, "imprint", raw.imprint.is_some())?;
    let accessibility_statement_text = text(
        raw.accessibility_statement_text,
        "accessibility_statement",
        raw.accessibility_statement.is_some(),
    )?;
    Ok(LegalPages {
        imprint_text,
        accessibility_statement_text,
        imprint: check(raw.imprint, "imprint")?,
        privacy_notice: check(raw.privacy_notice, "privacy_notice")?,
        accessibility_statement: check(raw.accessibility_statement, "accessibility_statement")?,
        dpo_contact: one_line(raw.dpo_contact, "dpo_contact", "\"datenschutz@bfdi.bund.de\"", err)?,
        controller_contact: one_line(
            raw.controller_contact,
            "controller_contact",
            "\"Graurheindorfer Str. 153, 53117 Bonn, poststelle@bfdi.bund.de\"",
            err,
        )?,
        transfers: match raw.transfers {
            Some(t) if t.get_ref().trim().is_empty() || t.get_ref().chars().count() > 2000 => {
                return Err(err(
                    t.span(),
                    "transfers: say in at most 2000 characters what goes to which third country, and on \
                     what safeguard"
                        .into(),
                ))
            }
            Some(t) => Some(t.get_ref().trim().to_owned()),
            None => None,
        },
    })
}

/// A contact as one line of at most 300 characters.
fn one_line(
    value: Option<Spanned<String>>,
    key: &str,
    example: &str,
    err: &dyn Fn(std::ops::Range<usize>, String) -> PolicyError,
) -> Result<Option<String>, PolicyError> {
    match value {
        Some(c)
            if c.get_ref().trim().is_empty()
                || c.get_ref().chars().count() > 300
                || c.get_ref().contains('\n') =>
        {
            Err(err(c.span(), format!("{key}: give one line of at most 300 characters, e.g. {example}")))
        }
        Some(c) => Ok(Some(c.get_ref().trim().to_owned())),
        None => Ok(None),
    }
}

/// Checks `[presence]`: a known quote audience, attribution domains that are host names,
/// and a logo file (beside the policy file, or at a full path) that is a small PNG or SVG.
fn presence(
    raw: RawPresence,
    folder: &Path,
    err: &dyn Fn(std::ops::Range<usize>, String) -> PolicyError,
) -> Result<Presence, PolicyError> {
    let defaults = Presence::default();
    let quotes = match raw.quotes {
        Some(q) => QuoteAudience::parse(q.get_ref()).ok_or_else(|| {
            err(
                q.span(),
                format!("quotes = {:?}: use \"everyone\", \"followers\" or \"nobody\"", q.get_ref()),
            )
        })?,
        None => defaults.quotes,
    };
    let replies = match raw.replies {
        Some(r) => ReplyAudience::parse(r.get_ref()).ok_or_else(|| {
            err(
                r.span(),
                format!(
                    "replies = {:?}: use \"everyone\", \"followers\", \"mentioned\" or \"nobody\"",
                    r.get_ref()
                ),
            )
        })?,
        None => defaults.replies,
    };
    let mut attribution_domains = Vec::new();
    for domain in raw.attribution_domains {
        let name = domain.get_ref().trim().to_ascii_lowercase();
        let valid = matches!(url::Host::parse(&name), Ok(url::Host::Domain(_)))
            && name.contains('.')
            && !name.contains(['/', ':', '@', '*']);
        if !valid {
            return Err(err(
                domain.span(),
                format!(
                    "attribution_domains: {:?} is not a host name; give the website's name alone, e.g. \"www.bfdi.bund.de\"",
                    domain.get_ref()
                ),
            ));
        }
        attribution_domains.push(name);
    }
    Ok(Presence {
        quotes,
        replies,
        collections: raw.collections.unwrap_or(defaults.collections),
        discoverable: raw.discoverable.unwrap_or(defaults.discoverable),
        attribution_domains,
        time_zone: defaults.time_zone,
        legal: defaults.legal,
        email_subscriptions: raw.email_subscriptions.unwrap_or(defaults.email_subscriptions),
        colour: raw
            .colour
            .map(|c| Colour::parse(c.get_ref()).map_err(|why| err(c.span(), format!("colour: {why}"))))
            .transpose()?,
        logo: raw.logo.map(|name| logo(folder, &name, err)).transpose()?,
    })
}

fn logo(
    folder: &Path,
    name: &Spanned<String>,
    err: &dyn Fn(std::ops::Range<usize>, String) -> PolicyError,
) -> Result<Logo, PolicyError> {
    use std::io::Read;
    let path = folder.join(name.get_ref());
    let mut bytes = Vec::new();
    // One byte more than allowed is enough to know the file is too large.
    // Only a plain file: a FIFO or device named here would hold the start forever.
    std::fs::metadata(&path)
        .and_then(|m| match m.is_file() {
            true => Ok(()),
            false => Err(std::io::Error::other("it is not a plain file")),
        })
        .and_then(|()| std::fs::File::open(&path))
        .and_then(|f| f.take(Logo::MAX_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| {
            err(
                name.span(),
                format!(
                    "logo = {:?}: cannot read {} ({e}); put the file beside the policy file or give its full path",
                    name.get_ref(),
                    path.display()
                ),
            )
        })?;
    Logo::parse(&bytes).map_err(|why| err(name.span(), format!("logo = {:?}: {why}", name.get_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOGUE: &str = include_str!("../../../policies/retention.toml");

    #[test]
    fn the_shipped_catalogue_is_valid() {
        let p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        assert_eq!(p.classes.len(), DataClass::ALL.len());
    }

    /// A German officer reads every class in German: the record of processing and the
    /// privacy notice are handed to German supervisory authorities.
    #[test]
    fn the_shipped_catalogue_gives_every_text_in_german() {
        let p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        for c in p.classes.values() {
            let t = c.texts_in("de");
            let langs = [&t.description.1, &t.purpose.1, &t.legal_basis.1];
            assert!(langs.iter().all(|l| *l == "de"), "{}: {t:?}", c.class.as_str());
            assert!(t.recipients.is_none_or(|r| r.1 == "de"), "{}", c.class.as_str());
        }
    }

    #[test]
    fn texts_come_in_the_readers_language_where_the_catalogue_gives_them() {
        let p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        let followers = &p.classes[&DataClass::Followers];
        let german = followers.texts_in("de");
        assert!(german.legal_basis.0.starts_with("DSGVO Art. 6 Abs. 1 lit. e"), "{german:?}");
        assert_eq!(german.legal_basis.1, "de");
        assert_eq!(german.purpose.1, "de");
        assert_eq!(followers.texts_in("fr").legal_basis, (followers.legal_basis.clone(), "en".to_owned()));
        // What the German texts leave out stays English, and says so.
        let section = CATALOGUE.find("\n[classes.followers.texts.de]").unwrap();
        let purpose = section + CATALOGUE[section..].find("\npurpose = ").unwrap();
        let end = purpose + 1 + CATALOGUE[purpose + 1..].find('\n').unwrap();
        let without = format!("{}{}", &CATALOGUE[..purpose], &CATALOGUE[end..]);
        let p = Policies::parse_catalogue(Path::new("retention.toml"), &without).unwrap();
        let followers = &p.classes[&DataClass::Followers];
        assert_eq!(followers.texts_in("de").purpose, (followers.purpose.clone(), "en".to_owned()));

        let bad =
            CATALOGUE.replacen("\n[classes.followers.texts.de]", "\n[classes.followers.texts.german]", 1);
        let e = Policies::parse_catalogue(Path::new("retention.toml"), &bad).unwrap_err();
        assert!(e.message.contains("not a language code"), "{e}");
        let typo = CATALOGUE.replacen("\npurpose = \"Zustellung der", "\npurpos = \"Zustellung der", 1);
        assert_ne!(typo, CATALOGUE);
        assert!(Policies::parse_catalogue(Path::new("retention.toml"), &typo).is_err());
    }

    #[test]
    fn errors_name_file_line_and_fix() {
        let bad = CATALOGUE.replacen("retention = \"30d\"", "retention = \"30x\"", 1);
        let e = Policies::parse_catalogue(Path::new("retention.toml"), &bad).unwrap_err();
        assert!(e.line > 1 && e.message.contains("not a duration"), "{e}");
        assert_eq!(bad.lines().nth(e.line - 1).map(str::trim), Some("retention = \"30x\""), "{e}");

        let unknown = format!("{CATALOGUE}\n[classes.remote_actor_cache2]\n");
        let e = Policies::parse_catalogue(Path::new("retention.toml"), &unknown).unwrap_err();
        assert!(e.to_string().starts_with("retention.toml:"), "{e}");

        let uncapped = CATALOGUE.replacen("max = \"180d\"", "max = \"while-needed\"", 1);
        assert_ne!(uncapped, CATALOGUE);
        let e = Policies::parse_catalogue(Path::new("retention.toml"), &uncapped).unwrap_err();
        assert!(e.message.contains("min and max must be durations"), "{e}");

        let typo = CATALOGUE.replacen("personal_data", "personal_date", 1);
        let e = Policies::parse_catalogue(Path::new("retention.toml"), &typo).unwrap_err();
        assert!(e.message.contains("personal_date"), "{e}");
    }

    #[test]
    fn org_overrides_are_clamped_with_a_warning() {
        let mut p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        p.add_org(Path::new("orgs/bfdi.toml"), "[retention]\ndelivery_records = \"100000d\"\n").unwrap();
        let max = p.classes[&DataClass::DeliveryRecords].max.unwrap();
        assert_eq!(p.retention(DataClass::DeliveryRecords, Some("bfdi")), max);
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].contains("orgs/bfdi.toml:2"), "{:?}", p.warnings);
        let e = p.add_org(Path::new("orgs/x.toml"), "legal_hold = true\nholdd = 1\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(p.add_org(Path::new("orgs/Not A Slug.toml"), "legal_hold = true\n").is_err());
        p.add_org(Path::new("orgs/hold.toml"), "legal_hold = true\n").unwrap();
        assert!(cutoffs(&p, &["hold".into()], 0).iter().all(|c| c.org.as_deref() != Some("hold")));
    }

    #[test]
    fn organisations_cannot_share_groups_or_api_clients_unawares() {
        let sign_in = |groups: &str, shared: bool| {
            format!(
                "[sign_in]\nissuer = \"https://id.example\"\nclient_id = \"herold\"\nshared_groups = {shared}\n\
                 [sign_in.roles]\nauthor = [{groups}]\n"
            )
        };
        let with = |files: &[(&str, String)]| {
            let mut p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
            for (slug, text) in files {
                p.add_org(Path::new(&format!("orgs/{slug}.toml")), text).unwrap();
            }
            p.tenant_conflict()
        };
        assert_eq!(with(&[("a", sign_in("\"a-press\"", false)), ("b", sign_in("\"b-press\"", false))]), None);
        let shared = with(&[("a", sign_in("\"press\"", false)), ("b", sign_in("\"press\"", false))]).unwrap();
        assert!(shared.contains("a.toml and b.toml") && shared.contains("\"press\""), "{shared}");
        let one_side = with(&[("a", sign_in("\"press\"", true)), ("b", sign_in("\"press\"", false))]);
        assert!(one_side.is_some(), "both must declare it");
        assert_eq!(with(&[("a", sign_in("\"press\"", true)), ("b", sign_in("\"press\"", true))]), None);
        let api =
            |client: &str| format!("{}[api.clients]\n\"{client}\" = [\"author\"]\n", sign_in("\"x\"", true));
        let twice = with(&[("a", api("cms")), ("b", api("cms"))]).unwrap();
        assert!(twice.contains("API client \"cms\""), "{twice}");
        assert_eq!(with(&[("a", api("cms-a")), ("b", api("cms-b"))]), None);
    }

    #[test]
    fn account_name_grants_are_names_or_prefixes() {
        let mut p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        p.add_org(Path::new("orgs/bfdi.toml"), "[accounts]\nusernames = [\"bfdi\", \"BfDI_*\"]\n").unwrap();
        assert_eq!(p.orgs["bfdi"].usernames, vec!["bfdi", "bfdi_*"]);
        for bad in ["\"*\"", "\"b*\"", "\"Not A Name\"", "\"\""] {
            let e =
                p.clone().add_org(Path::new("orgs/x.toml"), &format!("[accounts]\nusernames = [{bad}]\n"));
            let e = e.expect_err(bad);
            assert!(e.message.contains("at least 3 characters") && e.line == 2, "{bad}: {e}");
        }
        p.add_org(Path::new("orgs/none.toml"), "legal_hold = false\n").unwrap();
        assert!(p.orgs["none"].usernames.is_empty(), "without [accounts], only the operator names accounts");
    }

    #[test]
    fn legal_pages_are_linked_or_hosted_not_both() {
        let p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        let mut with = p.clone();
        with.add_org(
            Path::new("orgs/city.toml"),
            "[legal]\nimprint_text = \"\"\"\nStadt Beispiel\nRathausplatz 1\n\"\"\"\n",
        )
        .unwrap();
        let legal = &with.presences().of("city").legal;
        assert_eq!(legal.imprint_text.as_deref(), Some("Stadt Beispiel\nRathausplatz 1"));
        let both = "[legal]\nimprint = \"https://www.city.example/impressum\"\nimprint_text = \"Stadt\"\n";
        let e = p.clone().add_org(Path::new("orgs/x.toml"), both).unwrap_err();
        assert!(e.message.contains("either the address or the text") && e.line == 3, "{e}");
        let empty =
            p.clone().add_org(Path::new("orgs/x.toml"), "[legal]\naccessibility_statement_text = \" \"\n");
        assert!(empty.unwrap_err().message.contains("the page's text"));
    }

    #[test]
    fn legal_pages_are_https_addresses() {
        let p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        let mut with = p.clone();
        with.add_org(
            Path::new("orgs/bfdi.toml"),
            "[legal]\nimprint = \"https://www.bfdi.bund.de/impressum\"\n",
        )
        .unwrap();
        let legal = with.presences().of("bfdi").legal;
        assert_eq!(legal.imprint.as_deref(), Some("https://www.bfdi.bund.de/impressum"));
        assert_eq!(legal.privacy_notice, None);
        let e = p
            .clone()
            .add_org(Path::new("orgs/x.toml"), "[legal]\n\nprivacy_notice = \"http://x.example/\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("privacy_notice") && e.contains(":3"), "{e}");
    }

    #[test]
    fn presence_tables_are_checked_and_default_to_open() {
        let mut p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        p.add_org(Path::new("orgs/plain.toml"), "legal_hold = false\n").unwrap();
        assert_eq!(p.presences().of("plain"), Presence::default());
        assert_eq!(p.presences().of("unknown").quotes, QuoteAudience::Everyone);
        p.add_org(
            Path::new("orgs/bfdi.toml"),
            "[presence]\nquotes = \"followers\"\nattribution_domains = [\"WWW.BfDI.bund.de\"]\n",
        )
        .unwrap();
        let bfdi = p.presences().of("bfdi");
        assert_eq!(bfdi.quotes, QuoteAudience::Followers);
        assert_eq!(bfdi.attribution_domains, vec!["www.bfdi.bund.de"]);
        assert!(bfdi.featurable());
        for (bad, says, line) in [
            ("quotes = \"sometimes\"", "use \"everyone\", \"followers\" or \"nobody\"", 2),
            ("attribution_domains = [\"https://bfdi.bund.de/\"]", "the website's name alone", 2),
            ("attribution_domains = [\"localhost\"]", "not a host name", 2),
            ("replies = \"sometimes\"", "\"mentioned\" or \"nobody\"", 2),
            ("colour = \"#ffcc00\"", "colour: white text on #ffcc00 has a contrast of 1.51:1", 2),
            ("colour = \"blue\"", "#rrggbb", 2),
        ] {
            let e = p.clone().add_org(Path::new("orgs/x.toml"), &format!("[presence]\n{bad}\n"));
            let e = e.expect_err(bad);
            assert!(e.message.contains(says) && e.line == line, "{bad}: {e}");
        }
    }

    #[test]
    fn contacts_are_one_line_and_transfers_are_bounded() {
        let p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        let mut with = p.clone();
        with.add_org(
            Path::new("orgs/bfdi.toml"),
            "[legal]\ncontroller_contact = \" Graurheindorfer Str. 153, 53117 Bonn \"\n\
             transfers = \"Backups in the USA (EU-US Data Privacy Framework)\"\n",
        )
        .unwrap();
        let legal = with.presences().of("bfdi").legal;
        assert_eq!(legal.controller_contact.as_deref(), Some("Graurheindorfer Str. 153, 53117 Bonn"));
        assert_eq!(legal.transfers.as_deref(), Some("Backups in the USA (EU-US Data Privacy Framework)"));
        let long = "x".repeat(2001);
        for (bad, says) in [
            (
                "controller_contact = \"\"\"\nRathausplatz 1\n12345 Beispielstadt\"\"\"",
                "controller_contact: give one line",
            ),
            ("dpo_contact = \"  \"", "dpo_contact: give one line"),
            (&format!("transfers = \"{long}\""), "transfers: say in at most 2000 characters"),
        ] {
            let e = p.clone().add_org(Path::new("orgs/x.toml"), &format!("[legal]\n{bad}\n")).unwrap_err();
            assert!(e.message.contains(says) && e.line == 2, "{bad}: {e}");
        }
    }

    #[test]
    fn a_logo_is_read_beside_the_policy_file_and_refused_with_its_line() {
        let dir = std::env::temp_dir().join(format!("herold-logo-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("orgs")).unwrap();
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><rect width=\"10\" height=\"10\"/></svg>";
        std::fs::write(dir.join("orgs/city-logo.svg"), svg).unwrap();
        std::fs::write(dir.join("orgs/photo.gif"), "GIF89a").unwrap();
        let mut p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        p.add_org(
            &dir.join("orgs/city.toml"),
            "[presence]
logo = \"city-logo.svg\"\n",
        )
        .unwrap();
        let logo = p.presences().of("city").logo.expect("the logo");
        assert_eq!((logo.content_type, &*logo.bytes), ("image/svg+xml", svg.as_bytes()));
        // A full path is read as given.
        let full = format!("[presence]\nlogo = {:?}\n", dir.join("orgs/city-logo.svg").display().to_string());
        assert!(p.clone().add_org(&dir.join("orgs/town.toml"), &full).is_ok());
        for (bad, says) in
            [("missing.svg", "cannot read"), ("photo.gif", "neither PNG nor SVG"), (".", "not a plain file")]
        {
            let e = p
                .clone()
                .add_org(&dir.join("orgs/x.toml"), &format!("[presence]\n\nlogo = {bad:?}\n"))
                .expect_err(bad);
            assert!(e.message.contains(&format!("logo = {bad:?}")) && e.message.contains(says), "{e}");
            assert_eq!(e.line, 3, "{e}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_organisation_names_its_time_zone_and_is_told_when_it_is_none() {
        let mut p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        p.add_org(Path::new("orgs/plain.toml"), "legal_hold = false\n").unwrap();
        assert_eq!(p.presences().of("plain").time_zone.name(), "UTC");
        p.add_org(Path::new("orgs/bfdi.toml"), "time_zone = \"Europe/Berlin\"\n").unwrap();
        assert_eq!(p.presences().of("bfdi").time_zone.name(), "Europe/Berlin");
        for bad in ["CET", "Berlin", "+01:00"] {
            let e = p.clone().add_org(Path::new("orgs/x.toml"), &format!("\ntime_zone = {bad:?}\n"));
            let e = e.expect_err(bad);
            assert!(e.message.contains("\"Europe/Berlin\"") && e.line == 2, "{bad}: {e}");
        }
    }

    #[test]
    fn what_readers_see_follows_the_organisations_limit_and_hold() {
        let mut p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        p.add_org(Path::new("orgs/bfdi.toml"), "[retention]\ndelivery_records = \"60d\"\n").unwrap();
        p.add_org(Path::new("orgs/hold.toml"), "legal_hold = true\n").unwrap();
        let now = 1_000 * 86_400_000;
        let day = 86_400_000;
        let v = p.visibility().at(now);
        assert_eq!(v.since(DataClass::DeliveryRecords, Some("bfdi")), now - 60 * day);
        assert_eq!(v.since(DataClass::DeliveryRecords, Some("hold")), Millis::MIN);
        let Retention::Millis(default) = p.retention(DataClass::DeliveryRecords, None) else { panic!() };
        assert_eq!(v.since(DataClass::DeliveryRecords, None), now - default);
        assert_eq!(
            v.since(DataClass::DeliveryRecords, Some("other")),
            now - default,
            "the default elsewhere"
        );
        assert_eq!(v.since(DataClass::Followers, None), Millis::MIN, "kept while needed");
        assert_ne!(default, 60 * day, "the override differs from the default");
    }

    #[test]
    fn sign_in_workflow_and_api_tables_are_checked() {
        let mut p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        let good = "[sign_in]\nissuer = \"https://idp.example/realms/staff\"\nclient_id = \"herold\"\n\
                    client_secret_env = \"X\"\nroles_claim = \"realm_access.roles\"\n\
                    [sign_in.roles]\nauthor = [\"press\"]\napprover = [\"lead\"]\n\
                    [workflow]\nfour_eyes_exempt_accounts = [\"warnings\"]\n\
                    [api.clients]\ncms = [\"author\"]\n";
        p.add_org(Path::new("orgs/bfdi.toml"), good).unwrap();
        let org = &p.orgs["bfdi"];
        let sign_in = org.sign_in.as_ref().unwrap();
        assert_eq!(sign_in.roles_for(["lead", "other"]), vec![herold_domain::workflow::Role::Approver]);
        assert_eq!((sign_in.idle_timeout_ms, sign_in.absolute_timeout_ms), (30 * 60_000, 10 * 3_600_000));
        assert!(org.workflow.four_eyes_for("press", false) && !org.workflow.four_eyes_for("warnings", false));
        assert!(org.workflow.four_eyes_for("press", true), "answers follow four_eyes by default");
        assert_eq!(org.api.as_ref().unwrap().clients["cms"], vec![herold_domain::workflow::Role::Author]);

        let bad = |text: &str| p.clone().add_org(Path::new("orgs/x.toml"), text).unwrap_err();
        let base = "[sign_in]\nclient_id = \"h\"\n";
        let e = bad(&format!("{base}issuer = \"http://idp.example\"\n[sign_in.roles]\nauthor = [\"a\"]\n"));
        assert!(e.message.contains("https") && e.line == 3, "{e}");
        let e = bad(&format!("{base}issuer = \"https://idp.example\"\n[sign_in.roles]\nwriter = [\"a\"]\n"));
        assert!(e.message.contains("unknown role") && e.line == 5, "{e}");
        let e = bad(&format!("{base}issuer = \"https://i.example\"\nclient_secret_env = \"A\"\nclient_secret_file = \"/b\"\n[sign_in.roles]\nauthor = [\"a\"]\n"));
        assert!(e.message.contains("not both"), "{e}");
        let e = bad(&format!("{base}issuer = \"https://i.example\"\nidle_timeout = \"11h\"\n[sign_in.roles]\nauthor = [\"a\"]\n"));
        assert!(e.message.contains("longer than absolute_timeout"), "{e}");
        let e = bad("[api.clients]\ncms = [\"author\"]\n");
        assert!(e.message.contains("needs [sign_in]"), "{e}");
        let e = bad(&format!(
            "{base}issuer = \"https://i.example\"\nsecret = \"oops\"\n[sign_in.roles]\nauthor = [\"a\"]\n"
        ));
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn dialogue_tables_are_checked() {
        let mut p = Policies::parse_catalogue(Path::new("retention.toml"), CATALOGUE).unwrap();
        p.add_org(Path::new("orgs/plain.toml"), "").unwrap();
        assert_eq!(p.orgs["plain"].dialogue, DialoguePolicy::default());
        assert_eq!(p.orgs["plain"].dialogue.answer_within, 7 * 86_400_000);
        let good = "[workflow]\nfour_eyes_answers = false\n[dialogue]\nanswer_within = \"3d\"\n\
                    [[dialogue.templates]]\nname = \" Danke \"\ntext = \"Vielen Dank für Ihre Nachricht.\"\n";
        p.add_org(Path::new("orgs/city.toml"), good).unwrap();
        let city = &p.orgs["city"];
        assert_eq!(city.dialogue.answer_within, 3 * 86_400_000);
        assert_eq!(
            herold_domain::TextTemplate::find(&city.dialogue.templates, "Danke").unwrap().text,
            "Vielen Dank für Ihre Nachricht."
        );
        assert!(city.workflow.four_eyes_for("press", false) && !city.workflow.four_eyes_for("press", true));

        // The same rules for the templates of announcements.
        p.add_org(
            Path::new("orgs/town.toml"),
            "[[templates]]\nname = \"Störung\"\ntext = \"Die Linie 4 fällt aus.\"\n",
        )
        .unwrap();
        assert_eq!(p.orgs["town"].templates[0].text, "Die Linie 4 fällt aus.");
        let bad = |text: &str| p.clone().add_org(Path::new("orgs/x.toml"), text).unwrap_err();
        let e = bad("[dialogue]\nanswer_within = \"soon\"\n");
        assert!(e.message.contains("not a duration") && e.line == 2, "{e}");
        let e = bad("[dialogue]\nanswer_within = \"10s\"\n");
        assert!(e.message.contains("between"), "{e}");
        let two = "[[dialogue.templates]]\nname = \"A\"\ntext = \"x\"\n";
        let e = bad(&format!("{two}{two}"));
        assert!(e.message.contains("second template") && e.line == 5, "{e}");
        let e = bad("[[dialogue.templates]]\nname = \"A\"\ntext = \"  \"\n");
        assert!(e.message.contains("1 to 5000"), "{e}");
        let e = bad("[dialogue]\ndeadline = \"3d\"\n");
        assert!(e.message.contains("unknown field"), "{e}");
        let e = bad(&two.replace("dialogue.", "").repeat(2));
        assert!(e.message.contains("second template") && e.line == 5, "{e}");
    }
}
