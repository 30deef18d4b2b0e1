//! Sign-in and sign-out. The sign-in attempt (state, nonce, PKCE verifier) lives on the
//! server, bound to the browser by a short-lived cookie, and is used once.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use herold_domain::{now_millis, Zone};
use herold_identity::session::{random_token, same_secret, token_hash};
use herold_identity::IdentityError;
use herold_store::{NewSession, SignInAttempt, StaffSignIn};
use serde::Deserialize;

use super::i18n::Lang;
use super::{
    attempt_cookie_name, cookie, error_page, page, removal, see_other, session_cookie_name, views, Staff,
};
use crate::error::ApiError;
use crate::state::Services;

/// How long a person may take at their provider's sign-in page.
const ATTEMPT_TTL_SECS: i64 = 600;

/// The same page at the public address, when the browser came by another loopback name of
/// it (`127.0.0.1` for `localhost`, as the log's listen address invites): the sign-in's cookie
/// and the provider's redirect belong to the public address, so a sign-in begun elsewhere
/// would fail at the callback. Other hosts are left alone: behind a proxy the Host header
/// can differ from the public one, and sending those back would loop.
fn at_public_address(req: &HttpRequest, s: &Services) -> Option<HttpResponse> {
    let public = &s.config.public_url;
    let loopback = |host: &str| matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    let public_host = public.host_str()?;
    let (host, port) = req.headers().get(actix_web::http::header::HOST)?.to_str().ok()?.rsplit_once(':')?;
    let same_port = port.parse::<u16>().ok() == public.port_or_known_default();
    if !(loopback(public_host) && loopback(host) && host != public_host && same_port) {
        return None;
    }
    let mut target = public.join(req.path()).ok()?;
    target.set_query(Some(req.query_string()).filter(|q| !q.is_empty()));
    Some(see_other(target.as_str()))
}

#[get("/login")]
pub async fn login_page(req: HttpRequest, s: web::Data<Services>) -> HttpResponse {
    if let Some(moved) = at_public_address(&req, &s) {
        return moved;
    }
    let lang = Lang::negotiate(&req);
    let orgs = match s.store.list_orgs().await {
        Ok(orgs) => orgs,
        Err(e) => return error_page(&s, lang, &Zone::utc(), e.into()),
    };
    let signable: Vec<(String, String)> = orgs
        .into_iter()
        .filter(|o| s.providers.issuer(&o.slug).is_some())
        .map(|o| (o.slug, o.name))
        .collect();
    page(&s, None, StatusCode::OK, views::login(lang, &signable))
}

#[get("/login/{org}")]
pub async fn login_org(req: HttpRequest, s: web::Data<Services>, org: web::Path<String>) -> HttpResponse {
    if let Some(moved) = at_public_address(&req, &s) {
        return moved;
    }
    let lang = Lang::negotiate(&req);
    let result = async {
        let start = s.providers.begin(&org).await?;
        let token = random_token()?;
        let now = now_millis();
        let attempt = SignInAttempt {
            token_hash: token_hash(&token),
            org_slug: org.clone(),
            state: start.state,
            nonce: start.nonce,
            pkce_verifier: start.pkce_verifier,
            created_at: now,
        };
        s.store.start_sign_in(attempt, now - ATTEMPT_TTL_SECS * 1000).await?;
        let mut response = see_other(start.url.as_str());
        response
            .add_cookie(&cookie(&s, attempt_cookie_name(&s), token, Some(ATTEMPT_TTL_SECS)))
            .map_err(|_| ApiError::Identity(IdentityError::Config("cannot set the sign-in cookie".into())))?;
        Ok::<_, ApiError>(response)
    }
    .await;
    result.unwrap_or_else(|e| error_page(&s, lang, &Zone::utc(), e))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

fn refused(why: &str) -> ApiError {
    ApiError::Identity(IdentityError::Refused(why.to_owned()))
}

#[get("/auth/callback")]
pub async fn callback(
    req: HttpRequest,
    s: web::Data<Services>,
    q: web::Query<CallbackQuery>,
) -> HttpResponse {
    let lang = Lang::negotiate(&req);
    let result = async {
        let token = req.cookie(attempt_cookie_name(&s)).ok_or_else(|| {
            refused("this browser did not start a sign-in, or it expired; please start again")
        })?;
        let not_before = now_millis() - ATTEMPT_TTL_SECS * 1000;
        let attempt = s
            .store
            .take_sign_in(&token_hash(token.value()), not_before)
            .await?
            .ok_or_else(|| refused("this sign-in expired or was already used; please start again"))?;
        if let Some(error) = &q.error {
            return Err(refused(&format!("your organisation's sign-in service reported {error:?}")));
        }
        if !q.state.as_deref().is_some_and(|state| same_secret(state, &attempt.state)) {
            return Err(refused("the answer does not belong to this browser's sign-in (state mismatch)"));
        }
        // RFC 9207: an answer from another provider than the one we sent the person to is
        // a mix-up attack.
        if let Some(iss) = &q.iss {
            if Some(iss.as_str()) != s.providers.issuer(&attempt.org_slug) {
                return Err(refused("the answer came from a different provider (issuer mismatch)"));
            }
        }
        let code = q.code.as_deref().ok_or_else(|| refused("the provider sent no authorization code"))?;
        let person =
            match s.providers.finish(&attempt.org_slug, code, &attempt.nonce, &attempt.pkce_verifier).await {
                Err(IdentityError::NoRole) => {
                    let body = views::message(lang, lang.t("no_access_title"), lang.t("no_access_text"));
                    return Ok(page(&s, None, StatusCode::FORBIDDEN, body));
                }
                other => other?,
            };
        let session_token = random_token()?;
        let now = now_millis();
        let session = s
            .store
            .sign_in(
                StaffSignIn {
                    org_slug: attempt.org_slug.clone(),
                    issuer: person.issuer,
                    subject: person.subject,
                    name: person.name,
                    email: person.email,
                    roles: person.roles,
                },
                NewSession {
                    token_hash: token_hash(&session_token),
                    csrf: random_token()?,
                    provider_sid: person.sid,
                    id_token: Some(person.id_token),
                    idle_ms: person.idle_timeout_ms,
                    expires_at: now + person.absolute_timeout_ms,
                },
                now,
            )
            .await?;
        tracing::info!(staff = session.staff.id, org = %session.staff.org_slug, "signed in");
        // What Herold writes to them (notification e-mails) is in the language they read in.
        s.store.set_staff_language(session.staff.id, lang.code()).await?;
        let mut response = see_other("/staff");
        let lifetime = Some(person.absolute_timeout_ms / 1000);
        let set = response.add_cookie(&cookie(&s, session_cookie_name(&s), session_token, lifetime));
        set.map_err(|_| ApiError::Identity(IdentityError::Config("cannot set the session cookie".into())))?;
        Ok(response)
    }
    .await;
    let mut response = result.unwrap_or_else(|e| error_page(&s, lang, &Zone::utc(), e));
    let _ = response.add_cookie(&removal(&s, attempt_cookie_name(&s)));
    response
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Ends the Herold session, then sends the browser to the provider to end that session
/// too (RP-initiated logout), which returns it to the sign-in page.
#[post("/logout")]
pub async fn logout(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        let ended = s.store.end_session(&staff.session.token_hash, now_millis()).await?;
        let after = s.config.public_url.join("/login").map_err(|_| ApiError::NotFound)?;
        let id_token = ended.as_ref().and_then(|e| e.id_token.as_deref());
        let target = s.providers.logout_url(&staff.session.staff.org_slug, id_token, &after).await;
        let mut response = see_other(target.as_ref().map_or("/login", |u| u.as_str()));
        let _ = response.add_cookie(&removal(&s, session_cookie_name(&s)));
        Ok(response)
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct LogoutTokenForm {
    logout_token: String,
}

/// The provider tells Herold that a session ended there (back-channel logout); Herold ends
/// its sessions that came from it.
#[post("/auth/backchannel-logout")]
pub async fn backchannel_logout(s: web::Data<Services>, form: web::Form<LogoutTokenForm>) -> HttpResponse {
    let result = async {
        let now = now_millis();
        let notice = s.providers.verify_logout_token(&form.logout_token, now / 1000).await?;
        let ended = s
            .store
            .end_provider_sessions(&notice.issuer, notice.sid.as_deref(), notice.subject.as_deref(), now)
            .await?;
        tracing::info!(ended, "back-channel logout");
        Ok::<_, ApiError>(HttpResponse::Ok().insert_header(("cache-control", "no-store")).finish())
    }
    .await;
    result.unwrap_or_else(|e| {
        let status = e.log();
        HttpResponse::build(status)
            .insert_header(("cache-control", "no-store"))
            .json(serde_json::json!({ "error": e.safe_message() }))
    })
}
