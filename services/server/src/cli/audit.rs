//! `herold audit`: verifying the trail, proofs, checkpoints and the key.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use herold_federation::Urls;

use super::parse_day;
use super::{store, Exit, OPERATOR};
use crate::config::Config;

#[derive(Subcommand)]
pub(super) enum AuditCommand {
    /// Check the whole log. Exit 0: intact; 2: tampering found (the first bad entry is
    /// named); 3: the check could not run.
    Verify {
        /// Also check against these checkpoint copies (e.g. ones published elsewhere).
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Trust the first N entries, vouched for by the signed checkpoint of size N, and
        /// check every entry after it (for monitoring that re-checks what is new).
        #[arg(long, value_name = "SIZE")]
        from_checkpoint: Option<u64>,
    },
    /// Write an offline proof bundle for entry SEQ (entry, inclusion proof, checkpoint, key).
    Prove {
        seq: i64,
        /// Where to write it (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a proof bundle without any database. Exit 0: valid; 2: invalid; 3: could not
    /// check.
    VerifyBundle {
        file: PathBuf,
        /// The verifier key you trust, as published by the operator (`name+id+key`). The key
        /// inside the bundle is never trusted on its own: anyone can sign a bundle.
        #[arg(long)]
        key: String,
    },
    /// Sign the current tree head now.
    Checkpoint,
    /// Export entries for auditors, filtered, as CSV or JSON (payloads included unless erased).
    Export {
        /// csv or json
        #[arg(long, default_value = "csv")]
        format: String,
        /// Only this organisation's entries.
        #[arg(long)]
        org: Option<String>,
        /// Only this action, e.g. announcement.publish
        #[arg(long)]
        action: Option<String>,
        /// From this day (YYYY-MM-DD) or instant (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// To this day, inclusive.
        #[arg(long)]
        to: Option<String>,
    },
    /// Replace the checkpoint signing key; the new key is added to the trusted keys.
    RotateKey,
}

pub(super) async fn audit(config: Config, command: AuditCommand) -> anyhow::Result<()> {
    use herold_compliance::audit;
    // Errors that stop a check from running are "unknown" (3) to monitoring, not "ok".
    let unknown = |e: anyhow::Error| anyhow::Error::new(Exit(3, format!("{e:#}")));
    match command {
        AuditCommand::Verify { checkpoints, json, from_checkpoint } => {
            let (store, keys) = crate::state::open_store(&config).await.map_err(unknown)?;
            let mut external = audit::external_checkpoints(&keys).map_err(|e| unknown(e.into()))?;
            for path in checkpoints {
                external.push(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))
                        .map_err(unknown)?,
                );
            }
            let from = from_checkpoint.unwrap_or(0);
            let report = audit::verify_from(store.as_ref(), &keys.seal, &keys.trusted, &external, from)
                .await
                .map_err(|e| unknown(e.into()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            match report.problem {
                None => {
                    if !json {
                        let scope =
                            if from > 0 { format!(" after checkpoint {from}") } else { String::new() };
                        println!(
                            "audit log intact{scope}: {} entries, {} checkpoint(s) matched, latest checkpoint covers {}",
                            report.entries,
                            report.checkpoints_checked,
                            report.latest_checkpoint.map_or("nothing yet".into(), |s| format!("{s} entries"))
                        );
                    }
                    Ok(())
                }
                Some(p) => {
                    Err(Exit(2, format!("audit log TAMPERED at entry {}: {}", p.first_bad_seq, p.message))
                        .into())
                }
            }
        }
        AuditCommand::Prove { seq, out } => {
            let (store, keys) = crate::state::open_store(&config).await?;
            let bundle = audit::prove(store.as_ref(), &keys, seq).await?;
            let text = serde_json::to_string_pretty(&bundle)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?
                }
                None => println!("{text}"),
            }
            Ok(())
        }
        AuditCommand::VerifyBundle { file, key } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Exit(3, format!("cannot read {}: {e}", file.display())))?;
            let bundle: audit::Bundle =
                serde_json::from_str(&text).map_err(|e| Exit(2, format!("not a proof bundle: {e}")))?;
            audit::verify_bundle(&bundle, &key).map_err(|e| Exit(2, format!("proof INVALID: {e}")))?;
            println!(
                "proof valid: entry {} ({} by {}) is in the log of {} entries signed by {}",
                bundle.entry.seq, bundle.entry.action, bundle.entry.actor, bundle.tree_size, key
            );
            Ok(())
        }
        AuditCommand::Export { format, org, action, from, to } => {
            anyhow::ensure!(format == "csv" || format == "json", "--format must be csv or json");
            let filter = herold_compliance::export::Filter {
                org,
                action,
                from: from.map(|d| parse_day(&d, false)).transpose()?,
                to: to.map(|d| parse_day(&d, true)).transpose()?,
                ..Default::default()
            };
            let (store, _) = crate::state::open_store(&config).await?;
            let policies = crate::state::load_policies(&config)?;
            let rows = herold_compliance::export::entries(
                store.as_ref(),
                &policies,
                &filter,
                herold_domain::now_millis(),
            )
            .await?;
            if format == "json" {
                println!("{}", serde_json::to_string_pretty(&herold_compliance::export::to_json(&rows))?);
            } else {
                print!("{}", herold_compliance::export::to_csv(&rows));
            }
            Ok(())
        }
        AuditCommand::Checkpoint => {
            let (store, keys) = crate::state::open_store(&config).await?;
            let cp = audit::checkpoint(store.as_ref(), &keys).await?;
            print!("{}", cp.note);
            Ok(())
        }
        AuditCommand::RotateKey => {
            let name = format!("{}/audit", Urls::new(config.public_url.clone()).host());
            let store = store(&config).await?;
            let vkey = herold_compliance::audit::AuditKeys::rotate(&config.data_dir, &name)?;
            store
                .record_audit(
                    herold_store::AuditEntry::new(OPERATOR, "audit.rotate_key", "audit:signing-key")
                        .with_detail(serde_json::json!({ "verifier_key": vkey })),
                )
                .await?;
            println!("new checkpoint signing key; publish its verifier key:\n{vkey}");
            Ok(())
        }
    }
}
