//! Retention runs: what has expired per data class and organisation, what an archive receives, and the purge.

use async_trait::async_trait;
use herold_domain::Millis;

use crate::*;

#[async_trait]
pub trait Retention: Send + Sync {
    /// What has expired, per class and organisation.
    async fn retention_plan(&self, cutoffs: &[ClassCutoff]) -> Result<Vec<ClassCount>>;

    /// What has expired in one class and organisation, a JSON object per row: what an
    /// archive receives before the purge.
    async fn retention_rows(&self, cutoff: &ClassCutoff) -> Result<Vec<String>>;

    /// Deletes or anonymises what has expired and records the run, in one transaction.
    async fn retention_apply(&self, cutoffs: &[ClassCutoff], audit: AuditEntry) -> Result<Vec<ClassCount>>;
}

/// How long each class of records stays visible, as the policies say: what has expired is
/// hidden from every reader at once, before the next retention run removes it. Built once
/// from the policies; the store applies it to the reads of expirable records it serves
/// (delivery statistics, drafts, a subject's data), and the compliance documents to the
/// audit trail's details.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    /// The instance-wide limit of each class with one (absent: kept while needed).
    limits: std::collections::BTreeMap<DataClass, Millis>,
    /// An organisation's own limit for a class (`None`: while needed there).
    org_limits: std::collections::BTreeMap<(String, DataClass), Option<Millis>>,
    /// Organisations under legal hold: nothing of theirs is hidden.
    held: std::collections::BTreeSet<String>,
    /// The moment to judge by; `None`: the moment of each read.
    at: Option<Millis>,
}

impl Visibility {
    /// Nothing hidden: for the operator's own tools and for tests.
    pub fn everything() -> Visibility {
        Visibility::default()
    }

    /// Records of `class` are shown for `limit` ms (`None`: while needed); with `org`, in
    /// that organisation only.
    pub fn limit(mut self, class: DataClass, org: Option<&str>, limit: Option<Millis>) -> Visibility {
        match (org, limit) {
            (Some(org), limit) => {
                self.org_limits.insert((org.to_owned(), class), limit);
            }
            (None, Some(ms)) => {
                self.limits.insert(class, ms);
            }
            (None, None) => {
                self.limits.remove(&class);
            }
        }
        self
    }

    pub fn hold(mut self, org: &str) -> Visibility {
        self.held.insert(org.to_owned());
        self
    }

    /// As seen at `now` rather than at the moment of each read (a report as of a time).
    pub fn at(mut self, now: Millis) -> Visibility {
        self.at = Some(now);
        self
    }

    /// The oldest time of a record of `class` still shown: the organisation's limit (none
    /// under legal hold), or the instance-wide one without an organisation.
    pub fn since(&self, class: DataClass, org: Option<&str>) -> Millis {
        if org.is_some_and(|o| self.held.contains(o)) {
            return Millis::MIN;
        }
        self.since_ignoring_hold(class, org)
    }

    /// Like `since`, but a legal hold does not count: a hold keeps data, it does not keep
    /// publishing it (replies shown under an announcement end with their retention period).
    pub fn since_ignoring_hold(&self, class: DataClass, org: Option<&str>) -> Millis {
        let now = self.at.unwrap_or_else(herold_domain::now_millis);
        let limit = match org.and_then(|o| self.org_limits.get(&(o.to_owned(), class))) {
            Some(own) => *own,
            None => self.limits.get(&class).copied(),
        };
        limit.map_or(Millis::MIN, |ms| now.saturating_sub(ms))
    }

    /// Whether a record of `class` from `at` is still shown.
    pub fn shows(&self, class: DataClass, org: Option<&str>, at: Millis) -> bool {
        at >= self.since(class, org)
    }
}
