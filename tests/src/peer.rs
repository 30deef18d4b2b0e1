//! The Fedify peer (tests/interop/peer): a real, independent ActivityPub implementation
//! that the interop tests drive over its control API.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

pub struct Peer {
    pub port: u16,
    child: Child,
    http: reqwest::Client,
}

fn peer_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop/peer")
}

/// The port a peer prints as its first line (`READY <port>`) once it listens.
pub(crate) fn ready_port(child: &mut Child, what: &str) -> u16 {
    let stdout = child.stdout.take().expect("peer stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("peer output");
    line.trim()
        .strip_prefix("READY ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{what} did not start: {line:?}"))
}

impl Peer {
    /// Starts a peer whose outgoing requests knock first with `first_knock`
    /// (`rfc9421` or `draft-cavage-http-signatures-12`).
    pub fn start(first_knock: &str) -> Peer {
        let dir = peer_dir();
        assert!(
            dir.join("node_modules").exists(),
            "the Fedify peer is not installed: run `npm ci --prefix tests/interop/peer` (scripts/test does)"
        );
        let mut child = Command::new(dir.join("run.sh"))
            .args(["--port", "0", "--first-knock", first_knock])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the Fedify peer");
        let port = ready_port(&mut child, "the Fedify peer");
        Peer { port, child, http: reqwest::Client::new() }
    }

    pub fn actor(&self) -> String {
        format!("http://127.0.0.1:{}/users/peer", self.port)
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("http://127.0.0.1:{}/control/{path}", self.port))
            .json(&body)
            .send()
            .await
            .expect("peer control");
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "peer /control/{path} failed: {status} {body}");
        body
    }

    pub async fn follow(&self, target: &str) -> String {
        self.control("follow", json!({ "target": target })).await["followId"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// As `send`, but a refusal by the receiving server is the answer, not a failure:
    /// `Err` holds what the peer reported (the receiver's status and message).
    pub async fn try_send(&self, target: &str, activity: Value) -> Result<String, String> {
        let resp = self
            .http
            .post(format!("http://127.0.0.1:{}/control/send", self.port))
            .json(&json!({ "target": target, "activity": activity }))
            .send()
            .await
            .expect("peer control");
        let ok = resp.status().is_success();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if ok {
            Ok(body["id"].as_str().unwrap_or_default().to_owned())
        } else {
            Err(body["error"].as_str().unwrap_or_default().to_owned())
        }
    }

    /// Signs and delivers any activity to `target`'s inbox as the peer; returns its id.
    pub async fn send(&self, target: &str, activity: Value) -> String {
        self.control("send", json!({ "target": target, "activity": activity })).await["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Whether Fedify's `verifyObject` finds the document authenticated by its integrity
    /// proofs (FEP-8b32), fetching the keys they name; `Err` holds why, if Fedify said.
    pub async fn verify_object(&self, document: &Value) -> Result<(), String> {
        let answer = self.control("verify-object", json!({ "document": document })).await;
        if answer["verified"] == true {
            Ok(())
        } else {
            Err(answer["error"].as_str().unwrap_or("not verified").to_owned())
        }
    }

    /// One of the peer's control lists (`GET /control/<name>`).
    async fn list(&self, name: &str) -> Vec<Value> {
        let url = format!("http://127.0.0.1:{}/control/{name}", self.port);
        let resp = self.http.get(url).send().await.unwrap_or_else(|e| panic!("peer {name}: {e}"));
        resp.json().await.unwrap_or_else(|e| panic!("peer {name} JSON: {e}"))
    }

    pub async fn unfollow(&self, target: &str) {
        self.control("unfollow", json!({ "target": target })).await;
    }

    /// Activities the peer received and verified.
    pub async fn received(&self) -> Vec<Value> {
        self.list("received").await
    }

    /// Every POST to one of the peer's inboxes, verified or not: path, scheme, headers,
    /// activityType and whether it reached a listener (`recorded`).
    pub async fn inbox_log(&self) -> Vec<Value> {
        self.list("inbox-log").await
    }

    pub async fn received_of(&self, kind: &str) -> Vec<Value> {
        self.received().await.into_iter().filter(|a| a["type"] == kind).collect()
    }

    /// Every HTTP request the peer made (method, url, activityType, status or error).
    pub async fn sent(&self) -> Vec<Value> {
        self.list("sent").await
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
