//! A real SMTP server for the e-mail tests: MailDev (deploy/dev/mail, the development mail
//! catcher), which keeps what it receives and lists it over HTTP.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub struct MailCatcher {
    pub smtp_port: u16,
    web_port: u16,
    child: Child,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

impl MailCatcher {
    pub async fn start() -> MailCatcher {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/dev/mail");
        assert!(
            dir.join("node_modules/maildev").exists(),
            "the mail catcher is not installed: run `npm ci --prefix deploy/dev/mail` (scripts/test does)"
        );
        let (smtp_port, web_port) = (free_port(), free_port());
        let child = Command::new("node")
            .arg(dir.join("node_modules/maildev/bin/maildev"))
            .args([
                "--ip",
                "127.0.0.1",
                "--smtp",
                &smtp_port.to_string(),
                "--web",
                &web_port.to_string(),
                "--silent",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start MailDev");
        let catcher = MailCatcher { smtp_port, web_port, child };
        crate::eventually(20, "MailDev listens", || async {
            let smtp = tokio::net::TcpStream::connect(("127.0.0.1", smtp_port)).await.is_ok();
            (smtp && reqwest::get(catcher.url("/email")).await.is_ok()).then_some(())
        })
        .await;
        catcher
    }

    /// An address of its web page and API.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.web_port)
    }

    /// Herold's setting for it.
    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.smtp_port)
    }

    /// Every message received so far, as MailDev lists them (subject, to, text, headers…).
    pub async fn messages(&self) -> Vec<Value> {
        let resp = reqwest::get(self.url("/email")).await.expect("MailDev's list");
        resp.json().await.expect("MailDev's JSON")
    }

    /// The messages to `address`.
    pub async fn to(&self, address: &str) -> Vec<Value> {
        let mut found: Vec<Value> = self
            .messages()
            .await
            .into_iter()
            .filter(|m| m["to"].as_array().is_some_and(|to| to.iter().any(|t| t["address"] == address)))
            .collect();
        found.sort_by_key(|m| m["date"].as_str().map(str::to_owned));
        found
    }
}

impl Drop for MailCatcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
