//! The work that runs beside the HTTP server: the delivery worker and the scheduled jobs
//! (audit checkpoints, retention, relay suspensions, scheduled publishing, follower counts),
//! each run once per period across all processes that share the database.

use std::sync::Arc;
use std::time::Duration;

use herold_domain::{AnnouncementText, LanguageTag};
use herold_publishing::Draft;
use tokio::sync::watch;

use crate::state::{Services, TRANSPARENCY_ACCOUNT};

type Job = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>>;

impl Services {
    /// The work that runs beside (or instead of) the HTTP server: deliveries, and signed
    /// audit checkpoints on a schedule, also when nothing happened.
    pub async fn run_background(self: Arc<Self>, stop: watch::Receiver<bool>) {
        let checkpoints =
            tokio::spawn(self.clone().every("audit.checkpoint", self.config.audit_checkpoint_interval, stop.clone(), |s| {
                Box::pin(async move {
                    let cp = herold_compliance::audit::checkpoint(s.store.as_ref(), &s.audit).await?;
                    let text = format!(
                        "Audit checkpoint: {} entries. Verify with `herold audit verify-bundle` and the key {}\n\n{}",
                        cp.tree_size,
                        s.audit.signer.verifier_key(),
                        cp.note
                    );
                    let draft = Draft {
                        text: AnnouncementText::parse(&text)?,
                        language: Some(LanguageTag::parse("en")?),
                        translations: Default::default(),
                        attachments: Vec::new(),
                        summary: None,
                        urgent: false,
                        mentions: Vec::new(),
                        in_reply_to: None,
                        replies: None,
                    };
                    s.publisher.publish(TRANSPARENCY_ACCOUNT, draft, "system").await?;
                    s.metrics.checkpoints.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::info!(tree_size = cp.tree_size, "audit checkpoint signed and published");
                    Ok(())
                })
            }));
        let retention = tokio::spawn(self.clone().every(
            "retention",
            self.config.retention_interval,
            stop.clone(),
            |s| {
                Box::pin(async move {
                    let now = herold_domain::now_millis();
                    let counts = herold_compliance::retention::apply(
                        s.store.as_ref(),
                        &s.policies,
                        now,
                        "system",
                        &s.config.retention_archive_dir,
                    )
                    .await?;
                    let removed: i64 = counts.iter().map(|c| c.count).sum();
                    s.metrics.retention_runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::info!(removed, "retention run");
                    Ok(())
                })
            },
        ));
        let suspensions = tokio::spawn(self.clone().every(
            "relay.suspend",
            self.config.retention_interval,
            stop.clone(),
            |s| {
                Box::pin(async move {
                    let after = i64::try_from(s.config.relay_suspend_after.as_millis()).unwrap_or(i64::MAX);
                    let cutoff = herold_domain::now_millis().saturating_sub(after);
                    let suspended = s.relay.suspend_unreachable(cutoff).await?;
                    if !suspended.is_empty() {
                        tracing::warn!(
                            suspended = suspended.len(),
                            "relay subscribers suspended as unreachable"
                        );
                    }
                    Ok(())
                })
            },
        ));
        let scheduled = tokio::spawn(self.clone().every(
            "publish.scheduled",
            self.config.scheduled_publishing_interval,
            stop.clone(),
            |s| {
                Box::pin(async move {
                    let published = s.editorial.publish_due().await?;
                    if published > 0 {
                        tracing::info!(published, "scheduled announcements published");
                    }
                    Ok(())
                })
            },
        ));
        let notifications = tokio::spawn(self.clone().every(
            "notifications",
            self.config.notifications_interval,
            stop.clone(),
            |s| {
                Box::pin(async move {
                    // Passed deadlines first, so that they are told in this round; a failure
                    // there holds up no other notification.
                    if let Err(e) = s.editorial.note_overdue_messages().await {
                        tracing::warn!(error = %e, "noting passed deadlines failed");
                    }
                    herold_publishing::notify::notify(s.store.as_ref()).await?;
                    if let Some(mailer) = &s.mailer {
                        mailer.send_pending(s.store.as_ref()).await?;
                        mailer.send_subscription_mail(s.store.as_ref(), &s.urls, &s.presences).await?;
                    }
                    Ok(())
                })
            },
        ));
        // Each minute at most: it counts the deliveries of what is still going out.
        let undelivered = tokio::spawn(self.clone().every(
            "deliveries.report",
            self.config.notifications_interval.max(std::time::Duration::from_secs(60)),
            stop.clone(),
            |s| {
                Box::pin(async move {
                    let told = s.editorial.report_undelivered().await?;
                    if told > 0 {
                        tracing::info!(told, "authors told of deliveries given up");
                    }
                    Ok(())
                })
            },
        ));
        // Its own job: a slow server of a citizen's must not hold up the notifications.
        let handles = tokio::spawn(self.clone().every(
            "dialogue.handles",
            self.config.notifications_interval,
            stop.clone(),
            |s| {
                Box::pin(async move {
                    s.publisher.look_up_sender_handles().await?;
                    Ok(())
                })
            },
        ));
        let websub = tokio::spawn(self.clone().every(
            "websub.distribute",
            self.config.notifications_interval,
            stop.clone(),
            |s| {
                Box::pin(async move {
                    let sent = crate::websub::distribute(&s).await?;
                    if sent > 0 {
                        tracing::info!(sent, "feeds sent to websub subscribers");
                    }
                    Ok(())
                })
            },
        ));
        let links = tokio::spawn(self.clone().every(
            "profiles.check_links",
            self.config.links_check_interval,
            stop.clone(),
            |s| {
                Box::pin(async move {
                    let checked = s.publisher.check_profile_links().await?;
                    if checked > 0 {
                        tracing::info!(checked, "profile links checked");
                    }
                    Ok(())
                })
            },
        ));
        let followers = tokio::spawn(self.clone().every(
            "followers.snapshot",
            Duration::from_secs(3600),
            stop.clone(),
            |s| {
                Box::pin(async move {
                    let today = herold_domain::format_rfc3339(herold_domain::now_millis());
                    s.store.record_follower_counts(&today[..10]).await?;
                    Ok(())
                })
            },
        ));
        self.deliverer.clone().run(stop).await;
        let _ = followers.await;
        let _ = links.await;
        let _ = websub.await;
        let _ = handles.await;
        let _ = notifications.await;
        let _ = undelivered.await;
        let _ = scheduled.await;
        let _ = checkpoints.await;
        let _ = retention.await;
        let _ = suspensions.await;
    }

    /// Runs `job` now and then every `period` until `stop`; a failure is logged and the
    /// next period tries again.
    /// When several processes share a database, only the one that takes the job's lease
    /// for the period runs it, so a checkpoint or retention run happens once per period.
    async fn every(
        self: Arc<Self>,
        name: &'static str,
        period: Duration,
        mut stop: watch::Receiver<bool>,
        job: fn(Arc<Services>) -> Job,
    ) {
        let mut ticks = tokio::time::interval(period);
        let holder = uuid::Uuid::new_v4().to_string();
        // Slightly shorter than the period, so the next tick (of any process) finds it free.
        let lease = (period.as_millis() as i64 * 9 / 10).max(1);
        loop {
            tokio::select! {
                _ = ticks.tick() => {
                    let now = herold_domain::now_millis();
                    match self.store.acquire_job(name, &holder, now, now + lease).await {
                        Ok(true) => {
                            if let Err(e) = job(self.clone()).await {
                                tracing::error!(job = name, error = format!("{e:#}"), "scheduled job failed");
                            }
                        }
                        Ok(false) => tracing::debug!(job = name, "another process runs this period's job"),
                        Err(e) => tracing::error!(job = name, error = %crate::error::chain(&e), "job lease unavailable"),
                    }
                }
                _ = stop.changed() => return,
            }
        }
    }
}
