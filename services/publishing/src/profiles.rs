//! Changing what an official account says about itself: an administrator proposes a name,
//! biography, fields, avatar and header; an approver (someone else, under four eyes)
//! applies it, and the account's followers receive the actor `Update`. A profile speaks for
//! the body as much as an announcement does, so it takes the same route.

use herold_domain::workflow::{Actor, ProfileStep};
use herold_domain::{AltText, Bio, DisplayName, ProfileFields};
use herold_store::{
    Account, AccountProfile, Audience, AuditEntry, MediaInfo, NewActivity, NewMedia, Priority,
    ProfileContent, ProfileProposal,
};
use serde_json::json;

use crate::editorial::{Editorial, StaffActor};
use crate::{media, PublishError};

/// Mastodon refuses avatars and headers larger than this (it does not scale remote ones
/// down first).
pub const MAX_PROFILE_IMAGE_BYTES: usize = 2 * 1024 * 1024;

/// What becomes of the avatar or the header.
#[derive(Debug, Clone)]
pub enum ImageChoice {
    /// The current one stays; with a description, that one replaces the current one.
    Keep(Option<String>),
    /// A new image, with its description.
    Replace {
        bytes: Vec<u8>,
        alt: String,
    },
    Remove,
}

/// A profile as someone wants it.
#[derive(Debug, Clone)]
pub struct ProfileRequest {
    pub name: DisplayName,
    pub bio: Option<Bio>,
    pub fields: ProfileFields,
    pub avatar: ImageChoice,
    pub header: ImageChoice,
    /// The accounts elsewhere that may move their followers here, as actor ids (see
    /// `Publisher::resolve_alias`); `None` keeps those of the profile.
    pub also_known_as: Option<Vec<String>>,
}

/// Why an address given as an account's former one was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasProblem {
    /// Neither `@name@server` nor an https address.
    NotAnAddress,
    /// Its server knows no such account.
    Unknown,
    /// Its server did not answer.
    Unreachable,
    /// Its server's TLS certificate is not trusted here.
    Untrusted,
    /// The address may not be contacted from here (a private network).
    NotAllowed,
    /// What the address gives is not an account.
    NotAnActor,
    /// An account of this server: a rename keeps the address, nothing needs to move.
    OwnServer,
}

impl AliasProblem {
    pub const ALL: [AliasProblem; 7] = [
        AliasProblem::NotAnAddress,
        AliasProblem::Unknown,
        AliasProblem::Unreachable,
        AliasProblem::Untrusted,
        AliasProblem::NotAllowed,
        AliasProblem::NotAnActor,
        AliasProblem::OwnServer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AliasProblem::NotAnAddress => "not_an_address",
            AliasProblem::Unknown => "unknown",
            AliasProblem::Unreachable => "unreachable",
            AliasProblem::Untrusted => "untrusted",
            AliasProblem::NotAllowed => "not_allowed",
            AliasProblem::NotAnActor => "not_an_actor",
            AliasProblem::OwnServer => "own_server",
        }
    }
}

impl crate::Publisher {
    /// The actor id of the account `address` names (`@name@server`, or an https address of
    /// the account, such as its profile page), as its own server gives it: an account
    /// elsewhere that moves its followers to one of Herold's.
    pub async fn resolve_alias(&self, address: &str) -> Result<String, AliasProblem> {
        const DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);
        let address = address.trim();
        let lookup = async {
            if address.contains("://") {
                let url = url::Url::parse(address).map_err(|_| AliasProblem::NotAnAddress)?;
                if url.origin() == self.urls.base().origin() {
                    return Err(AliasProblem::OwnServer);
                }
                self.fetcher.get_object(url.as_str()).await.map_err(alias_problem)
            } else {
                let (user, domain) = address
                    .trim_start_matches('@')
                    .split_once('@')
                    .filter(|(u, d)| !u.is_empty() && !d.is_empty() && !d.contains(['/', '@', ' ']))
                    .ok_or(AliasProblem::NotAnAddress)?;
                if domain.eq_ignore_ascii_case(&self.urls.host()) {
                    return Err(AliasProblem::OwnServer);
                }
                self.fetcher.resolve_acct(user, domain).await.map_err(alias_problem)
            }
        };
        let doc = tokio::time::timeout(DEADLINE, lookup).await.map_err(|_| AliasProblem::Unreachable)??;
        let actor = herold_federation::vocab::parse_actor(&doc, None, herold_domain::now_millis())
            .map_err(|_| AliasProblem::NotAnActor)?;
        Ok(actor.uri)
    }
}

fn alias_problem(e: herold_federation::FederationError) -> AliasProblem {
    use herold_federation::FederationError as F;
    match e {
        F::Gone(_) => AliasProblem::Unknown,
        F::Fetch(_) => AliasProblem::Unreachable,
        F::Refused(why) if why.contains("certificate") => AliasProblem::Untrusted,
        F::Refused(_) => AliasProblem::NotAllowed,
        _ => AliasProblem::NotAnActor,
    }
}

/// Who proposes: a member of staff, or the operator at the command line (whose proposal an
/// approver of the organisation applies like any other).
pub enum Proposer<'a> {
    Staff(&'a StaffActor),
    Operator,
}

/// An account's profile page in the workspace: the account as followers see it, and the
/// change waiting, if any.
pub struct ProfileState {
    pub account: Account,
    pub proposal: Option<ProfileProposal>,
    /// Whether someone other than the proposer must apply changes in this organisation.
    pub four_eyes: bool,
    /// What Herold last found at the pages its fields link to.
    pub links: Vec<herold_store::LinkCheckRecord>,
}

fn staff_actor(who: &StaffActor) -> Actor {
    Actor::Staff { id: who.id, roles: who.roles.clone() }
}

/// The image a choice leaves, and the new file to store for it.
fn choose(
    current: &Option<MediaInfo>,
    choice: ImageChoice,
    account_id: i64,
) -> Result<(Option<MediaInfo>, Option<NewMedia>), PublishError> {
    match choice {
        ImageChoice::Remove => Ok((None, None)),
        ImageChoice::Keep(alt) => match (current, alt) {
            (Some(m), Some(alt)) => {
                let alt = AltText::parse(&alt)?;
                Ok((Some(MediaInfo { alt_text: alt.as_str().to_owned(), ..m.clone() }), None))
            }
            (current, _) => Ok((current.clone(), None)),
        },
        ImageChoice::Replace { bytes, alt } => {
            let alt = AltText::parse(&alt)?;
            if bytes.len() > MAX_PROFILE_IMAGE_BYTES {
                return Err(PublishError::Incomplete(
                    "an avatar or header is at most 2 MiB, or Mastodon leaves it out",
                ));
            }
            let image = media::clean(&bytes).map_err(PublishError::Media)?;
            let info = MediaInfo {
                public_id: uuid::Uuid::new_v4().to_string(),
                content_type: image.content_type.to_owned(),
                width: i64::from(image.width),
                height: i64::from(image.height),
                alt_text: alt.as_str().to_owned(),
            };
            let new = NewMedia { info: info.clone(), account_id, bytes: image.bytes };
            Ok((Some(info), Some(new)))
        }
    }
}

impl Editorial {
    /// The profile of an account of the person's organisation, for its administrators and
    /// approvers.
    pub async fn profile(&self, who: &StaffActor, username: &str) -> Result<ProfileState, PublishError> {
        if !who.roles.has(herold_domain::workflow::Role::OrgAdmin)
            && !who.roles.has(herold_domain::workflow::Role::Approver)
        {
            return Err(PublishError::Forbidden("this needs the org-admin role"));
        }
        let account = self.account(&who.org, username).await?;
        let proposal = self.store().profile_proposal(account.id, self.rules().visibility()).await?;
        let four_eyes = self.rules().four_eyes_for_profiles(&who.org);
        let links = self.store().link_checks(account.id).await?;
        Ok(ProfileState { account, proposal, four_eyes, links })
    }

    /// The profile changes waiting in the person's organisation.
    pub async fn profile_proposals(&self, who: &StaffActor) -> Result<Vec<ProfileProposal>, PublishError> {
        Ok(self.store().profile_proposals(&who.org, self.rules().visibility()).await?)
    }

    /// Proposes a profile for an account (replacing a proposal that waits): images are
    /// cleaned of their metadata and need a description, as on announcements.
    pub async fn propose_profile(
        &self,
        by: Proposer<'_>,
        username: &str,
        request: ProfileRequest,
    ) -> Result<ProfileProposal, PublishError> {
        let (account, proposed_by, audit_name) = match by {
            Proposer::Staff(who) => {
                ProfileStep::Propose.check(&staff_actor(who), None, true)?;
                (self.account(&who.org, username).await?, Some(who.id), herold_store::staff_actor(who.id))
            }
            Proposer::Operator => {
                let account = self
                    .store()
                    .account_by_username(username)
                    .await?
                    .filter(|a| a.username != crate::TRANSPARENCY_ACCOUNT)
                    .ok_or_else(|| PublishError::UnknownAccount(username.to_owned()))?;
                (account, None, "operator".to_owned())
            }
        };
        // A new proposal builds on the one waiting, so that its images are not lost when
        // only the words change again.
        let waiting = self.store().profile_proposal(account.id, self.rules().visibility()).await?;
        let current = waiting.as_ref().map_or(&account.profile, |p| &p.content.profile);
        let (avatar, new_avatar) = choose(&current.avatar, request.avatar, account.id)?;
        let (header, new_header) = choose(&current.header, request.header, account.id)?;
        let content = ProfileContent {
            display_name: request.name.as_str().to_owned(),
            summary: request.bio.map(|b| b.as_str().to_owned()),
            profile: AccountProfile {
                fields: request.fields.into_vec(),
                avatar,
                header,
                also_known_as: request.also_known_as.unwrap_or_else(|| current.also_known_as.clone()),
            },
        };
        let public_id = uuid::Uuid::new_v4().to_string();
        let audit = AuditEntry::new(&audit_name, "profile.propose", format!("account:{}", account.username))
            .in_org(&account.org_slug)
            .with_detail(json!({ "proposal": public_id, "profile": profile_detail(&content) }));
        let proposal = ProfileProposal {
            public_id,
            account_id: account.id,
            username: account.username.clone(),
            org_slug: account.org_slug.clone(),
            content,
            proposed_by,
            proposer_name: None,
            created_at: 0,
        };
        let media = new_avatar.into_iter().chain(new_header).collect();
        Ok(self.store().propose_profile(proposal, media, audit).await?)
    }

    /// Applies the proposal the approver saw (`proposal_id`): the account changes and its
    /// followers receive the actor `Update`, in one transaction with the audit entry.
    pub async fn apply_profile(
        &self,
        who: &StaffActor,
        username: &str,
        proposal_id: &str,
    ) -> Result<Account, PublishError> {
        let state = self.profile(who, username).await?;
        let proposal = waiting(&state, proposal_id)?;
        ProfileStep::Apply.check(&staff_actor(who), proposal.proposed_by, state.four_eyes)?;
        let account = Account {
            display_name: proposal.content.display_name.clone(),
            summary: proposal.content.summary.clone(),
            profile: proposal.content.profile.clone(),
            ..state.account.clone()
        };
        let update = self.publisher().actor_update(&account);
        let audit = AuditEntry::new(
            &herold_store::staff_actor(who.id),
            "profile.apply",
            format!("account:{}", account.username),
        )
        .in_org(&account.org_slug)
        .with_detail(json!({
            "proposal": proposal.public_id,
            "proposed_by": proposal.proposed_by.map(herold_store::staff_actor),
            "profile": profile_detail(&proposal.content),
        }));
        Ok(self.store().apply_profile(&proposal.public_id, update, audit).await?)
    }

    /// Rejects a proposal (an approver, with the reason) or withdraws one's own.
    pub async fn reject_profile(
        &self,
        who: &StaffActor,
        username: &str,
        proposal_id: &str,
        reason: &str,
    ) -> Result<(), PublishError> {
        let state = self.profile(who, username).await?;
        let proposal = waiting(&state, proposal_id)?;
        let own = proposal.proposed_by == Some(who.id);
        let step = if own { ProfileStep::Withdraw } else { ProfileStep::Reject };
        step.check(&staff_actor(who), proposal.proposed_by, state.four_eyes)?;
        let reason = reason.trim();
        if !own && reason.is_empty() {
            return Err(PublishError::Incomplete("say why it is rejected, so that the author can fix it"));
        }
        let action = if own { "profile.withdraw" } else { "profile.reject" };
        let audit = AuditEntry::new(
            &herold_store::staff_actor(who.id),
            action,
            format!("account:{}", state.account.username),
        )
        .in_org(&state.account.org_slug)
        .with_detail(json!({
            "proposal": proposal.public_id,
            "proposed_by": proposal.proposed_by.map(herold_store::staff_actor),
            "reason": reason,
        }));
        Ok(self.store().discard_profile(&proposal.public_id, audit).await?)
    }
}

/// The proposal waiting, if it is the one the person saw; another (a newer proposal) must
/// be looked at first.
fn waiting<'a>(state: &'a ProfileState, proposal_id: &str) -> Result<&'a ProfileProposal, PublishError> {
    state
        .proposal
        .as_ref()
        .filter(|p| p.public_id == proposal_id)
        .ok_or(PublishError::Incomplete("this change no longer waits: look at the profile page again"))
}

/// What the audit trail keeps of a profile: every word, and which images.
fn profile_detail(content: &ProfileContent) -> serde_json::Value {
    json!({
        "display_name": content.display_name,
        "summary": content.summary,
        "fields": content.profile.fields,
        "avatar": content.profile.avatar.as_ref().map(|m| json!({ "image": m.public_id, "alt_text": m.alt_text })),
        "header": content.profile.header.as_ref().map(|m| json!({ "image": m.public_id, "alt_text": m.alt_text })),
        "also_known_as": content.profile.also_known_as,
    })
}

/// The activity that tells followers an account changed (its profile or its keys).
pub(crate) fn update_activity(account: &Account, uri: String, body: serde_json::Value) -> NewActivity {
    NewActivity {
        signer: None,
        uri,
        kind: "Update".into(),
        account_id: Some(account.id),
        body: body.to_string(),
        audience: Audience::Followers { account_id: account.id, mentioned: Vec::new() },
        priority: Priority::Routine,
    }
}
