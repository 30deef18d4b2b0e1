//! The dialogue inbox: what citizens sent the organisation's accounts, and where each
//! message stands.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use herold_domain::now_millis;
use herold_publishing::editorial::MESSAGES_PAGE;
use herold_publishing::PublishError;
use herold_store::{HideReason, MessageFilter, MessageState, StaffMember, StoreError};
use serde::Deserialize;

use super::views::{self, DialoguePage, MessageWork};
use super::{see_other_done, Staff};
use crate::error::ApiError;
use crate::state::Services;

#[derive(Deserialize)]
pub struct DialogueQuery {
    /// A state, `all`, `mine` or `overdue`; open ones without it.
    state: Option<String>,
    /// The page after this message (its id).
    before: Option<i64>,
}

/// The lists of the inbox besides one per state.
const MINE: &str = "mine";
const OVERDUE: &str = "overdue";
/// Not a list: the page of one message, to return to after a step taken there.
const ONE: &str = "message";
/// The period of the figures above the inbox.
const FIGURES_DAYS: i64 = 30;

/// Which messages a list shows: `None` is no list that exists.
fn filter_of(s: &Services, staff: &Staff, list: &str) -> Option<MessageFilter> {
    let open = vec![MessageState::Open];
    match list {
        "all" => Some(MessageFilter::default()),
        MINE => {
            Some(MessageFilter { states: open, assignee: Some(staff.session.staff.id), ..Default::default() })
        }
        OVERDUE => {
            let within = s.editorial.dialogue_policy(&staff.session.staff.org_slug).answer_within;
            let received_before = Some(now_millis().saturating_sub(within));
            Some(MessageFilter { states: open, received_before, ..Default::default() })
        }
        other => MessageState::parse(other).map(|s| MessageFilter { states: vec![s], ..Default::default() }),
    }
}

/// Where to go after a step taken from `list` on message `id`.
fn back_to(list: &str, id: &str) -> String {
    match list {
        ONE => format!("/staff/dialogue/messages/{id}"),
        "all" | MINE | OVERDUE => format!("/staff/dialogue?state={list}#m-{id}"),
        other => match MessageState::parse(other) {
            Some(state) => format!("/staff/dialogue?state={}#m-{id}", state.as_str()),
            None => "/staff/dialogue?state=open".to_owned(),
        },
    }
}

#[get("/staff/dialogue")]
pub async fn inbox(s: web::Data<Services>, staff: Staff, q: web::Query<DialogueQuery>) -> HttpResponse {
    let result = async {
        let list = q.state.as_deref().filter(|f| !f.is_empty()).unwrap_or("open");
        let filter = filter_of(&s, &staff, list).ok_or(ApiError::NotFound)?;
        let who = staff.actor();
        let messages = s.editorial.messages(&who, &filter, q.before).await?;
        let blocks = s.store.blocks(&staff.session.staff.org_slug).await?;
        let people = s.editorial.dialogue_staff(&who).await?;
        let figures = s.editorial.dialogue_figures(&who, FIGURES_DAYS).await?;
        let page = DialoguePage {
            blocks: &blocks,
            filter: list,
            older: (messages.len() as i64 == MESSAGES_PAGE).then(|| messages.last().map(|m| m.id)).flatten(),
            messages: &messages,
            work: work(&s, &staff, &people),
            figures: Some((FIGURES_DAYS, &figures)),
        };
        Ok(staff.page(&s, StatusCode::OK, views::dialogue(&staff.viewer(), page)))
    }
    .await;
    staff.respond(&s, result)
}

fn work<'a>(s: &Services, staff: &Staff, people: &'a [StaffMember]) -> MessageWork<'a> {
    MessageWork {
        people,
        answer_within: s.editorial.dialogue_policy(&staff.session.staff.org_slug).answer_within,
        now: now_millis(),
    }
}

/// One message, as a notification links it.
#[get("/staff/dialogue/messages/{id}")]
pub async fn message(s: web::Data<Services>, staff: Staff, id: web::Path<String>) -> HttpResponse {
    let result = async {
        let who = staff.actor();
        let m = match s.editorial.message(&who, &id).await {
            Ok(m) => m,
            Err(PublishError::Store(StoreError::NotFound(_))) => return Err(ApiError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let people = s.editorial.dialogue_staff(&who).await?;
        let page = DialoguePage {
            blocks: &[],
            filter: ONE,
            older: None,
            messages: std::slice::from_ref(&m),
            work: work(&s, &staff, &people),
            figures: None,
        };
        Ok(staff.page(&s, StatusCode::OK, views::dialogue(&staff.viewer(), page)))
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct AssignForm {
    csrf: String,
    /// A member of staff's id; empty: nobody.
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    filter: String,
}

#[post("/staff/dialogue/{id}/assign")]
pub async fn assign(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<AssignForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        let assignee = match form.assignee.trim() {
            "" => None,
            typed => Some(typed.parse::<i64>().map_err(|_| {
                ApiError::Publish(PublishError::Incomplete("choose someone of the press office"))
            })?),
        };
        match s.editorial.assign_message(&staff.actor(), &id, assignee).await {
            Ok(_) => {
                let done = if assignee.is_some() { "message_assigned" } else { "message_unassigned" };
                Ok(see_other_done(&s, &back_to(&form.filter, &id), done))
            }
            Err(PublishError::Store(StoreError::NotFound(_))) => Err(ApiError::NotFound),
            Err(e) => Err(e.into()),
        }
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
            Ok(_) => Ok(see_other_done(&s, &back_to(&form.filter, &id), "message_marked")),
            Err(PublishError::Store(StoreError::NotFound(_))) => Err(ApiError::NotFound),
            Err(e) => Err(e.into()),
        }
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
            Ok(_) => {
                let done = if whole_server { "server_blocked" } else { "sender_blocked" };
                Ok(see_other_done(&s, "/staff/dialogue?state=open", done))
            }
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
            Ok(_) => Ok(see_other_done(&s, "/staff/dialogue?state=abusive", "message_reported")),
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
            Ok(m) => {
                let list = format!("/staff/dialogue?state={}#m-{}", m.state.as_str(), m.public_id);
                Ok(see_other_done(&s, &list, if hidden.is_some() { "reply_hidden" } else { "reply_shown" }))
            }
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
        Ok(see_other_done(&s, "/staff/dialogue?state=open", "sender_unblocked"))
    }
    .await;
    staff.respond(&s, result)
}
