//! What the workspace tells each person: submissions waiting for their approval, and what
//! became of their own.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use herold_domain::Zone;
use serde::Deserialize;

use super::{see_other, views, Staff};
use crate::state::Services;

/// The most notifications the page shows; older ones expire with their retention class.
const SHOWN: i64 = 100;

#[get("/staff/notifications")]
pub async fn list(s: web::Data<Services>, mut staff: Staff) -> HttpResponse {
    let result = async {
        let items = s.editorial.notifications(&staff.actor(), SHOWN).await?;
        // One made since the navigation was counted is on the list: the count says so too.
        let listed_unread = items.iter().filter(|n| n.read_at.is_none()).count() as i64;
        staff.unread = staff.unread.max(listed_unread);
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

#[get("/staff/settings")]
pub async fn settings(s: web::Data<Services>, staff: Staff) -> HttpResponse {
    let page = views::settings(&staff.viewer(), &settings_of(&s, &staff), None);
    staff.page(&s, StatusCode::OK, page)
}

fn settings_of<'a>(s: &'a Services, staff: &'a Staff) -> views::Settings<'a> {
    views::Settings {
        mail_configured: s.mailer.is_some(),
        org_zone: s.presences.of(&staff.session.staff.org_slug).time_zone.name().to_owned(),
        zones: Zone::names(),
    }
}

#[derive(Deserialize)]
pub struct SettingsForm {
    csrf: String,
    /// Present (checked) when e-mail is wanted.
    email: Option<String>,
    /// An IANA name, or empty for the organisation's zone.
    #[serde(default)]
    time_zone: String,
}

#[post("/staff/settings")]
pub async fn save_settings(
    req: HttpRequest,
    s: web::Data<Services>,
    mut staff: Staff,
    form: web::Form<SettingsForm>,
) -> HttpResponse {
    let result = async {
        staff.check_form(&req, &s, &form.csrf)?;
        let chosen = form.time_zone.trim();
        let zone = match chosen {
            "" => None,
            name => match Zone::parse(name) {
                Ok(zone) => Some(zone),
                Err(_) => {
                    let why = staff.lang.t("error_time_zone_unknown").replace("{typed}", name);
                    let page = views::settings(&staff.viewer(), &settings_of(&s, &staff), Some(Err(&why)));
                    return Ok(staff.page(&s, StatusCode::BAD_REQUEST, page));
                }
            },
        };
        let on = form.email.is_some();
        s.store.set_staff_settings(staff.session.staff.id, on, zone.as_ref().map(Zone::name)).await?;
        staff.session.staff.notify_by_email = on;
        staff.session.staff.time_zone = zone.as_ref().map(|z| z.name().to_owned());
        let org = s.presences.of(&staff.session.staff.org_slug).time_zone;
        staff.zone = zone.unwrap_or(org);
        let page = views::settings(&staff.viewer(), &settings_of(&s, &staff), Some(Ok(())));
        Ok(staff.page(&s, StatusCode::OK, page))
    }
    .await;
    staff.respond(&s, result)
}
