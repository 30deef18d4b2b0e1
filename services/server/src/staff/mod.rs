//! The staff web interface: sign-in through the organisation's provider, and the editorial
//! workflow (write, submit, approve or reject, publish, retract) as server-rendered pages.

mod admin;
mod archive;
mod auth;
mod deliveries;
mod dialogue;
pub(crate) mod i18n;
mod notifications;
mod oversight;
mod profile;
mod relay;
mod views;
mod workflow;

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use herold_domain::Zone;
use herold_identity::session::{self, same_secret, token_hash};
use herold_publishing::editorial::StaffActor;
use herold_store::StaffSession;

use crate::error::ApiError;
use crate::state::Services;
use i18n::Lang;
use views::Viewer;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::FormConfig::default().limit(64 * 1024))
        .service(auth::login_page)
        .service(auth::login_org)
        .service(auth::callback)
        .service(auth::logout)
        .service(auth::backchannel_logout)
        .service(workflow::dashboard)
        .service(workflow::compose)
        .service(workflow::create)
        .service(workflow::show_draft)
        .service(workflow::edit_draft)
        .service(workflow::confirm_withdraw)
        .service(workflow::revise)
        .service(workflow::step)
        .service(workflow::reschedule)
        .service(workflow::attach_image)
        .service(workflow::detach_image)
        .service(deliveries::deliveries)
        .service(deliveries::host_action)
        .service(archive::archive)
        .service(archive::calendar)
        .service(workflow::account_page)
        .service(workflow::announcement_show)
        .service(workflow::retract)
        .service(workflow::pin)
        .service(oversight::audit_trail)
        .service(oversight::audit_export)
        .service(oversight::compliance_report)
        .service(oversight::record_of_processing)
        .service(oversight::subject_requests)
        .service(oversight::extend_request)
        .service(oversight::subject_export)
        .service(oversight::subject_erase)
        .service(oversight::register_request)
        .service(oversight::close_request)
        .service(profile::show)
        .service(profile::propose)
        .service(profile::decide)
        .service(admin::admin)
        .service(admin::create_account)
        .service(admin::confirm_retire)
        .service(admin::retire)
        .service(relay::relay)
        .service(relay::relay_action)
        .service(dialogue::inbox)
        .service(dialogue::message)
        .service(dialogue::assign)
        .service(dialogue::mark)
        .service(dialogue::block)
        .service(dialogue::report)
        .service(dialogue::show)
        .service(dialogue::unblock)
        .service(notifications::list)
        .service(notifications::read)
        .service(notifications::settings)
        .service(notifications::save_settings)
        .service(script);
}

/// The staff pages' one script (progressive enhancement: see the file).
const SCRIPT: &str = include_str!("compose.js");

#[actix_web::get("/static/compose.js")]
async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(SCRIPT)
}

/// Cookies go without `Secure` (and the `__Host-` prefix, which requires it) only for local
/// development on plain http at a loopback address; startup refuses staff sign-in on any
/// other http address.
fn secure(s: &Services) -> bool {
    !crate::config::is_local_http(&s.config.public_url)
}

fn session_cookie_name(s: &Services) -> &'static str {
    if secure(s) {
        session::SESSION_COOKIE
    } else {
        session::SESSION_COOKIE_INSECURE
    }
}

fn attempt_cookie_name(s: &Services) -> &'static str {
    if secure(s) {
        session::ATTEMPT_COOKIE
    } else {
        session::ATTEMPT_COOKIE_INSECURE
    }
}

fn cookie(s: &Services, name: &'static str, value: String, max_age_secs: Option<i64>) -> Cookie<'static> {
    let mut c = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(secure(s))
        .same_site(SameSite::Lax)
        .finish();
    if let Some(secs) = max_age_secs {
        c.set_max_age(actix_web::cookie::time::Duration::seconds(secs));
    }
    c
}

fn removal(s: &Services, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(s, name, String::new(), None);
    c.make_removal();
    c
}

/// A staff page. Forms may post to Herold, and to the organisation's provider (sign-out
/// redirects there); scripts come from Herold only; nothing else, and nothing is cached. Browsers send `Origin: null` on
/// posts from pages under `no-referrer`, which would make the origin check refuse every
/// form, so staff pages use `same-origin`: still nothing leaves for other sites.
fn page(s: &Services, org: Option<&str>, status: StatusCode, body: String) -> HttpResponse {
    let provider = org
        .and_then(|o| s.providers.issuer(o))
        .and_then(|i| url::Url::parse(i).ok())
        .map(|u| format!(" {}", u.origin().ascii_serialization()))
        .unwrap_or_default();
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            format!(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; base-uri 'none'; \
                 form-action 'self'{provider}; frame-ancestors 'none'"
            ),
        ))
        .body(body)
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// The cookie that carries what a step did to the page it leads to, which says so once.
const DONE_COOKIE: &str = "herold-done";

/// What a step did, said on the page it leads to: a code of `views::DONE`, carried by a
/// short-lived cookie so that the page's address stays the page's.
fn see_other_done(s: &Services, location: &str, done: &'static str) -> HttpResponse {
    let mut c = cookie(s, DONE_COOKIE, done.to_owned(), Some(60));
    c.set_path("/staff");
    c.set_same_site(SameSite::Strict);
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).cookie(c).finish()
}

/// Renders a failure as a page in the reader's language, after logging its full cause.
fn error_page(s: &Services, lang: Lang, zone: &Zone, e: ApiError) -> HttpResponse {
    let status = e.log();
    page(s, None, status, views::message(lang, lang.t("error_title"), &explain(lang, zone, &e)))
}

/// What a refusal means, in the reader's language where the catalogue words it (the
/// workflow's refusals, an expired form), else the safe English message. Times are on the
/// reader's clock.
pub(crate) fn explain(lang: Lang, zone: &Zone, e: &ApiError) -> String {
    use herold_domain::workflow::WorkflowError;
    use herold_publishing::PublishError;
    match e {
        ApiError::Publish(PublishError::Workflow(w)) => match w {
            WorkflowError::NotAllowedInState(state, step) => lang
                .t("error_not_in_state")
                .replace("{state}", lang.t(&format!("state_{}", state.as_str())))
                .replace("{step}", lang.t(&format!("step_done_{}", step.as_str()))),
            WorkflowError::MissingRole(role) => {
                lang.t("error_missing_role").replace("{role}", lang.t(&format!("role_{}", role.as_str())))
            }
            WorkflowError::NotTheAuthor => lang.t("error_not_the_author").to_owned(),
            WorkflowError::OwnDraft => lang.t("error_own_draft").to_owned(),
            WorkflowError::NotTheScheduler => lang.t("error_not_the_scheduler").to_owned(),
        },
        ApiError::Csrf => lang.t("error_csrf").to_owned(),
        ApiError::NotFound
        | ApiError::Publish(
            PublishError::UnknownDraft(_)
            | PublishError::UnknownAccount(_)
            | PublishError::UnknownAnnouncement(_),
        ) => lang.t("error_not_found").to_owned(),
        ApiError::Publish(PublishError::Invalid(invalid)) => explain_invalid(lang, invalid),
        ApiError::Publish(PublishError::Forbidden(why) | PublishError::Incomplete(why)) => {
            match REFUSALS.iter().find(|(english, _)| english == why) {
                Some((_, key)) => lang.t(key).to_owned(),
                None => (*why).to_owned(),
            }
        }
        ApiError::Publish(PublishError::Ended(_)) => lang.t("error_account_ended").to_owned(),
        ApiError::Publish(PublishError::PublishAtPassed(at)) => {
            let when = herold_publishing::pages::human_time(&|key| lang.t(key), zone, *at);
            lang.t("error_publish_at_passed").replace("{time}", &when)
        }
        e => e.safe_message(),
    }
}

/// The workflow's refusals (`Forbidden`, `Incomplete`), by their English words, and the
/// catalogue key that says each in the reader's language.
pub(crate) const REFUSALS: &[(&str, &str)] = &[
    ("this needs the author role", "refused_author_role"),
    ("this needs the approver role", "refused_approver_role"),
    ("this needs the org-admin role", "refused_org_admin_role"),
    ("this needs the auditor role", "refused_auditor_role"),
    ("this needs the author or approver role", "refused_press_office"),
    ("only the author changes a draft", "refused_not_author"),
    ("take the draft back to edit it first", "refused_take_back_first"),
    ("say why it is rejected, so that the author can fix it", "refused_reject_reason"),
    ("give a reason for the retraction", "refused_retract_reason"),
    ("say why, so that others can judge the block later", "refused_block_reason"),
    ("say why, so that the other server's moderators can judge it", "refused_report_reason"),
    ("the sender's server cannot be reached now; try again later", "refused_report_unreachable"),
    (
        "the server of the person answered cannot be reached now; try again later",
        "refused_answer_unreachable",
    ),
    ("choose where the message stands", "refused_message_state"),
    ("choose someone of the press office", "refused_no_assignee"),
    ("only a public reply to an announcement can be shown under it", "refused_show_not_reply"),
    ("a message marked abusive is not shown", "refused_show_abusive"),
    ("choose why the reply is not shown", "refused_hide_reason"),
    ("choose an image file", "refused_image_file"),
    ("this page is for the organisation's auditors", "refused_auditors_page"),
    ("this page is for the organisation's administrators", "refused_admins_page"),
    (
        "the relay is moderated by the administrators of the organisation that runs this server",
        "refused_relay_page",
    ),
    (
        "the delivery queue is run by the administrators of the organisation that runs this server",
        "refused_deliveries_page",
    ),
    (
        "this message was not public: a public answer would disclose it; answer the sender another way",
        "refused_private_message",
    ),
    ("name the revision you reviewed, so that no later change slips through", "refused_revision"),
    ("an avatar or header is at most 2 MiB, or Mastodon leaves it out", "refused_profile_image_size"),
    ("this change no longer waits: look at the profile page again", "refused_profile_gone"),
];

/// What is wrong with a value someone typed, in their language.
pub(crate) fn explain_invalid(lang: Lang, e: &herold_domain::DomainError) -> String {
    let herold_domain::DomainError::Invalid { code, value, .. } = e;
    lang.t(&format!("invalid_{code}")).replace("{value}", value)
}

/// A multipart form: small text fields, and files of at most the image limit.
pub(crate) struct Upload {
    text: std::collections::HashMap<String, String>,
    files: std::collections::HashMap<String, Vec<u8>>,
}

impl Upload {
    pub(crate) fn text(&mut self, name: &str) -> String {
        self.text.remove(name).unwrap_or_default()
    }

    /// A text field's value, left in the form for what reads it next.
    pub(crate) fn peek(&self, name: &str) -> String {
        self.text.get(name).cloned().unwrap_or_default()
    }

    /// A file's bytes; empty when none was chosen (browsers send an empty part).
    pub(crate) fn file(&mut self, name: &str) -> Vec<u8> {
        self.files.remove(name).unwrap_or_default()
    }
}

/// Reads a multipart form whose file fields are `files`. Bounded: at most 40 parts, text
/// fields of 32 KiB (a text of 5,000 characters in any script), each file field once and of
/// the image limit. A file in a field not among `files` ends the reading there: what came
/// before it is kept and the rest is never read.
pub(crate) async fn read_multipart(
    mut payload: actix_multipart::Multipart,
    files: &[&str],
) -> Result<Upload, ApiError> {
    use futures_util::StreamExt;
    use herold_publishing::{media, PublishError};
    let mut upload = Upload { text: Default::default(), files: Default::default() };
    let mut parts = 0;
    while let Some(field) = payload.next().await {
        parts += 1;
        if parts > 40 {
            return Err(ApiError::BadRequest("the form has too many parts".into()));
        }
        let mut field = field.map_err(|e| ApiError::BadRequest(format!("the upload is malformed: {e}")))?;
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = files.contains(&name.as_str());
        let sends_file = field.content_disposition().and_then(|d| d.get_filename()).is_some();
        if sends_file && !is_file {
            break;
        }
        if is_file && upload.files.contains_key(&name) {
            return Err(ApiError::BadRequest(format!("the form sends {name} more than once")));
        }
        let limit = if is_file { media::MAX_BYTES } else { 32 * 1024 };
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("the upload broke off: {e}")))?;
            if data.len() + chunk.len() > limit {
                return Err(match is_file {
                    true => ApiError::Publish(PublishError::Media(media::MediaError::TooLarge)),
                    false => ApiError::BadRequest(format!("the field {name} is too long")),
                });
            }
            data.extend_from_slice(&chunk);
        }
        if is_file {
            upload.files.insert(name, data);
        } else {
            upload.text.insert(name, String::from_utf8_lossy(&data).into_owned());
        }
    }
    Ok(upload)
}

/// A signed-in member of staff with a live session.
pub struct Staff {
    pub session: StaffSession,
    pub lang: Lang,
    /// Their clock (their own zone, else their organisation's), in which they type and read times.
    pub zone: Zone,
    /// Messages from citizens waiting for the press office, for the navigation.
    pub open_messages: i64,
    /// Their unread notifications, for the navigation.
    pub unread: i64,
    /// What their last step did, said once on this page (a catalogue key of `views::DONE`).
    pub done: Option<&'static str>,
    /// Their organisation's policy gives it a logo, shown beside its name.
    pub logo: bool,
}

impl Staff {
    pub fn actor(&self) -> StaffActor {
        StaffActor {
            id: self.session.staff.id,
            org: self.session.staff.org_slug.clone(),
            roles: self.session.roles.clone(),
        }
    }

    fn viewer(&self) -> Viewer<'_> {
        Viewer {
            session: &self.session,
            lang: self.lang,
            zone: &self.zone,
            open_messages: self.open_messages,
            unread: self.unread,
            done: self.done,
            logo: self.logo,
        }
    }

    /// Checks a form's CSRF token against the session's, and that the browser says it
    /// posted from this site.
    fn check_form(&self, req: &HttpRequest, s: &Services, token: &str) -> Result<(), ApiError> {
        if !same_secret(&self.session.csrf, token) || !not_cross_site(req, s) {
            return Err(ApiError::Csrf);
        }
        Ok(())
    }

    /// What a refusal means, in their words and on their clock.
    fn explain(&self, e: &ApiError) -> String {
        explain(self.lang, &self.zone, e)
    }

    fn page(&self, s: &Services, status: StatusCode, body: String) -> HttpResponse {
        let mut response = page(s, Some(&self.session.staff.org_slug), status, body);
        // Said once: the next page does not say it again.
        if self.done.is_some() {
            let mut said = removal(s, DONE_COOKIE);
            said.set_path("/staff");
            let _ = response.add_removal_cookie(&said);
        }
        response
    }

    /// The page, or what went wrong, within the workspace (navigation, a way back).
    fn respond(&self, s: &Services, result: Result<HttpResponse, ApiError>) -> HttpResponse {
        result.unwrap_or_else(|e| {
            let status = e.log();
            let text = self.explain(&e);
            self.page(s, status, views::problem(&self.viewer(), &text))
        })
    }
}

/// Whether nothing says a request comes from another site (clients that are not browsers
/// say nothing, and carry no one's cookies).
fn not_cross_site(req: &HttpRequest, s: &Services) -> bool {
    let ours = s.config.public_url.origin().ascii_serialization();
    let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok());
    let site = req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok());
    origin.is_none_or(|o| o == ours) && site.is_none_or(|s| matches!(s, "same-origin" | "none"))
}

/// Whether the browser itself says the request comes from a page of Herold's (a header
/// pages cannot forge): only then may a form be given back after its token failed.
fn from_own_page(req: &HttpRequest, s: &Services) -> bool {
    let site = req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok());
    site == Some("same-origin") && not_cross_site(req, s)
}

/// No live session: the browser is sent to sign in.
#[derive(Debug, thiserror::Error)]
#[error("sign in first")]
pub struct SignInRequired;

impl ResponseError for SignInRequired {
    fn status_code(&self) -> StatusCode {
        StatusCode::SEE_OTHER
    }

    fn error_response(&self) -> HttpResponse {
        see_other("/login")
    }
}

impl FromRequest for Staff {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Staff, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let services = req.app_data::<web::Data<Services>>().cloned();
        let lang = Lang::negotiate(req);
        let done =
            req.cookie(DONE_COOKIE).and_then(|c| views::DONE.iter().find(|(code, _)| *code == c.value()));
        let done = done.map(|(_, key)| *key);
        let token =
            services.as_ref().and_then(|s| req.cookie(session_cookie_name(s))).map(|c| c.value().to_owned());
        Box::pin(async move {
            let (Some(s), Some(token)) = (services, token) else {
                return Err(SignInRequired.into());
            };
            let found = s.store.session(&token_hash(&token), herold_domain::now_millis()).await;
            match found {
                Ok(Some(session)) => {
                    // A person's own zone, where they chose one, else the organisation's.
                    let own = session.staff.time_zone.as_deref().and_then(|z| Zone::parse(z).ok());
                    let presence = s.presences.of(&session.staff.org_slug);
                    let zone = own.unwrap_or(presence.time_zone);
                    let logo = presence.logo.is_some();
                    let mut staff = Staff { session, lang, zone, open_messages: 0, unread: 0, done, logo };
                    staff.open_messages =
                        s.editorial.open_messages(&staff.actor()).await.map_err(ApiError::from)?;
                    staff.unread =
                        s.editorial.unread_notifications(&staff.actor()).await.map_err(ApiError::from)?;
                    Ok(staff)
                }
                Ok(None) => Err(SignInRequired.into()),
                Err(e) => Err(ApiError::Store(e).into()),
            }
        })
    }
}

/// Why a former account was not taken, in the reader's language.
pub(crate) fn alias_problem_text(lang: Lang, problem: herold_publishing::profiles::AliasProblem) -> String {
    lang.t(&format!("profile_alias_{}", problem.code())).to_owned()
}
