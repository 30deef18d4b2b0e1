//! Time to the first delivery when another process publishes: `herold serve` runs with its
//! delivery worker, and `herold announce` (a separate process, as an operator's command or
//! a second web process would be) publishes to one follower, many times. Reported: how long
//! after the command exits the follower has the Create (the cross-process wake), and how
//! long the command itself takes.
//!
//!     cargo bench -p herold-tests --bench wake -- [--postgres] [ROUNDS]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use herold_tests::bench::herold_vars;
use herold_tests::fake_remote::FakeRemote;
use herold_tests::spawn::TestDatabase;
use herold_tests::Db;

fn herold(vars: &[(&'static str, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_herold-under-test"));
    cmd.args(args).env("HEROLD_LOG", "error");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

fn run(vars: &[(&'static str, String)], args: &[&str]) {
    let out = herold(vars, args).output().expect("run herold");
    assert!(out.status.success(), "herold {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let postgres = args.iter().any(|a| a == "--postgres");
    let rounds: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(20);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let database = TestDatabase::create(if postgres { Db::Postgres } else { Db::Sqlite }).await;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let vars = herold_vars(&database, port, &[("HEROLD_LISTEN", &format!("127.0.0.1:{port}"))]);
        let sink = FakeRemote::start().await;
        run(&vars, &["org", "create", "bfdi", "--name", "Federal Commissioner for Data Protection"]);
        run(&vars, &["account", "create", "bfdi", "press", "--name", "BfDI Press Office"]);
        let mut server = herold(&vars, &["serve"]).stdout(Stdio::null()).spawn().expect("herold serve");
        herold_tests::eventually(30, "herold to start", || async {
            let live = reqwest::get(format!("http://127.0.0.1:{port}/livez")).await.ok()?;
            live.status().is_success().then_some(())
        })
        .await;
        let follow = sink.follow(&format!("http://127.0.0.1:{port}/users/press"));
        let inbox = format!("http://127.0.0.1:{port}/users/press/inbox");
        let accepted = sink.post_json(&inbox, &follow, herold_federation::signatures::Scheme::Cavage).await;
        assert_eq!(accepted.status(), 202);
        tokio::time::sleep(Duration::from_secs(2)).await;

        let mut after_exit = Vec::new();
        let mut command = Vec::new();
        for round in 0..rounds {
            let creates = || sink.received().iter().filter(|r| r.json()["type"] == "Create").count();
            let before = creates();
            let started = Instant::now();
            run(&vars, &["announce", "press", "--text", &format!("Runde {round}"), "--lang", "de"]);
            let exited = Instant::now();
            while creates() == before {
                assert!(exited.elapsed() < Duration::from_secs(30), "round {round}: nothing arrived");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            after_exit.push(exited.elapsed());
            command.push(exited - started);
            // Rounds apart, so each starts with the worker waiting.
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let _ = server.kill();
        let _ = server.wait();
        let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
        after_exit.sort();
        command.sort();
        let median = |v: &[Duration]| ms(&v[v.len() / 2]);
        println!(
            "backend={} rounds={rounds} first_delivery_after_command_ms median={:.0} max={:.0} command_ms median={:.0}",
            if postgres { "postgres" } else { "sqlite" },
            median(&after_exit),
            ms(after_exit.last().unwrap()),
            median(&command),
        );
    });
}
