//! The bovine peer (tests/interop/bovine): a second ActivityPub implementation, in Python and
//! independent of Fedify and of Herold, driven over its control API.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

pub struct BovinePeer {
    pub port: u16,
    child: Child,
    http: reqwest::Client,
}

impl BovinePeer {
    pub fn start() -> BovinePeer {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop/bovine");
        assert!(
            dir.join(".venv/bin/python").exists(),
            "the bovine peer is not installed: run scripts/test, which installs tests/interop/bovine/requirements.txt"
        );
        let mut child = Command::new(dir.join("run.sh"))
            .args(["--port", "0"])
            // Kept open while the peer should run: it exits when its stdin closes.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the bovine peer");
        let port = crate::peer::ready_port(&mut child, "the bovine peer");
        BovinePeer { port, child, http: reqwest::Client::new() }
    }

    pub fn actor(&self) -> String {
        format!("http://127.0.0.1:{}/actor", self.port)
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("http://127.0.0.1:{}/control/{path}", self.port))
            .json(&body)
            .send()
            .await
            .expect("bovine peer control");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert!(status.is_success(), "bovine peer /control/{path} failed: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Follows `target`; returns the Follow's id.
    pub async fn follow(&self, target: &str) -> String {
        self.control("follow", json!({ "target": target })).await["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Signs and delivers `activity` to `target`'s inbox.
    pub async fn send(&self, target: &str, activity: Value) {
        self.control("send", json!({ "target": target, "activity": activity })).await;
    }

    /// One of the peer's control lists (`GET /control/<name>`).
    async fn list(&self, name: &str) -> Vec<Value> {
        let url = format!("http://127.0.0.1:{}/control/{name}", self.port);
        let resp = self.http.get(url).send().await.unwrap_or_else(|e| panic!("bovine peer {name}: {e}"));
        resp.json().await.unwrap_or_else(|e| panic!("bovine peer {name} JSON: {e}"))
    }

    /// What arrived and bovine's signature checker verified, in order.
    pub async fn received(&self) -> Vec<Value> {
        self.list("received").await
    }

    /// How each verified activity was signed, in order: `type`, `alg` ("rsa" or "ed25519")
    /// and `checker` ("bovine", or "http-message-signatures" for RFC 9421 with Ed25519).
    pub async fn signatures(&self) -> Vec<Value> {
        self.list("signatures").await
    }

    pub async fn received_of(&self, kind: &str) -> Vec<Value> {
        self.received().await.into_iter().filter(|a| a["type"] == kind).collect()
    }

    /// Whether bovine verifies the document's FEP-8b32 proof against the key its actor lists;
    /// `Err` says why not, where bovine said.
    pub async fn verify_proof(&self, document: &Value) -> Result<(), String> {
        let answer = self.control("verify-object", json!({ "document": document })).await;
        if answer["verified"] == true {
            Ok(())
        } else {
            Err(answer["error"].as_str().unwrap_or("not verified").to_owned())
        }
    }
}

impl Drop for BovinePeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
