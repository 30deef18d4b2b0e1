//! The JSON API for a body's content-management system: it writes and submits drafts (and,
//! with the approver role, approves others') with an OAuth2 bearer token from the body's own
//! provider (client-credentials flow). Described by `/api/openapi.json`.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse};
use herold_domain::presence::ReplyAudience;
use herold_domain::workflow::Step;
use herold_domain::{format_rfc3339, now_millis, parse_rfc3339};
use herold_identity::{ApiCaller, IdentityError};
use herold_publishing::editorial::StaffActor;
use herold_publishing::Draft;
use herold_store::{DraftRecord, StaffSignIn};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::state::Services;

const OPENAPI: &str = include_str!("openapi.json");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(openapi).service(
        web::scope("/api/v1")
            .app_data(
                web::JsonConfig::default()
                    .limit(64 * 1024)
                    .error_handler(|e, _| ApiError::BadRequest(e.to_string()).into()),
            )
            .service(accounts)
            .service(get_profile)
            .service(propose_profile)
            .service(create_draft)
            .service(get_draft)
            .service(step_draft)
            .service(announcement),
    );
}

#[get("/api/openapi.json")]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CONTENT_TYPE, "application/json")).body(OPENAPI)
}

/// A client of an organisation's provider, authenticated by its bearer token. The extractor
/// only checks the token: actix polls it beside the body's extractor and drops it when that
/// one fails first, so it must not touch the database. `actor` records the client as a member
/// of the organisation's staff once the request is known to be well-formed.
pub struct ApiClient(ApiCaller);

impl ApiClient {
    /// The client as staff of its organisation, with the roles the policy grants it.
    async fn actor(&self, s: &Services) -> Result<StaffActor, ApiError> {
        let caller = &self.0;
        let member = s
            .store
            .api_client(
                StaffSignIn {
                    org_slug: caller.org.clone(),
                    issuer: caller.issuer.clone(),
                    // Its own namespace: a person whose provider subject happens to equal a
                    // client id is not that client.
                    subject: format!("client:{}", caller.client_id),
                    name: format!("API client {}", caller.client_id),
                    email: None,
                    roles: caller.roles.clone(),
                },
                now_millis(),
            )
            .await?;
        Ok(StaffActor { id: member.id, org: caller.org.clone(), roles: caller.roles.clone() })
    }
}

impl FromRequest for ApiClient {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<ApiClient, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let services = req.app_data::<web::Data<Services>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        Box::pin(async move {
            let invalid = |why: &str| ApiError::Identity(IdentityError::InvalidToken(why.into()));
            let s = services.ok_or_else(|| invalid("the service is not ready"))?;
            let token = token.ok_or_else(|| invalid("send an Authorization: Bearer token"))?;
            let caller =
                s.providers.verify_access_token(&token, now_millis() / 1000).await.map_err(ApiError::from)?;
            Ok(ApiClient(caller))
        })
    }
}

fn draft_json(s: &Services, d: &DraftRecord) -> Value {
    json!({
        "id": d.public_id,
        "account": d.account_username,
        "kind": d.kind.as_str(),
        "state": d.state.as_str(),
        "revision": d.revision,
        "text": d.content.source_text,
        "language": d.content.language,
        "translations": d.content.translations,
        "summary": d.content.summary,
        "urgent": d.content.urgent,
        "replies": d.content.reply_audience,
        "publish_at": d.content.publish_at.map(format_rfc3339),
        "review_comment": d.review_comment,
        "announcement": d.announcement_public_id.as_ref().map(|id| json!({
            "id": id,
            "url": s.urls.announcement(&d.account_username, id),
        })),
    })
}

#[get("/accounts")]
pub async fn accounts(s: web::Data<Services>, client: ApiClient) -> Result<HttpResponse, ApiError> {
    let accounts: Vec<Value> = s
        .editorial
        .accounts(&client.0.org)
        .await?
        .into_iter()
        .map(|a| json!({ "username": a.username, "name": a.display_name, "url": s.urls.actor(&a.username) }))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "accounts": accounts })))
}

/// An account's profile fields and images as JSON, with whether each link was verified.
fn profile_json(s: &Services, p: &herold_store::ProfileContent, verified: &[String]) -> Value {
    let image = |m: &Option<herold_store::MediaInfo>| {
        m.as_ref().map(|m| json!({ "url": s.urls.media(&m.public_id), "alt": m.alt_text }))
    };
    json!({
        "name": p.display_name,
        "bio": p.summary,
        "fields": p.profile.fields.iter().map(|f| json!({
            "name": f.name,
            "value": f.value,
            "verified": f.link().is_some_and(|l| verified.iter().any(|v| v == l.as_str())),
        })).collect::<Vec<_>>(),
        "avatar": image(&p.profile.avatar),
        "header": image(&p.profile.header),
        "moved_from": p.profile.also_known_as,
    })
}

#[get("/accounts/{username}/profile")]
pub async fn get_profile(
    s: web::Data<Services>,
    client: ApiClient,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let state = s.editorial.profile(&client.actor(&s).await?, &username).await?;
    let verified: Vec<String> = state.links.iter().filter(|c| c.verified).map(|c| c.url.clone()).collect();
    let current = herold_store::ProfileContent {
        display_name: state.account.display_name.clone(),
        summary: state.account.summary.clone(),
        profile: state.account.profile.clone(),
    };
    let mut body = profile_json(&s, &current, &verified);
    body["proposal"] = match &state.proposal {
        Some(p) => {
            let mut waiting = profile_json(&s, &p.content, &[]);
            waiting["id"] = json!(p.public_id);
            waiting["proposed_at"] = json!(format_rfc3339(p.created_at));
            waiting
        }
        None => Value::Null,
    };
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldBody {
    name: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    name: String,
    bio: Option<String>,
    #[serde(default)]
    fields: Vec<FieldBody>,
    /// The former account elsewhere: absent keeps it, empty removes it.
    moved_from: Option<String>,
}

/// Proposes a profile change (needs the org-admin role); an approver applies it in the
/// workspace. Avatar and header stay as they are: images are chosen in the workspace.
#[post("/accounts/{username}/profile")]
pub async fn propose_profile(
    s: web::Data<Services>,
    client: ApiClient,
    username: web::Path<String>,
    body: web::Json<ProfileBody>,
) -> Result<HttpResponse, ApiError> {
    use herold_publishing::profiles::{ImageChoice, ProfileRequest, Proposer};
    use herold_publishing::PublishError;
    let invalid = |e: herold_domain::DomainError| ApiError::from(PublishError::from(e));
    let rows: Vec<(String, String)> = body.fields.iter().map(|f| (f.name.clone(), f.value.clone())).collect();
    let bio = body.bio.as_deref().map(str::trim).filter(|b| !b.is_empty());
    let also_known_as = match body.moved_from.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(Vec::new()),
        Some(address) => Some(vec![s.publisher.resolve_alias(address).await.map_err(|p| {
            ApiError::BadRequest(crate::staff::alias_problem_text(crate::staff::i18n::Lang::EN, p))
        })?]),
    };
    let request = ProfileRequest {
        name: herold_domain::DisplayName::parse(&body.name).map_err(invalid)?,
        bio: bio.map(herold_domain::Bio::parse).transpose().map_err(invalid)?,
        fields: herold_domain::ProfileFields::parse(&rows).map_err(invalid)?,
        avatar: ImageChoice::Keep(None),
        header: ImageChoice::Keep(None),
        also_known_as,
    };
    let actor = client.actor(&s).await?;
    let proposal = s.editorial.propose_profile(Proposer::Staff(&actor), &username, request).await?;
    let mut created = profile_json(&s, &proposal.content, &[]);
    created["id"] = json!(proposal.public_id);
    Ok(HttpResponse::build(StatusCode::CREATED).json(created))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDraftBody {
    account: String,
    text: String,
    language: String,
    summary: Option<String>,
    #[serde(default)]
    urgent: bool,
    /// Who may reply; absent: as the organisation's policy says.
    replies: Option<ReplyAudience>,
    /// RFC 3339.
    publish_at: Option<String>,
    /// The id of a published announcement this draft changes.
    edit_of: Option<String>,
    /// Further language versions.
    #[serde(default)]
    translations: Vec<TranslationBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranslationBody {
    language: String,
    text: String,
}

#[post("/drafts")]
pub async fn create_draft(
    s: web::Data<Services>,
    client: ApiClient,
    body: web::Json<NewDraftBody>,
) -> Result<HttpResponse, ApiError> {
    let versions = body.translations.iter().map(|t| (t.language.as_str(), t.text.as_str()));
    let mut draft =
        Draft::parse(&body.text, Some(&body.language), versions, body.summary.as_deref(), body.urgent)
            .map_err(herold_publishing::PublishError::from)?;
    draft.replies = body.replies;
    let publish_at = body
        .publish_at
        .as_deref()
        .map(|t| {
            parse_rfc3339(t).map_err(|_| ApiError::BadRequest(format!("publish_at {t:?} is not RFC 3339")))
        })
        .transpose()?;
    let record = s
        .editorial
        .create(&client.actor(&s).await?, &body.account, draft, publish_at, body.edit_of.as_deref())
        .await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, format!("/api/v1/drafts/{}", record.public_id)))
        .json(draft_json(&s, &record)))
}

#[get("/drafts/{id}")]
pub async fn get_draft(
    s: web::Data<Services>,
    client: ApiClient,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record = s.editorial.draft(&client.actor(&s).await?, &id).await?;
    Ok(HttpResponse::Ok().json(draft_json(&s, &record)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    comment: Option<String>,
    /// For an approval: the draft's `revision` as the client reviewed it.
    revision: Option<i64>,
}

#[post("/drafts/{id}/{step}")]
pub async fn step_draft(
    s: web::Data<Services>,
    client: ApiClient,
    path: web::Path<(String, String)>,
    body: Option<web::Json<StepBody>>,
) -> Result<HttpResponse, ApiError> {
    let (id, step) = path.into_inner();
    let step = Step::parse_named(&step).ok_or(ApiError::NotFound)?;
    let body = body.map(|b| b.into_inner()).unwrap_or_default();
    let record = s.editorial.step(&client.actor(&s).await?, &id, step, body.comment, body.revision).await?;
    Ok(HttpResponse::Ok().json(draft_json(&s, &record)))
}

#[get("/announcements/{account}/{id}")]
pub async fn announcement(
    s: web::Data<Services>,
    client: ApiClient,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (username, id) = path.into_inner();
    let status = s
        .editorial
        .announcement_status(&client.0.org, &username, &id)
        .await
        .map_err(ApiError::unknown_is_not_found)?;
    let (account, a, stats) = (status.account, status.announcement, status.stats);
    Ok(HttpResponse::Ok().json(json!({
        "id": a.public_id,
        "url": s.urls.announcement(&account.username, &a.public_id),
        "published_at": format_rfc3339(a.published_at),
        "updated_at": a.updated_at.map(format_rfc3339),
        "retracted_at": a.retracted_at.map(format_rfc3339),
        "deliveries": {
            "delivered": stats.delivered,
            "pending": stats.pending,
            "retrying": stats.retrying,
            "failed": stats.dead,
            "by_server": stats.by_host.iter().map(|h| json!({
                "server": h.host,
                "delivered": h.delivered,
                "pending": h.pending,
                "retrying": h.retrying,
                "failed": h.dead,
            })).collect::<Vec<_>>(),
        },
    })))
}
