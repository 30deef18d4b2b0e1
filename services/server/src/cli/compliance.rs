//! `herold policy`, `herold retention`, `herold dsar` and `herold compliance`: what a
//! data-protection officer runs.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::parse_day;
use super::{require_database, store, OPERATOR};
use crate::config::Config;
use crate::staff::i18n::Lang;

#[derive(Subcommand)]
pub(super) enum PolicyCommand {
    /// Validate the policy files; prints what was clamped. Needs no database.
    Check,
}

#[derive(Subcommand)]
pub(super) enum RetentionCommand {
    /// Show what has expired, per organisation and class, with counts and oldest ages.
    Plan {
        /// Plan as of this moment (RFC 3339), e.g. to see what next month's run removes.
        #[arg(long)]
        at: Option<String>,
    },
    /// Remove what has expired now, and record the run in the audit trail.
    Apply,
}

#[derive(Subcommand)]
pub(super) enum DsarCommand {
    /// Write everything held about a person: subject.json and a readable subject.html.
    Export {
        /// The person's actor URI, e.g. https://mastodon.example/users/alice, the e-mail
        /// address they subscribed with, or a member of staff as the audit trail names them,
        /// e.g. staff:12
        #[arg(long)]
        subject: String,
        /// Directory to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Erase a person's data everywhere (except under legal hold), recording that it happened.
    Erase {
        #[arg(long)]
        subject: String,
    },
}

#[derive(Subcommand)]
pub(super) enum ComplianceCommand {
    /// The Art. 30 record of processing of an organisation, from the policy files (HTML).
    Ropa {
        #[arg(long)]
        org: String,
        /// JSON instead of HTML.
        #[arg(long)]
        json: bool,
    },
    /// The compliance report for a period: writes report.html and report.json.
    Report {
        #[arg(long)]
        org: String,
        /// First day (YYYY-MM-DD) or instant (RFC 3339).
        #[arg(long)]
        from: String,
        /// Last day, inclusive (YYYY-MM-DD), or instant (RFC 3339).
        #[arg(long)]
        to: String,
        #[arg(long)]
        out: PathBuf,
    },
}

/// `herold policy`: checks `policies/` (against the database where there is one).
pub(super) async fn policy(config: Config, command: PolicyCommand) -> anyhow::Result<()> {
    match command {
        PolicyCommand::Check => {
            let policies = crate::state::load_policies(&config)?;
            for w in &policies.warnings {
                println!("warning: {w}");
            }
            // Against the database where there is one: `serve` would refuse the same.
            if require_database(&config).is_ok() {
                let store = store(&config).await?;
                crate::state::check_policy_orgs(&config, &policies, store.as_ref()).await?;
            } else {
                println!("note: no database here, so the organisations the policies name are not checked");
            }
            println!(
                "policies valid: {} data classes, {} organisation override(s) in {}",
                policies.classes.len(),
                policies.orgs.len(),
                config.policies_dir.display()
            );
            Ok(())
        }
    }
}

pub(super) async fn retention(config: Config, command: RetentionCommand) -> anyhow::Result<()> {
    use herold_compliance::retention;
    let policies = crate::state::load_policies(&config)?;
    let store = store(&config).await?;
    let now = herold_domain::now_millis();
    let (at, counts) = match command {
        RetentionCommand::Plan { at } => {
            let at = match at {
                Some(text) => {
                    let t =
                        time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
                            .with_context(|| {
                                format!("--at {text:?} is not an RFC 3339 time such as 2027-01-01T00:00:00Z")
                            })?;
                    (t.unix_timestamp_nanos() / 1_000_000) as i64
                }
                None => now,
            };
            (at, retention::plan(store.as_ref(), &policies, at).await?)
        }
        RetentionCommand::Apply => (
            now,
            retention::apply(store.as_ref(), &policies, now, OPERATOR, &config.retention_archive_dir).await?,
        ),
    };
    println!("class\torganisation\texpired\toldest age\tlimit");
    for c in counts {
        let org = c.org.as_deref().unwrap_or("-");
        let age = c.oldest.map_or("-".to_owned(), |o| format!("{}d", (at - o) / 86_400_000));
        let limit = policies.retention(c.class, c.org.as_deref()).describe();
        println!("{}\t{org}\t{}\t{age}\t{limit}", c.class.as_str(), c.count);
    }
    for org in policies.orgs.iter().filter(|(_, p)| p.legal_hold) {
        println!("{}: legal hold, nothing removed", org.0);
    }
    Ok(())
}

/// `herold dsar`: data-subject requests.
pub(super) async fn dsar(config: Config, command: DsarCommand) -> anyhow::Result<()> {
    match command {
        DsarCommand::Export { subject, out } => {
            use herold_compliance::dsar::{self, Subject};
            let store = store(&config).await?;
            let policies = crate::state::load_policies(&config)?;
            let now = herold_domain::now_millis();
            let (json, html) = match Subject::parse(&subject)? {
                Subject::Actor(actor) => {
                    let data = dsar::export(store.as_ref(), &policies, &actor, now).await?;
                    (
                        serde_json::json!({ "subject": subject, "data": data }),
                        dsar::summary_html(&actor, &data),
                    )
                }
                Subject::Staff(id) => {
                    let data = dsar::export_staff(store.as_ref(), &policies, id, now).await?;
                    (serde_json::json!({ "subject": subject, "data": data }), dsar::staff_summary_html(&data))
                }
                Subject::Email(email) => {
                    let data = dsar::export_email(store.as_ref(), &email).await?;
                    (
                        serde_json::json!({ "subject": email.as_str(), "data": data }),
                        dsar::email_summary_html(&email, &data),
                    )
                }
            };
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            std::fs::write(out.join("subject.json"), serde_json::to_string_pretty(&json)?)?;
            std::fs::write(out.join("subject.html"), html)?;
            store
                .record_audit(herold_store::AuditEntry::new(OPERATOR, "dsar.export", "subject-request"))
                .await?;
            println!(
                "wrote {} and {}",
                out.join("subject.json").display(),
                out.join("subject.html").display()
            );
            Ok(())
        }
        DsarCommand::Erase { subject } => {
            use herold_compliance::dsar::{self, Subject};
            let policies = crate::state::load_policies(&config)?;
            let store = store(&config).await?;
            match Subject::parse(&subject)? {
                Subject::Actor(actor) => {
                    let erasure = dsar::erase(store.as_ref(), &policies, &actor, OPERATOR).await?;
                    println!("{}", serde_json::to_string_pretty(&erasure)?);
                    if erasure.follows_held > 0 {
                        println!(
                            "{} follow(s) kept under legal hold; nothing else was erased while they are held",
                            erasure.follows_held
                        );
                    }
                    if erasure.mentions_for_review > 0 {
                        println!(
                            "{} announcement(s) or draft(s) mention this person. Official texts change only through \
                             the editorial workflow: `herold dsar export` lists them; edit them (the edit is sent as an \
                             Update without the mention) or retract them",
                            erasure.mentions_for_review
                        );
                    } else {
                        println!(
                            "nothing about this person was federated by Herold, so no Delete needed to be sent"
                        );
                    }
                }
                Subject::Email(email) => {
                    let removed =
                        dsar::erase_email(store.as_ref(), &policies, &email, None, OPERATOR).await?;
                    println!(
                        "{removed} subscription(s) by e-mail removed with the record of what was mailed; \
                         subscriptions in organisations under legal hold stay"
                    );
                }
                Subject::Staff(id) => {
                    let erasure = dsar::erase_staff(store.as_ref(), &policies, id, OPERATOR).await?;
                    println!("{}", serde_json::to_string_pretty(&erasure)?);
                    println!(
                        "staff:{id} is anonymised; the official announcements they wrote or approved stay, \
                         attributed to an anonymous member of staff"
                    );
                }
            }
            Ok(())
        }
    }
}

pub(super) async fn compliance(config: Config, command: ComplianceCommand) -> anyhow::Result<()> {
    use herold_compliance::report;
    let policies = crate::state::load_policies(&config)?;
    let (store, keys) = crate::state::open_store(&config).await?;
    let org_name = |slug: &str| {
        let slug = slug.to_owned();
        let store = store.clone();
        async move {
            store
                .list_orgs()
                .await?
                .into_iter()
                .find(|o| o.slug == slug)
                .map(|o| o.name)
                .with_context(|| format!("no organisation {slug}"))
        }
    };
    match command {
        ComplianceCommand::Ropa { org, json } => {
            let controller = org_name(&org).await?;
            let ropa = report::ropa(&policies, &org, &controller, "en");
            if json {
                println!("{}", serde_json::to_string_pretty(&ropa)?);
            } else {
                println!("{}", report::ropa_html(&ropa, &|key| Lang::EN.t(key)));
            }
            Ok(())
        }
        ComplianceCommand::Report { org, from, to, out } => {
            org_name(&org).await?;
            let (from, to) = (parse_day(&from, false)?, parse_day(&to, true)?);
            anyhow::ensure!(from < to, "--from must be before --to");
            let r = report::report(store.as_ref(), &policies, &keys, &org, from, to).await?;
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            std::fs::write(out.join("report.json"), serde_json::to_string_pretty(&r)?)?;
            std::fs::write(out.join("report.html"), report::report_html(&r, &|key| Lang::EN.t(key)))?;
            println!("wrote {} and {}", out.join("report.html").display(), out.join("report.json").display());
            Ok(())
        }
    }
}
