//! Images: public once a published announcement shows them; before that (on a draft) only
//! for staff of the organisation, and never cached.

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

use crate::error::ApiError;
use crate::staff::Staff;
use crate::state::Services;

#[get("/media/{id}")]
pub async fn media(
    s: web::Data<Services>,
    id: web::Path<String>,
    staff: Option<Staff>,
) -> Result<HttpResponse, ApiError> {
    let file = s.store.media_file(&id).await?.ok_or(ApiError::NotFound)?;
    let cache = if file.public {
        // The bytes never change, but a retraction ends their publication: shared caches
        // must ask again soon, not keep an image published by mistake for a year.
        "public, max-age=600"
    } else if staff.is_some_and(|st| st.session.staff.org_slug == file.org_slug) {
        "private, no-store"
    } else {
        return Err(ApiError::NotFound);
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, file.info.content_type))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::CONTENT_DISPOSITION, "inline"))
        .insert_header((header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"))
        .body(file.bytes))
}
