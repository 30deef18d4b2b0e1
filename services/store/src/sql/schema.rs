//! `Schema` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use sqlx::Row;

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
        let applied: Vec<i64> =
            sqlx::query("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
                .fetch_all(&self.pool)
                .await
                .map(|rows| rows.iter().filter_map(|r| r.try_get("version").ok()).collect())
                .unwrap_or_default();
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
