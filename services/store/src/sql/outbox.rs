//! `Outbox` in SQL (compiled once per backend: see `sql/mod.rs`).

use async_trait::async_trait;
use herold_domain::{now_millis, Millis};
use sqlx::{QueryBuilder, Row};

use super::Db;
use crate::sql::{add_distinct, host_of, Dialect, SqlStore, CLAIM_HEAD, CLAIM_TAIL};
use crate::*;

impl SqlStore<Db> {
    pub(super) async fn insert_activity(
        tx: &mut sqlx::Transaction<'_, Db>,
        activity: &NewActivity,
        announcement_id: Option<i64>,
        now: Millis,
    ) -> Result<i64> {
        let id: i64 = sqlx::query(
            "INSERT INTO activities (uri, kind, account_id, announcement_id, body, created_at, signer) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&activity.uri)
        .bind(&activity.kind)
        .bind(activity.account_id)
        .bind(announcement_id)
        .bind(&activity.body)
        .bind(now)
        .bind(&activity.signer)
        .fetch_one(&mut **tx)
        .await?
        .try_get("id")?;
        let inboxes: Vec<String> = match &activity.audience {
            Audience::Inboxes(list) => list.clone(),
            Audience::Followers { account_id, mentioned } => {
                let mut inboxes: Vec<String> =
                    sqlx::query("SELECT DISTINCT inbox FROM followers WHERE account_id = $1")
                        .bind(account_id)
                        .fetch_all(&mut **tx)
                        .await?
                        .iter()
                        .map(|r| r.try_get("inbox"))
                        .collect::<std::result::Result<_, _>>()?;
                add_distinct(&mut inboxes, mentioned);
                inboxes
            }
            Audience::FollowersAndEarlierRecipients { account_id, announcement_id, mentioned } => {
                let mut inboxes: Vec<String> = sqlx::query(
                    "SELECT inbox FROM followers WHERE account_id = $1 UNION \
                 SELECT d.inbox FROM deliveries d JOIN activities a ON a.id = d.activity_id \
                 WHERE a.announcement_id = $2",
                )
                .bind(account_id)
                .bind(announcement_id)
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|r| r.try_get("inbox"))
                .collect::<std::result::Result<_, _>>()?;
                add_distinct(&mut inboxes, mentioned);
                inboxes
            }
            Audience::RelaySubscribers { style, except_host } => sqlx::query(
                "SELECT DISTINCT inbox FROM relay_subscribers WHERE state = 'active' \
                 AND style = COALESCE($1, style) AND host <> COALESCE($2, '')",
            )
            .bind(style.map(|s| s.as_str()))
            .bind(except_host.as_deref())
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get("inbox"))
            .collect::<std::result::Result<_, _>>()?,
        };
        // Multi-row inserts keep a 10,000-follower fan-out to a handful of statements.
        for chunk in inboxes.chunks(1000) {
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO deliveries (activity_id, inbox, host, priority, state, \
                 attempts, next_attempt_at, created_at, updated_at) ",
            );
            q.push_values(chunk, |mut b, inbox| {
                b.push_bind(id)
                    .push_bind(inbox.as_str())
                    .push_bind(host_of(inbox))
                    .push_bind(activity.priority as i64)
                    .push_bind("pending")
                    .push_bind(0_i64)
                    .push_bind(now)
                    .push_bind(now)
                    .push_bind(now);
            });
            q.push(" ON CONFLICT (activity_id, inbox) DO NOTHING");
            q.build().execute(&mut **tx).await?;
        }
        Ok(id)
    }
}

#[async_trait]
impl Outbox for SqlStore<Db> {
    async fn claim_deliveries(&self, claim: Claim<'_>) -> Result<Vec<ClaimedDelivery>> {
        let sql = format!("{CLAIM_HEAD}{}{CLAIM_TAIL}", Db::CLAIM_LOCK);
        Ok(sqlx::query_as(&sql)
            .bind(claim.now + claim.lease_ms)
            .bind(claim.now)
            .bind(claim.limit)
            .bind(claim.worker)
            .bind(claim.alive_since)
            .bind(claim.lane.priorities().0)
            .bind(claim.lane.priorities().1)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn worker_heartbeat(&self, worker: &str, now: Millis) -> Result<()> {
        sqlx::query(
            "INSERT INTO workers (id, started_at, heartbeat_at) VALUES ($1, $2, $2) \
             ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
        )
        .bind(worker)
        .bind(now)
        .execute(&self.pool)
        .await?;
        // Workers gone for a day have no rows left to take over.
        sqlx::query("DELETE FROM workers WHERE heartbeat_at < $1")
            .bind(now - 86_400_000)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn activity_for_delivery(&self, activity_id: i64) -> Result<StoredActivity> {
        sqlx::query_as("SELECT id, uri, account_id, signer, body FROM activities WHERE id = $1")
            .bind(activity_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("activity {activity_id}")))
    }

    async fn record_outcomes(&self, outcomes: &[(i64, Millis, DeliveryOutcome)], now: Millis) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // Successes are the bulk of any fan-out: one statement per status code and
        // chunk instead of one per row. The lease condition keeps a worker whose
        // lease ran out from overwriting what the worker that took over recorded.
        let mut delivered: std::collections::BTreeMap<(u16, Millis), Vec<i64>> = Default::default();
        for (id, lease, outcome) in outcomes {
            if let DeliveryOutcome::Delivered { status } = outcome {
                delivered.entry((*status, *lease)).or_default().push(*id);
            }
        }
        for ((status, lease), ids) in &delivered {
            for chunk in ids.chunks(500) {
                let mut q =
                    QueryBuilder::<Db>::new("UPDATE deliveries SET state = 'delivered', last_status = ");
                q.push_bind(i64::from(*status));
                q.push(", last_error = NULL, lease_until = NULL, updated_at = ");
                q.push_bind(now);
                q.push(" WHERE lease_until = ");
                q.push_bind(*lease);
                q.push(" AND id IN (");
                let mut ids = q.separated(", ");
                for id in chunk {
                    ids.push_bind(*id);
                }
                q.push(")");
                q.build().execute(&mut *tx).await?;
            }
        }
        for (id, lease, outcome) in outcomes {
            let (state, status, error, next): (&str, Option<i64>, Option<&str>, Option<Millis>) =
                match outcome {
                    DeliveryOutcome::Delivered { .. } => continue,
                    DeliveryOutcome::Released => {
                        sqlx::query(
                        "UPDATE deliveries SET lease_until = NULL, attempts = attempts - 1, updated_at = $1, \
                         next_attempt_at = $1 + 2000 \
                         WHERE id = $2 AND lease_until = $3",
                    )
                    .bind(now)
                    .bind(id)
                    .bind(lease)
                    .execute(&mut *tx)
                    .await?;
                        continue;
                    }
                    DeliveryOutcome::Retry { status, error, next_attempt_at } => {
                        ("retrying", status.map(i64::from), Some(error), Some(*next_attempt_at))
                    }
                    DeliveryOutcome::Dead { status, error } => {
                        ("dead", status.map(i64::from), Some(error), None)
                    }
                };
            sqlx::query(
                "UPDATE deliveries SET state = $1, last_status = $2, last_error = $3, \
                 next_attempt_at = COALESCE($4, next_attempt_at), lease_until = NULL, \
                 updated_at = $5 WHERE id = $6 AND lease_until = $7",
            )
            .bind(state)
            .bind(status)
            .bind(error)
            .bind(next)
            .bind(now)
            .bind(id)
            .bind(lease)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn expire_deliveries(&self, created_before: Millis, now: Millis) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE deliveries SET state = 'dead', lease_until = NULL, updated_at = $2, \
             last_error = 'gave up: the retry horizon passed while the server was unreachable' \
             WHERE state IN ('pending', 'retrying') AND created_at < $1 \
             AND (lease_until IS NULL OR lease_until < $2) \
             AND EXISTS (SELECT 1 FROM hosts h WHERE h.host = deliveries.host AND h.breaker_open_until > $2)",
        )
        .bind(created_before)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    async fn host_state(&self, host: &str) -> Result<Option<HostState>> {
        Ok(sqlx::query_as(
            "SELECT consecutive_failures, breaker_open_until, signature_scheme FROM hosts WHERE host = $1",
        )
        .bind(host)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn record_host(&self, host: &str, report: HostReport, now: Millis) -> Result<()> {
        match report {
            HostReport::Success { scheme } => {
                sqlx::query(
                    "INSERT INTO hosts (host, consecutive_failures, signature_scheme, updated_at) \
                     VALUES ($1, 0, $2, $3) ON CONFLICT (host) DO UPDATE SET \
                     consecutive_failures = 0, breaker_open_until = NULL, last_error = NULL, \
                     failing_since = NULL, signature_scheme = excluded.signature_scheme, \
                     updated_at = excluded.updated_at",
                )
                .bind(host)
                .bind(scheme)
                .bind(now)
                .execute(&self.pool)
                .await?;
            }
            HostReport::Failure { error, open_breaker_until } => {
                sqlx::query(
                    "INSERT INTO hosts (host, consecutive_failures, breaker_open_until, last_error, \
                     failing_since, updated_at) VALUES ($1, 1, $2, $3, $4, $4) ON CONFLICT (host) \
                     DO UPDATE SET \
                     consecutive_failures = hosts.consecutive_failures + 1, \
                     breaker_open_until = COALESCE(excluded.breaker_open_until, hosts.breaker_open_until), \
                     last_error = excluded.last_error, \
                     failing_since = COALESCE(hosts.failing_since, excluded.failing_since), \
                     updated_at = excluded.updated_at",
                )
                .bind(host)
                .bind(open_breaker_until)
                .bind(error)
                .bind(now)
                .execute(&self.pool)
                .await?;
            }
        }
        Ok(())
    }

    async fn finished_activities(&self, since: Millis, limit: i64) -> Result<Vec<ActivityFate>> {
        const UNCHECKED: &str = "deliveries_checked_at IS NULL AND kind IN ('Create', 'Update') \
                                 AND announcement_id IS NOT NULL";
        sqlx::query(&format!(
            "UPDATE activities SET deliveries_checked_at = created_at WHERE {UNCHECKED} AND created_at < $1"
        ))
        .bind(since)
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_as(&format!(
            "SELECT a.id AS activity_id, a.kind, o.slug AS org_slug, \
             (SELECT d.public_id FROM drafts d WHERE d.announcement_id = a.announcement_id \
              AND d.updated_at <= a.created_at ORDER BY d.updated_at DESC, d.id DESC LIMIT 1) AS draft, \
             COUNT(CASE WHEN dl.state = 'delivered' THEN 1 END) AS delivered, \
             COUNT(CASE WHEN dl.state = 'dead' THEN 1 END) AS dead \
             FROM activities a JOIN announcements an ON an.id = a.announcement_id \
             JOIN accounts ac ON ac.id = an.account_id JOIN organizations o ON o.id = ac.org_id \
             LEFT JOIN deliveries dl ON dl.activity_id = a.id \
             WHERE a.id IN (SELECT c.id FROM activities c WHERE {UNCHECKED} \
              AND NOT EXISTS (SELECT 1 FROM deliveries w WHERE w.activity_id = c.id \
              AND w.state IN ('pending', 'retrying')) ORDER BY c.id LIMIT $1) \
             GROUP BY a.id, a.kind, o.slug, a.announcement_id, a.created_at ORDER BY a.id"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn deliveries_checked(&self, activity_id: i64, audit: Option<AuditEntry>) -> Result<bool> {
        let now = now_millis();
        let mut tx = self.begin_write().await?;
        let checked = sqlx::query(
            "UPDATE activities SET deliveries_checked_at = $1 WHERE id = $2 AND deliveries_checked_at IS NULL",
        )
        .bind(now)
        .bind(activity_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if checked == 0 {
            return Ok(false);
        }
        if let Some(audit) = audit {
            Self::audit(&mut tx, &self.seal, &audit, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn delivery_stats(
        &self,
        announcement_id: Option<i64>,
        visible: &Visibility,
    ) -> Result<DeliveryStats> {
        let org: Option<String> = match announcement_id {
            Some(id) => {
                sqlx::query_scalar(
                    "SELECT o.slug FROM announcements an JOIN accounts ac ON ac.id = an.account_id \
                 JOIN organizations o ON o.id = ac.org_id WHERE an.id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
            }
            None => None,
        };
        let finished_after = visible.since(DataClass::DeliveryRecords, org.as_deref());
        let filter = if announcement_id.is_some() {
            "JOIN activities a ON a.id = d.activity_id WHERE a.announcement_id = $1"
        } else {
            "WHERE ($1 IS NULL OR TRUE)"
        };
        let mut stats = DeliveryStats::default();
        let rows = sqlx::query(&format!(
            "SELECT d.state AS state, COUNT(*) AS n FROM deliveries d {filter} \
             AND (d.state IN ('pending', 'retrying') OR d.updated_at >= $2) GROUP BY d.state"
        ))
        .bind(announcement_id)
        .bind(finished_after)
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let n: i64 = r.try_get("n")?;
            match r.try_get::<String, _>("state")?.as_str() {
                "delivered" => stats.delivered = n,
                "pending" => stats.pending = n,
                "retrying" => stats.retrying = n,
                "dead" => stats.dead = n,
                _ => {}
            }
        }
        let filter = if announcement_id.is_some() {
            "JOIN activities a ON a.id = d.activity_id WHERE a.announcement_id = $1 AND"
        } else {
            "WHERE ($1 IS NULL OR TRUE) AND"
        };
        stats.failing_hosts = sqlx::query_as(&format!(
            "SELECT d.host AS host, COUNT(*) AS undelivered, \
             COALESCE(MAX(h.consecutive_failures), 0) AS consecutive_failures, \
             MAX(COALESCE(h.last_error, d.last_error)) AS last_error \
             FROM deliveries d LEFT JOIN hosts h ON h.host = d.host {filter} \
             (d.state = 'retrying' OR (d.state = 'dead' AND d.updated_at >= $2)) \
             GROUP BY d.host ORDER BY undelivered DESC, d.host LIMIT 20"
        ))
        .bind(announcement_id)
        .bind(finished_after)
        .fetch_all(&self.pool)
        .await?;
        if announcement_id.is_some() {
            let count =
                |state: &str| format!("SUM(CASE WHEN d.state = '{state}' THEN 1 ELSE 0 END) AS {state}");
            stats.by_host = sqlx::query_as(&format!(
                "SELECT d.host AS host, {}, {}, {}, {} FROM deliveries d \
                 JOIN activities a ON a.id = d.activity_id WHERE a.announcement_id = $1 \
                 AND (d.state IN ('pending', 'retrying') OR d.updated_at >= $2) GROUP BY d.host \
                 ORDER BY SUM(CASE WHEN d.state = 'delivered' THEN 0 ELSE 1 END) DESC, d.host LIMIT $3",
                count("delivered"),
                count("pending"),
                count("retrying"),
                count("dead"),
            ))
            .bind(announcement_id)
            .bind(finished_after)
            .bind(HOSTS_SHOWN)
            .fetch_all(&self.pool)
            .await?;
        }
        Ok(stats)
    }

    async fn requeue_host(
        &self,
        host: &str,
        created_since: Millis,
        now: Millis,
        audit: AuditEntry,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        // Deliveries being sent right now (a live lease) are left to their worker.
        let queued = sqlx::query(
            "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1 \
             WHERE host = $2 AND created_at >= $3 \
             AND ((state IN ('pending', 'retrying') AND (lease_until IS NULL OR lease_until < $1)) \
             OR state = 'dead') \
             AND NOT EXISTS (SELECT 1 FROM activities a JOIN announcements an ON an.id = a.announcement_id \
             WHERE a.id = deliveries.activity_id AND an.retracted_at IS NOT NULL AND a.kind <> 'Delete')",
        )
        .bind(now)
        .bind(host)
        .bind(created_since)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("UPDATE hosts SET consecutive_failures = 0, breaker_open_until = NULL WHERE host = $1")
            .bind(host)
            .execute(&mut *tx)
            .await?;
        let audit = audit.with_more_detail(serde_json::json!({ "deliveries": queued }));
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        self.commit_queued(tx).await?;
        Ok(queued)
    }

    async fn give_up_host(&self, host: &str, now: Millis, audit: AuditEntry) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let given_up = sqlx::query(
            "UPDATE deliveries SET state = 'dead', last_error = 'given up by the operator', updated_at = $1 \
             WHERE host = $2 AND state IN ('pending', 'retrying') AND (lease_until IS NULL OR lease_until < $1)",
        )
        .bind(now)
        .bind(host)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let audit = audit.with_more_detail(serde_json::json!({ "deliveries": given_up }));
        Self::audit(&mut tx, &self.seal, &audit, now).await?;
        tx.commit().await?;
        Ok(given_up)
    }

    async fn queue_depth(&self, now: Millis) -> Result<QueueDepth> {
        let mut depth = QueueDepth::default();
        for r in sqlx::query(
            "SELECT priority, state, COUNT(*) AS n FROM deliveries WHERE state IN ('pending', 'retrying') \
             GROUP BY priority, state ORDER BY priority, state",
        )
        .fetch_all(&self.pool)
        .await?
        {
            depth.waiting.push((r.try_get("priority")?, r.try_get("state")?, r.try_get("n")?));
        }
        depth.dead = sqlx::query("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'dead'")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        depth.failing_hosts = sqlx::query(
            "SELECT COUNT(*) AS n FROM hosts WHERE consecutive_failures > 0 \
             AND (breaker_open_until IS NULL OR breaker_open_until <= $1)",
        )
        .bind(now)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        depth.open_breakers = sqlx::query("SELECT COUNT(*) AS n FROM hosts WHERE breaker_open_until > $1")
            .bind(now)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        Ok(depth)
    }

    async fn acquire_job(&self, name: &str, holder: &str, now: Millis, until: Millis) -> Result<bool> {
        let taken = sqlx::query(
            "INSERT INTO job_leases (name, holder, lease_until) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until \
             WHERE job_leases.lease_until <= $4 OR job_leases.lease_until > $3 + ($3 - $4)",
        )
        .bind(name)
        .bind(holder)
        .bind(until)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(taken == 1)
    }

    async fn deliveries_queued(&self) {
        self.watching.call_once(|| {
            <Db as Dialect>::watch_queued(self.pool.clone(), self.queued.clone(), self.origin.clone())
        });
        self.queued.notified().await
    }
}
