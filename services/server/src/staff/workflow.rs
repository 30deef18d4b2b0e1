//! Editorial pages: the overview, writing and revising, the approval steps, and published
//! announcements with their delivery progress.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use herold_domain::presence::ReplyAudience;
use herold_domain::workflow::{Role, Step, WorkflowError};
use herold_domain::TextTemplate;
use herold_domain::{format_rfc3339, LocalTimeError, Millis};
use herold_publishing::editorial::{AnnouncementStatus, Editorial, REACTION_DAYS};
use herold_publishing::pages::{announcement_article, draft_body, Shape};
use herold_publishing::{Draft, PublishError};
use herold_store::{Account, AnnouncementQuery};
use serde::Deserialize;

use super::views::{self, ComposeForm, Dashboard, DraftPage};
use super::{see_other, see_other_done, Staff};
use crate::error::ApiError;
use crate::state::Services;

async fn org_accounts(s: &Services, org: &str) -> Result<Vec<Account>, ApiError> {
    Ok(s.editorial.accounts(org).await?)
}

async fn own_account(s: &Services, staff: &Staff, username: &str) -> Result<Account, ApiError> {
    s.editorial.account(&staff.session.staff.org_slug, username).await.map_err(ApiError::unknown_is_not_found)
}

#[get("/staff")]
pub async fn dashboard(s: web::Data<Services>, staff: Staff) -> HttpResponse {
    let result = async {
        let d = s.editorial.dashboard(&staff.actor()).await?;
        let who = staff.actor();
        let profiles = if who.roles.has(Role::Approver) || who.roles.has(Role::OrgAdmin) {
            s.editorial.profile_proposals(&who).await?
        } else {
            Vec::new()
        };
        let body = views::dashboard(
            &staff.viewer(),
            Dashboard {
                accounts: &d.accounts,
                mine: &d.mine,
                queue: &d.queue,
                scheduled: &d.scheduled,
                recent: &d.recent,
                profiles: &profiles,
            },
        );
        Ok(staff.page(&s, StatusCode::OK, body))
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct ComposeQuery {
    account: Option<String>,
    edit_of: Option<String>,
    /// Answering this citizen's message (its public id).
    answer: Option<String>,
    /// Starting the answer from this template of the organisation's (its name).
    template: Option<String>,
}

#[get("/staff/new")]
pub async fn compose(s: web::Data<Services>, staff: Staff, q: web::Query<ComposeQuery>) -> HttpResponse {
    let result = async {
        // Said before anything is typed, not after saving.
        if !staff.actor().roles.has(Role::Author) {
            return Err(PublishError::Workflow(WorkflowError::MissingRole(Role::Author)).into());
        }
        let accounts = org_accounts(&s, &staff.session.staff.org_slug).await?;
        // Proposing a change starts from the published text.
        let current = match (&q.account, &q.edit_of) {
            (Some(account), Some(id)) => {
                let account = own_account(&s, &staff, account).await?;
                Some(s.store.announcement(account.id, id).await?.ok_or(ApiError::NotFound)?)
            }
            _ => None,
        };
        // An answer is from the account written to, and starts with the sender's address.
        let answering = match &q.answer {
            Some(id) => {
                Some(s.editorial.message(&staff.actor(), id).await.map_err(ApiError::unknown_is_not_found)?)
            }
            None => None,
        };
        // Answers start from the organisation's answer templates, new announcements from its
        // announcement templates; a change starts from what was published.
        let org = &staff.session.staff.org_slug;
        let offered = match (&answering, &current) {
            (Some(_), _) => &s.editorial.dialogue_policy(org).templates[..],
            (None, None) => s.policies.orgs.get(org).map_or(&[][..], |p| &p.templates[..]),
            (None, Some(_)) => &[][..],
        };
        let template = q.template.as_deref().and_then(|t| TextTemplate::find(offered, t));
        let greeting = match &answering {
            Some(m) => {
                let handle = s.publisher.handle_of(&m.sender_uri).await;
                let start = template.map_or("", |t| t.text.as_str());
                Some([handle.as_deref().unwrap_or(""), start].join(" ").trim_start().to_owned())
                    .filter(|g| !g.is_empty())
            }
            None => None,
        };
        // With several accounts, the one the person last wrote for is offered, and said to be.
        let last = match (&q.account, &answering, accounts.len() > 1) {
            (None, None, true) => s.editorial.last_account(&staff.actor()).await?,
            _ => None,
        };
        let chosen = answering
            .as_ref()
            .map(|m| m.account_username.as_str())
            .or(q.account.as_deref())
            .or(last.as_deref())
            .unwrap_or("");
        let form = ComposeForm {
            accounts: &accounts,
            account: chosen,
            remembered: last.is_some(),
            text: greeting
                .as_deref()
                .or(template.filter(|_| answering.is_none()).map(|t| t.text.as_str()))
                .unwrap_or(current.as_ref().map_or("", |a| a.body.source_text.as_str())),
            language: current.as_ref().and_then(|a| a.body.language.as_deref()).unwrap_or(staff.lang.code()),
            summary: current.as_ref().and_then(|a| a.body.summary.as_deref()).unwrap_or(""),
            urgent: current.as_ref().is_some_and(|a| a.urgent),
            replies: current.as_ref().and_then(|a| a.body.reply_audience.as_deref()).unwrap_or(""),
            org_replies: s.presences.of(&staff.session.staff.org_slug).replies,
            publish_at: "",
            versions: versions(current.as_ref().map_or(&[][..], |a| &a.body.translations[..]), |t| {
                (t.language.as_str(), t.source_text.as_str())
            }),
            draft: None,
            edit_of: current.as_ref().map(|a| a.public_id.as_str()),
            answering: answering.as_ref(),
            templates: offered,
            template: template.map_or("", |t| t.name.as_str()),
            answer_alone: answering.as_ref().is_some_and(|m| s.answers_alone(m)),
            alts: [""; views::COMPOSE_IMAGES],
            more_images: false,
            error: None,
        };
        Ok(staff.page(&s, StatusCode::OK, views::compose(&staff.viewer(), form)))
    }
    .await;
    staff.respond(&s, result)
}

/// The two version slots of the form, filled from what exists.
fn versions<T>(existing: &[T], pair: impl Fn(&T) -> (&str, &str)) -> [(&str, &str); 2] {
    let mut slots = [("", ""); 2];
    for (slot, t) in slots.iter_mut().zip(existing) {
        *slot = pair(t);
    }
    slots
}

#[derive(Deserialize)]
pub struct DraftForm {
    csrf: String,
    account: String,
    text: String,
    language: String,
    #[serde(default)]
    summary: String,
    urgent: Option<String>,
    /// Who may reply; empty: as the organisation decided.
    #[serde(default)]
    replies: String,
    #[serde(default)]
    publish_at: String,
    edit_of: Option<String>,
    /// The citizen's message this answers (its public id).
    answer: Option<String>,
    #[serde(default)]
    translation_language_1: String,
    #[serde(default)]
    translation_text_1: String,
    #[serde(default)]
    translation_language_2: String,
    #[serde(default)]
    translation_text_2: String,
    /// The descriptions typed for the images (`views::COMPOSE_IMAGES`), kept when a form
    /// comes back.
    #[serde(default)]
    image_alt_1: String,
    #[serde(default)]
    image_alt_2: String,
    #[serde(default)]
    image_alt_3: String,
    #[serde(default)]
    image_alt_4: String,
    /// The image slots a file was chosen in (not a form field): a form that comes back opens
    /// the further slots if one of them was used.
    #[serde(skip)]
    chosen: Vec<usize>,
}

/// What `<input type="datetime-local">` sends, on the reader's clock (their own zone or the
/// organisation's); a refusal is worded for the person who typed it.
fn parse_publish_at(staff: &Staff, typed: &str) -> Result<Option<Millis>, String> {
    if typed.trim().is_empty() {
        return Ok(None);
    }
    staff.zone.from_input(typed).map(Some).map_err(|e| match e {
        LocalTimeError::Malformed(typed) => {
            staff.lang.t("error_publish_at_malformed").replace("{typed}", &typed)
        }
        LocalTimeError::Skipped(typed, zone) => {
            staff.lang.t("error_publish_at_skipped").replace("{typed}", &typed).replace("{zone}", &zone)
        }
    })
}

impl DraftForm {
    fn versions(&self) -> [(&str, &str); 2] {
        [
            (&self.translation_language_1, &self.translation_text_1),
            (&self.translation_language_2, &self.translation_text_2),
        ]
    }

    fn parse(&self, staff: &Staff) -> Result<(Draft, Option<Millis>), String> {
        // A version slot left empty (no text) is no version.
        let versions = self.versions().into_iter().filter(|(_, text)| !text.trim().is_empty());
        let mut draft = Draft::parse(
            &self.text,
            Some(&self.language),
            versions,
            Some(&self.summary),
            self.urgent.is_some(),
        )
        .map_err(|e| super::explain_invalid(staff.lang, &e))?;
        draft.replies = match self.replies.as_str() {
            "" => None,
            chosen => Some(
                ReplyAudience::parse(chosen)
                    .ok_or_else(|| staff.lang.t("error_replies_unknown").to_owned())?,
            ),
        };
        Ok((draft, parse_publish_at(staff, &self.publish_at)?))
    }

    /// The form again, as the person filled it in, with what was wrong: nothing typed is lost.
    async fn again(
        &self,
        s: &Services,
        staff: &Staff,
        draft: Option<&str>,
        error: &str,
    ) -> Result<HttpResponse, ApiError> {
        let accounts = org_accounts(s, &staff.session.staff.org_slug).await?;
        let answering = match self.answering() {
            Some(id) => {
                Some(s.editorial.message(&staff.actor(), id).await.map_err(ApiError::unknown_is_not_found)?)
            }
            None => None,
        };
        let form = ComposeForm {
            accounts: &accounts,
            account: &self.account,
            text: &self.text,
            language: &self.language,
            summary: &self.summary,
            urgent: self.urgent.is_some(),
            replies: &self.replies,
            org_replies: s.presences.of(&staff.session.staff.org_slug).replies,
            publish_at: &self.publish_at,
            versions: self.versions(),
            draft,
            edit_of: self.edit_of.as_deref(),
            answering: answering.as_ref(),
            templates: &[],
            template: "",
            answer_alone: answering.as_ref().is_some_and(|m| s.answers_alone(m)),
            remembered: false,
            alts: [&self.image_alt_1, &self.image_alt_2, &self.image_alt_3, &self.image_alt_4],
            more_images: self.chosen.iter().any(|n| *n > 1),
            error: Some(error),
        };
        Ok(staff.page(s, StatusCode::BAD_REQUEST, views::compose(&staff.viewer(), form)))
    }
}

impl DraftForm {
    /// Every field but the text, to carry across a sign-in.
    fn kept(&self) -> Vec<(&'static str, &str)> {
        let mut fields = vec![
            ("csrf", self.csrf.as_str()),
            ("account", self.account.as_str()),
            ("language", self.language.as_str()),
            ("summary", self.summary.as_str()),
            ("publish_at", self.publish_at.as_str()),
            ("replies", self.replies.as_str()),
            ("translation_language_1", self.translation_language_1.as_str()),
            ("translation_text_1", self.translation_text_1.as_str()),
            ("translation_language_2", self.translation_language_2.as_str()),
            ("translation_text_2", self.translation_text_2.as_str()),
        ];
        fields.extend(self.urgent.as_deref().map(|u| ("urgent", u)));
        fields.extend(self.edit_of.as_deref().map(|e| ("edit_of", e)));
        fields.extend(self.answering().map(|a| ("answer", a)));
        fields
    }

    fn answering(&self) -> Option<&str> {
        self.answer.as_deref().filter(|a| !a.is_empty())
    }

    /// The form as posted, when the session ended while it was being written: nothing is
    /// saved, nothing typed is lost, and the page says how to go on. Only for Herold's own
    /// pages: a post from another site cannot put text on one.
    fn kept_across_sign_in(
        &self,
        req: &HttpRequest,
        s: &Services,
        signed_in: actix_web::Error,
    ) -> HttpResponse {
        if !signed_in.as_error::<super::SignInRequired>().is_some_and(|_| super::from_own_page(req, s)) {
            return signed_in.error_response();
        }
        let lang = super::i18n::Lang::negotiate(req);
        let page = views::session_ended(lang, req.path(), &self.text, &self.kept());
        super::page(s, None, StatusCode::UNAUTHORIZED, page)
    }

    /// Checks the form's token. One from a page of an earlier session (signed in again in
    /// another tab) is no attack when the post comes from Herold's own pages: the form comes
    /// back with a fresh token, and nothing is done.
    async fn check(
        &self,
        req: &HttpRequest,
        s: &Services,
        staff: &Staff,
        draft: Option<&str>,
    ) -> Result<Option<HttpResponse>, ApiError> {
        match staff.check_form(req, s, &self.csrf) {
            Ok(()) => Ok(None),
            Err(_) if super::from_own_page(req, s) => {
                Ok(Some(self.again(s, staff, draft, staff.lang.t("error_form_expired")).await?))
            }
            Err(e) => Err(e),
        }
    }
}

#[post("/staff/drafts")]
pub async fn create(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Result<Staff, actix_web::Error>,
    payload: web::Payload,
) -> HttpResponse {
    // Without a session the form is read for its text alone, to keep it across signing in.
    let (form, images) = match read_compose(&req, payload, staff.is_ok()).await {
        Ok(read) => read,
        Err(e) => {
            return match staff {
                Ok(staff) => staff.respond(&s, Err(e)),
                Err(signed_out) => signed_out.error_response(),
            }
        }
    };
    let staff = match staff {
        Ok(staff) => staff,
        Err(e) => return form.kept_across_sign_in(&req, &s, e),
    };
    let result = async {
        if let Some(again) = form.check(&req, &s, &staff, None).await? {
            return Ok(again);
        }
        // A browser cannot be given a file to send again: a refused form says so.
        let chosen = !images.is_empty();
        let lost = |why: &str| match chosen {
            true => format!("{why} {}", staff.lang.t("image_choose_again")),
            false => why.to_owned(),
        };
        if form.account.trim().is_empty() {
            return form.again(&s, &staff, None, &lost(staff.lang.t("error_choose_account"))).await;
        }
        let (draft, publish_at) = match form.parse(&staff) {
            Ok(parsed) => parsed,
            Err(why) => return form.again(&s, &staff, None, &lost(&why)).await,
        };
        if form.edit_of.as_deref().is_some_and(|e| !e.is_empty()) && !images.is_empty() {
            return Err(ApiError::BadRequest("a change's images are attached on its draft's page".into()));
        }
        // Every image is checked before anything is saved (off the request's thread: four
        // large images take a while to decode); a refusal names the image.
        let checked = web::block(move || {
            images
                .into_iter()
                .map(|(n, bytes, alt)| match bytes.is_empty() {
                    true => (n, Err(None)),
                    false => (n, Editorial::prepare_image(&bytes, &alt).map_err(Some)),
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| ApiError::BadRequest(format!("the images could not be checked: {e}")))?;
        let mut prepared = Vec::with_capacity(checked.len());
        for (n, result) in checked {
            let which = staff.lang.t("image_numbered").replace("{n}", &n.to_string());
            match result {
                Ok(image) => prepared.push(image),
                // A description whose file is missing: it was not chosen, or is lost.
                Err(None) => {
                    let why = format!("{which} {}", staff.lang.t("image_described_without_file"));
                    return form.again(&s, &staff, None, &why).await;
                }
                Err(Some(e)) => {
                    let e = ApiError::from(e);
                    e.log();
                    let why = lost(&format!("{which} {}", staff.explain(&e)));
                    return form.again(&s, &staff, None, &why).await;
                }
            }
        }
        let edit_of = form.edit_of.as_deref().filter(|e| !e.is_empty());
        let begun = match form.answering() {
            Some(message) => s.editorial.answer(&staff.actor(), message, draft, publish_at).await,
            None => s.editorial.create(&staff.actor(), &form.account, draft, publish_at, edit_of).await,
        };
        let record = match begun {
            Ok(record) => record,
            // An address that cannot be found is the author's to fix: keep what they typed.
            Err(PublishError::Mention(why)) => return form.again(&s, &staff, None, &lost(&why)).await,
            Err(e @ PublishError::Incomplete(_)) => {
                return form.again(&s, &staff, None, &lost(&staff.explain(&ApiError::from(e)))).await
            }
            Err(e @ PublishError::PublishAtPassed(_)) => {
                let why = staff.explain(&ApiError::from(e));
                return form.again(&s, &staff, None, &lost(&why)).await;
            }
            Err(e) => return Err(e.into()),
        };
        for image in prepared {
            // Saved already: a failure here is said on the draft's page, where the image can
            // be attached again.
            if let Err(e) = s.editorial.attach_image(&staff.actor(), &record.public_id, image).await {
                let e = ApiError::from(e);
                let status = e.log();
                return draft_page(&s, &staff, &record.public_id, status, Some(&staff.explain(&e))).await;
            }
        }
        Ok(see_other_done(&s, &format!("/staff/drafts/{}", record.public_id), "saved"))
    }
    .await;
    staff.respond(&s, result)
}

/// The compose form as the browser sent it: URL-encoded, or multipart when it can carry
/// images, then with each chosen file, its slot's number and its description.
async fn read_compose(
    req: &HttpRequest,
    payload: web::Payload,
    with_images: bool,
) -> Result<(DraftForm, Vec<(usize, Vec<u8>, String)>), ApiError> {
    use actix_web::FromRequest;
    let content_type = req.headers().get(actix_web::http::header::CONTENT_TYPE);
    let multipart =
        content_type.and_then(|t| t.to_str().ok()).is_some_and(|t| t.starts_with("multipart/form-data"));
    if !multipart {
        let form = web::Form::<DraftForm>::from_request(req, &mut payload.into_inner())
            .await
            .map_err(|e| ApiError::BadRequest(format!("the form is malformed: {e}")))?;
        return Ok((form.into_inner(), Vec::new()));
    }
    let slots: Vec<String> = (1..=views::COMPOSE_IMAGES).map(|n| format!("image_{n}")).collect();
    let files: Vec<&str> = if with_images { slots.iter().map(String::as_str).collect() } else { Vec::new() };
    let mut upload = super::read_multipart(Multipart::new(req.headers(), payload), &files).await?;
    let mut images = Vec::new();
    for (n, slot) in slots.iter().enumerate() {
        // A browser sends an empty part for a slot left alone. The description stays in the
        // form too, to be shown again if the form comes back.
        let bytes = upload.file(slot);
        let alt = upload.peek(&format!("image_alt_{}", n + 1));
        if !bytes.is_empty() || !alt.trim().is_empty() {
            images.push((n + 1, bytes, alt));
        }
    }
    let mut form = serde_json::to_value(&upload.text)
        .and_then(serde_json::from_value::<DraftForm>)
        .map_err(|e| ApiError::BadRequest(format!("the form is incomplete: {e}")))?;
    form.chosen = images.iter().filter(|(_, bytes, _)| !bytes.is_empty()).map(|(n, _, _)| *n).collect();
    Ok((form, images))
}

/// A submission's page: everything an approver decides on.
async fn draft_page(
    s: &Services,
    staff: &Staff,
    id: &str,
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    draft_page_with(s, staff, id, status, error, None).await
}

/// The submission's page; `rescheduling` is a new time typed that was refused, shown again.
async fn draft_page_with(
    s: &Services,
    staff: &Staff,
    id: &str,
    status: StatusCode,
    error: Option<&str>,
    rescheduling: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let review = s.editorial.review(&staff.actor(), id).await?;
    let (d, account) = (&review.draft, &review.account);
    let scheduled = d.content.publish_at.map(|at| staff.zone.input_value(at)).unwrap_or_default();
    let page = DraftPage {
        org_replies: s.presences.of(&d.org_slug).replies,
        preview: views::post_preview(
            &staff.viewer(),
            account,
            &format!("@{}@{}", account.username, s.urls.host()),
            &draft_body(&s.urls, d),
            d,
        ),
        four_eyes: s.four_eyes(d),
        review: &review,
        rescheduling: rescheduling.unwrap_or(&scheduled),
        error,
    };
    Ok(staff.page(s, status, views::draft(&staff.viewer(), page)))
}

#[get("/staff/drafts/{id}")]
pub async fn show_draft(s: web::Data<Services>, staff: Staff, id: web::Path<String>) -> HttpResponse {
    let result = async { draft_page(&s, &staff, &id, StatusCode::OK, None).await }.await;
    staff.respond(&s, result)
}

#[get("/staff/drafts/{id}/withdraw")]
pub async fn confirm_withdraw(s: web::Data<Services>, staff: Staff, id: web::Path<String>) -> HttpResponse {
    let result = async {
        let d = s.editorial.draft(&staff.actor(), &id).await?;
        let kept = match s.policies.retention(herold_store::DataClass::AbandonedDrafts, Some(&d.org_slug)) {
            herold_compliance::policy::Retention::Millis(ms) => Some(ms / 86_400_000),
            herold_compliance::policy::Retention::WhileNeeded => None,
        };
        Ok(staff.page(&s, StatusCode::OK, views::confirm_withdraw(&staff.viewer(), &d, kept)))
    }
    .await;
    staff.respond(&s, result)
}

#[get("/staff/drafts/{id}/edit")]
pub async fn edit_draft(s: web::Data<Services>, staff: Staff, id: web::Path<String>) -> HttpResponse {
    let result = async {
        let d = s.editorial.draft(&staff.actor(), &id).await?;
        let accounts = org_accounts(&s, &staff.session.staff.org_slug).await?;
        let publish_at = d.content.publish_at.map(|at| staff.zone.input_value(at));
        let form = ComposeForm {
            accounts: &accounts,
            account: &d.account_username,
            text: &d.content.source_text,
            language: d.content.language.as_deref().unwrap_or(""),
            summary: d.content.summary.as_deref().unwrap_or(""),
            urgent: d.content.urgent,
            replies: d.content.reply_audience.as_deref().unwrap_or(""),
            org_replies: s.presences.of(&staff.session.staff.org_slug).replies,
            publish_at: publish_at.as_deref().unwrap_or(""),
            versions: versions(&d.content.translations, |t| (t.language.as_str(), t.text.as_str())),
            draft: Some(&d.public_id),
            edit_of: None,
            answering: None,
            templates: &[],
            template: "",
            answer_alone: false,
            remembered: false,
            alts: [""; views::COMPOSE_IMAGES],
            more_images: false,
            error: None,
        };
        Ok(staff.page(&s, StatusCode::OK, views::compose(&staff.viewer(), form)))
    }
    .await;
    staff.respond(&s, result)
}

#[post("/staff/drafts/{id}")]
pub async fn revise(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Result<Staff, actix_web::Error>,
    id: web::Path<String>,
    form: web::Form<DraftForm>,
) -> HttpResponse {
    let staff = match staff {
        Ok(staff) => staff,
        Err(e) => return form.kept_across_sign_in(&req, &s, e),
    };
    let result = async {
        if let Some(again) = form.check(&req, &s, &staff, Some(id.as_str())).await? {
            return Ok(again);
        }
        let (draft, publish_at) = match form.parse(&staff) {
            Ok(parsed) => parsed,
            Err(why) => return form.again(&s, &staff, Some(&id), &why).await,
        };
        let record = match s.editorial.revise(&staff.actor(), &id, draft, publish_at).await {
            Ok(record) => record,
            Err(PublishError::Mention(why)) => return form.again(&s, &staff, Some(&id), &why).await,
            // E.g. an answer whose addressee's server cannot be reached now: the text is kept.
            Err(e @ (PublishError::PublishAtPassed(_) | PublishError::Incomplete(_))) => {
                let why = staff.explain(&ApiError::from(e));
                return form.again(&s, &staff, Some(&id), &why).await;
            }
            Err(e) => return Err(e.into()),
        };
        Ok(see_other_done(&s, &format!("/staff/drafts/{}", record.public_id), "saved"))
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct StepForm {
    csrf: String,
    step: String,
    /// `yes` once the person confirmed a step that is asked first (withdrawing).
    confirm: Option<String>,
    comment: Option<String>,
    /// The revision the page showed.
    revision: Option<i64>,
}

#[post("/staff/drafts/{id}/step")]
pub async fn step(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<StepForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        let step = Step::parse_named(&form.step).ok_or(ApiError::NotFound)?;
        if step == Step::Withdraw && form.confirm.as_deref() != Some("yes") {
            return Ok(see_other(&format!("/staff/drafts/{id}/withdraw")));
        }
        match s.editorial.step(&staff.actor(), &id, step, form.comment.clone(), form.revision).await {
            Ok(record) => {
                Ok(see_other_done(&s, &format!("/staff/drafts/{}", record.public_id), step.as_str()))
            }
            // Refused steps show the submission again with the reason.
            Err(
                e @ (PublishError::Workflow(_) | PublishError::Incomplete(_) | PublishError::Forbidden(_)),
            ) => {
                let e = ApiError::from(e);
                let status = e.log();
                draft_page(&s, &staff, &id, status, Some(&staff.explain(&e))).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct RescheduleForm {
    csrf: String,
    publish_at: String,
}

#[post("/staff/drafts/{id}/reschedule")]
pub async fn reschedule(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    id: web::Path<String>,
    form: web::Form<RescheduleForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        let at = match parse_publish_at(&staff, &form.publish_at) {
            Ok(Some(at)) => Ok(at),
            Ok(None) => Err(staff.lang.t("error_reschedule_empty").to_owned()),
            Err(why) => Err(why),
        };
        let (status, refusal) = match at {
            Err(why) => (StatusCode::BAD_REQUEST, why),
            Ok(at) => match s.editorial.reschedule(&staff.actor(), &id, at).await {
                Ok(record) => {
                    return Ok(see_other_done(
                        &s,
                        &format!("/staff/drafts/{}", record.public_id),
                        "reschedule",
                    ))
                }
                // Leaving the field empty is no way out here, unlike in the compose form.
                Err(PublishError::PublishAtPassed(at)) => {
                    let when =
                        herold_publishing::pages::human_time(&|key| staff.lang.t(key), &staff.zone, at);
                    (
                        StatusCode::BAD_REQUEST,
                        staff.lang.t("error_reschedule_passed").replace("{time}", &when),
                    )
                }
                Err(
                    e
                    @ (PublishError::Workflow(_) | PublishError::Incomplete(_) | PublishError::Forbidden(_)),
                ) => {
                    let e = ApiError::from(e);
                    (e.log(), staff.explain(&e))
                }
                Err(e) => return Err(e.into()),
            },
        };
        // What was typed comes back with the reason, whatever the refusal.
        draft_page_with(&s, &staff, &id, status, Some(&refusal), Some(&form.publish_at)).await
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct AccountQuery {
    /// Words the announcements listed contain.
    #[serde(default)]
    q: String,
    /// Which page of the list, from 0.
    #[serde(default)]
    page: u32,
}

/// Announcements an account page lists at a time.
const ANNOUNCEMENTS_PAGE: i64 = 50;

#[get("/staff/accounts/{username}")]
pub async fn account_page(
    s: web::Data<Services>,
    staff: Staff,
    username: web::Path<String>,
    query: web::Query<AccountQuery>,
) -> HttpResponse {
    let result = async {
        let account = own_account(&s, &staff, &username).await?;
        // Retracted ones too, marked: the list says what became of each.
        let words: String = query.q.chars().take(200).collect();
        let offset = i64::from(query.page.min(10_000)) * ANNOUNCEMENTS_PAGE;
        let find = AnnouncementQuery {
            org_slug: account.org_slug.clone(),
            accounts: Some(vec![account.id]),
            words: words.clone(),
            ..AnnouncementQuery::default()
        };
        let announcements = s.store.search_announcements(&find, ANNOUNCEMENTS_PAGE, offset).await?;
        let list = views::AnnouncementList {
            words: &words,
            page: query.page.min(10_000),
            more: announcements.len() as i64 == ANNOUNCEMENTS_PAGE,
        };
        let since = format_rfc3339(herold_domain::now_millis() - 90 * 86_400_000);
        let mut history = s.store.follower_history(account.id, &since[..10]).await?;
        // The daily snapshots end with today as it is now, not as the last snapshot saw it.
        let today = format_rfc3339(herold_domain::now_millis())[..10].to_owned();
        let now = s.store.follower_count(account.id).await?;
        match history.last_mut() {
            Some((day, count)) if *day == today => *count = now,
            _ => history.push((today, now)),
        }
        // Shown where the organisation offers subscriptions by e-mail.
        let email_subscribers = match s.presences.of(&account.org_slug).email_subscriptions {
            true => Some(s.store.subscriber_count(account.id).await?),
            false => None,
        };
        let since = herold_domain::now_millis() - REACTION_DAYS * 86_400_000;
        let days = s.store.reaction_days(account.id, None, &format_rfc3339(since)[..10]).await?;
        let reactions = views::reaction_chart(staff.lang, since, &days);
        let body = views::account(
            &staff.viewer(),
            &account,
            (&announcements, list),
            &history,
            reactions,
            email_subscribers,
        );
        Ok(staff.page(&s, StatusCode::OK, body))
    }
    .await;
    staff.respond(&s, result)
}

async fn announcement_page(
    s: &Services,
    staff: &Staff,
    username: &str,
    id: &str,
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let status_of = s.editorial.announcement_status(&staff.session.staff.org_slug, username, id);
    let AnnouncementStatus { account, announcement: a, stats, drafts, reactions, reaction_days } =
        status_of.await.map_err(ApiError::unknown_is_not_found)?;
    let since = a.published_at.max(herold_domain::now_millis() - REACTION_DAYS * 86_400_000);
    let page = views::AnnouncementPage {
        account: &account,
        announcement: &a,
        article: announcement_article(
            &|key| staff.lang.t(key),
            &s.urls,
            &staff.zone,
            &account,
            &a,
            Shape::Staff,
        ),
        stats: &stats,
        drafts: &drafts,
        reactions,
        reaction_curve: views::reaction_chart(staff.lang, since, &reaction_days),
        error,
    };
    Ok(staff.page(s, status, views::announcement(&staff.viewer(), page)))
}

#[get("/staff/accounts/{username}/announcements/{id}")]
pub async fn announcement_show(
    s: web::Data<Services>,
    staff: Staff,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (username, id) = path.into_inner();
    let result = announcement_page(&s, &staff, &username, &id, StatusCode::OK, None).await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct RetractForm {
    csrf: String,
    reason: String,
}

#[post("/staff/accounts/{username}/announcements/{id}/retract")]
pub async fn retract(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    path: web::Path<(String, String)>,
    form: web::Form<RetractForm>,
) -> HttpResponse {
    let (username, id) = path.into_inner();
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        match s.editorial.retract(&staff.actor(), &username, &id, &form.reason).await {
            Ok(_) => {
                Ok(see_other_done(&s, &format!("/staff/accounts/{username}/announcements/{id}"), "retracted"))
            }
            Err(e @ (PublishError::Incomplete(_) | PublishError::Forbidden(_))) => {
                let e = ApiError::from(e);
                let status = e.log();
                announcement_page(&s, &staff, &username, &id, status, Some(&staff.explain(&e))).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct PinForm {
    csrf: String,
    pinned: bool,
}

#[post("/staff/accounts/{username}/announcements/{id}/pin")]
pub async fn pin(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    path: web::Path<(String, String)>,
    form: web::Form<PinForm>,
) -> HttpResponse {
    let (username, id) = path.into_inner();
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        match s.editorial.pin(&staff.actor(), &username, &id, form.pinned).await {
            Ok(_) => Ok(see_other(&format!("/staff/accounts/{username}/announcements/{id}"))),
            Err(PublishError::Store(herold_store::StoreError::Conflict(_))) => {
                let message = staff.lang.t("pin_limit");
                announcement_page(&s, &staff, &username, &id, StatusCode::CONFLICT, Some(message)).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    staff.respond(&s, result)
}

/// Reads an image upload: its form token, description and file.
async fn read_upload(payload: Multipart) -> Result<(String, String, Vec<u8>), ApiError> {
    let mut upload = super::read_multipart(payload, &["file"]).await?;
    Ok((upload.text("csrf"), upload.text("alt"), upload.file("file")))
}

#[post("/staff/drafts/{id}/images")]
pub async fn attach_image(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    id: web::Path<String>,
    payload: Multipart,
) -> HttpResponse {
    let result = async {
        let (csrf, alt, file) = read_upload(payload).await?;
        staff.check_form(&req, &s, &csrf)?;
        if file.is_empty() {
            return Err(ApiError::Publish(PublishError::Incomplete("choose an image file")));
        }
        let attached = match Editorial::prepare_image(&file, &alt) {
            Ok(image) => s.editorial.attach_image(&staff.actor(), &id, image).await,
            Err(e) => Err(e),
        };
        match attached {
            Ok(record) => {
                Ok(see_other_done(&s, &format!("/staff/drafts/{}", record.public_id), "image_attached"))
            }
            Err(e @ (PublishError::Invalid(_) | PublishError::Incomplete(_) | PublishError::Media(_))) => {
                let e = ApiError::from(e);
                let status = e.log();
                draft_page(&s, &staff, &id, status, Some(&staff.explain(&e))).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

#[post("/staff/drafts/{id}/images/{image}/remove")]
pub async fn detach_image(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    let (id, image) = path.into_inner();
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        let record = s.editorial.detach_image(&staff.actor(), &id, &image).await?;
        Ok(see_other_done(&s, &format!("/staff/drafts/{}", record.public_id), "image_removed"))
    }
    .await;
    staff.respond(&s, result)
}
