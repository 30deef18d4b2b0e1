//! Compliance by construction: the tamper-evident audit trail (RFC 9162 Merkle tree over
//! sealed entries, C2SP signed checkpoints, verification and offline proofs).

pub mod archive;
pub mod audit;
pub mod dsar;
pub mod export;
pub mod merkle;
pub mod note;
pub mod notice;
pub mod policy;
pub mod report;
pub mod retention;
mod staff_policy;

#[derive(Debug, thiserror::Error)]
pub enum ComplianceError {
    #[error("key error: {0}")]
    Key(String),
    #[error("the audit trail is tampered at entry {0}: {1}")]
    Tampered(i64, String),
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("organisation {0} is under legal hold: nothing of it is erased")]
    LegalHold(String),
    #[error("storage failed")]
    Store(#[from] herold_store::StoreError),
    #[error("I/O failed")]
    Io(#[from] std::io::Error),
}
