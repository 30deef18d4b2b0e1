//! What the data-protection officer reads: the audit trail, the compliance report, the
//! record of processing and subject requests.

use super::*;

pub fn audit_trail(
    v: &Viewer<'_>,
    rows: &[AuditRecord],
    total: i64,
    older: Option<i64>,
    (action, from, to): (&str, &str, &str),
) -> String {
    let lang = v.lang;
    shell(
        lang,
        lang.t("audit_trail"),
        Some(v),
        html! {
            h1 { (lang.t("audit_trail")) }
            p { (lang.t("audit_intro")) }
            form method="get" action="/staff/audit" {
                p {
                    label for="action" { (lang.t("action")) }
                    input id="action" name="action" value=(action) aria-describedby="action-help";
                    span.help id="action-help" { (lang.t("action_help")) }
                }
                p { label for="from" { (lang.t("from_day")) } input id="from" type="date" name="from" value=(from); }
                p { label for="to" { (lang.t("to_day")) } input id="to" type="date" name="to" value=(to); }
                p { button type="submit" { (lang.t("filter")) } }
            }
            // Exports are POSTs: each is recorded in the trail, so no other site may start one.
            form method="post" action="/staff/audit/export" {
                (v.csrf())
                input type="hidden" name="action" value=(action);
                input type="hidden" name="from" value=(from);
                input type="hidden" name="to" value=(to);
                button type="submit" name="format" value="csv" { (lang.t("export_csv")) }
                " "
                button type="submit" name="format" value="json" { (lang.t("export_json")) }
            }
            p { a href="/staff/ropa" { (lang.t("ropa")) } }
            p {
                (lang.t("showing")) " " (rows.len()) " " (lang.t("of_total")) " " (total) " "
                (lang.t("matching_newest_first")) "."
            }
            (scrolling(lang.t("audit_trail"), html! {
                table.audit {
                    thead { tr {
                        th scope="col" { "#" } th scope="col" { (lang.t("when")) } th scope="col" { (lang.t("who")) }
                        th scope="col" { (lang.t("action")) } th scope="col" { (lang.t("subject")) } th scope="col" { (lang.t("details")) }
                    } }
                    tbody {
                        @for e in rows {
                            tr {
                                td { (e.leaf.seq) } td { (v.when(e.leaf.at)) } td { (e.leaf.actor) } td { (e.leaf.action) }
                                td { (e.leaf.subject) }
                                td { code { (e.payload.as_ref().map_or(lang.t("erased"), |(_, p)| p.as_str())) } }
                            }
                        }
                    }
                }
            }))
            @if let Some(before) = older {
                p { a href=(older_link(action, from, to, before)) { (lang.t("older_entries")) } }
            }
        },
    )
}

/// The next page of the trail, with the same filter.
fn older_link(action: &str, from: &str, to: &str, before: i64) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("action", action)
        .append_pair("from", from)
        .append_pair("to", to)
        .append_pair("before", &before.to_string())
        .finish();
    format!("/staff/audit?{query}")
}

/// The compliance report, inside the staff pages (their stylesheet, their navigation).
pub fn report(v: &Viewer<'_>, r: &herold_compliance::report::Report) -> String {
    use herold_compliance::report;
    let tr = |key: &str| v.lang.t(key);
    shell(v.lang, &report::report_title(r, &tr), Some(v), report::report_body(r, &tr))
}

/// The record of processing, inside the staff pages.
pub fn ropa(v: &Viewer<'_>, r: &herold_compliance::report::Ropa) -> String {
    use herold_compliance::report;
    let tr = |key: &str| v.lang.t(key);
    shell(v.lang, &report::ropa_title(r, &tr), Some(v), report::ropa_body(r, &tr))
}

pub fn dsar(v: &Viewer<'_>, subject: &str, error: Option<&str>, erased: Option<&str>) -> String {
    let lang = v.lang;
    shell(
        lang,
        lang.t("subject_requests"),
        Some(v),
        html! {
            h1 { (lang.t("subject_requests")) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            @if let Some(done) = erased {
                h2 { (lang.t("erased_title")) }
                p role="status" { (lang.t("erased_text")) }
                pre { (done) }
            }
            p { (lang.t("dsar_intro")) }
            form method="post" action="/staff/dsar/export" {
                (v.csrf())
                p {
                    label for="subject" { (lang.t("person")) }
                    input id="subject" name="subject" value=(subject) required;
                }
                p {
                    button type="submit" name="format" value="json" { (lang.t("download_data")) }
                    " "
                    button type="submit" name="format" value="html" { (lang.t("download_summary")) }
                }
            }
            form method="post" action="/staff/dsar/erase" {
                (v.csrf())
                p {
                    label for="erase-subject" { (lang.t("person")) }
                    input id="erase-subject" name="subject" value=(subject) required;
                }
                p {
                    input id="confirm" type="checkbox" name="confirm" value="yes" required;
                    " "
                    label for="confirm" { (lang.t("confirm_identity")) }
                }
                p { button type="submit" { (lang.t("erase_data")) } }
            }
        },
    )
}
