//! The audit trail's keys, checkpoints, verification and offline proofs.
//!
//! Three secrets live outside the database, in the data directory: the seal key (keys each
//! entry's seal), the checkpoint signing key (Ed25519) and the list of trusted verifier
//! keys. Copies of every checkpoint are written next to them, so a restored old database
//! cannot hide what a newer checkpoint already committed to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use herold_domain::audit::{hex, payload_commitment, unhex, AuditLeaf, AuditSeal};
use herold_domain::now_millis;
use herold_store::{Store, StoredCheckpoint};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::merkle::{self, Frontier, Hash};
use crate::note::{self, Checkpoint, NoteSigner, Verifier};
use crate::ComplianceError;

const SEAL_FILE: &str = "audit-seal.key";
const SIGNING_FILE: &str = "audit-signing.key";
const TRUSTED_FILE: &str = "audit-trusted.keys";
const CHECKPOINT_DIR: &str = "audit-checkpoints";
const PAGE: i64 = 2000;

pub struct AuditKeys {
    pub seal: AuditSeal,
    pub signer: NoteSigner,
    pub trusted: Vec<Verifier>,
    dir: PathBuf,
}

impl std::fmt::Debug for AuditKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditKeys")
            .field("signer", &self.signer.name)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn random32() -> Result<[u8; 32], ComplianceError> {
    let mut b = [0u8; 32];
    SystemRandom::new().fill(&mut b).map_err(|_| ComplianceError::Key("no system randomness".into()))?;
    Ok(b)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(tmp, path)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// Like `write_private`, but fails with `AlreadyExists` instead of replacing a file.
#[cfg(unix)]
fn create_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn create_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::OpenOptions::new().write(true).create_new(true).open(path)?.write_all(bytes)
}

fn read_key(path: &Path) -> Result<Option<Vec<u8>>, ComplianceError> {
    match std::fs::read_to_string(path) {
        Ok(text) => B64
            .decode(text.trim())
            .map(Some)
            .map_err(|_| ComplianceError::Key(format!("{} is not base64", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl AuditKeys {
    /// Loads the keys from `dir`; `None` when there are none yet (first start).
    pub fn load(dir: &Path, name: &str) -> Result<Option<Self>, ComplianceError> {
        let seal = read_key(&dir.join(SEAL_FILE))?;
        let seed = read_key(&dir.join(SIGNING_FILE))?;
        let (seal, seed) = match (seal, seed) {
            (Some(seal), Some(seed)) => (seal, seed),
            (None, None) => return Ok(None),
            // Half a key set is a damaged or tampered data directory, never a first start:
            // a silently regenerated key would be trusted or would fail every entry.
            _ => {
                return Err(ComplianceError::Key(format!(
                    "{} holds only part of the audit keys ({SEAL_FILE}, {SIGNING_FILE}): restore them from the backup",
                    dir.display()
                )))
            }
        };
        let signer = NoteSigner::from_seed(name, &seed)?;
        let trusted = read_trusted(dir)?;
        Ok(Some(AuditKeys { seal: AuditSeal::new(&seal), signer, trusted, dir: dir.to_owned() }))
    }

    /// Creates a fresh key set and trusts its signing key. Only for an empty audit trail.
    /// Processes starting together agree on one key set: the signing key is created
    /// exclusively, and whoever loses the race loads the winner's keys.
    pub fn create(dir: &Path, name: &str) -> Result<Self, ComplianceError> {
        std::fs::create_dir_all(dir)?;
        let seed = random32()?;
        match create_private(&dir.join(SIGNING_FILE), B64.encode(seed).as_bytes()) {
            Ok(()) => {
                write_private(&dir.join(SEAL_FILE), B64.encode(random32()?).as_bytes())?;
                append_trusted(dir, &NoteSigner::from_seed(name, &seed)?.verifier_key())?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // Another process is creating them: wait until its set is complete.
                for _ in 0..100 {
                    if let Ok(Some(keys)) = Self::load(dir, name) {
                        if !keys.trusted.is_empty() {
                            return Ok(keys);
                        }
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
            Err(e) => return Err(e.into()),
        }
        Self::load(dir, name)?.ok_or_else(|| ComplianceError::Key("the new audit keys did not load".into()))
    }

    /// Replaces the signing key and trusts the new one, as an operator rotates it. The
    /// old key stays trusted so earlier checkpoints keep verifying.
    pub fn rotate(dir: &Path, name: &str) -> Result<String, ComplianceError> {
        let k = random32()?;
        let signer = NoteSigner::from_seed(name, &k)?;
        append_trusted(dir, &signer.verifier_key())?;
        write_private(&dir.join(SIGNING_FILE), B64.encode(k).as_bytes())?;
        Ok(signer.verifier_key())
    }

    pub fn checkpoint_dir(&self) -> PathBuf {
        self.dir.join(CHECKPOINT_DIR)
    }
}

fn append_trusted(dir: &Path, vkey: &str) -> Result<(), ComplianceError> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(dir.join(TRUSTED_FILE))?;
    writeln!(f, "{vkey}")?;
    Ok(())
}

fn read_trusted(dir: &Path) -> Result<Vec<Verifier>, ComplianceError> {
    let text = match std::fs::read_to_string(dir.join(TRUSTED_FILE)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e.into()),
    };
    text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).map(Verifier::parse).collect()
}

/// Every leaf hash of the log, checking nothing (for proofs and checkpoints).
async fn all_leaves(store: &dyn Store) -> Result<Vec<Hash>, ComplianceError> {
    let mut leaves = Vec::new();
    let mut after = 0;
    loop {
        let page = store.audit_entries(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.leaf.seq;
        leaves.extend(page.iter().map(|r| r.leaf.leaf_hash()));
    }
    Ok(leaves)
}

/// Signs the current tree head, stores it, and writes a copy outside the database. Made on
/// a schedule whether or not anything happened, so a silent log is itself attested.
pub async fn checkpoint(store: &dyn Store, keys: &AuditKeys) -> Result<StoredCheckpoint, ComplianceError> {
    // Never sign a history that contradicts an earlier checkpoint (a restored old backup, an
    // edited entry): that would launder the tampering.
    let report = verify(store, &keys.seal, &keys.trusted, &external_checkpoints(keys)?).await?;
    if let Some(p) = report.problem {
        tracing::error!(
            first_bad_seq = p.first_bad_seq,
            "audit trail tampered; refusing to sign a checkpoint"
        );
        return Err(ComplianceError::Tampered(p.first_bad_seq, p.message));
    }
    let leaves = all_leaves(store).await?;
    let root = merkle::root(&leaves);
    let cp = Checkpoint { origin: keys.signer.name.clone(), size: leaves.len() as u64, root };
    let note = note::sign(&cp.text(), &[&keys.signer]);
    let stored = StoredCheckpoint {
        tree_size: leaves.len() as i64,
        root_hash: hex(&root),
        note: note.clone(),
        created_at: now_millis(),
    };
    store.save_checkpoint(&stored).await?;
    let dir = keys.checkpoint_dir();
    std::fs::create_dir_all(&dir)?;
    // One file per signed head; an existing file is never overwritten.
    let path = dir.join(format!("{:012}-{}.note", leaves.len(), &stored.root_hash[..16]));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(mut f) => std::io::Write::write_all(&mut f, note.as_bytes())?,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e.into()),
    }
    Ok(stored)
}

/// Checkpoint copies kept outside the database.
pub fn external_checkpoints(keys: &AuditKeys) -> Result<Vec<String>, ComplianceError> {
    let mut notes = Vec::new();
    if let Ok(dir) = std::fs::read_dir(keys.checkpoint_dir()) {
        for entry in dir.flatten() {
            if entry.path().extension().is_some_and(|e| e == "note") {
                notes.push(std::fs::read_to_string(entry.path())?);
            }
        }
    }
    Ok(notes)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub first_bad_seq: i64,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub entries: i64,
    pub checkpoints_checked: usize,
    pub latest_checkpoint: Option<u64>,
    pub problem: Option<Problem>,
}

fn problem(seq: i64, message: String) -> Option<Problem> {
    Some(Problem { first_bad_seq: seq, message })
}

/// Checks the whole log: no gaps, every seal, every payload against its commitment, time
/// order, and every checkpoint (database copies and `external` ones) against the rebuilt
/// tree. Stops at the first problem and names its sequence number.
pub async fn verify(
    store: &dyn Store,
    seal: &AuditSeal,
    trusted: &[Verifier],
    external: &[String],
) -> Result<Verification, ComplianceError> {
    verify_from(store, seal, trusted, external, 0).await
}

/// As `verify`, but trusting the first `from` entries because a signed checkpoint of that
/// size vouches for them: their hashes are only recomputed (to rebuild the tree and match
/// that checkpoint), the seals, payloads and times checked from entry `from + 1` on. For
/// monitoring that re-checks what was added since the last run.
pub async fn verify_from(
    store: &dyn Store,
    seal: &AuditSeal,
    trusted: &[Verifier],
    external: &[String],
    from: u64,
) -> Result<Verification, ComplianceError> {
    let mut notes: Vec<String> = store.checkpoints().await?.into_iter().map(|c| c.note).collect();
    notes.extend(external.iter().cloned());
    let mut heads: BTreeMap<u64, Hash> = BTreeMap::new();
    let mut report =
        Verification { entries: 0, checkpoints_checked: 0, latest_checkpoint: None, problem: None };
    for n in &notes {
        let cp = match note::open(n, trusted).and_then(|(text, _)| Checkpoint::parse(text)) {
            Ok(cp) => cp,
            Err(e) => {
                let size = n.lines().nth(1).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
                report.problem = problem(size, format!("checkpoint of size {size} is not trusted: {e}"));
                return Ok(report);
            }
        };
        if let Some(other) = heads.insert(cp.size, cp.root) {
            if other != cp.root {
                report.problem =
                    problem(cp.size as i64, format!("two different checkpoints of size {}", cp.size));
                return Ok(report);
            }
        }
    }
    report.latest_checkpoint = heads.keys().next_back().copied();
    if from > 0 && !heads.contains_key(&from) {
        return Err(ComplianceError::Malformed(format!(
            "there is no signed checkpoint of size {from} to start from; `herold audit checkpoint` signs one"
        )));
    }

    let mut frontier = Frontier::default();
    let (mut expected, mut prev_at) = (1i64, i64::MIN);
    let mut after = 0;
    'pages: loop {
        let page = store.audit_entries(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.leaf.seq;
        for rec in page {
            let seq = rec.leaf.seq;
            if seq != expected {
                report.problem = problem(expected, format!("entry {expected} is missing"));
                break 'pages;
            }
            let vouched = (seq as u64) <= from;
            if let Some((salt, payload)) = rec.payload.as_ref().filter(|_| !vouched) {
                // The salt has a fixed shape, so no bytes can move between it and the payload.
                let salt_ok = salt.len() == 32 && salt.bytes().all(|b| b.is_ascii_hexdigit());
                if !salt_ok
                    || payload_commitment(salt.as_bytes(), payload.as_bytes()) != rec.leaf.payload_commitment
                {
                    report.problem = problem(seq, format!("the payload of entry {seq} was altered"));
                    break 'pages;
                }
            }
            let leaf = rec.leaf.leaf_hash();
            if !vouched && !seal.check(&leaf, &rec.seal) {
                report.problem = problem(
                    seq,
                    format!("entry {seq} was altered, moved or inserted (its seal does not match)"),
                );
                break 'pages;
            }
            if !vouched && rec.leaf.at < prev_at {
                report.problem = problem(seq, format!("entry {seq} is older than the entry before it"));
                break 'pages;
            }
            prev_at = rec.leaf.at;
            frontier.push(leaf);
            if let Some(root) = heads.get(&(seq as u64)) {
                report.checkpoints_checked += 1;
                if frontier.root() != *root {
                    report.problem =
                        problem(seq, format!("the tree of size {seq} does not match its signed checkpoint"));
                    break 'pages;
                }
            }
            expected += 1;
        }
    }
    report.entries = expected - 1;
    if report.problem.is_none() {
        if let Some(&size) = heads.keys().next_back() {
            if size as i64 > report.entries {
                report.problem = problem(
                    report.entries + 1,
                    format!(
                        "the log ends at entry {} but a signed checkpoint covers {size}: entries were removed (truncation or an old backup)",
                        report.entries
                    ),
                );
            }
        }
        if heads.contains_key(&0) {
            report.checkpoints_checked += 1;
        }
    }
    Ok(report)
}

/// An offline proof that one entry is in the log: everything needed to check it without
/// the database.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    pub entry: AuditLeaf,
    pub tree_size: u64,
    pub inclusion_proof: Vec<String>,
    pub checkpoint: String,
    pub verifier_key: String,
}

/// Builds the proof for entry `seq` against the newest checkpoint that covers it.
pub async fn prove(store: &dyn Store, keys: &AuditKeys, seq: i64) -> Result<Bundle, ComplianceError> {
    let checkpoint = store
        .checkpoints()
        .await?
        .into_iter()
        .filter(|c| c.tree_size >= seq)
        .max_by_key(|c| c.tree_size)
        .ok_or_else(|| {
            ComplianceError::Malformed(format!(
                "no checkpoint covers entry {seq} yet; run `herold audit checkpoint`"
            ))
        })?;
    let leaves = all_leaves(store).await?;
    let size = checkpoint.tree_size as usize;
    if seq < 1 || size > leaves.len() {
        return Err(ComplianceError::Malformed(format!("entry {seq} is not in the log")));
    }
    let record = store
        .audit_entries(seq - 1, 1)
        .await?
        .into_iter()
        .next()
        .filter(|r| r.leaf.seq == seq)
        .ok_or_else(|| ComplianceError::Malformed(format!("entry {seq} is not in the log")))?;
    let proof = merkle::inclusion_proof(&leaves[..size], (seq - 1) as usize);
    Ok(Bundle {
        entry: record.leaf,
        tree_size: size as u64,
        inclusion_proof: proof.iter().map(|h| hex(h)).collect(),
        checkpoint: checkpoint.note,
        verifier_key: keys.signer.verifier_key(),
    })
}

/// Checks a bundle on its own: the checkpoint's signature under `verifier_key` (which the
/// checker must already trust: the copy inside the bundle is only a hint), then the entry's
/// inclusion under the signed root.
pub fn verify_bundle(bundle: &Bundle, verifier_key: &str) -> Result<(), ComplianceError> {
    let verifier = Verifier::parse(verifier_key)?;
    let (text, _) = note::open(&bundle.checkpoint, &[verifier])?;
    let cp = Checkpoint::parse(text)?;
    if cp.size != bundle.tree_size {
        return Err(ComplianceError::Malformed("the bundle's tree size differs from its checkpoint".into()));
    }
    let proof: Vec<Hash> = bundle
        .inclusion_proof
        .iter()
        .map(|h| unhex(h).and_then(|v| v.try_into().ok()))
        .collect::<Option<_>>()
        .ok_or_else(|| ComplianceError::Malformed("the inclusion proof is not hex hashes".into()))?;
    let leaf = bundle.entry.leaf_hash();
    let index = u64::try_from(bundle.entry.seq - 1)
        .map_err(|_| ComplianceError::Malformed("bad sequence number".into()))?;
    if !merkle::verify_inclusion(index, cp.size, &leaf, &proof, &cp.root) {
        return Err(ComplianceError::Malformed(format!(
            "entry {} is not included under the signed root",
            bundle.entry.seq
        )));
    }
    Ok(())
}
