//! The privacy notice for the people outside the body whose data Herold handles: followers,
//! citizens who reply or react, servers that subscribe (Art. 13 and 14 GDPR). It is drawn
//! from the retention catalogue that drives enforcement, so it lists exactly what the
//! system keeps, for as long as the organisation's policy says, and cannot drift from it.

use herold_domain::LegalPages;
use herold_store::DataClass;
use maud::{html, Markup};

use crate::policy::{Policies, Retention};
use crate::report::Texts;

/// Whether a class holds data of people outside the body, and so belongs in the notice.
/// Exhaustive on purpose: a new class does not compile until someone decides, and the
/// catalogues' test then asks for its words (`notice_class_<name>`).
pub fn concerns_the_public(class: DataClass) -> bool {
    match class {
        DataClass::Followers
        | DataClass::RemoteActorCache
        | DataClass::DeliveryRecords
        | DataClass::DeliveryHosts
        | DataClass::AuditPayloads
        | DataClass::SecurityLog
        | DataClass::RelaySubscribers
        | DataClass::RelayTraffic
        | DataClass::InteractionStamps
        | DataClass::CitizenMessages
        | DataClass::ReactionPseudonyms
        | DataClass::DialogueBlocks
        | DataClass::EmailSubscriptions
        | DataClass::UnconfirmedSubscriptions
        | DataClass::SubscriptionMail
        | DataClass::WebsubSubscriptions
        | DataClass::SubjectRequests => true,
        DataClass::RetractedAnnouncements
        | DataClass::StaffDirectory
        | DataClass::StaffSessions
        | DataClass::UnpublishedMedia
        | DataClass::AbandonedDrafts
        | DataClass::StaffNotifications
        | DataClass::ProfileProposals => false,
    }
}

/// One kind of data in the notice: its words come from the catalogues by class name.
#[derive(Debug, Clone)]
pub struct NoticeEntry {
    pub class: DataClass,
    /// As the catalogue states it, in the reader's language where it gives one (article
    /// numbers), with the language it is in.
    pub legal_basis: (String, String),
    pub retention: Retention,
}

#[derive(Debug, Clone)]
pub struct PrivacyNotice {
    /// The organisation's name: the controller.
    pub controller: String,
    pub legal: LegalPages,
    pub entries: Vec<NoticeEntry>,
}

/// Whether a class exists only where an organisation offers subscriptions by e-mail.
fn by_email(class: DataClass) -> bool {
    matches!(
        class,
        DataClass::EmailSubscriptions | DataClass::UnconfirmedSubscriptions | DataClass::SubscriptionMail
    )
}

/// The notice of one organisation, with the retention its policy sets; subscriptions by
/// e-mail appear where the organisation offers them.
pub fn privacy_notice(
    policies: &Policies,
    org: &str,
    controller: &str,
    legal: LegalPages,
    language: &str,
) -> PrivacyNotice {
    let by_mail = policies.orgs.get(org).is_some_and(|p| p.presence.email_subscriptions);
    let entries = policies
        .classes
        .values()
        .filter(|c| concerns_the_public(c.class) && (by_mail || !by_email(c.class)))
        .map(|c| NoticeEntry {
            class: c.class,
            legal_basis: c.texts_in(language).legal_basis,
            retention: policies.retention(c.class, Some(org)),
        })
        .collect();
    PrivacyNotice { controller: controller.to_owned(), legal, entries }
}

/// How long, in the reader's words.
pub(crate) fn kept(tr: Texts<'_>, r: Retention) -> String {
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    const YEAR: i64 = 365 * DAY;
    // The largest unit the time is a whole number of: 36 hours are not "1 day".
    let (n, one, many) = match r {
        Retention::WhileNeeded => return tr("notice_while_needed").to_owned(),
        Retention::Millis(ms) if ms >= YEAR && ms % YEAR == 0 => {
            (ms / YEAR, "notice_year_one", "notice_years")
        }
        Retention::Millis(ms) if ms >= DAY && ms % DAY == 0 => (ms / DAY, "notice_day_one", "notice_days"),
        Retention::Millis(ms) => ((ms + HOUR - 1) / HOUR, "notice_hour_one", "notice_hours"),
    };
    match n {
        1 => tr(one).to_owned(),
        n => tr(many).replace("{n}", &n.to_string()),
    }
}

pub fn notice_title(n: &PrivacyNotice, tr: Texts<'_>) -> String {
    format!("{}: {}", tr("notice_title"), n.controller)
}

/// The notice as the body of a public page.
pub fn notice_body(n: &PrivacyNotice, tr: Texts<'_>) -> Markup {
    html! {
        h1 { (notice_title(n, tr)) }
        p { (tr("notice_intro")) }
        (notice_sections(n, tr))
    }
}

/// What the notice says under its title: who is responsible, what is kept, why, on what
/// basis and for how long, and the person's rights; also the Art. 15(1) part of an answer
/// to a request for access.
pub fn notice_sections(n: &PrivacyNotice, tr: Texts<'_>) -> Markup {
    html! {
        h2 { (tr("notice_controller")) }
        p {
            (tr("notice_controller_is")) " " strong { (n.controller) } "."
            @if let Some(imprint) = &n.legal.imprint { " " a href=(imprint) { (tr("notice_see_imprint")) } }
        }
        @if let Some(contact) = &n.legal.controller_contact { p { (tr("notice_contact")) " " (contact) } }
        h2 { (tr("notice_dpo")) }
        @match &n.legal.dpo_contact {
            Some(contact) => p { (tr("notice_dpo_is")) " " (contact) },
            None => p { (tr("notice_dpo_unnamed")) },
        }
        h2 { (tr("notice_what")) }
        p { (tr("notice_what_intro")) }
        @for e in &n.entries {
            section.notice-class {
                h3 { (tr(&format!("notice_class_{}", e.class.as_str()))) }
                p { (tr(&format!("notice_class_{}_text", e.class.as_str()))) }
                dl {
                    div { dt { (tr("notice_kept")) } dd { (kept(tr, e.retention)) } }
                    div { dt { (tr("notice_legal_basis")) } dd lang=(e.legal_basis.1) { (e.legal_basis.0) } }
                }
            }
        }
        h2 { (tr("notice_not_done")) }
        p { (tr("notice_not_done_text")) }
        h2 { (tr("notice_transfers")) }
        p { (tr("notice_transfers_herold")) }
        @match &n.legal.transfers {
            Some(stated) => p { (tr("notice_transfers_stated")) " " (stated) },
            None => p { (tr("notice_transfers_none_stated")) },
        }
        h2 { (tr("notice_rights")) }
        p { (tr("notice_rights_text")) }
        p { (tr("notice_complaint")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_lists_the_publics_classes_with_the_organisations_retention() {
        let catalogue = include_str!("../../../policies/retention.toml");
        let mut p = Policies::parse_catalogue(std::path::Path::new("retention.toml"), catalogue).unwrap();
        p.add_org(std::path::Path::new("orgs/bfdi.toml"), "[retention]\ncitizen_messages = \"60d\"\n")
            .unwrap();
        let n = privacy_notice(&p, "bfdi", "BfDI", LegalPages::default(), "en");
        let classes: Vec<DataClass> = n.entries.iter().map(|e| e.class).collect();
        assert!(classes.contains(&DataClass::Followers) && classes.contains(&DataClass::ReactionPseudonyms));
        assert!(!classes.contains(&DataClass::StaffDirectory));
        let messages = n.entries.iter().find(|e| e.class == DataClass::CitizenMessages).unwrap();
        assert_eq!(messages.retention, Retention::Millis(60 * 86_400_000));
        assert!(!classes.contains(&DataClass::EmailSubscriptions), "bfdi offers no e-mail");
        p.add_org(std::path::Path::new("orgs/city.toml"), "[presence]\nemail_subscriptions = true\n")
            .unwrap();
        let n = privacy_notice(&p, "city", "City", LegalPages::default(), "en");
        let classes: Vec<DataClass> = n.entries.iter().map(|e| e.class).collect();
        for class in
            [DataClass::EmailSubscriptions, DataClass::UnconfirmedSubscriptions, DataClass::SubscriptionMail]
        {
            assert!(classes.contains(&class), "{class:?}");
        }
    }

    #[test]
    fn times_are_said_in_the_largest_whole_unit_and_one_is_singular() {
        let tr = |key: &str| -> &'static str {
            match key {
                "notice_year_one" => "1 year",
                "notice_years" => "{n} years",
                "notice_day_one" => "1 day",
                "notice_days" => "{n} days",
                "notice_hour_one" => "1 hour",
                "notice_hours" => "{n} hours",
                _ => "while needed",
            }
        };
        let said = |ms: i64| kept(&tr, Retention::Millis(ms));
        let (hour, day) = (3_600_000, 86_400_000);
        assert_eq!(said(365 * day), "1 year");
        assert_eq!(said(3650 * day), "10 years");
        assert_eq!(said(400 * day), "400 days");
        assert_eq!(said(day), "1 day");
        assert_eq!(said(36 * hour), "36 hours");
        assert_eq!(said(90 * 60_000), "2 hours");
        assert_eq!(said(hour), "1 hour");
        assert_eq!(kept(&tr, Retention::WhileNeeded), "while needed");
    }
}
