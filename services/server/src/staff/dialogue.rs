//! The dialogue inbox: what citizens sent the organisation's accounts, and where each
//! message stands.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use herold_publishing::editorial::MESSAGES_PAGE;
use herold_publishing::PublishError;
use herold_store::{HideReason, MessageState, StoreError};
use serde::Deserialize;

use super::views::{self, DialoguePage};
use super::{see_other, Staff};
use crate::error::ApiError;
use crate::state::Services;

#[derive(Deserialize)]
pub struct DialogueQuery {
    /// A state, or `all`; open ones without it.
    state: Option<String>,
    /// The page after this message (its id).
    before: Option<i64>,
}

/// Which messages a filter shows: `None` is no filter that exists.
fn states(filter: &str) -> Option<Vec<MessageState>> {
    match filter {
        "all" => Some(Vec::new()),
        other => MessageState::parse(other).map(|s| vec![s]),
    }
}

#[get("/staff/dialogue")]
pub async fn inbox(s: web::Data<Services>, staff: Staff, q: web::Query<DialogueQuery>) -> HttpResponse {
    let result = async {
        let filter = q.state.as_deref().filter(|f| !f.is_empty()).unwrap_or("open");
        let states = states(filter).ok_or(ApiError::NotFound)?;
        let messages = s.editorial.messages(&staff.actor(), &states, q.before).await?;
        let blocks = s.store.blocks(&staff.session.staff.org_slug).await?;
        let page = DialoguePage {
            blocks: &blocks,
            filter,
            older: (messages.len() as i64 == MESSAGES_PAGE).then(|| messages.last().map(|m| m.id)).flatten(),
            messages: &messages,
        };
        Ok(staff.page(&s, StatusCode::OK, views::dialogue(&staff.viewer(), page)))
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct MarkForm {
    csrf: String,
    state: String,
    /// The list it was marked from, to return to.
    #[serde(default)]
    filter: String,
}

#[post("/staff/dialogue/{id}")]
pub async fn mark(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<MarkForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        let state = MessageState::parse(&form.state)
            .ok_or(ApiError::Publish(PublishError::Incomplete("choose where the message stands")))?;
        match s.editorial.mark_message(&staff.actor(), &id, state).await {
            Ok(_) => {}
            Err(PublishError::Store(StoreError::NotFound(_))) => return Err(ApiError::NotFound),
            Err(e) => return Err(e.into()),
        }
        let filter = Some(form.filter.as_str()).filter(|f| states(f).is_some()).unwrap_or("open");
        Ok(see_other(&format!("/staff/dialogue?state={filter}")))
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct BlockForm {
    csrf: String,
    /// `account` or `server`.
    scope: String,
    #[serde(default)]
    reason: String,
}

#[post("/staff/dialogue/{id}/block")]
pub async fn block(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<BlockForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        let whole_server = form.scope == "server";
        match s.editorial.block_sender(&staff.actor(), &id, whole_server, &form.reason).await {
            Ok(_) => Ok(see_other("/staff/dialogue?state=open")),
            Err(PublishError::Store(StoreError::NotFound(_))) => Err(ApiError::NotFound),
            Err(e) => Err(e.into()),
        }
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct ReportForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

#[post("/staff/dialogue/{id}/report")]
pub async fn report(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<ReportForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        match s.editorial.report_message(&staff.actor(), &id, &form.reason).await {
            Ok(_) => Ok(see_other("/staff/dialogue?state=abusive")),
            Err(PublishError::Store(StoreError::NotFound(_))) => Err(ApiError::NotFound),
            Err(e) => Err(e.into()),
        }
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct ShowForm {
    csrf: String,
    /// `show`, or a `HideReason` code.
    decision: String,
}

#[post("/staff/dialogue/{id}/shown")]
pub async fn show(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<ShowForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        let hidden =
            match form.decision.as_str() {
                "show" => None,
                code => Some(HideReason::parse(code).ok_or(ApiError::Publish(PublishError::Incomplete(
                    "choose why the reply is not shown",
                )))?),
            };
        match s.editorial.show_reply(&staff.actor(), &id, hidden).await {
            Ok(m) => Ok(see_other(&format!("/staff/dialogue?state={}#m-{}", m.state.as_str(), m.public_id))),
            Err(PublishError::Store(StoreError::NotFound(_))) => Err(ApiError::NotFound),
            Err(e) => Err(e.into()),
        }
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct UnblockForm {
    csrf: String,
}

#[post("/staff/dialogue/blocks/{id}/remove")]
pub async fn unblock(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    id: web::Path<i64>,
    form: web::Form<UnblockForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        if !s.editorial.unblock(&staff.actor(), *id).await? {
            return Err(ApiError::NotFound);
        }
        Ok(see_other("/staff/dialogue?state=open"))
    }
    .await;
    staff.respond(&s, result)
}
