//! The relay actor: ActivityStreams for servers, a status page with counts (never the list
//! of subscribers) for people.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use herold_federation::relay::RelayMode;
use herold_federation::vocab;
use maud::{html, DOCTYPE};

use super::{activity_json, html as page, wants_activity_json, wellknown::relay_counts};
use crate::state::Services;
use crate::ApiError;

#[get("/relay")]
pub async fn relay_actor(s: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if wants_activity_json(&req) {
        return Ok(activity_json(
            StatusCode::OK,
            &vocab::relay_actor(&s.urls, &s.relay_public_key, s.relay.mode() == RelayMode::Approval),
        ));
    }
    let counts = relay_counts(&s).await?;
    let body = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Relay of official announcements" }
                link rel="stylesheet" href="/static/site.css";
            }
            body {
                main {
                    h1 { "Relay of official announcements" }
                    p { "Fediverse servers receive the official announcements of the public bodies on "
                        (s.urls.host()) " by adding this relay. Its inbox:" }
                    p { code { (s.urls.relay_inbox()) } }
                    p { (counts["subscribers"]) " servers subscribe." }
                }
            }
        }
    };
    Ok(page(StatusCode::OK, body.into_string()))
}
