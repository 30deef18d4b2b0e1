//! The operator's view of the delivery queue.

use herold_store::{DeliveryStats, QueueDepth};

use super::workflow::delivery_problem;
use super::*;

pub struct DeliveriesPage<'a> {
    pub stats: &'a DeliveryStats,
    pub depth: &'a QueueDepth,
    /// How long Herold keeps trying a server, in hours.
    pub horizon_hours: u64,
    /// A refused action: the server it was for, and why.
    pub error: Option<(&'a str, &'a str)>,
}

pub fn deliveries(v: &Viewer<'_>, p: DeliveriesPage<'_>) -> String {
    let lang = v.lang;
    let s = p.stats;
    shell(
        lang,
        lang.t("deliveries_queue"),
        Some(v),
        html! {
            h1 { (lang.t("deliveries_queue")) }
            p.help { (lang.t("deliveries_queue_help").replace("{hours}", &p.horizon_hours.to_string())) }
            @if let Some((host, why)) = p.error { p.error role="alert" { (host) ": " (why) } }
            ul.inline aria-label=(lang.t("deliveries")) {
                li { (lang.t("delivered")) ": " strong { (s.delivered) } }
                li { (lang.t("pending")) ": " strong { (s.pending) } }
                li { (lang.t("retrying")) ": " strong { (s.retrying) } }
                li { (lang.t("failed")) ": " strong { (s.dead) } }
            }
            p {
                (lang.t("deliveries_breakers").replace("{open}", &p.depth.open_breakers.to_string())
                    .replace("{failing}", &p.depth.failing_hosts.to_string()))
            }
            h2 { (lang.t("failing_hosts")) }
            @if s.failing_hosts.is_empty() {
                p role="status" { (lang.t("deliveries_none_failing")) }
            }
            @for h in &s.failing_hosts {
                section.host aria-labelledby={ "host-" (h.host) } {
                    h3 id={ "host-" (h.host) } { (h.host) }
                    p {
                        (h.undelivered) " " (lang.t("undelivered")) ", "
                        (lang.t("deliveries_failures_in_a_row").replace("{n}", &h.consecutive_failures.to_string()))
                        @if let Some(e) = &h.last_error { ". " (lang.t(delivery_problem(e))) }
                    }
                    @if let Some(e) = &h.last_error {
                        details { summary { (lang.t("technical_detail")) } code { (e) } }
                    }
                    form method="post" action="/staff/deliveries" {
                        (v.csrf())
                        input type="hidden" name="host" value=(h.host);
                        p {
                            label for={ "reason-" (h.host) } { (lang.t("relay_reason")) }
                            textarea id={ "reason-" (h.host) } name="reason" rows="2" required aria-describedby={ "reason-help-" (h.host) } {}
                            span.help id={ "reason-help-" (h.host) } { (lang.t("deliveries_actions_help")) }
                        }
                        p {
                            button type="submit" name="action" value="requeue" { (lang.t("deliveries_requeue")) }
                            " "
                            button.destructive type="submit" name="action" value="give_up" { (lang.t("deliveries_give_up")) }
                        }
                    }
                }
            }
        },
    )
}
