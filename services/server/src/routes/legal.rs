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
    let n = notice::privacy_notice(&s.policies, &org.slug, &org.name, presence.legal.clone());
    let legal = pages::Legal::of(&tr, &s.urls, &presence, &org.slug).named(&org.name);
    let page = pages::document(&tr, &legal, &notice::notice_title(&n, &tr), notice::notice_body(&n, &tr));
    Ok(html(StatusCode::OK, page))
}
