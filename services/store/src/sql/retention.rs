//! `Retention` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::now_millis;
use sqlx::Row;

use super::Db;
use crate::sql::{Dialect, SqlStore};
use crate::*;

#[async_trait]
impl Retention for SqlStore<Db> {
    async fn retention_plan(&self, cutoffs: &[ClassCutoff]) -> Result<Vec<ClassCount>> {
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::with_capacity(cutoffs.len());
        for c in cutoffs {
            let row = sqlx::query(&c.class.spec().count_sql())
                .bind(c.cutoff)
                .bind(c.org.as_deref().unwrap_or(""))
                .fetch_one(&mut *conn)
                .await?;
            out.push(ClassCount {
                class: c.class,
                org: c.org.clone(),
                count: row.try_get("n")?,
                oldest: row.try_get("oldest")?,
            });
        }
        Ok(out)
    }

    async fn retention_rows(&self, cutoff: &ClassCutoff) -> Result<Vec<String>> {
        let sql = cutoff.class.spec().archive_sql(Db::JSON_OBJECT);
        let rows = sqlx::query(&sql)
            .bind(cutoff.cutoff)
            .bind(cutoff.org.as_deref().unwrap_or(""))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("row")?)).collect()
    }

    async fn retention_apply(&self, cutoffs: &[ClassCutoff], audit: AuditEntry) -> Result<Vec<ClassCount>> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let mut out = Vec::with_capacity(cutoffs.len());
        for c in cutoffs {
            let spec = c.class.spec();
            let org = c.org.as_deref().unwrap_or("");
            let row = sqlx::query(&spec.count_sql()).bind(c.cutoff).bind(org).fetch_one(&mut *tx).await?;
            let counted = ClassCount {
                class: c.class,
                org: c.org.clone(),
                count: row.try_get("n")?,
                oldest: row.try_get("oldest")?,
            };
            if counted.count > 0 {
                for statement in spec.purge_sql() {
                    sqlx::query(&statement).bind(c.cutoff).bind(org).execute(&mut *tx).await?;
                }
            }
            out.push(counted);
        }
        let removed: serde_json::Map<String, serde_json::Value> = out
            .iter()
            .filter(|c| c.count > 0)
            .map(|c| (format!("{}/{}", c.class.as_str(), c.org.as_deref().unwrap_or("-")), c.count.into()))
            .collect();
        let mut detail = match audit.detail.clone() {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        detail.insert("removed".into(), serde_json::Value::Object(removed));
        let audit = audit.with_detail(serde_json::Value::Object(detail));
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        tx.commit().await?;
        Ok(out)
    }
}
