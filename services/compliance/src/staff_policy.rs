//! The staff side of an organisation's policy file: how its people sign in (`[sign_in]`)
//! and its editorial rules (`[workflow]`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use herold_domain::dialogue::DialoguePolicy;
use herold_domain::workflow::Role;
use herold_domain::TextTemplate;
use serde::{Deserialize, Serialize};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSignIn {
    issuer: Spanned<String>,
    discovery_url: Option<Spanned<String>>,
    client_id: String,
    client_secret_file: Option<Spanned<PathBuf>>,
    client_secret_env: Option<Spanned<String>>,
    #[serde(default)]
    extra_scopes: Vec<String>,
    roles_claim: Option<String>,
    roles: BTreeMap<Spanned<String>, Vec<String>>,
    idle_timeout: Option<Spanned<String>>,
    absolute_timeout: Option<Spanned<String>>,
    #[serde(default)]
    shared_groups: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawApi {
    audience: Option<String>,
    clients: BTreeMap<String, Vec<Spanned<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorkflow {
    four_eyes: Option<bool>,
    #[serde(default)]
    four_eyes_exempt_accounts: Vec<String>,
    four_eyes_profiles: Option<bool>,
    four_eyes_answers: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDialogue {
    answer_within: Option<Spanned<String>>,
    #[serde(default)]
    templates: Vec<RawTemplate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTemplate {
    name: Spanned<String>,
    text: Spanned<String>,
}

/// Where the client secret comes from; it never sits in the policy file itself, which is
/// meant to be kept in version control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SecretSource {
    File(PathBuf),
    Env(String),
    /// A public client, protected by PKCE alone.
    None,
}

/// How an organisation's staff sign in: its OpenID provider and how its claims map to roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignInPolicy {
    pub issuer: String,
    /// Where Herold itself reads the provider's metadata, when that differs from where
    /// browsers reach it (a provider inside a container network); the document must still
    /// name `issuer`.
    pub discovery_url: Option<String>,
    pub client_id: String,
    pub client_secret: SecretSource,
    /// Requested besides `openid profile email`.
    pub extra_scopes: Vec<String>,
    /// Dotted path to the claim holding group or role names, e.g. `realm_access.roles`.
    pub roles_claim: String,
    /// For each role, the claim values that grant it.
    pub roles: BTreeMap<Role, Vec<String>>,
    pub idle_timeout_ms: i64,
    pub absolute_timeout_ms: i64,
    /// The organisation knowingly shares claim values with others at the same provider (the
    /// same people act for both, such as the operator's staff); otherwise a shared value is
    /// refused, since it would let a person of one body act for another.
    pub shared_groups: bool,
}

impl SignInPolicy {
    /// The roles a set of claim values grants.
    pub fn roles_for<'a>(&self, values: impl IntoIterator<Item = &'a str> + Clone) -> Vec<Role> {
        self.roles
            .iter()
            .filter(|(_, wanted)| values.clone().into_iter().any(|v| wanted.iter().any(|w| w == v)))
            .map(|(role, _)| *role)
            .collect()
    }
}

/// Which of the provider's clients (a content-management system, say) may use Herold's API
/// for the organisation, and with which roles. Tokens come from the same provider as
/// `[sign_in]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiPolicy {
    /// The `aud` the access tokens must carry; `None`: `<public_url>/api`.
    pub audience: Option<String>,
    pub clients: BTreeMap<String, Vec<Role>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowPolicy {
    pub four_eyes: bool,
    /// Accounts whose drafts an approver may approve alone (e.g. urgent warnings).
    pub four_eyes_exempt_accounts: Vec<String>,
    /// Whether someone other than its proposer applies a change of an account's profile
    /// (default: as `four_eyes`).
    pub four_eyes_profiles: bool,
    /// Whether someone other than its author approves an answer to a citizen (default: as
    /// `four_eyes`); an approver may approve their own answers when it is off.
    pub four_eyes_answers: bool,
}

impl Default for WorkflowPolicy {
    fn default() -> Self {
        WorkflowPolicy {
            four_eyes: true,
            four_eyes_exempt_accounts: Vec::new(),
            four_eyes_profiles: true,
            four_eyes_answers: true,
        }
    }
}

impl WorkflowPolicy {
    /// Whether a second person approves a draft of the account (`answer`: one that answers
    /// a citizen).
    pub fn four_eyes_for(&self, account: &str, answer: bool) -> bool {
        let rule = if answer { self.four_eyes_answers } else { self.four_eyes };
        rule && !self.four_eyes_exempt_accounts.iter().any(|a| a == account)
    }
}

const DEFAULT_IDLE_MS: i64 = 30 * 60_000;
const DEFAULT_ABSOLUTE_MS: i64 = 10 * 3_600_000;

/// Checks `[sign_in]`. `err(span, message)` makes the caller's error pointing at the line
/// (the policy file's), so this module needs nothing from the loader.
pub(crate) fn sign_in<E>(
    raw: RawSignIn,
    err: &dyn Fn(std::ops::Range<usize>, String) -> E,
    duration: &dyn Fn(&Spanned<String>) -> Result<i64, E>,
) -> Result<SignInPolicy, E> {
    let issuer = raw.issuer.get_ref();
    match url::Url::parse(issuer) {
        Ok(u) if u.scheme() == "https" => {}
        Ok(u)
            if u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) => {}
        _ => {
            return Err(err(
                raw.issuer.span(),
                format!(
                    "issuer {issuer:?} must be an https:// URL (http:// only for a provider on this machine)"
                ),
            ))
        }
    }
    let discovery_url = match raw.discovery_url {
        Some(url) => match url::Url::parse(url.get_ref()) {
            Ok(u) if matches!(u.scheme(), "https" | "http") => Some(url.into_inner()),
            _ => {
                return Err(err(
                    url.span(),
                    format!("discovery_url {:?} must be an http(s) URL", url.get_ref()),
                ))
            }
        },
        None => None,
    };
    let client_secret = match (raw.client_secret_file, raw.client_secret_env) {
        (Some(_), Some(env)) => {
            return Err(err(env.span(), "set client_secret_file or client_secret_env, not both".into()))
        }
        (Some(file), None) => SecretSource::File(file.into_inner()),
        (None, Some(env)) => SecretSource::Env(env.into_inner()),
        (None, None) => SecretSource::None,
    };
    let mut roles = BTreeMap::new();
    for (name, values) in raw.roles {
        let role = Role::parse(name.get_ref()).ok_or_else(|| {
            err(
                name.span(),
                format!("unknown role {:?}: use author, approver, org-admin or auditor", name.get_ref()),
            )
        })?;
        roles.insert(role, values);
    }
    if roles.is_empty() {
        return Err(err(
            0..0,
            "[sign_in.roles] maps no role: nobody could sign in; add e.g. author = [\"press\"]".into(),
        ));
    }
    let idle_timeout_ms = raw.idle_timeout.as_ref().map(duration).transpose()?.unwrap_or(DEFAULT_IDLE_MS);
    let absolute_timeout_ms =
        raw.absolute_timeout.as_ref().map(duration).transpose()?.unwrap_or(DEFAULT_ABSOLUTE_MS);
    if idle_timeout_ms > absolute_timeout_ms {
        let span = raw.idle_timeout.map(|s| s.span()).unwrap_or(0..0);
        return Err(err(span, "idle_timeout is longer than absolute_timeout; shorten it".into()));
    }
    Ok(SignInPolicy {
        // Kept exactly: the `iss` claim must equal it character for character.
        issuer: issuer.clone(),
        discovery_url,
        client_id: raw.client_id,
        client_secret,
        extra_scopes: raw.extra_scopes,
        roles_claim: raw.roles_claim.unwrap_or_else(|| "groups".into()),
        roles,
        idle_timeout_ms,
        absolute_timeout_ms,
        shared_groups: raw.shared_groups,
    })
}

/// Checks `[api]`: known roles, and a `[sign_in]` whose provider issues the tokens.
pub(crate) fn api<E>(
    raw: RawApi,
    has_sign_in: bool,
    err: &dyn Fn(std::ops::Range<usize>, String) -> E,
) -> Result<ApiPolicy, E> {
    if !has_sign_in {
        return Err(err(0..0, "[api] needs [sign_in]: its provider issues the API's tokens".into()));
    }
    let mut clients = BTreeMap::new();
    for (client, names) in raw.clients {
        let mut roles = Vec::new();
        for name in names {
            let role = Role::parse(name.get_ref()).ok_or_else(|| {
                err(
                    name.span(),
                    format!("unknown role {:?}: use author, approver, org-admin or auditor", name.get_ref()),
                )
            })?;
            roles.push(role);
        }
        clients.insert(client, roles);
    }
    Ok(ApiPolicy { audience: raw.audience, clients })
}

pub(crate) fn workflow(raw: RawWorkflow) -> WorkflowPolicy {
    let four_eyes = raw.four_eyes.unwrap_or(true);
    WorkflowPolicy {
        four_eyes,
        four_eyes_exempt_accounts: raw.four_eyes_exempt_accounts,
        four_eyes_profiles: raw.four_eyes_profiles.unwrap_or(four_eyes),
        four_eyes_answers: raw.four_eyes_answers.unwrap_or(four_eyes),
    }
}

/// The longest text a template may hold: an announcement's own limit.
const TEMPLATE_MAX_CHARS: usize = 5_000;
const TEMPLATES_MAX: usize = 50;

/// Checks `[dialogue]`: a deadline between a minute and a year, and its templates.
pub(crate) fn dialogue<E>(
    raw: RawDialogue,
    err: &dyn Fn(std::ops::Range<usize>, String) -> E,
    duration: &dyn Fn(&Spanned<String>) -> Result<i64, E>,
) -> Result<DialoguePolicy, E> {
    let mut policy = DialoguePolicy::default();
    if let Some(within) = raw.answer_within {
        let ms = duration(&within)?;
        if !(60_000..=365 * 86_400_000).contains(&ms) {
            return Err(err(
                within.span(),
                format!("answer_within = {:?}: give between \"1m\" and \"365d\"", within.get_ref()),
            ));
        }
        policy.answer_within = ms;
    }
    policy.templates = templates(raw.templates, err)?;
    Ok(policy)
}

/// Checks a list of templates: a short name of its own each, and a text.
pub(crate) fn templates<E>(
    raw: Vec<RawTemplate>,
    err: &dyn Fn(std::ops::Range<usize>, String) -> E,
) -> Result<Vec<TextTemplate>, E> {
    if raw.len() > TEMPLATES_MAX {
        let span = raw[TEMPLATES_MAX].name.span();
        return Err(err(span, format!("at most {TEMPLATES_MAX} templates")));
    }
    let mut checked: Vec<TextTemplate> = Vec::new();
    for t in raw {
        let name = t.name.get_ref().trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(err(t.name.span(), "a template's name: 1 to 60 characters".to_owned()));
        }
        if TextTemplate::find(&checked, name).is_some() {
            return Err(err(
                t.name.span(),
                format!("a second template named {name:?}: give each its own name"),
            ));
        }
        let text = t.text.get_ref().trim();
        if text.is_empty() || text.chars().count() > TEMPLATE_MAX_CHARS {
            return Err(err(
                t.text.span(),
                format!("the text of template {name:?}: 1 to {TEMPLATE_MAX_CHARS} characters"),
            ));
        }
        checked.push(TextTemplate { name: name.to_owned(), text: text.to_owned() });
    }
    Ok(checked)
}
