//! An official account's profile: an administrator proposes name, biography, fields and
//! avatar in the workspace, an approver applies it, and a real ActivityPub implementation
//! (Fedify) receives the actor `Update` with verified-link fields, the avatar's description
//! and the body's legal pages.

use herold_tests::oidc::{field, Browser, OidcProvider};
use herold_tests::peer::Peer;
use herold_tests::spawn::{spawn_app_with, AppOptions, SignIn};
use herold_tests::{eventually, Db, TestApp};
use serde_json::Value;

use crate::staff::{csrf, png_with_metadata, signed_in};

const LEGAL: &str = "[legal]\nimprint = \"https://www.demo.example/impressum\"\n\
                     accessibility_statement = \"https://www.demo.example/barrierefreiheit\"\n";

async fn app_with_legal_pages(db: Db, provider: &OidcProvider) -> TestApp {
    let options = AppOptions {
        sign_in: vec![SignIn {
            org: "demo",
            issuer: provider.issuer(),
            extra_policy: LEGAL,
            discovery_url: None,
        }],
        ..AppOptions::default()
    };
    let app = spawn_app_with(db, options).await;
    app.create_account("demo", "press").await;
    app
}

const WEBSITE: &[(&str, &str)] = &[("Website", "https://www.demo.example/")];

/// Proposes a profile through the form; returns the answer's status and body.
async fn propose(
    app: &TestApp,
    b: &Browser,
    name: &str,
    fields: &[(&str, &str)],
    avatar: Option<Vec<u8>>,
) -> (u16, String) {
    let token = csrf(app, b, "/staff/accounts/press/profile").await;
    let mut form = reqwest::multipart::Form::new()
        .text("csrf", token)
        .text("name", name.to_owned())
        .text("bio", "Pressestelle der Demo-Behörde.\n\nWir antworten werktags.".to_owned())
        .text("avatar_alt", "Wappen der Demo-Behörde")
        .text("header_alt", "");
    for (i, (name, value)) in fields.iter().enumerate() {
        form = form
            .text(format!("field_name_{i}"), name.to_string())
            .text(format!("field_value_{i}"), value.to_string());
    }
    if let Some(bytes) = avatar {
        form = form.part(
            "avatar",
            reqwest::multipart::Part::bytes(bytes).file_name("logo.png").mime_str("image/png").unwrap(),
        );
    }
    let resp = b
        .http
        .post(app.url("/staff/accounts/press/profile"))
        .header("sec-fetch-site", "same-origin")
        .multipart(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap_or_default())
}

/// The action of the form that decides on the waiting proposal (`apply` or `reject`).
fn decision(page: &str, what: &str) -> String {
    let end = page.find(&format!("/{what}\"")).unwrap_or_else(|| panic!("no {what} form: {page}"));
    let start = page[..end].rfind("action=\"").expect("a form action") + "action=\"".len();
    format!("{}/{what}", &page[start..end])
}

async fn actor(app: &TestApp) -> Value {
    app.http
        .get(app.url("/users/press"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn a_profile_change_takes_two_people_and_reaches_followers_as_an_update(db: Db) {
    let provider = OidcProvider::start();
    let app = app_with_legal_pages(db, &provider).await;
    let peer = Peer::start("draft-cavage-http-signatures-12");
    let account = app.store.account_by_username("press").await.unwrap().unwrap();
    peer.follow(&app.url("/users/press")).await;
    eventually(15, "the follow", || async {
        (app.store.follower_count(account.id).await.unwrap() == 1).then_some(())
    })
    .await;

    // Only administrators propose; a field with a name but no value is refused in words.
    let alice = signed_in(&app, "demo", "alice").await;
    assert_eq!(alice.get(&app.url("/staff/accounts/press/profile")).await.status, 403);
    let carol = signed_in(&app, "demo", "carol").await;
    let token = csrf(&app, &carol, "/staff/accounts/press/profile").await;
    let half = reqwest::multipart::Form::new()
        .text("csrf", token)
        .text("name", "Pressestelle")
        .text("field_name_0", "Website")
        .text("field_value_0", "");
    let resp = carol
        .http
        .post(app.url("/staff/accounts/press/profile"))
        .header("sec-fetch-site", "same-origin")
        .multipart(half)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("needs both a name and a value"));

    let (status, body) = propose(&app, &carol, "Pressestelle Demo", WEBSITE, Some(png_with_metadata())).await;
    assert_eq!(status, 303, "proposed: {body}");

    // Waiting: followers see nothing yet, and the new avatar is not public.
    let page = carol.get(&app.url("/staff/accounts/press/profile")).await;
    assert!(page.body.contains("A change waits for approval"), "{}", page.body);
    assert!(!page.body.contains("/apply\""), "an administrator without the approver role cannot apply");
    let before = actor(&app).await;
    assert_eq!(before["name"], "press office");
    assert!(before.get("icon").is_none());
    let proposal = app.store.profile_proposal(account.id, &herold_store::Visibility::everything()).await;
    let avatar = proposal.unwrap().unwrap().content.profile.avatar.expect("the new avatar");
    let anonymous = app.http.get(app.url(&format!("/media/{}", avatar.public_id))).send().await.unwrap();
    assert_eq!(anonymous.status(), 404, "a proposed avatar is not public");

    // An approver rejects only with a reason; then a second proposal is applied.
    let bob = signed_in(&app, "demo", "bob").await;
    herold_publishing::notify::notify(app.store.as_ref()).await.unwrap();
    let told = bob.get(&app.url("/staff/notifications")).await.body;
    assert!(told.contains("proposed a profile change for your approval"), "{told}");
    assert!(told.contains("href=\"/staff/accounts/press/profile\""), "{told}");
    let page = bob.get(&app.url("/staff/accounts/press/profile")).await;
    let token = field(&page.body, "csrf").unwrap();
    let rejected = bob
        .post(&app.url(&decision(&page.body, "reject")), &[("csrf", token.as_str()), ("reason", "")])
        .await;
    assert_eq!(rejected.status, 400, "{}", rejected.body);
    let rejected = bob
        .post(
            &app.url(&decision(&page.body, "reject")),
            &[("csrf", token.as_str()), ("reason", "Tippfehler")],
        )
        .await;
    assert_eq!(rejected.status, 303, "{}", rejected.body);
    let gone = app.http.get(app.url(&format!("/media/{}", avatar.public_id))).send().await.unwrap();
    assert_eq!(gone.status(), 404);

    let (status, body) = propose(&app, &carol, "Pressestelle Demo", WEBSITE, Some(png_with_metadata())).await;
    assert_eq!(status, 303, "proposed again: {body}");
    let page = bob.get(&app.url("/staff/accounts/press/profile")).await;
    let token = field(&page.body, "csrf").unwrap();
    let applied = bob.post(&app.url(&decision(&page.body, "apply")), &[("csrf", token.as_str())]).await;
    assert_eq!(applied.status, 303, "{}", applied.body);

    // The proposer hears of the rejection (with its reason) and of the application.
    herold_publishing::notify::notify(app.store.as_ref()).await.unwrap();
    let told = carol.get(&app.url("/staff/notifications")).await.body;
    assert!(told.contains("rejected your profile change") && told.contains("Tippfehler"), "{told}");
    assert!(told.contains("applied your profile change"), "{told}");
    assert!(
        !alice.get(&app.url("/staff/notifications")).await.body.contains("profile change"),
        "authors are not told"
    );

    // The actor as servers read it.
    let after = actor(&app).await;
    assert_eq!(after["name"], "Pressestelle Demo");
    assert_eq!(after["summary"], "<p>Pressestelle der Demo-Behörde.</p><p>Wir antworten werktags.</p>");
    assert_eq!(after["icon"]["name"], "Wappen der Demo-Behörde");
    assert_eq!(after["icon"]["mediaType"], "image/png");
    let fields: Vec<(String, String)> = after["attachment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_owned(), f["value"].as_str().unwrap().to_owned()))
        .collect();
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Website", "Organisation", "Impressum", "Datenschutz", "Barrierefreiheit"]);
    assert!(fields[0].1.contains("href=\"https://www.demo.example/\"") && fields[0].1.contains("rel=\"me"));
    assert!(fields[2].1.contains("https://www.demo.example/impressum"));
    let icon = app.http.get(after["icon"]["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(icon.status(), 200, "an applied avatar is public");
    let bytes = icon.bytes().await.unwrap();
    assert!(!bytes.windows(11).any(|w| w == b"GPSLatitude"), "cleaned of its metadata");

    // Fedify receives and verifies the Update.
    let update = eventually(15, "Fedify to verify the actor's Update", || async {
        peer.received_of("Update").await.into_iter().next()
    })
    .await;
    assert_eq!(update["raw"]["object"]["name"], "Pressestelle Demo");
    assert_eq!(update["raw"]["object"]["icon"]["name"], "Wappen der Demo-Behörde");
    peer.verify_object(&update["raw"]).await.unwrap_or_else(|e| panic!("the Update's proof: {e}"));

    // The public page: the link marked rel="me", and the body's legal pages at its foot.
    let public = app.http.get(app.url("/users/press")).send().await.unwrap().text().await.unwrap();
    assert!(public.contains("href=\"https://www.demo.example/\" rel=\"me\""), "{public}");
    assert!(public.contains("href=\"https://www.demo.example/impressum\""));
    assert!(public.contains(&format!("href=\"{}\"", app.url("/privacy/demo"))));
    assert!(public.contains("Wappen der Demo-Behörde"));

    // Every step is in the audit trail, with its reason.
    let entries = app.store.audit_entries(0, 1000).await.unwrap();
    let steps: Vec<&str> =
        entries.iter().map(|e| e.leaf.action.as_str()).filter(|a| a.starts_with("profile.")).collect();
    assert_eq!(steps, ["profile.propose", "profile.reject", "profile.propose", "profile.apply"]);

    // Everything of the organisation as one archive, read back with GNU tar.
    app.publish("press", "Für das Archiv").await;
    let policies =
        herold_compliance::policy::Policies::load(std::path::Path::new(&herold_tests::spawn::policies_dir()))
            .unwrap();
    let addresses = |a: &herold_store::Account, n: Option<&herold_store::Announcement>| match n {
        Some(n) => app.url(&format!("/users/{}/announcements/{}", a.username, n.public_id)),
        None => app.url(&format!("/users/{}", a.username)),
    };
    let mut archive = Vec::new();
    let summary = herold_compliance::archive::write_archive(
        app.store.as_ref(),
        &policies,
        std::path::Path::new(&herold_tests::spawn::policies_dir()),
        "demo",
        &addresses,
        &mut archive,
        herold_domain::now_millis(),
    )
    .await
    .unwrap();
    assert_eq!((summary.accounts, summary.announcements, summary.images), (1, 1, 1), "{summary:?}");
    let dir = app.db.dir.join("export");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("demo.tar"), &archive).unwrap();
    let untar =
        std::process::Command::new("tar").arg("-xf").arg("demo.tar").current_dir(&dir).output().unwrap();
    assert!(untar.status.success(), "{}", String::from_utf8_lossy(&untar.stderr));
    let root =
        std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).find(|e| e.path().is_dir()).unwrap().path();
    let index: Value =
        serde_json::from_slice(&std::fs::read(root.join("organisation.json")).unwrap()).unwrap();
    assert_eq!(index["accounts"][0]["display_name"], "Pressestelle Demo");
    assert_eq!(index["accounts"][0]["avatar_alt"], "Wappen der Demo-Behörde");
    let items: Value =
        serde_json::from_slice(&std::fs::read(root.join("accounts/press/announcements.json")).unwrap())
            .unwrap();
    assert_eq!(items[0]["text"], "Für das Archiv");
    let avatar = std::fs::read(root.join("accounts/press/avatar.png")).unwrap();
    assert!(avatar.starts_with(b"\x89PNG"), "the avatar as followers received it");
    let audit: Value = serde_json::from_slice(&std::fs::read(root.join("audit.json")).unwrap()).unwrap();
    assert!(audit.as_array().unwrap().iter().any(|e| e["action"] == "profile.apply"), "{audit}");
    assert!(root.join("policies/retention.toml").exists());
    assert!(app
        .store
        .profile_proposal(account.id, &herold_store::Visibility::everything())
        .await
        .unwrap()
        .is_none());
}

/// Every public page of the organisation links its legal pages, and the privacy notice
/// Herold writes lists what the retention catalogue keeps of followers and correspondents,
/// with the organisation's own retention, in the reader's language.
async fn public_pages_link_the_legal_pages_and_the_notice_follows_the_policy(db: Db) {
    let provider = OidcProvider::start();
    let options = AppOptions {
        sign_in: vec![SignIn {
            org: "demo",
            issuer: provider.issuer(),
            extra_policy: concat!(
                "[retention]\ncitizen_messages = \"60d\"\n\n[legal]\nimprint = \"https://www.demo.example/impressum\"\n\
                 dpo_contact = \"datenschutz@demo.example\"\n\
                 accessibility_statement_text = \"\"\"\nDiese Seiten sind barrierefrei.\n\nFeedback: Rathausplatz 1\n12345 Beispielstadt\n\"\"\"\n\n\
                 [presence]\ncolour = \"#0b5394\"\n\
                 attribution_domains = [\"www.demo.example\"]\nlogo = \"",
                env!("CARGO_MANIFEST_DIR"),
                "/../deploy/dev/demo-logo.svg\"\n"
            ),
            discovery_url: None,
        }],
        ..AppOptions::default()
    };
    let app = spawn_app_with(db, options).await;
    app.create_account("demo", "press").await;
    let a = app.publish("press", "Amtliche Bekanntmachung").await;
    let notice = app.url("/privacy/demo");
    for path in
        ["/users/press", &format!("/users/press/announcements/{}", a.public_id), "/users/press/follow"]
    {
        let page = app.http.get(app.url(path)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("href=\"https://www.demo.example/impressum\""), "{path} links the imprint");
        assert!(page.contains(&format!("href=\"{notice}\"")), "{path} links the privacy notice");
    }

    let german = app.http.get(&notice).header("accept-language", "de").send().await.unwrap();
    assert_eq!(german.status(), 200);
    let german = german.text().await.unwrap();
    assert!(german.contains("Datenschutzerklärung: Test Authority"), "{german}");
    assert!(german.contains("datenschutz@demo.example"));
    assert!(german.contains("Ihre Nachrichten an das amtliche Konto"));
    assert!(german.contains("60 Tage"), "the organisation's own retention");
    assert!(german.contains("Einem amtlichen Konto folgen"));
    assert!(!german.contains("notice_class"), "every class has its words");
    let english = app.http.get(&notice).send().await.unwrap().text().await.unwrap();
    assert!(english.contains("Likes and boosts") && english.contains("30 days"), "{english}");
    assert!(!english.contains("Staff"), "staff data is not the public's business here");
    let unknown = app.http.get(app.url("/privacy/nobody")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);

    // An accessibility statement given as text in the policy: Herold hosts it and every
    // page, and the profile, link it.
    let hosted = app.url("/legal/demo/accessibility_statement");
    let page = app.http.get(app.url("/users/press")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("href=\"{hosted}\"")), "{page}");
    let statement = app.http.get(&hosted).header("accept-language", "de").send().await.unwrap();
    assert_eq!(statement.status(), 200);
    let statement = statement.text().await.unwrap();
    assert!(statement.contains("Erklärung zur Barrierefreiheit: Test Authority"), "{statement}");
    assert!(statement.contains("Feedback: Rathausplatz 1\n12345 Beispielstadt"), "{statement}");
    let fields = actor(&app).await["attachment"].to_string();
    assert!(fields.contains(&hosted), "{fields}");
    for missing in
        ["/legal/demo/imprint", "/legal/demo/privacy_notice", "/legal/nobody/accessibility_statement"]
    {
        assert_eq!(app.http.get(app.url(missing)).send().await.unwrap().status(), 404, "{missing}");
    }

    // The body's name heads its pages, on its colour where the policy gives one.
    let page = app.http.get(app.url("/users/press")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<p class=\"owner\"><img class=\"logo\" src=\"/static/brand/demo/logo\" alt=\"\">Test Authority</p>"), "{page}");
    assert!(page.contains("href=\"/static/brand/demo.css\"") && page.contains("class=\"brand-band\""));
    let css = app.http.get(app.url("/static/brand/demo.css")).send().await.unwrap().text().await.unwrap();
    assert!(css.contains("background: #0b5394"), "{css}");
    let plain = app.http.get(app.url("/static/brand/operator.css")).send().await.unwrap();
    assert_eq!(plain.status(), 404, "no colour, no rules");

    // Its logo (above, beside its name) is also in its staff workspace. An SVG is a
    // document of its own: it is served sandboxed.
    let logo = app.http.get(app.url("/static/brand/demo/logo")).send().await.unwrap();
    assert_eq!(logo.status(), 200);
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    assert_eq!(logo.headers()["x-content-type-options"], "nosniff");
    let csp = logo.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("sandbox"), "{csp}");
    let shipped = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/dev/demo-logo.svg")).unwrap();
    assert_eq!(logo.bytes().await.unwrap(), shipped);
    assert_eq!(app.http.get(app.url("/static/brand/operator/logo")).send().await.unwrap().status(), 404);
    let staff = signed_in(&app, "demo", "alice").await;
    let dashboard = staff.get(&app.url("/staff")).await;
    assert!(
        dashboard
            .body
            .contains("<img class=\"logo\" src=\"/static/brand/demo/logo\" alt=\"\">Test Authority"),
        "{}",
        dashboard.body
    );

    // The newest announcements for the body's website: only its listed websites may frame
    // them, links leave the frame, and following works from any server.
    let embed = app.http.get(app.url("/users/press/embed")).send().await.unwrap();
    assert_eq!(embed.status(), 200);
    let csp = embed.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.ends_with("frame-ancestors https://www.demo.example"), "{csp}");
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{csp}");
    let embed = embed.text().await.unwrap();
    assert!(
        embed.contains("<base target=\"_blank\">") && embed.contains("Amtliche Bekanntmachung"),
        "{embed}"
    );
    assert!(embed.contains(&format!("href=\"{}/follow\"", app.url("/users/press"))));
    app.create_account("bfdi", "news").await;
    let unlisted = app.http.get(app.url("/users/news/embed")).send().await.unwrap();
    let csp = unlisted.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.ends_with("frame-ancestors 'none'"), "a body that names no website: {csp}");
}

/// The body's websites, served over https by an internal CA: one links back with
/// `rel="me"`, one does not, one is missing. Herold checks each once the profile is applied
/// and shows the administrator what it found; the public page marks only the verified one.
async fn profile_links_are_checked_for_a_link_back(db: Db) {
    let dir = std::env::temp_dir().join(format!("herold-links-{}", std::process::id()));
    let pki = herold_tests::pki::TestPki::create(&dir);
    let site = herold_tests::fake_remote::FakeRemote::start_tls(&pki).await;
    let port = site.base.rsplit(':').next().unwrap().to_owned();
    let page = |path: &str| format!("https://localhost:{port}{path}");
    let provider = OidcProvider::start();
    let options = AppOptions {
        sign_in: vec![SignIn {
            org: "demo",
            issuer: provider.issuer(),
            extra_policy: LEGAL,
            discovery_url: None,
        }],
        env: vec![
            ("HEROLD_OUTGOING_TLS_EXTRA_CA_FILE", pki.ca_file.display().to_string()),
            ("HEROLD_LINKS_CHECK_INTERVAL_SECONDS", "1".into()),
        ],
        ..AppOptions::default()
    };
    let app = spawn_app_with(db, options).await;
    let account = app.create_account("demo", "press").await;
    let actor_url = app.url("/users/press");
    site.serve_page(
        "/",
        &format!(
            "<!doctype html><html><head><title>Demo</title>
<link rel=\"stylesheet\" href=\"/s.css\"></head>             <body><footer><a class='social' REL='me noopener' href='{actor_url}'>Mastodon</a></footer></body></html>"
        ),
    );
    site.serve_page("/presse", &format!("<a href=\"{actor_url}\">Mastodon (no rel)</a>"));
    let (linked, unlinked, missing) = (page("/"), page("/presse"), page("/gone"));

    let carol = signed_in(&app, "demo", "carol").await;
    let fields = [("Website", linked.as_str()), ("Presse", unlinked.as_str()), ("Archiv", missing.as_str())];
    let (status, body) = propose(&app, &carol, "Pressestelle Demo", &fields, None).await;
    assert_eq!(status, 303, "proposed: {body}");
    let bob = signed_in(&app, "demo", "bob").await;
    let waiting = bob.get(&app.url("/staff/accounts/press/profile")).await;
    let token = field(&waiting.body, "csrf").unwrap();
    let applied = bob.post(&app.url(&decision(&waiting.body, "apply")), &[("csrf", token.as_str())]).await;
    assert_eq!(applied.status, 303, "{}", applied.body);

    let checks = eventually(20, "the three links to be checked", || async {
        let checks = app.store.link_checks(account.id).await.unwrap();
        (checks.len() == 3).then_some(checks)
    })
    .await;
    let of = |url: &str| checks.iter().find(|c| c.url == url).unwrap_or_else(|| panic!("{url}: {checks:?}"));
    assert!(of(&linked).verified && of(&linked).problem.is_none(), "{checks:?}");
    assert!(!of(&unlinked).verified && of(&unlinked).problem.is_none(), "{checks:?}");
    assert!(!of(&missing).verified, "{checks:?}");
    assert_eq!(of(&missing).problem.as_deref(), Some("status_404"));

    // The administrator sees each result in words, and what to place on the website.
    let view = carol.get(&app.url("/staff/accounts/press/profile")).await;
    assert!(view.body.contains("Verified: the page links back to this account."), "{}", view.body);
    assert!(view.body.contains("Not verified: the page does not link back to this account."));
    assert!(view.body.contains("the server answered with status 404"));
    assert!(
        view.body.contains(&format!("&lt;a rel=&quot;me&quot; href=&quot;{actor_url}&quot;&gt;")),
        "the snippet"
    );
    assert!(view.body.contains("fediverse:creator"));
    assert!(view.body.contains("attribution_domains = [&quot;localhost&quot;]"), "the policy line to add");
    let german = carol.get_in(&app.url("/staff/accounts/press/profile"), "de").await;
    assert!(
        german.body.contains("Bestätigt: Die Seite verweist zurück auf dieses Konto."),
        "{}",
        german.body
    );

    // Followers and visitors see the verified link marked, the others not.
    let public = app.http.get(&actor_url).send().await.unwrap().text().await.unwrap();
    let rows: Vec<&str> = public.split("<div").filter(|r| r.contains("rel=\"me\"")).collect();
    let row =
        |url: &str| rows.iter().find(|r| r.contains(&format!("href=\"{url}\""))).copied().unwrap_or_default();
    assert!(row(&linked).contains("class=\"verified\"") && row(&linked).contains("✓ verified"), "{public}");
    assert!(!row(&unlinked).contains("verified") && !row(&missing).contains("verified"), "{public}");

    // A new profile is checked afresh: what the old one found is forgotten.
    site.serve_page("/presse", &format!("<link rel=\"me\" href=\"{actor_url}\">"));
    let (status, body) = propose(&app, &carol, "Pressestelle Demo", &fields[1..2], None).await;
    assert_eq!(status, 303, "proposed: {body}");
    let waiting = bob.get(&app.url("/staff/accounts/press/profile")).await;
    let token = field(&waiting.body, "csrf").unwrap();
    let applied = bob.post(&app.url(&decision(&waiting.body, "apply")), &[("csrf", token.as_str())]).await;
    assert_eq!(applied.status, 303, "{}", applied.body);
    eventually(20, "the new profile's link to be checked", || async {
        let checks = app.store.link_checks(account.id).await.unwrap();
        (checks.len() == 1 && checks[0].url == unlinked && checks[0].verified).then_some(())
    })
    .await;
    std::fs::remove_dir_all(dir).ok();
}

/// A body moves its existing account's followers to Herold: the follower's server is Fedify
/// behaving as Mastodon does on a `Move` (it follows the target only if the target names
/// the old account in `alsoKnownAs`). Without the alias the move brings no one; with it,
/// set through the workspace by an administrator and applied by an approver, it does.
async fn a_move_from_another_server_brings_its_followers(db: Db) {
    let provider = OidcProvider::start();
    let app = app_with_legal_pages(db, &provider).await;
    let account = app.store.account_by_username("press").await.unwrap().unwrap();
    let old = herold_tests::fake_remote::FakeRemote::start().await;
    let peer = Peer::start("draft-cavage-http-signatures-12");
    peer.follow(&old.actor).await;
    let herold_actor = app.url("/users/press");
    let peer_inbox = format!("{}/inbox", peer.actor());
    let send_move = || async {
        let activity = serde_json::json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": old.new_id(),
            "type": "Move",
            "actor": old.actor,
            "object": old.actor,
            "target": herold_actor,
        });
        let sent = old.post_json(&peer_inbox, &activity, herold_federation::signatures::Scheme::Cavage).await;
        assert!(sent.status().is_success(), "the peer takes the Move: {}", sent.status());
    };

    send_move().await;
    eventually(15, "the peer to receive the first Move", || async {
        (!peer.received_of("Move").await.is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 0, "no alias, no move");

    // A mistyped former account is refused in words; the real one is resolved to its id.
    let carol = signed_in(&app, "demo", "carol").await;
    let form = |moved_from: &str, token: String| {
        reqwest::multipart::Form::new()
            .text("csrf", token)
            .text("name", "Pressestelle")
            .text("moved_from", moved_from.to_owned())
    };
    let post = |form| {
        carol
            .http
            .post(app.url("/staff/accounts/press/profile"))
            .header("sec-fetch-site", "same-origin")
            .multipart(form)
            .send()
    };
    let token = csrf(&app, &carol, "/staff/accounts/press/profile").await;
    let refused = post(form(&format!("{}/users/nobody", old.base), token)).await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("knows no such account"));
    let token = csrf(&app, &carol, "/staff/accounts/press/profile").await;
    let proposed = post(form(&old.actor, token)).await.unwrap();
    assert_eq!(proposed.status(), 303);
    let bob = signed_in(&app, "demo", "bob").await;
    let waiting = bob.get(&app.url("/staff/accounts/press/profile")).await;
    assert!(waiting.body.contains(&old.actor), "the approver sees the former account");
    let token = field(&waiting.body, "csrf").unwrap();
    let applied = bob.post(&app.url(&decision(&waiting.body, "apply")), &[("csrf", token.as_str())]).await;
    assert_eq!(applied.status, 303, "{}", applied.body);
    assert_eq!(actor(&app).await["alsoKnownAs"], serde_json::json!([old.actor]));

    send_move().await;
    eventually(20, "the moved follower to arrive", || async {
        app.store.is_follower(account.id, &peer.actor()).await.unwrap().then_some(())
    })
    .await;
    assert_eq!(app.store.follower_count(account.id).await.unwrap(), 1);
}

/// A body moves an account elsewhere: refused until the new account names it as its alias,
/// then its followers (Fedify, behaving as Mastodon) receive the `Move` and follow the new
/// account; the account publishes no more and says where it went. A retired one says when
/// it ended; what both published stays readable.
async fn an_account_moves_out_or_retires_and_says_so(db: Db) {
    use herold_publishing::accounts::Ending;
    let app = herold_tests::spawn_app(db).await;
    app.create_account("bfdi", "press").await;
    let published = app.publish("press", "Vor dem Umzug").await;
    let herold_actor = app.url("/users/press");
    let peer = Peer::start("draft-cavage-http-signatures-12");
    peer.follow(&herold_actor).await;
    let account = app.store.account_by_username("press").await.unwrap().unwrap();
    eventually(15, "the follow", || async {
        (app.store.follower_count(account.id).await.unwrap() == 1).then_some(())
    })
    .await;
    let new_home = herold_tests::fake_remote::FakeRemote::start().await;
    let publisher = &app.services.publisher;
    let now = herold_domain::now_millis();
    app.store.subscribe(account.id, "leser@example.org", "de", &"e".repeat(43), 100, now).await.unwrap();
    app.store.confirm_subscription(&"e".repeat(43), now).await.unwrap();

    let move_to = || Ending::Move { to: new_home.actor.clone() };
    let refused = publisher.end_account("press", move_to(), "test", None).await.unwrap_err();
    assert!(matches!(refused, herold_publishing::PublishError::NoAlias(_)), "{refused}");
    let mut doc = new_home.actor_doc();
    doc["alsoKnownAs"] = serde_json::json!([herold_actor]);
    new_home.set_actor_doc(doc);
    let moved = publisher.end_account("press", move_to(), "test", None).await.unwrap();
    assert_eq!(moved.moved_to.as_deref(), Some(new_home.actor.as_str()));
    assert!(
        publisher.end_account("press", Ending::Retire, "test", None).await.is_err(),
        "an account ends once"
    );

    // The follower's server verifies the Move and follows the new account.
    let received = eventually(20, "the peer to receive the Move", || async {
        peer.received_of("Move").await.into_iter().next()
    })
    .await;
    assert_eq!(received["raw"]["target"], new_home.actor, "{received}");
    eventually(20, "the peer to follow the new account", || async {
        new_home
            .received()
            .into_iter()
            .find(|r| r.json()["type"] == "Follow" && r.json()["actor"] == peer.actor())
    })
    .await;
    assert_eq!(actor(&app).await["movedTo"], new_home.actor);
    let held = app.store.email_subject_data("leser@example.org").await.unwrap();
    assert!(held.subscriptions.is_empty(), "nothing will be mailed again: the address goes");
    let follow = app.http.get(app.url("/users/press/follow")).send().await.unwrap();
    assert_eq!(follow.status(), 303, "no new followers: the profile says where it went");
    assert_eq!(follow.headers()["location"], app.url("/users/press").as_str());
    let embed = app.http.get(app.url("/users/press/embed")).send().await.unwrap().text().await.unwrap();
    assert!(embed.contains("This account has moved to") && !embed.contains("/users/press/follow"), "{embed}");
    let page = app.http.get(&herold_actor).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("This account has moved to") && page.contains("Vor dem Umzug"), "{page}");
    let again = publisher.publish("press", TestApp::draft("Nach dem Umzug"), "test").await;
    assert!(matches!(again, Err(herold_publishing::PublishError::Ended(_))), "{again:?}");
    let kept =
        app.http.get(app.url(&format!("/users/press/announcements/{}", published.public_id))).send().await;
    assert_eq!(kept.unwrap().status(), 200, "what it published stays");

    app.create_account("bfdi", "news").await;
    publisher.end_account("news", Ending::Retire, "test", None).await.unwrap();
    let page = app.http.get(app.url("/users/news")).header("accept-language", "de").send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("Dieses Konto wird seit") && !page.contains("/users/news/follow"), "{page}");
    assert!(publisher.publish("news", TestApp::draft("Noch etwas"), "test").await.is_err());
    let actions: Vec<String> =
        app.store.audit_entries(0, 1000).await.unwrap().into_iter().map(|e| e.leaf.action).collect();
    assert!(actions.contains(&"account.move".to_owned()) && actions.contains(&"account.retire".to_owned()));
}

/// The archive Mastodon exports of the body's former account, unpacked, brought over as
/// history: its public posts (with their dates, language versions, content warnings and
/// images) become announcements that were never sent to anyone; what was not public, boosts
/// and replies to others stay behind; a path out of the archive is not followed; a repeated
/// import adds nothing.
async fn a_mastodon_archive_becomes_history_without_being_sent(db: Db) {
    let app = herold_tests::spawn_app(db).await;
    let account = app.create_account("bfdi", "press").await;
    let peer = Peer::start("draft-cavage-http-signatures-12");
    peer.follow(&app.url("/users/press")).await;
    eventually(15, "the follow", || async {
        (app.store.follower_count(account.id).await.unwrap() == 1).then_some(())
    })
    .await;
    let dir = app.db.dir.join("mastodon-archive");
    std::fs::create_dir_all(dir.join("media_attachments/files/109/000/001/original")).unwrap();
    std::fs::write(dir.join("media_attachments/files/109/000/001/original/logo.png"), png_with_metadata())
        .unwrap();
    std::fs::write(app.db.dir.join("secret.png"), png_with_metadata()).unwrap();
    let me = "https://social.stadt.example/users/presse";
    let public = serde_json::json!(["https://www.w3.org/ns/activitystreams#Public"]);
    let followers = serde_json::json!([format!("{me}/followers")]);
    let create = |n: u32, to: &Value, cc: &Value, note: Value| {
        let mut note = note;
        note["id"] = format!("{me}/statuses/{n}").into();
        note["type"] = "Note".into();
        note["attributedTo"] = me.into();
        note["to"] = to.clone();
        note["cc"] = cc.clone();
        serde_json::json!({
            "id": format!("{me}/statuses/{n}/activity"),
            "type": "Create",
            "actor": me,
            "published": note["published"],
            "to": to,
            "cc": cc,
            "object": note,
        })
    };
    let outbox = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "outbox.json",
        "type": "OrderedCollection",
        "totalItems": 6,
        "orderedItems": [
            create(1, &public, &followers, serde_json::json!({
                "published": "2023-03-01T10:00:00Z",
                "content": "<p>Willkommen auf unserem Kanal!<br />Wir informieren hier. <a href=\"https://social.stadt.example/tags/Stadt\" class=\"mention hashtag\" rel=\"tag\">#<span>Stadt</span></a></p>",
                "contentMap": {
                    "de": "<p>Willkommen auf unserem Kanal!<br />Wir informieren hier. <a href=\"https://social.stadt.example/tags/Stadt\" class=\"mention hashtag\" rel=\"tag\">#<span>Stadt</span></a></p>",
                    "en": "<p>Welcome to our channel!</p>"
                },
                "attachment": [
                    { "type": "Document", "mediaType": "image/png", "url": "media_attachments/files/109/000/001/original/logo.png", "name": "Wappen der Stadt", "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH", "width": 64, "height": 64 },
                    { "type": "Document", "mediaType": "image/png", "url": "../secret.png", "name": "outside" }
                ]
            })),
            create(2, &followers, &serde_json::json!([]), serde_json::json!({
                "published": "2023-03-02T10:00:00Z", "content": "<p>Nur für Folgende</p>"
            })),
            serde_json::json!({ "id": format!("{me}/statuses/3/activity"), "type": "Announce", "actor": me,
                "published": "2023-03-03T10:00:00Z", "to": public, "object": "https://elsewhere.example/notes/1" }),
            create(4, &public, &followers, serde_json::json!({
                "published": "2023-03-04T10:00:00Z", "content": "<p>@anna Danke!</p>",
                "inReplyTo": "https://elsewhere.example/users/anna/statuses/9"
            })),
            create(5, &followers, &public, serde_json::json!({
                "published": "2023-04-01T08:30:00Z", "summary": "Baustelle",
                "content": "<p>Die Brücke ist gesperrt.</p>", "inReplyTo": format!("{me}/statuses/1")
            })),
            create(6, &serde_json::json!([format!("https://elsewhere.example/users/anna")]), &serde_json::json!([]), serde_json::json!({
                "published": "2023-04-02T08:30:00Z", "content": "<p>Direktnachricht</p>"
            })),
        ],
    });
    std::fs::write(dir.join("outbox.json"), serde_json::to_vec(&outbox).unwrap()).unwrap();
    let publisher = &app.services.publisher;
    let done =
        publisher.import_mastodon_archive("press", &dir, "Bild ohne Beschreibung", "test").await.unwrap();
    assert_eq!((done.imported, done.left_out, done.images, done.images_left_out), (2, 4, 1, 1), "{done:?}");
    let again =
        publisher.import_mastodon_archive("press", &dir, "Bild ohne Beschreibung", "test").await.unwrap();
    assert_eq!((again.imported, again.already), (0, 2), "{again:?}");

    let items = app.store.announcements(account.id, 10, 0).await.unwrap();
    assert_eq!(items.len(), 2);
    let welcome = items.iter().find(|a| a.body.source_text.starts_with("Willkommen")).unwrap();
    assert_eq!(welcome.published_at, herold_domain::parse_rfc3339("2023-03-01T10:00:00Z").unwrap());
    assert_eq!(welcome.imported_from.as_deref(), Some(format!("{me}/statuses/1").as_str()));
    assert_eq!(welcome.body.translations[0].source_text, "Welcome to our channel!");
    assert_eq!(welcome.body.attachments[0].alt_text, "Wappen der Stadt");
    assert!(welcome.body.source_text.contains("Wir informieren hier."), "{}", welcome.body.source_text);
    let bridge = items.iter().find(|a| a.body.summary.as_deref() == Some("Baustelle")).unwrap();
    assert!(bridge.body.source_text.contains("Die Brücke ist gesperrt."));
    for a in &items {
        assert!(app.store.activity_uri_for(a.id, "Create").await.unwrap().is_none(), "never sent");
    }
    let image =
        app.http.get(app.url(&format!("/media/{}", welcome.body.attachments[0].public_id))).send().await;
    assert_eq!(image.unwrap().status(), 200, "its image is public with it");
    let page = app.http.get(app.url("/users/press")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("brought over from the former account") && page.contains("2023"), "{page}");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(peer.received_of("Create").await.is_empty(), "followers receive none of it");
    let audit = app.store.audit_entries(0, 1000).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.leaf.action == "announcement.import").count(), 2);
}

on_both_backends!(
    a_mastodon_archive_becomes_history_without_being_sent,
    an_account_moves_out_or_retires_and_says_so,
    a_move_from_another_server_brings_its_followers,
    profile_links_are_checked_for_a_link_back,
    a_profile_change_takes_two_people_and_reaches_followers_as_an_update,
    public_pages_link_the_legal_pages_and_the_notice_follows_the_policy
);
