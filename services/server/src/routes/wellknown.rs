use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::state::Services;
use crate::ApiError;

#[derive(Deserialize)]
pub struct WebfingerQuery {
    resource: String,
}

/// `acct:press@host`, or the actor's URL, resolves to the actor.
#[get("/.well-known/webfinger")]
pub async fn webfinger(
    s: web::Data<Services>,
    q: web::Query<WebfingerQuery>,
) -> Result<HttpResponse, ApiError> {
    let resource = q.resource.trim();
    let host = s.urls.host();
    let username = if let Some(acct) = resource.strip_prefix("acct:") {
        let (user, domain) = acct.rsplit_once('@').ok_or(ApiError::NotFound)?;
        if !domain.eq_ignore_ascii_case(&host) {
            return Err(ApiError::NotFound);
        }
        user.trim_start_matches('@').to_ascii_lowercase()
    } else if resource == s.urls.instance_actor() {
        host.to_ascii_lowercase()
    } else if resource == s.urls.relay_actor() {
        "relay".to_owned()
    } else {
        s.urls.username_of(resource).ok_or(ApiError::NotFound)?
    };
    // The instance actor (`acct:<host>@<host>`) signs our fetches; servers in
    // authorized-fetch mode look it up before they trust its key.
    let (subject_user, actor, profile) = if username == host.to_ascii_lowercase() {
        (host.clone(), s.urls.instance_actor(), s.urls.home())
    } else if username == "relay" {
        ("relay".to_owned(), s.urls.relay_actor(), s.urls.relay_actor())
    } else {
        let account = s.store.account_by_username(&username).await?.ok_or(ApiError::NotFound)?;
        let actor = s.urls.actor(&account.username);
        (account.username, actor.clone(), actor)
    };
    let body = json!({
        "subject": format!("acct:{subject_user}@{host}"),
        "aliases": [actor],
        "links": [
            { "rel": "self", "type": "application/activity+json", "href": actor },
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile },
        ],
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/jrd+json"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .body(body.to_string()))
}

#[get("/.well-known/host-meta")]
pub async fn host_meta(s: web::Data<Services>) -> HttpResponse {
    let template = format!("{}.well-known/webfinger?resource={{uri}}", s.urls.home());
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  <Link rel=\"lrdd\" template=\"{}\"/>\n</XRD>\n",
        herold_federation::vocab::escape_html(&template)
    );
    HttpResponse::Ok().insert_header((header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8")).body(xml)
}

#[get("/.well-known/nodeinfo")]
pub async fn nodeinfo_links(s: web::Data<Services>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "links": [{
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "href": format!("{}nodeinfo/2.1", s.urls.home()),
        }]
    }))
}

/// NodeInfo 2.1: software and protocol only. Account and post counts are public anyway,
/// but follower lists and anything about people are not in it.
#[get("/nodeinfo/2.1")]
pub async fn nodeinfo(s: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    let accounts = s.store.list_accounts().await?;
    let relay = relay_counts(&s).await?;
    let mut posts = 0;
    for a in &accounts {
        posts += s.store.announcement_count(a.id).await?;
    }
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
        ))
        .body(
            json!({
                "version": "2.1",
                "software": {
                    "name": "herold",
                    "version": env!("CARGO_PKG_VERSION"),
                    "homepage": s.urls.home(),
                },
                "protocols": ["activitypub"],
                "services": { "inbound": [], "outbound": ["atom1.0"] },
                "openRegistrations": false,
                "usage": { "users": { "total": accounts.len() }, "localPosts": posts },
                // The relay by counts only: which servers subscribe is nobody else's business.
                "metadata": { "nodeName": "Herold", "relay": relay },
            })
            .to_string(),
        ))
}

/// The relay's public figures: its inbox and how many servers it serves. Pending and
/// suspended subscriptions are the operator's business (and a count anyone can raise by
/// subscribing is no figure to publish).
pub async fn relay_counts(s: &Services) -> Result<serde_json::Value, ApiError> {
    let counts = s.store.relay_counts().await?;
    let active = counts.iter().find(|(state, _)| state == "active").map_or(0, |(_, n)| *n);
    Ok(json!({ "inbox": s.urls.relay_inbox(), "subscribers": active }))
}
