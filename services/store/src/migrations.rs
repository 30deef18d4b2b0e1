//! Migrations are embedded in the binary, one history per backend with identical file names.
//! `tests::histories_are_in_step` fails when one backend has a migration the other lacks.

use std::borrow::Cow;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

macro_rules! embedded {
    ($dir:literal: $($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!("../migrations/", $dir, "/", $file)))),*]
    };
}

const SQLITE: &[(&str, &str)] = embedded!("sqlite": "0001_foundation.sql", "0002_staff.sql", "0003_relay.sql", "0004_relay_forwarding.sql", "0005_tags_and_mentions.sql", "0006_relay_follow_back.sql", "0007_follow_accepted_at.sql", "0008_worker_heartbeats.sql", "0009_account_language.sql");
const POSTGRES: &[(&str, &str)] = embedded!("postgres": "0001_foundation.sql", "0002_staff.sql", "0003_relay.sql", "0004_relay_forwarding.sql", "0005_tags_and_mentions.sql", "0006_relay_follow_back.sql", "0007_follow_accepted_at.sql", "0008_worker_heartbeats.sql", "0009_account_language.sql");

#[derive(Debug)]
struct Embedded(&'static [(&'static str, &'static str)]);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> futures_core::future::BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move {
            self.0
                .iter()
                .map(|(file, sql)| {
                    let (version, description) = parse_name(file)?;
                    Ok(Migration::new(
                        version,
                        Cow::Owned(description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    ))
                })
                .collect()
        })
    }
}

fn parse_name(file: &str) -> Result<(i64, String), BoxDynError> {
    let stem = file.strip_suffix(".sql").ok_or_else(|| format!("migration {file} must end in .sql"))?;
    let (version, description) =
        stem.split_once('_').ok_or_else(|| format!("migration {file} must be named NNNN_description.sql"))?;
    Ok((version.parse()?, description.replace('_', " ")))
}

pub(crate) async fn sqlite() -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded(SQLITE)).await
}

pub(crate) async fn postgres() -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded(POSTGRES)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_disk(dir: &str) -> Vec<String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/").to_owned() + dir;
        let mut names: Vec<String> = std::fs::read_dir(path)
            .expect("migrations folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn histories_are_in_step() {
        let sqlite = on_disk("sqlite");
        let postgres = on_disk("postgres");
        assert_eq!(sqlite, postgres, "both backends need the same migration files");
        let embedded = |files: &[(&str, &str)]| files.iter().map(|f| f.0.to_owned()).collect::<Vec<_>>();
        assert_eq!(sqlite, embedded(SQLITE), "every SQLite migration file must be embedded");
        assert_eq!(postgres, embedded(POSTGRES), "every PostgreSQL migration file must be embedded");
    }

    #[test]
    fn names_parse() {
        assert_eq!(parse_name("0001_foundation.sql").unwrap(), (1, "foundation".into()));
        assert!(parse_name("foundation.sql").is_err());
    }
}
