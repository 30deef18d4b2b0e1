//! An official account's profile: administrators propose a change, approvers apply or
//! reject it (see `herold_publishing::profiles`).

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use herold_domain::{Bio, DisplayName, DomainError, ProfileFields};
use herold_publishing::profiles::{ImageChoice, ProfileRequest, ProfileState, Proposer};
use herold_publishing::PublishError;
use serde::Deserialize;

use super::views::{self, ProfileForm, ProfilePage};
use super::{see_other, Staff};
use crate::error::ApiError;
use crate::state::Services;

async fn profile_page(
    s: &Services,
    staff: &Staff,
    username: &str,
    status: StatusCode,
    typed: Option<ProfileForm>,
    error: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let state: ProfileState = s.editorial.profile(&staff.actor(), username).await?;
    let form = typed.unwrap_or_else(|| match &state.proposal {
        Some(p) => ProfileForm::of(&p.content),
        None => ProfileForm::of(&herold_store::ProfileContent {
            display_name: state.account.display_name.clone(),
            summary: state.account.summary.clone(),
            profile: state.account.profile.clone(),
        }),
    });
    let a = &state.account;
    let presence = s.presences.of(&a.org_slug);
    let added = herold_federation::vocab::added_fields(&s.urls, a, &presence);
    let page = ProfilePage {
        state: &state,
        host: &s.urls.host(),
        added_fields: &added,
        actor: &s.urls.actor(&a.username),
        attribution_domains: &presence.attribution_domains,
        form,
        error,
    };
    Ok(staff.page(s, status, views::profile(&staff.viewer(), page)))
}

/// The profile a new proposal builds on: the one waiting, else the account's.
async fn state_profile(
    s: &Services,
    staff: &Staff,
    username: &str,
) -> Result<herold_store::AccountProfile, ApiError> {
    let state = s.editorial.profile(&staff.actor(), username).await?;
    Ok(state.proposal.map_or(state.account.profile, |p| p.content.profile))
}

#[get("/staff/accounts/{username}/profile")]
pub async fn show(s: web::Data<Services>, staff: Staff, username: web::Path<String>) -> HttpResponse {
    let result = profile_page(&s, &staff, &username, StatusCode::OK, None, None).await;
    staff.respond(&s, result)
}

/// What one image's inputs ask for.
fn image_choice(file: Vec<u8>, alt: String, remove: bool) -> ImageChoice {
    if remove {
        ImageChoice::Remove
    } else if !file.is_empty() {
        ImageChoice::Replace { bytes: file, alt }
    } else {
        ImageChoice::Keep(Some(alt).filter(|a| !a.trim().is_empty()))
    }
}

#[post("/staff/accounts/{username}/profile")]
pub async fn propose(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    username: web::Path<String>,
    payload: Multipart,
) -> HttpResponse {
    let result = async {
        let mut upload = super::read_multipart(payload, &["avatar", "header"]).await?;
        staff.check_form(&req, &s, &upload.text("csrf"))?;
        let typed = ProfileForm {
            name: upload.text("name"),
            bio: upload.text("bio"),
            fields: (0..ProfileFields::MAX)
                .map(|i| (upload.text(&format!("field_name_{i}")), upload.text(&format!("field_value_{i}"))))
                .collect(),
            avatar_alt: upload.text("avatar_alt"),
            header_alt: upload.text("header_alt"),
            moved_from: upload.text("moved_from"),
        };
        let parsed = (|| -> Result<(DisplayName, Option<Bio>, ProfileFields), DomainError> {
            let bio = typed.bio.trim();
            Ok((
                DisplayName::parse(&typed.name)?,
                (!bio.is_empty()).then(|| Bio::parse(bio)).transpose()?,
                ProfileFields::parse(&typed.fields)?,
            ))
        })();
        let (name, bio, fields) = match parsed {
            Ok(p) => p,
            Err(e) => {
                let why = super::explain_invalid(staff.lang, &e);
                return profile_page(&s, &staff, &username, StatusCode::BAD_REQUEST, Some(typed), Some(&why))
                    .await;
            }
        };
        // The former account is looked up only when it changed: its server may be slow.
        let current = ProfileForm::moved_from_of(&state_profile(&s, &staff, &username).await?);
        let moved_from = typed.moved_from.trim();
        let also_known_as = if moved_from == current {
            None
        } else if moved_from.is_empty() {
            Some(Vec::new())
        } else {
            match s.publisher.resolve_alias(moved_from).await {
                Ok(actor) => Some(vec![actor]),
                Err(problem) => {
                    let why = super::alias_problem_text(staff.lang, problem);
                    return profile_page(
                        &s,
                        &staff,
                        &username,
                        StatusCode::BAD_REQUEST,
                        Some(typed),
                        Some(&why),
                    )
                    .await;
                }
            }
        };
        let request = ProfileRequest {
            name,
            bio,
            fields,
            also_known_as,
            avatar: image_choice(
                upload.file("avatar"),
                typed.avatar_alt.clone(),
                !upload.text("avatar_remove").is_empty(),
            ),
            header: image_choice(
                upload.file("header"),
                typed.header_alt.clone(),
                !upload.text("header_remove").is_empty(),
            ),
        };
        match s.editorial.propose_profile(Proposer::Staff(&staff.actor()), &username, request).await {
            Ok(_) => Ok(see_other(&format!("/staff/accounts/{username}/profile"))),
            Err(e @ (PublishError::Invalid(_) | PublishError::Incomplete(_) | PublishError::Media(_))) => {
                let e = ApiError::from(e);
                let status = e.log();
                let why = staff.explain(&e);
                profile_page(&s, &staff, &username, status, Some(typed), Some(&why)).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

#[post("/staff/accounts/{username}/profile/{proposal}/{decision}")]
pub async fn decide(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    path: web::Path<(String, String, String)>,
    form: web::Form<DecisionForm>,
) -> HttpResponse {
    let (username, proposal, decision) = path.into_inner();
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        let outcome = match decision.as_str() {
            "apply" => s.editorial.apply_profile(&staff.actor(), &username, &proposal).await.map(|_| ()),
            "reject" => s.editorial.reject_profile(&staff.actor(), &username, &proposal, &form.reason).await,
            _ => return Err(ApiError::NotFound),
        };
        match outcome {
            Ok(()) => Ok(see_other(&format!("/staff/accounts/{username}/profile"))),
            Err(e @ (PublishError::Incomplete(_) | PublishError::Workflow(_))) => {
                let e = ApiError::from(e);
                let status = e.log();
                let why = staff.explain(&e);
                profile_page(&s, &staff, &username, status, None, Some(&why)).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    staff.respond(&s, result)
}
