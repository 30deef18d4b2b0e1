//! The relay's operator page: subscribed servers (approve, end, resume), publishers and
//! blocked domains. Relay moderation acts for the whole instance, so the page belongs to
//! the administrators of the organisation that runs it, not to every body's administrator.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use herold_federation::relay::RelayMode;
use herold_federation::FederationError;
use herold_publishing::PublishError;
use serde::Deserialize;

use super::views::{self, RelayPage};
use super::{see_other, Staff};
use crate::error::ApiError;
use crate::state::Services;

fn require_operator(staff: &Staff) -> Result<(), ApiError> {
    if staff.viewer().operates_instance() {
        Ok(())
    } else {
        Err(ApiError::Publish(PublishError::Forbidden(
            "the relay is moderated by the administrators of the organisation that runs this server",
        )))
    }
}

/// Subscriptions shown on a page of the relay list.
const SHOWN: i64 = 200;

async fn relay_page(
    s: &Services,
    staff: &Staff,
    after: Option<&str>,
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let subscribers = s.store.relay_subscribers_page(after, SHOWN).await?;
    let total = s.store.relay_counts().await?.iter().map(|(_, n)| n).sum();
    // A full page may have more behind it.
    let more = subscribers.last().filter(|_| subscribers.len() as i64 == SHOWN).map(|s| s.actor_uri.as_str());
    let publishers = s.store.relay_publishers().await?;
    let blocks = s.store.relay_blocks().await?;
    let mode = match s.relay.mode() {
        RelayMode::Open => "open",
        RelayMode::Approval => "approval",
        RelayMode::Allowlist => "allowlist",
    };
    let inbox = s.urls.relay_inbox();
    let page = RelayPage {
        inbox: &inbox,
        mode,
        subscribers: &subscribers,
        total,
        more,
        publishers: &publishers,
        blocks: &blocks,
        error,
    };
    Ok(staff.page(s, status, views::relay(&staff.viewer(), page)))
}

#[derive(Deserialize)]
pub struct RelayQuery {
    /// Show the subscriptions after this actor (the next page).
    after: Option<String>,
}

#[get("/staff/relay")]
pub async fn relay(s: web::Data<Services>, staff: Staff, q: web::Query<RelayQuery>) -> HttpResponse {
    let result = async {
        require_operator(&staff)?;
        relay_page(&s, &staff, q.after.as_deref(), StatusCode::OK, None).await
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct RelayForm {
    csrf: String,
    action: String,
    target: String,
    /// `yes` once the operator confirmed an action that ends something.
    confirm: Option<String>,
    #[serde(default)]
    reason: String,
}

/// The actions that end something for another server: asked again, with a reason, first.
fn ends_something(action: &str) -> bool {
    matches!(action, "reject" | "block" | "remove_publisher")
}

#[post("/staff/relay")]
pub async fn relay_action(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    form: web::Form<RelayForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        require_operator(&staff)?;
        let by = staff.session.staff.audit_actor();
        let target = form.target.trim();
        let reason = form.reason.trim();
        if ends_something(&form.action) && (form.confirm.as_deref() != Some("yes") || reason.is_empty()) {
            // Asked first; asked again, saying why, when the reason is missing.
            let missing = form.confirm.as_deref() == Some("yes");
            let status = if missing { StatusCode::BAD_REQUEST } else { StatusCode::OK };
            let error = missing.then(|| staff.lang.t("relay_reason_missing"));
            let page = views::relay_confirm(&staff.viewer(), &form.action, target, error);
            return Ok(staff.page(&s, status, page));
        }
        let reason = Some(reason).filter(|r| !r.is_empty());
        let done = match form.action.as_str() {
            "approve" => s.relay.approve(target, &by).await.map(|a| a.is_some()),
            "reject" => s.relay.reject(target, &by, reason).await,
            "resume" => s.relay.resume(target, &by).await,
            "block" => s.relay.block(target, &by, reason).await.map(|_| true),
            "unblock" => s.relay.unblock(target, &by).await,
            "add_publisher" => s.relay.add_publisher(target, &by).await.map(|_| true),
            "remove_publisher" => s.relay.remove_publisher(target, &by, reason).await,
            other => Err(FederationError::Invalid(format!("{other:?} is not an action of the relay page"))),
        };
        match done {
            Ok(true) => Ok(see_other("/staff/relay")),
            // Someone else acted first, or the entry is gone: show the page as it is now.
            Ok(false) => {
                let why = staff.lang.t("relay_not_in_state").replace("{target}", target);
                relay_page(&s, &staff, None, StatusCode::CONFLICT, Some(&why)).await
            }
            Err(FederationError::Invalid(why)) => {
                relay_page(&s, &staff, None, StatusCode::BAD_REQUEST, Some(&why)).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    staff.respond(&s, result)
}
