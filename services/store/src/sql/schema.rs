//! `Schema` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;

use super::Db;
use crate::sql::{Dialect, SqlStore};
use crate::*;

#[async_trait]
impl Schema for SqlStore<Db> {
    fn backend(&self) -> Backend {
        Db::BACKEND
    }

    async fn migrate(&self) -> Result<()> {
        Db::migrator().run(&self.pool).await?;
        Ok(())
    }

    async fn migrations_current(&self) -> Result<bool> {
        let migrator = Db::migrator();
        // A database never migrated has no table yet: that is "not current", not an error;
        // any other failure is reported as what it is.
        let exists = match sqlx::query("SELECT version FROM _sqlx_migrations WHERE success LIMIT 1")
            .fetch_optional(&self.pool)
            .await
        {
            Ok(_) => true,
            Err(sqlx::Error::Database(e)) if e.message().contains("_sqlx_migrations") => false,
            Err(e) => return Err(e.into()),
        };
        if !exists {
            return Ok(false);
        }
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(&self.pool)
                .await?;
        Ok(migrator.iter().all(|m| applied.contains(&m.version)))
    }

    async fn check_writable(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if Db::BACKEND == Backend::Postgres {
            sqlx::query("SELECT pg_current_xact_id()").execute(&mut *tx).await?;
        }
        tx.rollback().await?;
        Ok(())
    }
}
