use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use herold_federation::vocab;
use herold_publishing::{feeds, note, pages};
use herold_store::Account;
use serde::Deserialize;
use serde_json::Value;

use super::{activity_json, html, wants_activity_json};
use crate::staff::i18n::Lang;
use crate::state::Services;
use crate::ApiError;

/// The public pages' texts in the reader's language (`Accept-Language`).
pub(super) fn texts(req: &HttpRequest) -> impl Fn(&str) -> &'static str {
    let lang = Lang::negotiate(req);
    move |key| lang.t(key)
}

/// The body a public page of `account` belongs to and the legal pages it links (on the
/// instance's own pages, those of the organisation that runs it).
pub(super) fn legal(req: &HttpRequest, account: Option<&Account>) -> pages::Legal {
    let org = account.map_or(crate::state::OPERATOR_ORG, |a| a.org_slug.as_str());
    let Some(s) = req.app_data::<web::Data<Services>>() else { return pages::Legal::default() };
    let legal = pages::Legal::of(&texts(req), &s.urls, &s.presences.of(org), org);
    match account {
        Some(a) => legal.named(&a.org_name),
        None => legal,
    }
}

const PAGE_SIZE: i64 = 20;

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

pub(super) async fn account(s: &Services, username: &str) -> Result<Account, ApiError> {
    s.store.account_by_username(&username.to_ascii_lowercase()).await?.ok_or(ApiError::NotFound)
}

/// What is not there, as the client reads: the readable page for a person, JSON for a
/// server.
pub(super) fn readable(
    req: &HttpRequest,
    result: Result<HttpResponse, ApiError>,
) -> Result<HttpResponse, ApiError> {
    match result {
        Err(ApiError::NotFound) if !wants_activity_json(req) => {
            Ok(html(StatusCode::NOT_FOUND, pages::not_found(&texts(req), &legal(req, None))))
        }
        other => other,
    }
}

#[get("/livez")]
pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

#[get("/readyz")]
pub async fn readyz(s: web::Data<Services>) -> HttpResponse {
    // Ready means writes go through: a database that answers reads but holds a stuck write
    // lock, or a standby, would take in nothing.
    let writable = tokio::time::timeout(std::time::Duration::from_secs(2), s.store.check_writable())
        .await
        .unwrap_or_else(|_| Err(herold_store::StoreError::Busy));
    match (writable, s.store.migrations_current().await) {
        (Ok(()), Ok(true)) => HttpResponse::Ok().body("ready"),
        (Ok(()), _) => HttpResponse::ServiceUnavailable().body("migrations pending"),
        (Err(e), _) => {
            tracing::warn!(error = %crate::error::chain(&e), "database does not take writes");
            HttpResponse::ServiceUnavailable().body("database unavailable")
        }
    }
}

#[get("/static/site.css")]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(pages::STYLESHEET)
}

/// A body's colour (`[presence] colour` in its policy), for its public pages.
#[get("/static/brand/{org}.css")]
pub async fn brand_stylesheet(s: web::Data<Services>, org: web::Path<String>) -> HttpResponse {
    match s.presences.of(&org).colour {
        Some(colour) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .body(pages::brand_stylesheet(&colour)),
        None => HttpResponse::NotFound().finish(),
    }
}

/// A body's logo (`[presence] logo` in its policy). An SVG is a document a browser could
/// open on its own: it is served sandboxed, so nothing in it runs under Herold's origin.
#[get("/static/brand/{org}/logo")]
pub async fn brand_logo(s: web::Data<Services>, org: web::Path<String>) -> HttpResponse {
    match s.presences.of(&org).logo {
        Some(logo) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, logo.content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'none'; sandbox",
            ))
            // The bytes are shared, not copied, per request.
            .body(web::Bytes::from_owner(logo.bytes)),
        None => HttpResponse::NotFound().finish(),
    }
}

#[get("/")]
pub async fn home(s: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let accounts = s.store.list_accounts().await?;
    Ok(html(StatusCode::OK, pages::home(&texts(&req), &legal(&req, None), &s.urls, &accounts)))
}

#[get("/actor")]
pub async fn instance_actor(s: web::Data<Services>) -> HttpResponse {
    activity_json(StatusCode::OK, &vocab::instance_actor(&s.urls, &s.instance_public_key))
}

#[get("/users/{username}")]
pub async fn actor(
    s: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let account = match account(&s, &path).await {
        Ok(a) => a,
        Err(e) => return readable(&req, Err(e)),
    };
    if wants_activity_json(&req) {
        return Ok(activity_json(
            StatusCode::OK,
            &vocab::account_actor(&s.urls, &account, &s.presences.of(&account.org_slug)),
        ));
    }
    let page_no = q.page.unwrap_or(1).clamp(1, 10_000);
    let items = s.store.announcements(account.id, PAGE_SIZE + 1, (page_no - 1) * PAGE_SIZE).await?;
    let has_more = items.len() as i64 > PAGE_SIZE;
    let shown = &items[..items.len().min(PAGE_SIZE as usize)];
    let follower_count = s.store.follower_count(account.id).await?;
    let pinned = if page_no == 1 { s.store.pinned_announcements(account.id).await? } else { Vec::new() };
    let zone = s.presences.of(&account.org_slug).time_zone;
    let verified: Vec<String> =
        s.store.link_checks(account.id).await?.into_iter().filter(|c| c.verified).map(|c| c.url).collect();
    let profile = pages::Profile {
        account: &account,
        zone: &zone,
        followers: follower_count,
        pinned: &pinned,
        page: shown,
        page_no,
        has_more,
        added_fields: &vocab::added_fields(&s.urls, &account, &s.presences.of(&account.org_slug)),
        verified: &verified,
        email_subscriptions: s.mailer.is_some()
            && s.presences.of(&account.org_slug).email_subscriptions
            && account.ended_at.is_none(),
    };
    let page = pages::profile(&texts(&req), &legal(&req, Some(&account)), &s.urls, profile);
    Ok(html(StatusCode::OK, page))
}

#[get("/users/{username}/outbox")]
pub async fn outbox(
    s: web::Data<Services>,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let account = account(&s, &path).await?;
    let id = s.urls.outbox(&account.username);
    let total = s.store.announcement_count(account.id).await?;
    let Some(page_no) = q.page else {
        let first = (total > 0).then(|| format!("{id}?page=1"));
        return Ok(activity_json(StatusCode::OK, &vocab::ordered_collection(&id, total, first)));
    };
    let page_no = page_no.clamp(1, 10_000);
    let items = s.store.announcements(account.id, PAGE_SIZE, (page_no - 1) * PAGE_SIZE).await?;
    let presence = s.presences.of(&account.org_slug);
    let mut activities = Vec::with_capacity(items.len());
    for a in &items {
        let object = note(&s.urls, &account, &presence, a);
        let create_id = s
            .store
            .activity_uri_for(a.id, "Create")
            .await?
            .unwrap_or_else(|| format!("{}#create", object["id"].as_str().unwrap_or_default()));
        let mut create = vocab::activity(
            &create_id,
            "Create",
            &s.urls.actor(&account.username),
            object,
            &s.urls.followers(&account.username),
        );
        if let Some(o) = create.as_object_mut() {
            o.remove("@context");
        }
        activities.push(create);
    }
    let next = (page_no * PAGE_SIZE < total).then(|| format!("{id}?page={}", page_no + 1));
    let prev = (page_no > 1).then(|| format!("{id}?page={}", page_no - 1));
    let page = vocab::ordered_collection_page(&format!("{id}?page={page_no}"), &id, activities, next, prev);
    Ok(activity_json(StatusCode::OK, &page))
}

/// Followers are people: only the count is published.
#[get("/users/{username}/followers")]
pub async fn followers(s: web::Data<Services>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let account = account(&s, &path).await?;
    let total = s.store.follower_count(account.id).await?;
    Ok(activity_json(
        StatusCode::OK,
        &vocab::ordered_collection(&s.urls.followers(&account.username), total, None),
    ))
}

#[get("/users/{username}/following")]
pub async fn following(s: web::Data<Services>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let account = account(&s, &path).await?;
    Ok(activity_json(
        StatusCode::OK,
        &vocab::ordered_collection(&s.urls.following(&account.username), 0, None),
    ))
}

/// Pinned announcements, whole, as Mastodon reads them on every refresh of the actor (and
/// logs an error where the collection is missing).
#[get("/users/{username}/featured")]
pub async fn featured(s: web::Data<Services>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let account = account(&s, &path).await?;
    let presence = s.presences.of(&account.org_slug);
    let pinned = s.store.pinned_announcements(account.id).await?;
    let items: Vec<Value> = pinned.iter().map(|a| note(&s.urls, &account, &presence, a)).collect();
    let mut collection =
        vocab::ordered_collection(&s.urls.featured(&account.username), items.len() as i64, None);
    collection["orderedItems"] = Value::Array(items);
    Ok(activity_json(StatusCode::OK, &collection))
}

/// The newest announcements as a feed, in the format the path's extension names, with the
/// `Link` header that names Herold's WebSub hub.
#[get("/users/{username}/feed.{format}")]
pub async fn feed(
    s: web::Data<Services>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (username, format) = path.into_inner();
    if !matches!(format.as_str(), "atom" | "rss" | "json") {
        return Err(ApiError::NotFound);
    }
    let account = account(&s, &username).await?;
    let items = s.store.announcements(account.id, PAGE_SIZE, 0).await?;
    let (content_type, body) = feeds::render(&format, &s.urls, &account, &items).ok_or(ApiError::NotFound)?;
    let link = herold_federation::websub::link_header(
        &s.urls.websub_hub(),
        &s.urls.feed_in(&account.username, &format),
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::LINK, link))
        .body(body))
}

/// How many announcements the embeddable page shows.
const EMBED_SIZE: i64 = 5;

/// An account's newest announcements for the body's website to frame. Only the websites its
/// policy names (`[presence] attribution_domains`) may frame it; elsewhere browsers refuse.
#[get("/users/{username}/embed")]
pub async fn embed(
    s: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let account = match account(&s, &path).await {
        Ok(a) => a,
        Err(e) => return readable(&req, Err(e)),
    };
    let presence = s.presences.of(&account.org_slug);
    let items = s.store.announcements(account.id, EMBED_SIZE, 0).await?;
    let page = pages::embed(&texts(&req), &s.urls, &presence.time_zone, &account, &items);
    let ancestors = match presence.attribution_domains.as_slice() {
        [] => "'none'".to_owned(),
        domains => domains.iter().map(|d| format!("https://{d}")).collect::<Vec<_>>().join(" "),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::VARY, "Accept-Language"))
        // The site-wide policy, but for who may frame it; browsers then ignore the
        // X-Frame-Options: DENY every page carries.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            format!(
                "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; \
                 frame-ancestors {ancestors}"
            ),
        ))
        .body(page))
}

#[get("/users/{username}/announcements/{id}")]
pub async fn announcement(
    s: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (username, public_id) = path.into_inner();
    let found = async {
        let account = account(&s, &username).await?;
        let a = s.store.announcement(account.id, &public_id).await?.ok_or(ApiError::NotFound)?;
        Ok((account, a))
    };
    let (account, a) = match found.await {
        Ok(found) => found,
        Err(e) => return readable(&req, Err(e)),
    };
    let json = wants_activity_json(&req);
    if let Some(deleted) = a.retracted_at {
        let url = s.urls.announcement(&account.username, &a.public_id);
        return Ok(if json {
            let mut t: Value = vocab::tombstone(&url, deleted);
            t["@context"] = Value::String(vocab::AS_CONTEXT.into());
            activity_json(StatusCode::GONE, &t)
        } else {
            html(StatusCode::GONE, pages::gone(&texts(&req), &legal(&req, Some(&account))))
        });
    }
    if json {
        let mut n = note(&s.urls, &account, &s.presences.of(&account.org_slug), &a);
        n["@context"] = vocab::context();
        return Ok(activity_json(StatusCode::OK, &n));
    }
    let zone = s.presences.of(&account.org_slug).time_zone;
    let shown = s.editorial.shown_replies(&account, a.id).await?;
    Ok(html(
        StatusCode::OK,
        pages::announcement(&texts(&req), &legal(&req, Some(&account)), &s.urls, &zone, &account, &a, &shown),
    ))
}

/// The replies the press office chose to show under an announcement, by their ids at their
/// senders' servers. Servers that fill in a thread from its origin (Mastodon since 4.5) read
/// this collection, so they get the moderated set.
#[get("/users/{username}/announcements/{id}/replies")]
pub async fn replies(
    s: web::Data<Services>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (username, public_id) = path.into_inner();
    let account = account(&s, &username).await?;
    let a = s.store.announcement(account.id, &public_id).await?.ok_or(ApiError::NotFound)?;
    if let Some(deleted) = a.retracted_at {
        let mut t = vocab::tombstone(&s.urls.announcement(&account.username, &a.public_id), deleted);
        t["@context"] = Value::String(vocab::AS_CONTEXT.into());
        return Ok(activity_json(StatusCode::GONE, &t));
    }
    let shown = s.editorial.shown_replies(&account, a.id).await?;
    let mut collection =
        vocab::ordered_collection(&s.urls.replies(&account.username, &a.public_id), shown.len() as i64, None);
    collection["orderedItems"] = shown.into_iter().map(|m| Value::String(m.object_uri)).collect();
    Ok(activity_json(StatusCode::OK, &collection))
}

/// A consent the account gave to quote one of its announcements or to list it in a
/// collection. Others check a quote or collection entry against it; once revoked, it is gone.
#[get("/users/{username}/stamps/{id}")]
pub async fn stamp(
    s: web::Data<Services>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (username, public_id) = path.into_inner();
    let account = account(&s, &username).await?;
    let stamp = s
        .store
        .stamp(&public_id)
        .await?
        .filter(|st| st.account_id == account.id)
        .ok_or(ApiError::NotFound)?;
    let url = s.urls.stamp(&account.username, &stamp.public_id);
    if let Some(revoked) = stamp.revoked_at {
        let mut t = serde_json::json!({ "id": url, "type": "Tombstone", "deleted": herold_domain::format_rfc3339(revoked) });
        t["@context"] = Value::String(vocab::AS_CONTEXT.into());
        return Ok(activity_json(StatusCode::GONE, &t));
    }
    let kind = match stamp.kind {
        herold_store::StampKind::Quote => "QuoteAuthorization",
        herold_store::StampKind::Feature => "FeatureAuthorization",
        herold_store::StampKind::Reply => "ReplyAuthorization",
    };
    let doc = vocab::authorization(
        kind,
        &url,
        &s.urls.actor(&account.username),
        &stamp.interacting_object,
        &stamp.target,
    );
    Ok(activity_json(StatusCode::OK, &doc))
}

/// Following an account from one's own server: the form (a body's website links here as its
/// "follow" button).
#[get("/users/{username}/follow")]
pub async fn follow_form(
    s: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let account = match account(&s, &path).await {
        Ok(a) => a,
        Err(e) => return readable(&req, Err(e)),
    };
    if let Some(profile) = ended(&s, &account) {
        return Ok(profile);
    }
    let page = pages::follow(
        &texts(&req),
        &legal(&req, Some(&account)),
        &s.urls,
        &account,
        pages::FollowState::default(),
    );
    Ok(html(StatusCode::OK, page))
}

/// An account that moved or was retired takes no new followers: to its page, which says why.
fn ended(s: &Services, account: &Account) -> Option<HttpResponse> {
    account.ended_at.map(|_| {
        HttpResponse::SeeOther().insert_header((header::LOCATION, s.urls.actor(&account.username))).finish()
    })
}

#[derive(Deserialize)]
pub struct FollowForm {
    address: String,
}

/// Asks the visitor's server (WebFinger) where they confirm a follow, and offers the link.
/// The address is used for that one request and neither stored nor logged; each server is
/// asked at most a few times a second, whoever asks.
#[post("/users/{username}/follow")]
pub async fn follow_lookup(
    s: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<FollowForm>,
) -> Result<HttpResponse, ApiError> {
    let account = match account(&s, &path).await {
        Ok(a) => a,
        Err(e) => return readable(&req, Err(e)),
    };
    if let Some(profile) = ended(&s, &account) {
        return Ok(profile);
    }
    let address: String = form.address.trim().chars().take(320).collect();
    let actor_id = s.urls.actor(&account.username);
    let found = match parse_address(&address) {
        None => Err("pub_follow_bad_address"),
        Some((user, domain)) => {
            let host = domain.split(':').next().unwrap_or_default().to_owned();
            let now = std::time::Instant::now();
            let budget =
                s.follow_lookups_all.check("all", now).and_then(|()| s.follow_lookups.check(&host, now));
            if budget.is_err() {
                Err("pub_follow_busy")
            } else {
                let resource = format!("acct:{user}@{domain}");
                let lookup = s.fetcher.webfinger(domain, &resource);
                match tokio::time::timeout(std::time::Duration::from_secs(10), lookup).await {
                    Ok(Ok(jrd)) => jrd
                        .follow_url(&actor_id, s.config.allow_private_networks)
                        .filter(|url| own_page(url, &host, &jrd.actor))
                        .map(|url| (url.host_str().unwrap_or_default().to_owned(), url.to_string()))
                        .ok_or("pub_follow_no_page"),
                    Ok(Err(
                        herold_federation::FederationError::Gone(_)
                        | herold_federation::FederationError::Invalid(_),
                    )) => Err("pub_follow_unknown"),
                    Ok(Err(_)) | Err(_) => Err("pub_follow_unreachable"),
                }
            }
        }
    };
    let tr = texts(&req);
    let (status, page) = match &found {
        Ok((host, url)) => {
            let state =
                pages::FollowState { address: &address, problem: None, destination: Some((host, url)) };
            (StatusCode::OK, pages::follow(&tr, &legal(&req, Some(&account)), &s.urls, &account, state))
        }
        Err(problem) => {
            let state = pages::FollowState { address: &address, problem: Some(problem), destination: None };
            let status =
                if *problem == "pub_follow_busy" { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::OK };
            (status, pages::follow(&tr, &legal(&req, Some(&account)), &s.urls, &account, state))
        }
    };
    Ok(html(status, page))
}

/// Whether a follow page is on the visitor's own server: the one in their address or the
/// one their account lives on (or another name of the same registrable domain). Herold
/// links only there, so that its pages cannot be made to send a visitor anywhere else.
fn own_page(page: &url::Url, address_host: &str, account_id: &str) -> bool {
    use herold_federation::rate_limit::registrable_domain;
    let Some(page_host) = page.host_str() else { return false };
    let actor_host = url::Url::parse(account_id).ok().and_then(|u| u.host_str().map(str::to_owned));
    let site = registrable_domain(page_host);
    site == registrable_domain(address_host) || actor_host.is_some_and(|h| site == registrable_domain(&h))
}

/// `@name@server` (or `name@server`) as a person types their address: the name and the
/// server (host, and port if any).
fn parse_address(address: &str) -> Option<(&str, &str)> {
    let (user, domain) = address.strip_prefix('@').unwrap_or(address).rsplit_once('@')?;
    let plain = |s: &str| !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || "/?#@\\".contains(c));
    let host =
        domain.rsplit_once(':').map_or(domain, |(h, port)| if port.parse::<u16>().is_ok() { h } else { "" });
    (plain(user) && plain(domain) && url::Host::parse(host).is_ok()).then_some((user, domain))
}

/// The announcements of every account here that carry a hashtag, where a hashtag in an
/// announcement links to.
#[get("/tags/{tag}")]
pub async fn tag(
    s: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let tag = path.into_inner().to_lowercase();
    // Only what the renderer links as a tag has a page; anything else is not found.
    if !herold_publishing::is_tag(&tag) {
        return Ok(html(StatusCode::NOT_FOUND, pages::not_found(&texts(&req), &legal(&req, None))));
    }
    let page_no = q.page.unwrap_or(1).clamp(1, 10_000);
    let items = s.store.tagged_announcements(&tag, PAGE_SIZE + 1, (page_no - 1) * PAGE_SIZE).await?;
    let has_more = items.len() as i64 > PAGE_SIZE;
    let accounts = s.store.list_accounts().await?;
    let shown: Vec<(&Account, &herold_store::Announcement)> = items
        .iter()
        .take(PAGE_SIZE as usize)
        .filter_map(|a| accounts.iter().find(|acc| acc.id == a.account_id).map(|acc| (acc, a)))
        .collect();
    Ok(html(
        StatusCode::OK,
        pages::tag(
            &texts(&req),
            &legal(&req, None),
            &s.urls,
            &tag,
            &s.presences,
            &shown,
            (page_no, has_more),
        ),
    ))
}

pub async fn not_found(req: HttpRequest) -> HttpResponse {
    html(StatusCode::NOT_FOUND, pages::not_found(&texts(&req), &legal(&req, None)))
}

#[cfg(test)]
mod tests {
    use super::parse_address;

    #[test]
    fn follow_pages_are_only_on_the_visitors_own_server() {
        use super::own_page;
        let page = |u: &str| url::Url::parse(u).unwrap();
        let actor = "https://social.example.org/users/anna";
        assert!(own_page(&page("https://social.example.org/authorize?uri=x"), "social.example.org", actor));
        // WebFinger at the domain, the server on a subdomain of it.
        assert!(own_page(&page("https://social.example.org/authorize"), "example.org", actor));
        assert!(!own_page(&page("https://phish.example/login"), "social.example.org", actor));
        assert!(!own_page(&page("https://anna.github.io/x"), "bob.github.io", "https://bob.github.io/u/b"));
    }

    #[test]
    fn addresses_are_read_as_people_type_them() {
        assert_eq!(parse_address("@anna@social.example"), Some(("anna", "social.example")));
        assert_eq!(parse_address("anna@social.example"), Some(("anna", "social.example")));
        assert_eq!(parse_address("@anna@127.0.0.1:8080"), Some(("anna", "127.0.0.1:8080")));
        for bad in [
            "",
            "anna",
            "@anna",
            "@anna@",
            "@@social.example",
            "@an na@social.example",
            "@anna@social.example/path",
            "https://social.example/@anna",
            "@anna@social.example:port",
        ] {
            assert_eq!(parse_address(bad), None, "{bad:?}");
        }
    }
}
