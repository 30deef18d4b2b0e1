//! The privacy notice Herold writes for each organisation's followers and correspondents,
//! from the retention catalogue and the organisation's policy (`herold_compliance::notice`).

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use herold_compliance::notice;
use herold_publishing::pages;

use super::html;
use crate::error::ApiError;
use crate::staff::i18n::Lang;
use crate::state::Services;

#[get("/privacy/{org}")]
pub async fn privacy_notice(
    s: web::Data<Services>,
    req: HttpRequest,
    org: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::negotiate(&req);
    let tr = move |key: &str| lang.t(key);
    let orgs = s.store.list_orgs().await?;
    let Some(org) = orgs.iter().find(|o| o.slug == *org) else {
        let legal = pages::Legal::default();
        return Ok(html(StatusCode::NOT_FOUND, pages::not_found(&tr, &legal)));
    };
    let presence = s.presences.of(&org.slug);
    let n = notice::privacy_notice(&s.policies, &org.slug, &org.name, presence.legal.clone(), lang.code());
    let legal = pages::Legal::of(&tr, &s.urls, &presence, &org.slug).named(&org.name);
    let page = pages::document(&tr, &legal, &notice::notice_title(&n, &tr), notice::notice_body(&n, &tr));
    Ok(html(StatusCode::OK, page))
}

/// A legal page Herold hosts from the text in the organisation's policy (`imprint_text`,
/// `accessibility_statement_text`), for a body without a page of its own.
#[get("/legal/{org}/{page}")]
pub async fn hosted_page(
    s: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, key) = path.into_inner();
    let lang = Lang::negotiate(&req);
    let tr = move |key: &str| lang.t(key);
    let presence = s.presences.of(&org);
    let page = herold_domain::LegalPage::ALL.into_iter().find(|p| p.key() == key);
    let orgs = s.store.list_orgs().await?;
    let found = orgs
        .iter()
        .find(|o| o.slug == org)
        .zip(page.and_then(|p| presence.legal.hosted_text(p).map(|text| (p, text))));
    let Some((org, (page, text))) = found else {
        return Ok(html(StatusCode::NOT_FOUND, pages::not_found(&tr, &pages::Legal::default())));
    };
    let title = match page {
        herold_domain::LegalPage::Imprint => tr("pub_imprint"),
        _ => tr("pub_accessibility"),
    };
    let title = format!("{title}: {}", org.name);
    let legal = pages::Legal::of(&tr, &s.urls, &presence, &org.slug).named(&org.name);
    // The text as the body wrote it: paragraphs at blank lines, its line breaks kept (an
    // address reads line by line).
    let body = maud::html! {
        h1 { (title) }
        @for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            p.kept-lines { (paragraph) }
        }
    };
    Ok(html(StatusCode::OK, pages::document(&tr, &legal, &title, body)))
}
