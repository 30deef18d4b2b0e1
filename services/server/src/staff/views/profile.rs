//! An official account's profile in the workspace: how followers see it, the change waiting
//! for a second person (with what it changes), and the form that proposes one.

use herold_domain::workflow::Role;
use herold_publishing::profiles::ProfileState;
use herold_store::{MediaInfo, ProfileContent};
use maud::{html, Markup, PreEscaped};

use herold_federation::links::LinkProblem;
use herold_publishing::pages::Verified;

use super::workflow::diff_markup;
use super::{person, shell, Viewer};

/// What the form shows: what was typed (after a refusal), else the change waiting, else the
/// profile as it is.
pub struct ProfileForm {
    pub name: String,
    pub bio: String,
    pub fields: Vec<(String, String)>,
    pub avatar_alt: String,
    pub header_alt: String,
    /// The former account elsewhere, as typed or as its actor id.
    pub moved_from: String,
}

impl ProfileForm {
    pub fn of(content: &ProfileContent) -> ProfileForm {
        let alt = |m: &Option<MediaInfo>| m.as_ref().map(|m| m.alt_text.clone()).unwrap_or_default();
        ProfileForm {
            name: content.display_name.clone(),
            bio: content.summary.clone().unwrap_or_default(),
            fields: content.profile.fields.iter().map(|f| (f.name.clone(), f.value.clone())).collect(),
            avatar_alt: alt(&content.profile.avatar),
            header_alt: alt(&content.profile.header),
            moved_from: ProfileForm::moved_from_of(&content.profile),
        }
    }

    pub fn moved_from_of(profile: &herold_store::AccountProfile) -> String {
        profile.also_known_as.first().cloned().unwrap_or_default()
    }
}

pub struct ProfilePage<'a> {
    pub state: &'a ProfileState,
    pub host: &'a str,
    /// The fields Herold adds (organisation, legal pages): name and address or text.
    pub added_fields: &'a [(String, String)],
    /// The account's address, which a website links back to.
    pub actor: &'a str,
    /// The websites the organisation's policy lets credit the account in link previews.
    pub attribution_domains: &'a [String],
    pub form: ProfileForm,
    pub error: Option<&'a str>,
}

fn content_of(state: &ProfileState) -> ProfileContent {
    ProfileContent {
        display_name: state.account.display_name.clone(),
        summary: state.account.summary.clone(),
        profile: state.account.profile.clone(),
    }
}

/// A profile as a follower's server shows it: header, avatar, name, biography and fields.
fn card(
    v: &Viewer<'_>,
    handle: &str,
    content: &ProfileContent,
    added: &[(String, String)],
    verified: &[String],
) -> Markup {
    let lang = v.lang;
    let p = &content.profile;
    html! {
        div.profile-card {
            @if let Some(h) = &p.header {
                img.profile-header src={ "/media/" (h.public_id) } alt=(h.alt_text) width=(h.width) height=(h.height);
            }
            div.profile-head {
                @if let Some(a) = &p.avatar {
                    img.avatar src={ "/media/" (a.public_id) } alt=(a.alt_text) width="96" height="96";
                } @else {
                    span.avatar.avatar-none { (lang.t("profile_no_avatar")) }
                }
                p { strong { (content.display_name) } br; span.handle { (handle) } }
            }
            @if let Some(bio) = &content.summary {
                div.bio { (PreEscaped(herold_federation::vocab::bio_html(bio))) }
            } @else {
                p.note { (lang.t("profile_no_bio")) }
            }
            (herold_publishing::pages::profile_fields(&p.fields, added, Verified { urls: verified, label: lang.t("pub_link_verified") }))
        }
    }
}

/// What a waiting change changes, item by item; what stays is not repeated.
fn changes(v: &Viewer<'_>, before: &ProfileContent, after: &ProfileContent) -> Markup {
    let lang = v.lang;
    let words = |a: &str, b: &str| diff_markup(v, &herold_publishing::diff::words(a, b));
    let image = |label: &str, old: &Option<MediaInfo>, new: &Option<MediaInfo>| -> Markup {
        html! {
            @if old != new {
                div {
                    dt { (label) }
                    dd {
                        @match new {
                            Some(m) => {
                                img.thumbnail src={ "/media/" (m.public_id) } alt="" width=(m.width) height=(m.height);
                                " " strong { (lang.t("image_description")) ": " } (m.alt_text)
                            }
                            None => (lang.t("profile_image_removed")),
                        }
                    }
                }
            }
        }
    };
    html! {
        dl.changes {
            @if before.display_name != after.display_name {
                div { dt { (lang.t("display_name")) } dd { (words(&before.display_name, &after.display_name)) } }
            }
            @if before.summary != after.summary {
                div {
                    dt { (lang.t("profile_bio")) }
                    dd { (words(before.summary.as_deref().unwrap_or(""), after.summary.as_deref().unwrap_or(""))) }
                }
            }
            @if before.profile.fields != after.profile.fields {
                div {
                    dt { (lang.t("profile_fields")) }
                    dd {
                        @if after.profile.fields.is_empty() { (lang.t("profile_fields_none")) }
                        ul {
                            @for f in &after.profile.fields { li { strong { (f.name) } ": " (f.value) } }
                        }
                    }
                }
            }
            @if before.profile.also_known_as != after.profile.also_known_as {
                div {
                    dt { (lang.t("profile_moved_from")) }
                    dd {
                        @match after.profile.also_known_as.first() {
                            Some(old) => code { (old) },
                            None => (lang.t("profile_fields_none")),
                        }
                    }
                }
            }
            (image(lang.t("profile_avatar"), &before.profile.avatar, &after.profile.avatar))
            (image(lang.t("profile_header"), &before.profile.header, &after.profile.header))
        }
    }
}

/// The file, description and removal of the avatar or the header.
fn image_inputs(v: &Viewer<'_>, key: &str, label: &str, current: &Option<MediaInfo>, alt: &str) -> Markup {
    let lang = v.lang;
    html! {
        fieldset {
            legend { (label) }
            @if let Some(m) = current {
                p { img.thumbnail src={ "/media/" (m.public_id) } alt="" width=(m.width) height=(m.height); }
            }
            p {
                label for={ (key) "-file" } { (lang.t(if current.is_some() { "profile_image_replace" } else { "image_file" })) }
                input id={ (key) "-file" } type="file" name=(key) accept="image/jpeg,image/png" aria-describedby={ (key) "-file-help" };
                span.help id={ (key) "-file-help" } { (lang.t(&format!("profile_{key}_help"))) }
            }
            p {
                label for={ (key) "-alt" } { (lang.t("profile_alt")) }
                textarea id={ (key) "-alt" } name={ (key) "_alt" } rows="2" maxlength="1500" aria-describedby={ (key) "-alt-help" } { (alt) }
                span.help id={ (key) "-alt-help" } { (lang.t("profile_alt_help")) }
            }
            @if current.is_some() {
                p.check {
                    input id={ (key) "-remove" } type="checkbox" name={ (key) "_remove" } value="1";
                    label for={ (key) "-remove" } { (lang.t("profile_image_remove")) }
                }
            }
        }
    }
}

fn problem_text(v: &Viewer<'_>, problem: LinkProblem) -> String {
    match problem {
        LinkProblem::Status(status) => {
            v.lang.t("links_problem_status").replace("{status}", &status.to_string())
        }
        other => v.lang.t(&format!("links_problem_{}", other.code())).to_owned(),
    }
}

/// Each website the profile links to, whether it was found to link back, and what to place
/// on it so that it does.
fn links(v: &Viewer<'_>, p: &ProfilePage<'_>, handle: &str) -> Markup {
    let lang = v.lang;
    let own: Vec<_> = p.state.account.profile.fields.iter().filter_map(|f| Some((f, f.link()?))).collect();
    let link_back = format!("<a rel=\"me\" href=\"{}\">Mastodon</a>", p.actor);
    let creator = format!("<meta name=\"fediverse:creator\" content=\"{handle}\">");
    html! {
        section aria-labelledby="links" {
            h2 id="links" { (lang.t("links_title")) }
            @if own.is_empty() {
                p { (lang.t("links_none")) }
            } @else {
                ul.link-checks {
                    @for (field, url) in &own {
                        @let check = p.state.links.iter().find(|c| c.url == url.as_str());
                        li {
                            strong { (field.name) } ": "
                            a href=(url.as_str()) { (herold_federation::vocab::shown_address(url)) }
                            br;
                            @match check {
                                None => (lang.t("links_unchecked")),
                                Some(c) if c.verified => { strong { "✓ " (lang.t("links_verified")) } " " (lang.t("links_checked")) " " (v.when(c.checked_at)) "." },
                                Some(c) => {
                                    strong { (lang.t(if c.problem.is_some() { "links_unreachable" } else { "links_not_linked" })) }
                                    @if let Some(problem) = c.problem.as_deref().and_then(LinkProblem::from_code) { ": " (problem_text(v, problem)) }
                                    " " (lang.t("links_checked")) " " (v.when(c.checked_at)) "."
                                }
                            }
                            @if !p.attribution_domains.iter().any(|d| Some(d.as_str()) == url.host_str()) {
                                br; (lang.t("links_not_attributed")) " " code { "attribution_domains = [\"" (url.host_str().unwrap_or_default()) "\"]" }
                            }
                        }
                    }
                }
            }
            p { (lang.t("links_snippet_help")) }
            pre { code { (link_back) } }
            p { (lang.t("links_creator_help")) }
            pre { code { (creator) } }
            p.help { (lang.t("links_schedule_help")) }
            h3 { (lang.t("embed_title")) }
            p { (lang.t("embed_help")) }
            pre { code { (format!(
                "<iframe src=\"{}/embed\" title=\"{}\" width=\"100%\" height=\"600\" loading=\"lazy\"></iframe>",
                p.actor,
                p.state.account.display_name.replace('"', "&quot;")
            )) } }
            p.help {
                @if p.attribution_domains.is_empty() {
                    (lang.t("embed_nowhere"))
                } @else {
                    (lang.t("embed_where")) " " (p.attribution_domains.join(", "))
                }
            }
        }
    }
}

pub fn profile(v: &Viewer<'_>, p: ProfilePage<'_>) -> String {
    let lang = v.lang;
    let account = &p.state.account;
    let handle = format!("@{}@{}", account.username, p.host);
    let current = content_of(p.state);
    let base = p.state.proposal.as_ref().map_or(&current, |w| &w.content);
    let form = &p.form;
    let title = format!("{} {handle}", lang.t("profile_of"));
    let verified: Vec<String> = p.state.links.iter().filter(|c| c.verified).map(|c| c.url.clone()).collect();
    shell(
        lang,
        &title,
        Some(v),
        html! {
            h1 { (lang.t("profile_of")) " " span.handle { (handle) } }
            @if let Some(e) = p.error { p.error role="alert" { (e) } }
            @if let Some(w) = &p.state.proposal {
                @let own = w.proposed_by == Some(v.session.staff.id);
                @let by = w.proposer_name.as_deref().map_or(lang.t("the_operator"), |n| person(lang, n));
                section.waiting aria-labelledby="waiting" {
                    h2 id="waiting" { (lang.t("profile_waiting")) }
                    p { (lang.t("proposed_by")) " " (by) ", " (v.when(w.created_at)) "." }
                    (changes(v, &current, &w.content))
                    h3 { (lang.t("profile_after")) }
                    (card(v, &handle, &w.content, p.added_fields, &[]))
                    div.actions {
                        @if v.has(Role::Approver) && !(own && p.state.four_eyes) {
                            form method="post" action={ "/staff/accounts/" (account.username) "/profile/" (w.public_id) "/apply" } {
                                (v.csrf())
                                p.help { (lang.t("profile_apply_help")) }
                                p { button.primary type="submit" { (lang.t("profile_apply")) } }
                            }
                        } @else if own && p.state.four_eyes {
                            p.note { (lang.t("profile_four_eyes_note")) }
                        }
                        @if own {
                            form method="post" action={ "/staff/accounts/" (account.username) "/profile/" (w.public_id) "/reject" } {
                                (v.csrf())
                                input type="hidden" name="reason" value="";
                                p { button type="submit" { (lang.t("profile_withdraw")) } }
                            }
                        } @else if v.has(Role::Approver) {
                            form method="post" action={ "/staff/accounts/" (account.username) "/profile/" (w.public_id) "/reject" } {
                                (v.csrf())
                                p {
                                    label for="reason" { (lang.t("reject_comment")) }
                                    textarea id="reason" name="reason" rows="3" required {}
                                }
                                p { button type="submit" { (lang.t("reject")) } }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="now" {
                h2 id="now" { (lang.t("profile_now")) }
                (card(v, &handle, &current, p.added_fields, &verified))
                p { a href={ "/users/" (account.username) } { (lang.t("profile_public_page")) } }
                p.help { (lang.t("profile_added_fields_help")) }
            }
            (links(v, &p, &handle))
            @if v.has(Role::OrgAdmin) {
                section aria-labelledby="edit" {
                    h2 id="edit" { (lang.t(if p.state.proposal.is_some() { "profile_edit_waiting" } else { "profile_edit" })) }
                    p.help { (lang.t(if p.state.four_eyes { "profile_edit_help_four_eyes" } else { "profile_edit_help" })) }
                    form method="post" enctype="multipart/form-data" action={ "/staff/accounts/" (account.username) "/profile" } {
                        (v.csrf())
                        p { label for="name" { (lang.t("display_name")) } input id="name" name="name" value=(form.name) required maxlength="100"; }
                        p {
                            label for="bio" { (lang.t("profile_bio")) }
                            textarea id="bio" name="bio" rows="4" maxlength="500" aria-describedby="bio-help" { (form.bio) }
                            span.help id="bio-help" { (lang.t("profile_bio_help")) }
                        }
                        fieldset {
                            legend { (lang.t("profile_fields")) }
                            p.help id="fields-help" { (lang.t("profile_fields_help")) }
                            @for i in 0..herold_domain::ProfileFields::MAX {
                                @let (name, value) = form.fields.get(i).cloned().unwrap_or_default();
                                div.field-row {
                                    p {
                                        label for={ "field-name-" (i) } { (lang.t("profile_field_name").replace("{n}", &(i + 1).to_string())) }
                                        input id={ "field-name-" (i) } name={ "field_name_" (i) } value=(name) maxlength="255";
                                    }
                                    p {
                                        label for={ "field-value-" (i) } { (lang.t("profile_field_value").replace("{n}", &(i + 1).to_string())) }
                                        input id={ "field-value-" (i) } name={ "field_value_" (i) } value=(value) maxlength="255" aria-describedby="fields-help";
                                    }
                                }
                            }
                        }
                        p {
                            label for="moved-from" { (lang.t("profile_moved_from")) }
                            input id="moved-from" name="moved_from" value=(form.moved_from) maxlength="500"
                                spellcheck="false" autocapitalize="none" aria-describedby="moved-from-help";
                            span.help id="moved-from-help" { (lang.t("profile_moved_from_help")) }
                        }
                        (image_inputs(v, "avatar", lang.t("profile_avatar"), &base.profile.avatar, &form.avatar_alt))
                        (image_inputs(v, "header", lang.t("profile_header"), &base.profile.header, &form.header_alt))
                        p { button.primary type="submit" { (lang.t("profile_propose")) } }
                    }
                }
            }
        },
    )
}
