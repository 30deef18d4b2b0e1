//! What the workspace tells each person: submissions waiting for their approval, and what
//! became of their own.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{see_other, views, Staff};
use crate::state::Services;

/// The most notifications the page shows; older ones expire with their retention class.
const SHOWN: i64 = 100;

#[get("/staff/notifications")]
pub async fn list(s: web::Data<Services>, staff: Staff) -> HttpResponse {
    let result = async {
        let visible = s.policies.visibility();
        let items = s.store.notifications(staff.session.staff.id, SHOWN, &visible).await?;
        Ok(staff.page(&s, StatusCode::OK, views::notifications(&staff.viewer(), &items)))
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct ReadForm {
    csrf: String,
}

#[post("/staff/notifications/read")]
pub async fn read(
    req: HttpRequest,
    s: web::Data<Services>,
    staff: Staff,
    form: web::Form<ReadForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        s.store.read_notifications(staff.session.staff.id, herold_domain::now_millis()).await?;
        Ok(see_other("/staff/notifications"))
    }
    .await;
    staff.respond(&s, result)
}
