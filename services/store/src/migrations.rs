//! Migrations are embedded in the binary, one history per backend with identical file names.
//! `tests::histories_are_in_step` fails when one backend has a migration the other lacks.

use sqlx::migrate::Migrator;

pub(crate) static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
pub(crate) static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

#[cfg(test)]
mod tests {
    use super::*;

    fn names(migrator: &Migrator) -> Vec<(i64, String)> {
        migrator.iter().map(|m| (m.version, m.description.to_string())).collect()
    }

    #[test]
    fn histories_are_in_step() {
        assert_eq!(names(&SQLITE), names(&POSTGRES), "both backends need the same migrations");
        assert!(SQLITE.iter().next().is_some(), "migrations are embedded");
    }
}
