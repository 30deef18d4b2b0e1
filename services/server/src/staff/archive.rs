//! Finding things across the organisation's accounts: every announcement with filters (the
//! archive, retracted and withdrawn ones included) and the calendar of what is planned.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use herold_domain::Millis;
use herold_publishing::PublishError;
use herold_store::{AnnouncementQuery, PublicationState};
use serde::Deserialize;

use super::views::{self, ArchiveFilter, ArchivePage, CalendarPage};
use super::Staff;
use crate::error::ApiError;
use crate::state::Services;

/// Announcements the archive lists at a time.
const PAGE: i64 = 50;

/// The archive's filters as the form sends them; every one may be left empty.
#[derive(Deserialize, Default)]
pub struct ArchiveQuery {
    #[serde(default)]
    q: String,
    /// An account's username.
    #[serde(default)]
    account: String,
    #[serde(default)]
    status: String,
    /// A member of staff's id.
    #[serde(default)]
    author: String,
    /// Days (`2026-12-01`) on the reader's clock; `to` is included.
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: u32,
}

#[get("/staff/announcements")]
pub async fn archive(s: web::Data<Services>, staff: Staff, q: web::Query<ArchiveQuery>) -> HttpResponse {
    let result = async {
        let who = staff.actor();
        let org = &staff.session.staff.org_slug;
        let accounts = s.editorial.accounts(org).await?;
        let staff_of_org = s.store.staff_of_org(org).await?;
        let people: Vec<_> = staff_of_org.iter().filter(|m| !m.name.is_empty()).cloned().collect();
        let words: String = q.q.chars().take(200).collect();
        let page = q.page.min(10_000);
        let filter = ArchiveFilter {
            words: &words,
            account: &q.account,
            status: &q.status,
            author: &q.author,
            from: &q.from,
            to: &q.to,
            page,
        };
        // A day that is no day is said next to the form, which keeps what was typed.
        let (from, to) = match (staff.zone.day_if_given(&q.from, false), staff.zone.day_if_given(&q.to, true))
        {
            (Ok(from), Ok(to)) => (from, to),
            (Err(e), _) | (_, Err(e)) => {
                let why = staff.explain(&ApiError::Publish(PublishError::Invalid(e)));
                let body = views::archive(
                    &staff.viewer(),
                    ArchivePage {
                        accounts: &accounts,
                        people: &people,
                        filter,
                        found: None,
                        error: Some(&why),
                    },
                );
                return Ok(staff.page(&s, StatusCode::BAD_REQUEST, body));
            }
        };
        // The accounts staff see (Herold's own transparency account is not among them); one
        // that is not the organisation's finds nothing rather than all.
        let shown = match q.account.as_str() {
            "" => accounts.iter().map(|a| a.id).collect(),
            name => accounts.iter().filter(|a| a.username == name).map(|a| a.id).collect(),
        };
        // A person who is not the organisation's finds nothing rather than all.
        let author_id = match q.author.as_str() {
            "" => None,
            id => Some(id.parse::<i64>().ok().filter(|id| people.iter().any(|m| m.id == *id)).unwrap_or(-1)),
        };
        let query = AnnouncementQuery {
            org_slug: org.clone(),
            accounts: Some(shown),
            status: PublicationState::parse(&q.status),
            author_id,
            from,
            to,
            words: words.clone(),
        };
        let found = s.editorial.archive(&who, &staff_of_org, query, PAGE, i64::from(page) * PAGE).await?;
        // Withdrawn submissions never went out; they follow on the first page of an
        // unfiltered archive.
        let unfiltered = words.is_empty()
            && [&q.account, &q.status, &q.author, &q.from, &q.to].iter().all(|f| f.is_empty());
        let withdrawn = match unfiltered && page == 0 {
            true => s.editorial.withdrawn(&who, PAGE).await?,
            false => Vec::new(),
        };
        let body = views::archive(
            &staff.viewer(),
            ArchivePage {
                accounts: &accounts,
                people: &people,
                filter,
                found: Some((&found, &withdrawn)),
                error: None,
            },
        );
        Ok(staff.page(&s, StatusCode::OK, body))
    }
    .await;
    staff.respond(&s, result)
}

#[derive(Deserialize)]
pub struct CalendarQuery {
    /// `2026-12`; this month without it.
    month: Option<String>,
}

/// A month as year and month, from `2026-12`, within years Herold's clock can show.
fn parse_month(text: &str) -> Option<(i16, i8)> {
    let (year, month) = text.trim().split_once('-')?;
    let (year, month) = (year.parse::<i16>().ok()?, month.parse::<i8>().ok()?);
    ((1970..=9998).contains(&year) && (1..=12).contains(&month)).then_some((year, month))
}

fn next_month((year, month): (i16, i8)) -> (i16, i8) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

fn previous_month((year, month): (i16, i8)) -> (i16, i8) {
    if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    }
}

#[get("/staff/calendar")]
pub async fn calendar(s: web::Data<Services>, staff: Staff, q: web::Query<CalendarQuery>) -> HttpResponse {
    let result = async {
        let today = staff.zone.wall_clock(herold_domain::now_millis());
        // A month that is no month shows this one rather than an error: it can only come
        // from an edited address.
        let month = q.month.as_deref().and_then(parse_month).unwrap_or((today.year, today.month));
        let start = |(year, month): (i16, i8)| -> Result<Millis, ApiError> {
            staff
                .zone
                .day(&format!("{year:04}-{month:02}-01"), false)
                .map_err(|e| ApiError::Publish(PublishError::Invalid(e)))
        };
        let (from, to) = (start(month)?, start(next_month(month))?);
        let planned = s.editorial.calendar(&staff.actor(), from, to).await?;
        let body = views::calendar(
            &staff.viewer(),
            CalendarPage {
                month,
                previous: previous_month(month),
                next: next_month(month),
                planned: &planned,
            },
        );
        Ok(staff.page(&s, StatusCode::OK, body))
    }
    .await;
    staff.respond(&s, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_read_strictly_and_roll_over_the_year() {
        assert_eq!(parse_month("2026-12"), Some((2026, 12)));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("12-2026"), None);
        assert_eq!(parse_month("99999-01"), None);
        assert_eq!(next_month((2026, 12)), (2027, 1));
        assert_eq!(previous_month((2027, 1)), (2026, 12));
    }
}
