//! The organisation administrator's page (org-admin role): the official accounts, a form to
//! create one, and who holds which role.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use herold_domain::workflow::Role;
use herold_domain::{DisplayName, DomainError, LanguageTag, OrgSlug, Summary, Username};
use herold_publishing::accounts::{self, AccountRequest};
use herold_publishing::PublishError;
use herold_store::StoreError;
use serde::Deserialize;

use super::views::{self, AdminPage};
use super::{see_other, Staff};
use crate::error::ApiError;
use crate::state::Services;

fn require_admin(staff: &Staff) -> Result<(), ApiError> {
    if staff.session.roles.has(Role::OrgAdmin) {
        Ok(())
    } else {
        Err(ApiError::Publish(PublishError::Forbidden("this page is for the organisation's administrators")))
    }
}

async fn admin_page(
    s: &Services,
    staff: &Staff,
    status: StatusCode,
    form: (&str, &str, &str, &str),
    error: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let org = &staff.session.staff.org_slug;
    let mut accounts = Vec::new();
    for a in s.store.list_accounts().await?.into_iter().filter(|a| &a.org_slug == org) {
        let followers = s.store.follower_count(a.id).await?;
        accounts.push((a, followers));
    }
    let people = s.store.staff_of_org(org).await?;
    let page = AdminPage { accounts: &accounts, staff: &people, form, error, host: &s.urls.host() };
    Ok(staff.page(s, status, views::admin(&staff.viewer(), page)))
}

#[get("/staff/admin")]
pub async fn admin(s: web::Data<Services>, staff: Staff) -> HttpResponse {
    let result = async {
        require_admin(&staff)?;
        admin_page(&s, &staff, StatusCode::OK, ("", "", "", "de"), None).await
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct NewAccountForm {
    csrf: String,
    username: String,
    name: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    language: String,
}

#[post("/staff/admin/accounts")]
pub async fn create_account(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    form: web::Form<NewAccountForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        require_admin(&staff)?;
        let typed =
            (form.username.as_str(), form.name.as_str(), form.summary.as_str(), form.language.as_str());
        let parsed = (|| -> Result<AccountRequest, DomainError> {
            let summary = form.summary.trim();
            Ok(AccountRequest {
                org: OrgSlug::parse(&staff.session.staff.org_slug)?,
                username: Username::parse(&form.username)?,
                name: DisplayName::parse(&form.name)?,
                summary: (!summary.is_empty()).then(|| Summary::parse(summary)).transpose()?,
                language: LanguageTag::parse(if form.language.trim().is_empty() {
                    "de"
                } else {
                    form.language.trim()
                })?,
            })
        })();
        let request = match parsed {
            Ok(r) => r,
            Err(e) => {
                let why = super::explain_invalid(staff.lang, &e);
                return admin_page(&s, &staff, StatusCode::BAD_REQUEST, typed, Some(&why)).await;
            }
        };
        // On a shared instance names are governed: an organisation's administrators create
        // the names its policy grants it; any other comes from the operator.
        let granted = s
            .policies
            .orgs
            .get(request.org.as_str())
            .is_some_and(|p| request.username.matches_any(&p.usernames));
        if !granted {
            let patterns =
                s.policies.orgs.get(request.org.as_str()).map(|p| p.usernames.join(", ")).unwrap_or_default();
            let why = if patterns.is_empty() {
                staff.lang.t("username_operator_only").to_owned()
            } else {
                format!(
                    "{} {patterns}. {}",
                    staff.lang.t("username_granted"),
                    staff.lang.t("username_others")
                )
            };
            return admin_page(&s, &staff, StatusCode::FORBIDDEN, typed, Some(&why)).await;
        }
        let by = staff.session.staff.audit_actor();
        match accounts::create_account(s.store.as_ref(), &s.kek, &s.urls, request, &by).await {
            Ok(_) => Ok(see_other("/staff/admin")),
            Err(PublishError::ReservedName(name)) => {
                let why = format!("{} ({name})", staff.lang.t("username_reserved"));
                admin_page(&s, &staff, StatusCode::BAD_REQUEST, typed, Some(&why)).await
            }
            Err(PublishError::Store(StoreError::Conflict(_))) => {
                let taken = staff.lang.t("username_taken").replace("{username}", form.username.trim());
                admin_page(&s, &staff, StatusCode::CONFLICT, typed, Some(&taken)).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    staff.respond(&s, result)
}

/// The organisation's own account by its name, for its administrators.
async fn own_account(s: &Services, staff: &Staff, username: &str) -> Result<herold_store::Account, ApiError> {
    match s.store.account_by_username(username).await? {
        Some(a) if a.org_slug == staff.session.staff.org_slug => Ok(a),
        _ => Err(ApiError::NotFound),
    }
}

/// Asks first: retiring an account cannot be undone.
#[get("/staff/admin/accounts/{username}/retire")]
pub async fn confirm_retire(
    s: web::Data<Services>,
    staff: Staff,
    username: web::Path<String>,
) -> HttpResponse {
    let result = async {
        require_admin(&staff)?;
        let account = own_account(&s, &staff, &username).await?;
        Ok(staff.page(&s, StatusCode::OK, views::retire_account(&staff.viewer(), &account, None)))
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct RetireForm {
    csrf: String,
    #[serde(default)]
    reason: String,
    confirm: Option<String>,
}

#[post("/staff/admin/accounts/{username}/retire")]
pub async fn retire(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    username: web::Path<String>,
    form: web::Form<RetireForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        require_admin(&staff)?;
        let account = own_account(&s, &staff, &username).await?;
        let reason = form.reason.trim();
        let refused = match (reason.is_empty(), form.confirm.as_deref() == Some("yes"), account.ended_at) {
            (_, _, Some(_)) => Some(staff.lang.t("retire_already")),
            (true, _, _) => Some(staff.lang.t("retire_reason_missing")),
            (false, false, _) => Some(staff.lang.t("retire_confirm_missing")),
            (false, true, None) => None,
        };
        if let Some(why) = refused {
            let page = views::retire_account(&staff.viewer(), &account, Some(why));
            return Ok(staff.page(&s, StatusCode::BAD_REQUEST, page));
        }
        let by = staff.session.staff.audit_actor();
        s.publisher.end_account(&account.username, accounts::Ending::Retire, &by, Some(reason)).await?;
        Ok(super::see_other_done(&s, "/staff/admin", "account_retired"))
    }
    .await;
    staff.respond(&s, result)
}
