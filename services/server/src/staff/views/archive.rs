//! The archive of the organisation's announcements and the calendar of what is planned.

use herold_publishing::editorial::Archive;
use herold_store::{PublicationState, StaffMember};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::*;

/// The archive's filters as typed, to fill the form again and to carry into the page links.
pub struct ArchiveFilter<'a> {
    pub words: &'a str,
    pub account: &'a str,
    pub status: &'a str,
    pub author: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub page: u32,
}

impl ArchiveFilter<'_> {
    /// The address of another page of the same search.
    fn link(&self, page: u32) -> String {
        let e = |text: &str| utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
        format!(
            "/staff/announcements?q={}&account={}&status={}&author={}&from={}&to={}&page={page}#found",
            e(self.words),
            e(self.account),
            e(self.status),
            e(self.author),
            e(self.from),
            e(self.to)
        )
    }
}

pub struct ArchivePage<'a> {
    pub accounts: &'a [Account],
    pub people: &'a [StaffMember],
    pub filter: ArchiveFilter<'a>,
    /// What was found, and the withdrawn submissions; none when the filter was refused.
    pub found: Option<(&'a Archive, &'a [DraftRecord])>,
    pub error: Option<&'a str>,
}

fn status_label(lang: Lang, status: PublicationState) -> &'static str {
    match status {
        PublicationState::AsPublished => lang.t("status_as_published"),
        PublicationState::Edited => lang.t("status_edited"),
        PublicationState::Retracted => lang.t("status_retracted"),
    }
}

pub fn archive(v: &Viewer<'_>, p: ArchivePage<'_>) -> String {
    let lang = v.lang;
    let f = &p.filter;
    shell(
        lang,
        lang.t("archive"),
        Some(v),
        html! {
            h1 { (lang.t("archive")) }
            p.help { (lang.t("archive_help")) }
            p { a href="/staff/calendar" { (lang.t("calendar_link")) } }
            @if let Some(e) = p.error { p.error role="alert" { (e) } }
            search role="search" {
                form.filters method="get" action="/staff/announcements" {
                    p {
                        label for="q" { (lang.t("search_words")) }
                        input id="q" name="q" type="search" value=(f.words) maxlength="200" aria-describedby="q-help";
                        span.help id="q-help" { (lang.t("search_words_help")) }
                    }
                    p {
                        label for="account" { (lang.t("account")) }
                        select id="account" name="account" {
                            option value="" { (lang.t("all_accounts")) }
                            @for a in p.accounts {
                                option value=(a.username) selected[a.username == f.account] { (a.display_name) " (@" (a.username) ")" }
                            }
                        }
                    }
                    p {
                        label for="status" { (lang.t("status")) }
                        select id="status" name="status" {
                            option value="" { (lang.t("any_status")) }
                            @for s in PublicationState::ALL {
                                option value=(s.as_str()) selected[s.as_str() == f.status] { (status_label(lang, s)) }
                            }
                        }
                    }
                    p {
                        label for="author" { (lang.t("author")) }
                        select id="author" name="author" {
                            option value="" { (lang.t("anyone")) }
                            @for m in p.people {
                                @let id = m.id.to_string();
                                option value=(id) selected[id == f.author] { (m.name) }
                            }
                        }
                    }
                    p {
                        label for="from" { (lang.t("published_from")) }
                        input id="from" name="from" type="date" value=(f.from);
                    }
                    p {
                        label for="to" { (lang.t("published_to")) }
                        input id="to" name="to" type="date" value=(f.to);
                    }
                    p {
                        button.primary type="submit" { (lang.t("search")) }
                        " "
                        a href="/staff/announcements" { (lang.t("clear_filters")) }
                    }
                }
            }
            @if let Some((found, withdrawn)) = p.found {
                section aria-labelledby="found" {
                    h2 id="found" { (lang.t("found")) }
                    @if found.announcements.is_empty() {
                        p role="status" { (lang.t("nothing_found")) }
                    }
                    ul.drafts {
                        @for a in &found.announcements {
                            @let account = p.accounts.iter().find(|acc| acc.id == a.account_id);
                            @let username = account.map_or("", |acc| acc.username.as_str());
                            li {
                                a href={ "/staff/accounts/" (username) "/announcements/" (a.public_id) } {
                                    (excerpt(if a.body.source_text.is_empty() { lang.t("text_removed") } else { &a.body.source_text }))
                                }
                                " — @" (username) ", " (lang.t("published_on")) " " (v.when(a.published_at))
                                @if let (Some(at), None) = (a.updated_at, a.retracted_at) { ", " (lang.t("pub_edited")) " " (v.when(at)) }
                                @if let Some(at) = a.retracted_at {
                                    br;
                                    strong.badge { (lang.t("status_retracted")) }
                                    " " (v.when(at))
                                    @if let Some(r) = found.retractions.get(&a.public_id) {
                                        @if let Some(by) = &r.by { ", " (lang.t("by")) " " (person(lang, by)) }
                                        @if let Some(reason) = &r.reason { ". " (lang.t("reason")) ": " (reason) }
                                    }
                                }
                            }
                        }
                    }
                    @if f.page > 0 || found.more {
                        nav aria-label=(lang.t("pages")) {
                            ul.inline {
                                @if f.page > 0 { li { a href=(f.link(f.page - 1)) { (lang.t("newer")) } } }
                                @if found.more { li { a href=(f.link(f.page + 1)) { (lang.t("pub_older")) } } }
                            }
                        }
                    }
                }
                @if !withdrawn.is_empty() {
                    section aria-labelledby="withdrawn" {
                        h2 id="withdrawn" { (lang.t("withdrawn_submissions")) }
                        p.help { (lang.t("withdrawn_help")) }
                        ul.drafts {
                            @for d in withdrawn.iter() {
                                li {
                                    a href={ "/staff/drafts/" (d.public_id) } { (excerpt(&d.content.source_text)) }
                                    " — @" (d.account_username) ", " (person(lang, &d.author_name)) ", "
                                    (lang.t("withdrawn_on")) " " (v.when(d.updated_at))
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub struct CalendarPage<'a> {
    /// Year and month shown.
    pub month: (i16, i8),
    pub previous: (i16, i8),
    pub next: (i16, i8),
    /// Planned submissions of the month, earliest first.
    pub planned: &'a [DraftRecord],
}

fn month_name(lang: Lang, (year, month): (i16, i8)) -> String {
    lang.t("month_year")
        .replace("{month}", lang.t(&format!("month_{month}")))
        .replace("{year}", &year.to_string())
}

pub fn calendar(v: &Viewer<'_>, p: CalendarPage<'_>) -> String {
    let lang = v.lang;
    let title = format!("{}: {}", lang.t("calendar"), month_name(lang, p.month));
    let link = |(year, month): (i16, i8)| format!("/staff/calendar?month={year:04}-{month:02}");
    // The month's days that have something planned, each with what goes out that day.
    let mut days: Vec<(i8, Vec<&DraftRecord>)> = Vec::new();
    for d in p.planned {
        let Some(at) = d.content.publish_at else { continue };
        let day = v.zone.wall_clock(at).day;
        match days.last_mut() {
            Some((last, items)) if *last == day => items.push(d),
            _ => days.push((day, vec![d])),
        }
    }
    shell(
        lang,
        &title,
        Some(v),
        html! {
            h1 { (title) }
            p.help { (lang.t("calendar_help").replace("{zone}", v.zone.name())) }
            nav aria-label=(lang.t("months")) {
                ul.inline {
                    li { a href=(link(p.previous)) { span aria-hidden="true" { "← " } (month_name(lang, p.previous)) } }
                    li { a href=(link(p.next)) { (month_name(lang, p.next)) span aria-hidden="true" { " →" } } }
                }
            }
            @if days.is_empty() { p role="status" { (lang.t("calendar_empty")) } }
            @for (day, items) in &days {
                section aria-labelledby={ "day-" (day) } {
                    h2 id={ "day-" (day) } {
                        (lang.t("date_day")
                            .replace("{day}", &day.to_string())
                            .replace("{month}", lang.t(&format!("month_{}", p.month.1)))
                            .replace("{year}", &p.month.0.to_string()))
                    }
                    ul.drafts {
                        @for d in items {
                            @let clock = d.content.publish_at.map(|at| v.zone.wall_clock(at));
                            li {
                                @if let Some(c) = clock { strong { (format!("{:02}:{:02}", c.hour, c.minute)) } " " }
                                a href={ "/staff/drafts/" (d.public_id) } { (excerpt(&d.content.source_text)) }
                                " — @" (d.account_username) ", "
                                @if d.state == DraftState::Approved {
                                    span.badge { (state_label(lang, d.state)) }
                                } @else {
                                    span.badge.waiting { (state_label(lang, d.state)) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}
