//! The delivery queue across every account of the server, for the administrators of the
//! organisation that runs it: how far deliveries got, the servers that fail, and the two
//! things an operator does about one (try it again now, or give it up), each with a reason
//! that goes into the audit trail.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use herold_domain::now_millis;
use herold_publishing::PublishError;
use herold_store::AuditEntry;
use serde::Deserialize;
use serde_json::json;

use super::views::{self, DeliveriesPage};
use super::{see_other_done, Staff};
use crate::error::ApiError;
use crate::state::Services;

fn require_operator(staff: &Staff) -> Result<(), ApiError> {
    match staff.viewer().operates_instance() {
        true => Ok(()),
        false => Err(ApiError::Publish(PublishError::Forbidden(
            "the delivery queue is run by the administrators of the organisation that runs this server",
        ))),
    }
}

async fn deliveries_page(
    s: &Services,
    staff: &Staff,
    status: StatusCode,
    error: Option<(&str, &str)>,
) -> Result<HttpResponse, ApiError> {
    let stats = s.store.delivery_stats(None, &s.policies.visibility()).await?;
    let depth = s.store.queue_depth(now_millis()).await?;
    let horizon_hours = s.config.delivery_retry_horizon.as_secs() / 3600;
    let page = DeliveriesPage { stats: &stats, depth: &depth, horizon_hours, error };
    Ok(staff.page(s, status, views::deliveries(&staff.viewer(), page)))
}

#[get("/staff/deliveries")]
pub async fn deliveries(s: web::Data<Services>, staff: Staff) -> HttpResponse {
    let result = async {
        require_operator(&staff)?;
        deliveries_page(&s, &staff, StatusCode::OK, None).await
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct HostForm {
    csrf: String,
    /// `requeue` or `give_up`.
    action: String,
    host: String,
    #[serde(default)]
    reason: String,
}

#[post("/staff/deliveries")]
pub async fn host_action(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    form: web::Form<HostForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        require_operator(&staff)?;
        let host = form.host.trim();
        if host.is_empty() || host.len() > 253 {
            return Err(ApiError::BadRequest("name a server".into()));
        }
        let requeue = match form.action.as_str() {
            "requeue" => true,
            "give_up" => false,
            _ => return Err(ApiError::NotFound),
        };
        let reason = form.reason.trim();
        if reason.is_empty() {
            let why = staff.lang.t("deliveries_reason_missing");
            return deliveries_page(&s, &staff, StatusCode::BAD_REQUEST, Some((host, why))).await;
        }
        let actor = staff.session.staff.audit_actor();
        let org = &staff.session.staff.org_slug;
        let now = now_millis();
        let action = if requeue { "delivery.requeue" } else { "delivery.give_up" };
        let audit = AuditEntry::new(&actor, action, format!("host:{host}"))
            .in_org(org)
            .with_detail(json!({ "reason": reason }));
        if requeue {
            // Older deliveries are past their retry horizon: they would only expire again.
            let horizon = s.config.delivery_retry_horizon.as_millis() as i64;
            s.store.requeue_host(host, now - horizon, now, audit).await?;
        } else {
            s.store.give_up_host(host, now, audit).await?;
        }
        Ok(see_other_done(&s, "/staff/deliveries", if requeue { "requeued" } else { "given_up" }))
    }
    .await;
    staff.respond(&s, result)
}
