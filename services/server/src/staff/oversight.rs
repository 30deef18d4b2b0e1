//! The data-protection officer's pages (auditor role): the organisation's audit trail,
//! filtered and exported, the compliance report and the Art. 30 record. Exports are
//! themselves audited.

use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpResponse};
use herold_compliance::export::{self, Filter};
use herold_compliance::report;
use herold_domain::workflow::Role;
use herold_domain::{now_millis, parse_day};
use herold_publishing::PublishError;
use herold_store::AuditEntry;
use serde::Deserialize;
use serde_json::json;

use super::{views, Staff};
use crate::error::ApiError;
use crate::startup::Services;

/// Entries shown on the page; exports have no limit.
const SHOWN: usize = 200;

fn require(staff: &Staff, role: Role) -> Result<(), ApiError> {
    if staff.session.roles.has(role) {
        Ok(())
    } else {
        Err(ApiError::Publish(PublishError::Forbidden("this page is for the organisation's auditors")))
    }
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    format: Option<String>,
}

impl AuditQuery {
    fn filter(&self, org: &str) -> Result<Filter, ApiError> {
        let day = |text: &str, end: bool| {
            let text = text.trim();
            (!text.is_empty())
                .then(|| parse_day(text, end))
                .transpose()
                .map_err(|e| ApiError::Publish(PublishError::Invalid(e)))
        };
        Ok(Filter {
            org: Some(org.to_owned()),
            action: Some(self.action.trim().to_owned()).filter(|a| !a.is_empty()),
            from: day(&self.from, false)?,
            to: day(&self.to, true)?,
        })
    }
}

#[get("/staff/audit")]
pub async fn audit_trail(s: web::Data<Services>, staff: Staff, q: web::Query<AuditQuery>) -> HttpResponse {
    let result = async {
        require(&staff, Role::Auditor)?;
        let org = &staff.session.staff.org_slug;
        let filter = q.filter(org)?;
        let rows = export::entries(s.store.as_ref(), &s.policies, &filter, now_millis()).await?;
        let newest: Vec<_> = rows.iter().rev().take(SHOWN).collect();
        let query = serde_urlencoded_query(&q);
        let body =
            views::audit_trail(&staff.viewer(), &newest, rows.len(), (&q.action, &q.from, &q.to), &query);
        Ok(staff.page(&s, StatusCode::OK, body))
    }
    .await;
    staff.respond(&s, result)
}

/// The filter as a query string, for the export links.
fn serde_urlencoded_query(q: &AuditQuery) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("action", &q.action)
        .append_pair("from", &q.from)
        .append_pair("to", &q.to)
        .finish()
}

#[get("/staff/audit/export")]
pub async fn audit_export(s: web::Data<Services>, staff: Staff, q: web::Query<AuditQuery>) -> HttpResponse {
    let result = async {
        require(&staff, Role::Auditor)?;
        let org = &staff.session.staff.org_slug;
        let json_format = match q.format.as_deref() {
            Some("json") => true,
            Some("csv") | None => false,
            Some(_) => return Err(ApiError::BadRequest("format must be csv or json".into())),
        };
        let filter = q.filter(org)?;
        let rows = export::entries(s.store.as_ref(), &s.policies, &filter, now_millis()).await?;
        let actor = staff.session.staff.audit_actor();
        s.store
            .record_audit(
                AuditEntry::new(&actor, "audit.export", format!("org:{org}")).in_org(org).with_detail(
                    json!({
                        "entries": rows.len(),
                        "action": filter.action,
                        "from": q.from,
                        "to": q.to,
                        "format": if json_format { "json" } else { "csv" },
                    }),
                ),
            )
            .await?;
        let (body, content_type, extension) = if json_format {
            (export::to_json(&rows).to_string(), "application/json", "json")
        } else {
            (export::to_csv(&rows), "text/csv; charset=utf-8", "csv")
        };
        Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, content_type))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"herold-audit-{org}.{extension}\""),
            ))
            .body(body))
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

#[get("/staff/report")]
pub async fn compliance_report(
    s: web::Data<Services>,
    staff: Staff,
    q: web::Query<PeriodQuery>,
) -> HttpResponse {
    let result = async {
        require(&staff, Role::Auditor)?;
        let now = now_millis();
        let parse = |text: &Option<String>, end: bool| {
            text.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| parse_day(t, end))
                .transpose()
                .map_err(|e| ApiError::Publish(PublishError::Invalid(e)))
        };
        let from = parse(&q.from, false)?.unwrap_or(now - 365 * 86_400_000);
        let to = parse(&q.to, true)?.unwrap_or(now + 1);
        let org = &staff.session.staff.org_slug;
        let r = report::report(s.store.as_ref(), &s.policies, &s.audit, org, from, to).await?;
        Ok(staff.page(&s, StatusCode::OK, report::report_html(&r)))
    }
    .await;
    staff.respond(&s, result)
}

#[get("/staff/ropa")]
pub async fn record_of_processing(s: web::Data<Services>, staff: Staff) -> HttpResponse {
    let result = async {
        if !staff.session.roles.has(Role::OrgAdmin) {
            require(&staff, Role::Auditor)?;
        }
        let org = &staff.session.staff.org_slug;
        let name = s.store.list_orgs().await?.into_iter().find(|o| &o.slug == org).map(|o| o.name);
        let ropa = report::ropa(&s.policies, org, name.as_deref().unwrap_or(org));
        Ok(staff.page(&s, StatusCode::OK, report::ropa_html(&ropa)))
    }
    .await;
    staff.respond(&s, result)
}
