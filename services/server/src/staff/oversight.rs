//! The data-protection officer's pages (auditor role): the organisation's audit trail,
//! filtered and exported, the compliance report and the Art. 30 record. Exports are
//! themselves audited.

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use herold_compliance::export::{self, Filter};
use herold_compliance::{dsar, report};
use herold_domain::workflow::Role;
use herold_domain::{now_millis, Zone};
use herold_publishing::PublishError;
use herold_store::AuditEntry;
use serde::Deserialize;
use serde_json::json;

use super::{views, Staff};
use crate::error::ApiError;
use crate::state::Services;

/// Entries shown on a page; exports have no limit.
const SHOWN: i64 = 200;

fn require(staff: &Staff, role: Role) -> Result<(), ApiError> {
    if staff.session.roles.has(role) {
        Ok(())
    } else {
        Err(ApiError::Publish(PublishError::Forbidden("this page is for the organisation's auditors")))
    }
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    /// Present on the export form (a POST: an export is recorded in the trail).
    csrf: Option<String>,
    #[serde(default)]
    action: String,
    /// A member of staff's id: their steps only.
    #[serde(default)]
    who: String,
    /// What the entries are about, as the trail names it (`draft:<id>`).
    #[serde(default)]
    subject: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    format: Option<String>,
    /// Show the entries older than this one (the next page).
    before: Option<i64>,
}

impl AuditQuery {
    /// Days are the reader's days, on their clock.
    fn filter(&self, org: &str, zone: &Zone) -> Result<Filter, ApiError> {
        let day = |text: &str, end: bool| {
            zone.day_if_given(text, end).map_err(|e| ApiError::Publish(PublishError::Invalid(e)))
        };
        let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        Ok(Filter {
            org: Some(org.to_owned()),
            // Not a number names nobody: it finds nothing rather than everyone.
            actor: given(&self.who).map(|id| match id.parse::<i64>() {
                Ok(id) => herold_store::staff_actor(id),
                Err(_) => format!("unknown:{id}"),
            }),
            action: given(&self.action),
            subject: given(&self.subject),
            from: day(&self.from, false)?,
            to: day(&self.to, true)?,
        })
    }

    /// The filter as typed, for the form and the links to further pages.
    fn typed(&self) -> views::AuditTyped<'_> {
        views::AuditTyped {
            action: &self.action,
            who: &self.who,
            subject: &self.subject,
            from: &self.from,
            to: &self.to,
        }
    }
}

#[get("/staff/audit")]
pub async fn audit_trail(s: web::Data<Services>, staff: Staff, q: web::Query<AuditQuery>) -> HttpResponse {
    let result = async {
        require(&staff, Role::Auditor)?;
        let org = &staff.session.staff.org_slug;
        // Names for the trail's pseudonymous staff ids; anonymised people have none.
        let people = s.store.staff_of_org(org).await?;
        let filter = match q.filter(org, &staff.zone) {
            Ok(filter) => filter,
            // A day that is no day is said above the form, which keeps what was typed.
            Err(e) => {
                let page = views::AuditPage {
                    rows: &[],
                    total: 0,
                    older: None,
                    typed: q.typed(),
                    people: &people,
                    error: Some(&staff.explain(&e)),
                };
                return Ok(staff.page(
                    &s,
                    StatusCode::BAD_REQUEST,
                    views::audit_trail(&staff.viewer(), page),
                ));
            }
        };
        let (rows, total) =
            export::page(s.store.as_ref(), &s.policies, &filter, q.before, SHOWN, now_millis()).await?;
        // A full page may have older entries behind it.
        let older = rows.last().filter(|_| rows.len() as i64 == SHOWN).map(|e| e.leaf.seq);
        let page =
            views::AuditPage { rows: &rows, total, older, typed: q.typed(), people: &people, error: None };
        Ok(staff.page(&s, StatusCode::OK, views::audit_trail(&staff.viewer(), page)))
    }
    .await;
    staff.respond(&s, result)
}

#[post("/staff/audit/export")]
pub async fn audit_export(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    q: web::Form<AuditQuery>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, q.csrf.as_deref().unwrap_or(""))?;
        require(&staff, Role::Auditor)?;
        let org = &staff.session.staff.org_slug;
        let json_format = match q.format.as_deref() {
            Some("json") => true,
            Some("csv") | None => false,
            Some(_) => return Err(ApiError::BadRequest("format must be csv or json".into())),
        };
        let filter = q.filter(org, &staff.zone)?;
        // Recorded before it is sent, with how many entries match now.
        let count = s.store.audit_count(&filter).await?;
        let actor = staff.session.staff.audit_actor();
        s.store
            .record_audit(
                AuditEntry::new(&actor, "audit.export", format!("org:{org}")).in_org(org).with_detail(
                    json!({
                        "entries": count,
                        "action": filter.action,
                        "actor": filter.actor,
                        "subject": filter.subject,
                        "from": q.from,
                        "to": q.to,
                        "format": if json_format { "json" } else { "csv" },
                    }),
                ),
            )
            .await?;
        let (content_type, extension) =
            if json_format { ("application/json", "json") } else { ("text/csv; charset=utf-8", "csv") };
        Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, content_type))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"herold-audit-{org}.{extension}\""),
            ))
            .streaming(export_stream(s.clone(), filter, json_format)))
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
            staff
                .zone
                .day_if_given(text.as_deref().unwrap_or(""), end)
                .map_err(|e| ApiError::Publish(PublishError::Invalid(e)))
        };
        let from = parse(&q.from, false)?.unwrap_or(now - 365 * 86_400_000);
        let to = parse(&q.to, true)?.unwrap_or(now + 1);
        let org = &staff.session.staff.org_slug;
        let r = report::report(s.store.as_ref(), &s.policies, &s.audit, org, from, to).await?;
        let period = (q.from.as_deref().unwrap_or(""), q.to.as_deref().unwrap_or(""));
        Ok(staff.page(&s, StatusCode::OK, views::report(&staff.viewer(), &r, period)))
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
        let ropa = report::ropa(&s.policies, org, name.as_deref().unwrap_or(org), staff.lang.code());
        Ok(staff.page(&s, StatusCode::OK, views::ropa(&staff.viewer(), &ropa)))
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct SubjectQuery {
    csrf: String,
    #[serde(default)]
    subject: String,
    /// `html` for the readable summary to hand to the person; JSON otherwise.
    format: Option<String>,
}

#[get("/staff/dsar")]
pub async fn subject_requests(s: web::Data<Services>, staff: Staff) -> HttpResponse {
    let result = async {
        require(&staff, Role::Auditor)?;
        dsar_page(&s, &staff, StatusCode::OK, "", None, None).await
    }
    .await;
    staff.respond(&s, result)
}

/// A member of staff of the auditor's own organisation; others do not exist for them.
async fn own_staff(s: &Services, staff: &Staff, id: i64) -> Result<(), ApiError> {
    match s.store.staff_member(id).await? {
        Some(m) if m.org_slug == staff.session.staff.org_slug => Ok(()),
        _ => Err(ApiError::NotFound),
    }
}

/// The subject as the request names them; a fediverse address (`@name@server`) is looked up
/// to the actor it names. `Err` is the refusal in the reader's words.
async fn subject_named(s: &Services, staff: &Staff, typed: &str) -> Result<dsar::Subject, String> {
    let typed = typed.trim();
    let looked_up = match typed.starts_with('@') && typed.matches('@').count() == 2 {
        true => match s.publisher.actor_of_handle(typed).await {
            Ok(actor) => actor,
            Err(e) => {
                tracing::info!(error = %e, "the subject's address could not be looked up");
                return Err(staff.lang.t("dsar_handle_not_found").replace("{handle}", typed));
            }
        },
        false => typed.to_owned(),
    };
    dsar::Subject::parse(&looked_up).map_err(|_| staff.lang.t("dsar_bad_subject").to_owned())
}

#[post("/staff/dsar/export")]
pub async fn subject_export(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    q: web::Form<SubjectQuery>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &q.csrf)?;
        require(&staff, Role::Auditor)?;
        let org = &staff.session.staff.org_slug;
        let now = now_millis();
        let subject = q.subject.trim();
        let parsed = match subject_named(&s, &staff, subject).await {
            Ok(parsed) => parsed,
            Err(why) => {
                return dsar_page(&s, &staff, StatusCode::BAD_REQUEST, subject, Some(&why), None).await;
            }
        };
        let (data, summary) = match parsed {
            dsar::Subject::Actor(actor) => {
                let ours =
                    dsar::for_org(dsar::export(s.store.as_ref(), &s.policies, &actor, now).await?, org);
                // The readable part is the organisation's answer, as a letter to send.
                let org_name = &staff.session.staff.org_name;
                let legal = s.presences.of(org).legal.clone();
                let notice = herold_compliance::notice::privacy_notice(
                    &s.policies,
                    org,
                    org_name,
                    legal,
                    staff.lang.code(),
                );
                let tr = |key: &str| staff.lang.t(key);
                let letter = dsar::access_letter(&dsar::AccessLetter {
                    tr: &tr,
                    lang: staff.lang.code(),
                    zone: &staff.zone,
                    notice: &notice,
                    subject,
                    data: &ours,
                    today: now,
                });
                (serde_json::to_value(&ours), letter)
            }
            dsar::Subject::Staff(id) => {
                own_staff(&s, &staff, id).await?;
                let data = dsar::export_staff(s.store.as_ref(), &s.policies, id, now).await?;
                (serde_json::to_value(&data), dsar::staff_summary_html(&data))
            }
            dsar::Subject::Email(email) => {
                let ours = dsar::email_for_org(dsar::export_email(s.store.as_ref(), &email).await?, org);
                (serde_json::to_value(&ours), dsar::email_summary_html(&email, &ours))
            }
        };
        let data = data.map_err(|e| ApiError::BadRequest(e.to_string()))?;
        let actor = staff.session.staff.audit_actor();
        s.store.record_audit(AuditEntry::new(&actor, "dsar.export", "subject-request").in_org(org)).await?;
        let (content_type, file, body) = if q.format.as_deref() == Some("html") {
            ("text/html; charset=utf-8", "subject-access.html", summary)
        } else {
            let body = json!({ "subject": subject, "organisation": org, "data": data });
            (
                "application/json",
                "subject-access.json",
                serde_json::to_string_pretty(&body).unwrap_or_default(),
            )
        };
        Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, content_type))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            // A download, never a page of this site: it shows data of someone else.
            .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")))
            .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"))
            .body(body))
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct EraseForm {
    csrf: String,
    subject: String,
    confirm: Option<String>,
}

#[post("/staff/dsar/erase")]
pub async fn subject_erase(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    form: web::Form<EraseForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        require(&staff, Role::Auditor)?;
        let subject = form.subject.trim();
        if form.confirm.as_deref() != Some("yes") {
            let why = staff.lang.t("dsar_confirm_first");
            return dsar_page(&s, &staff, StatusCode::BAD_REQUEST, subject, Some(why), None).await;
        }
        let org = &staff.session.staff.org_slug;
        let by = staff.session.staff.audit_actor();
        let parsed = match subject_named(&s, &staff, subject).await {
            Ok(parsed) => parsed,
            Err(why) => {
                return dsar_page(&s, &staff, StatusCode::BAD_REQUEST, subject, Some(&why), None).await
            }
        };
        let outcome = match parsed {
            dsar::Subject::Actor(actor) => serde_json::to_string_pretty(
                &dsar::erase_for_org(s.store.as_ref(), &s.policies, &actor, org, &by).await?,
            ),
            dsar::Subject::Staff(id) => {
                own_staff(&s, &staff, id).await?;
                serde_json::to_string_pretty(
                    &dsar::erase_staff(s.store.as_ref(), &s.policies, id, &by).await?,
                )
            }
            dsar::Subject::Email(email) => serde_json::to_string_pretty(&serde_json::json!({
                "subscriptions_removed":
                    dsar::erase_email(s.store.as_ref(), &s.policies, &email, Some(org), &by).await?,
            })),
        }
        .unwrap_or_default();
        dsar_page(&s, &staff, StatusCode::OK, "", None, Some(&outcome)).await
    }
    .await;
    staff.respond(&s, result)
}

/// The subject-request page with the organisation's register.
async fn dsar_page(
    s: &Services,
    staff: &Staff,
    status: StatusCode,
    subject: &str,
    error: Option<&str>,
    erased: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let org = &staff.session.staff.org_slug;
    let register = s.store.subject_requests(org, &s.policies.visibility()).await?;
    let page = views::DsarPage { subject, error, erased, register: &register, now: now_millis() };
    Ok(staff.page(s, status, views::dsar(&staff.viewer(), page)))
}

#[derive(Deserialize)]
pub struct RequestForm {
    csrf: String,
    subject: String,
    kind: String,
    /// The day it arrived, on the reader's clock.
    received: String,
}

/// Enters a request in the register: its deadline is a month from the day it arrived.
#[post("/staff/dsar/requests")]
pub async fn register_request(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    form: web::Form<RequestForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        require(&staff, Role::Auditor)?;
        let subject = form.subject.trim();
        if subject.is_empty() || subject.chars().count() > 500 {
            let why = staff.lang.t("dsar_request_subject_missing");
            return dsar_page(&s, &staff, StatusCode::BAD_REQUEST, subject, Some(why), None).await;
        }
        if !views::REQUEST_KINDS.contains(&form.kind.as_str()) {
            return Err(ApiError::BadRequest("unknown kind of request".into()));
        }
        // Deadlines are the organisation's: counted on its clock, whoever registers or
        // extends a request, so that colleagues in other zones agree on the day it arrived.
        let org_zone = s.presences.of(&staff.session.staff.org_slug).time_zone;
        let received = org_zone.day(&form.received, false);
        let due = org_zone.months_after(&form.received, 1);
        let (received, due) = match (received, due) {
            (Ok(received), Ok(due)) if received <= now_millis() => (received, due),
            _ => {
                let why = staff.lang.t("dsar_received_invalid");
                return dsar_page(&s, &staff, StatusCode::BAD_REQUEST, subject, Some(why), None).await;
            }
        };
        let org = &staff.session.staff.org_slug;
        let public_id = uuid::Uuid::new_v4().to_string();
        // The person is named in the register only: the trail's entry is about the request.
        let audit = AuditEntry::new(
            &staff.session.staff.audit_actor(),
            "dsar.register",
            format!("request:{public_id}"),
        )
        .in_org(org)
        .with_detail(json!({ "kind": form.kind, "due": herold_domain::format_rfc3339(due) }));
        let request = herold_store::NewSubjectRequest {
            public_id,
            org_slug: org.clone(),
            kind: form.kind.clone(),
            subject: subject.to_owned(),
            received_at: received,
            due_at: due,
            created_by: staff.session.staff.id,
        };
        s.store.register_request(request, audit).await?;
        Ok(super::see_other_done(&s, "/staff/dsar#register", "request_registered"))
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct CloseForm {
    csrf: String,
    state: String,
    #[serde(default)]
    note: String,
}

#[post("/staff/dsar/requests/{id}/close")]
pub async fn close_request(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<CloseForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        require(&staff, Role::Auditor)?;
        if !matches!(form.state.as_str(), "answered" | "refused") {
            return Err(ApiError::BadRequest("a request is closed as answered or refused".into()));
        }
        let note = form.note.trim();
        if note.is_empty() {
            let why = staff.lang.t("dsar_note_missing");
            return dsar_page(&s, &staff, StatusCode::BAD_REQUEST, "", Some(why), None).await;
        }
        let org = &staff.session.staff.org_slug;
        let audit =
            AuditEntry::new(&staff.session.staff.audit_actor(), "dsar.close", format!("request:{id}"))
                .in_org(org)
                // The note may name the person: it stays in the register alone.
                .with_detail(json!({ "state": form.state }));
        if !s.store.close_request(org, &id, &form.state, note, audit).await? {
            return Err(ApiError::NotFound);
        }
        Ok(super::see_other_done(&s, "/staff/dsar#register", "request_closed"))
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct ExtendForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Extends an open request's deadline by two further months (Art. 12(3) GDPR): three months
/// from the day it arrived. Only once, with a reason, and while the first month runs, as
/// the person must be told of it within that month.
#[post("/staff/dsar/requests/{id}/extend")]
pub async fn extend_request(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<ExtendForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        require(&staff, Role::Auditor)?;
        let reason = form.reason.trim();
        if reason.is_empty() || reason.chars().count() > 1000 {
            let why = staff.lang.t("dsar_extension_reason_missing");
            return dsar_page(&s, &staff, StatusCode::BAD_REQUEST, "", Some(why), None).await;
        }
        let org = &staff.session.staff.org_slug;
        let register = s.store.subject_requests(org, &s.policies.visibility()).await?;
        let request = register.iter().find(|r| r.public_id == *id).ok_or(ApiError::NotFound)?;
        // Three months from the day it arrived, on the organisation's clock (as registered):
        // one month and two further ones are one period, so 31 January gives 30 April, the
        // last day of the third month, as periods of months are counted (Reg. 1182/71 Art. 3).
        let org_zone = s.presences.of(org).time_zone;
        let received = org_zone.input_value(request.received_at)[..10].to_owned();
        let due = org_zone.months_after(&received, 3).map_err(PublishError::from)?;
        let audit =
            AuditEntry::new(&staff.session.staff.audit_actor(), "dsar.extend", format!("request:{id}"))
                .in_org(org)
                // The reason may name the person; it stays in the register, which is kept for
                // less long than the trail.
                .with_detail(json!({ "due": herold_domain::format_rfc3339(due) }));
        let extension = herold_store::RequestExtension {
            org_slug: org,
            public_id: &id,
            due_at: due,
            reason,
            now: now_millis(),
        };
        if !s.store.extend_request(extension, audit).await? {
            let why = staff.lang.t("dsar_extension_refused");
            return dsar_page(&s, &staff, StatusCode::CONFLICT, "", Some(why), None).await;
        }
        Ok(super::see_other_done(&s, "/staff/dsar#register", "request_extended"))
    }
    .await;
    staff.respond(&s, result)
}

/// An audit export sent while it is read, newest first, a batch at a time: the header (or
/// the opening bracket), each batch, and the end. A failure midway ends the download
/// short, which the file shows by its missing end.
fn export_stream(
    s: web::Data<Services>,
    filter: export::Filter,
    json_format: bool,
) -> impl futures_util::Stream<Item = Result<actix_web::web::Bytes, ApiError>> {
    use actix_web::web::Bytes;
    enum Part {
        Start,
        Entries { batches: export::Batches, first: bool },
        Done,
    }
    let now = now_millis();
    futures_util::stream::unfold(Part::Start, move |part| {
        let s = s.clone();
        let filter = filter.clone();
        async move {
            match part {
                Part::Start => {
                    let start = if json_format { "[" } else { export::CSV_HEADER };
                    let next = Part::Entries { batches: export::Batches::new(filter), first: true };
                    Some((Ok(Bytes::from(start)), next))
                }
                Part::Entries { mut batches, first } => {
                    match batches.next(s.store.as_ref(), &s.policies, now).await {
                        Ok(Some(rows)) => {
                            let text = if json_format {
                                let items: Vec<String> =
                                    rows.iter().map(|e| export::json_entry(e).to_string()).collect();
                                format!("{}{}", if first { "" } else { "," }, items.join(","))
                            } else {
                                export::csv_lines(&rows)
                            };
                            Some((Ok(Bytes::from(text)), Part::Entries { batches, first: false }))
                        }
                        Ok(None) => Some((Ok(Bytes::from(if json_format { "]" } else { "" })), Part::Done)),
                        Err(e) => {
                            tracing::error!(error = %e, "the audit export broke off");
                            Some((Err(ApiError::from(e)), Part::Done))
                        }
                    }
                }
                Part::Done => None,
            }
        }
    })
}
