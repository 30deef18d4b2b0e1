//! Staff roles and the editorial workflow: one state machine for every submission.
//!
//! A `Transition` can only be made by [`Transition::new`], which checks the move, the
//! person's roles and the four-eyes rule; the store accepts nothing else, so an illegal
//! transition cannot reach the database.

use std::collections::BTreeSet;
use std::fmt;

/// What a member of staff may do, as mapped from their provider's claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Writes drafts.
    Author,
    /// Approves or rejects other people's drafts; retracts.
    Approver,
    /// Manages the organisation's accounts and settings.
    OrgAdmin,
    /// The data-protection officer: reads the audit trail, reports and subject requests.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Author, Role::Approver, Role::OrgAdmin, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Author => "author",
            Role::Approver => "approver",
            Role::OrgAdmin => "org-admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of roles, stored as a comma-separated list.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Roles(BTreeSet<Role>);

impl Roles {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Roles {
        Roles(roles.into_iter().collect())
    }

    /// Parses the stored form; unknown names (from a newer version) are skipped.
    pub fn parse_list(s: &str) -> Roles {
        Roles(s.split(',').filter_map(|r| Role::parse(r.trim())).collect())
    }

    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }
}

/// The stored form, as `Display` writes it.
impl From<String> for Roles {
    fn from(list: String) -> Roles {
        Roles::parse_list(&list)
    }
}

impl fmt::Display for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|r| r.as_str()).collect();
        f.write_str(&names.join(","))
    }
}

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DraftState {
    /// Being written; only its author sees it in their list.
    Draft,
    /// Waiting for an approver.
    Submitted,
    /// Approved; goes out at its time (at once if none).
    Approved,
    /// Sent back with a comment; the author may revise it.
    Rejected,
    /// Out: an announcement was published, edited or retracted from it.
    Published,
    /// Abandoned by its author.
    Withdrawn,
}

impl DraftState {
    pub const ALL: [DraftState; 6] = [
        DraftState::Draft,
        DraftState::Submitted,
        DraftState::Approved,
        DraftState::Rejected,
        DraftState::Published,
        DraftState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DraftState::Draft => "draft",
            DraftState::Submitted => "submitted",
            DraftState::Approved => "approved",
            DraftState::Rejected => "rejected",
            DraftState::Published => "published",
            DraftState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<DraftState> {
        DraftState::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the text may still be changed (by its author).
    pub fn editable(self) -> bool {
        matches!(self, DraftState::Draft | DraftState::Rejected)
    }
}

impl TryFrom<String> for DraftState {
    type Error = crate::DomainError;

    fn try_from(name: String) -> Result<DraftState, Self::Error> {
        DraftState::parse(&name)
            .ok_or_else(|| crate::DomainError::invalid("draft state", "draft_state", &name, "unknown"))
    }
}

/// What someone does to a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Changes the text (a rejected draft goes back to being a draft).
    Revise,
    Submit,
    /// The author takes a submitted draft back to change it.
    Recall,
    Withdraw,
    Approve,
    Reject,
    /// An approver moves the time an approved submission goes out; it stays approved.
    Reschedule,
    /// The scheduler (or the approval itself, when due) publishes it.
    Publish,
}

impl Step {
    /// The steps a person takes by name (a form button, an API path). Revising carries text
    /// and publishing is the scheduler's, so neither is among them.
    pub fn parse_named(s: &str) -> Option<Step> {
        [Step::Submit, Step::Recall, Step::Withdraw, Step::Approve, Step::Reject]
            .into_iter()
            .find(|step| step.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Revise => "revise",
            Step::Submit => "submit",
            Step::Recall => "recall",
            Step::Withdraw => "withdraw",
            Step::Approve => "approve",
            Step::Reject => "reject",
            Step::Reschedule => "reschedule",
            Step::Publish => "publish",
        }
    }

    /// The step in the passive voice, for refusals ("cannot be taken back").
    pub fn done(self) -> &'static str {
        match self {
            Step::Revise => "changed",
            Step::Submit => "submitted",
            Step::Recall => "taken back",
            Step::Withdraw => "withdrawn",
            Step::Approve => "approved",
            Step::Reject => "rejected",
            Step::Reschedule => "rescheduled",
            Step::Publish => "published",
        }
    }
}

/// Who takes a step: a member of staff, or Herold itself (scheduled publishing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Staff { id: i64, roles: Roles },
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("a {state} submission cannot be {step}", state = .0.as_str(), step = .1.done())]
    NotAllowedInState(DraftState, Step),
    #[error("this needs the {0} role")]
    MissingRole(Role),
    #[error("only the author may do that")]
    NotTheAuthor,
    #[error("four-eyes principle: someone other than the author must approve")]
    OwnDraft,
    #[error("only Herold's scheduler publishes approved submissions")]
    NotTheScheduler,
}

/// A checked move from one state to another, attributed to the actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    from: DraftState,
    to: DraftState,
    step: Step,
    by: Option<i64>,
}

impl Transition {
    /// Checks `step` on a submission in state `from`, written by staff member `author`.
    /// `four_eyes` is the organisation's rule for this account (on unless its policy says
    /// otherwise).
    pub fn new(
        from: DraftState,
        step: Step,
        actor: &Actor,
        author: i64,
        four_eyes: bool,
    ) -> Result<Transition, WorkflowError> {
        use DraftState::*;
        let to = match (from, step) {
            (Draft | Rejected, Step::Revise) => Draft,
            (Draft, Step::Submit) => Submitted,
            (Submitted, Step::Recall) => Draft,
            (Draft | Rejected | Submitted, Step::Withdraw) => Withdrawn,
            (Submitted, Step::Approve) => Approved,
            (Submitted | Approved, Step::Reject) => Rejected,
            (Approved, Step::Reschedule) => Approved,
            (Approved, Step::Publish) => Published,
            (state, step) => return Err(WorkflowError::NotAllowedInState(state, step)),
        };
        let by = match (actor, step) {
            (Actor::System, Step::Publish) => None,
            // What can no longer be published (its announcement was retracted meanwhile) is
            // sent back by the scheduler rather than retried for ever.
            (Actor::System, Step::Reject) if from == Approved => None,
            (_, Step::Publish) | (Actor::System, _) => return Err(WorkflowError::NotTheScheduler),
            (Actor::Staff { id, roles }, Step::Revise | Step::Submit | Step::Recall | Step::Withdraw) => {
                if !roles.has(Role::Author) {
                    return Err(WorkflowError::MissingRole(Role::Author));
                }
                if *id != author {
                    return Err(WorkflowError::NotTheAuthor);
                }
                Some(*id)
            }
            (Actor::Staff { id, roles }, Step::Approve | Step::Reject | Step::Reschedule) => {
                if !roles.has(Role::Approver) {
                    return Err(WorkflowError::MissingRole(Role::Approver));
                }
                // The time is part of what was approved: under four eyes, its author does
                // not move it alone.
                if matches!(step, Step::Approve | Step::Reschedule) && four_eyes && *id == author {
                    return Err(WorkflowError::OwnDraft);
                }
                Some(*id)
            }
        };
        Ok(Transition { from, to, step, by })
    }

    pub fn from(&self) -> DraftState {
        self.from
    }

    pub fn to(&self) -> DraftState {
        self.to
    }

    pub fn step(&self) -> Step {
        self.step
    }

    /// The member of staff who took the step (`None`: Herold's scheduler).
    pub fn by(&self) -> Option<i64> {
        self.by
    }
}

/// What someone does to a proposed change of an account's profile: an administrator
/// proposes, an approver applies or rejects it, its proposer may withdraw it. The same
/// four-eyes rule holds as for announcements, since a profile speaks for the body too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileStep {
    Propose,
    Apply,
    Reject,
    Withdraw,
}

impl ProfileStep {
    /// Checks the step by `actor` on a proposal made by staff member `proposer` (`None`: by
    /// the operator at the command line). `four_eyes` is the organisation's rule for
    /// profiles.
    pub fn check(self, actor: &Actor, proposer: Option<i64>, four_eyes: bool) -> Result<(), WorkflowError> {
        let Actor::Staff { id, roles } = actor else {
            return Err(WorkflowError::NotTheScheduler);
        };
        let needs = |role: Role| if roles.has(role) { Ok(()) } else { Err(WorkflowError::MissingRole(role)) };
        match self {
            ProfileStep::Propose => needs(Role::OrgAdmin),
            ProfileStep::Apply => {
                needs(Role::Approver)?;
                if four_eyes && proposer == Some(*id) {
                    return Err(WorkflowError::OwnDraft);
                }
                Ok(())
            }
            ProfileStep::Reject => needs(Role::Approver),
            ProfileStep::Withdraw if proposer == Some(*id) => Ok(()),
            ProfileStep::Withdraw => Err(WorkflowError::NotTheAuthor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(id: i64, roles: &[Role]) -> Actor {
        Actor::Staff { id, roles: Roles::new(roles.iter().copied()) }
    }

    #[test]
    fn the_happy_path_goes_draft_submitted_approved_published() {
        let alice = staff(1, &[Role::Author]);
        let bob = staff(2, &[Role::Approver]);
        let t = Transition::new(DraftState::Draft, Step::Submit, &alice, 1, true).unwrap();
        assert_eq!(t.to(), DraftState::Submitted);
        let t = Transition::new(t.to(), Step::Approve, &bob, 1, true).unwrap();
        assert_eq!((t.to(), t.by()), (DraftState::Approved, Some(2)));
        let t = Transition::new(t.to(), Step::Publish, &Actor::System, 1, true).unwrap();
        assert_eq!((t.to(), t.by()), (DraftState::Published, None));
    }

    #[test]
    fn nobody_approves_their_own_draft_under_four_eyes() {
        let erik = staff(5, &[Role::Author, Role::Approver]);
        assert_eq!(
            Transition::new(DraftState::Submitted, Step::Approve, &erik, 5, true),
            Err(WorkflowError::OwnDraft)
        );
        // An organisation may waive the rule (e.g. for an alerts account).
        assert!(Transition::new(DraftState::Submitted, Step::Approve, &erik, 5, false).is_ok());
        // Rejecting one's own submission is always possible.
        assert!(Transition::new(DraftState::Submitted, Step::Reject, &erik, 5, true).is_ok());
        // The time is part of what was approved: its author does not move it alone.
        assert_eq!(
            Transition::new(DraftState::Approved, Step::Reschedule, &erik, 5, true),
            Err(WorkflowError::OwnDraft)
        );
        let t =
            Transition::new(DraftState::Approved, Step::Reschedule, &staff(2, &[Role::Approver]), 5, true)
                .unwrap();
        assert_eq!((t.to(), t.by()), (DraftState::Approved, Some(2)));
        assert_eq!(
            Transition::new(DraftState::Approved, Step::Reschedule, &staff(1, &[Role::Author]), 5, true),
            Err(WorkflowError::MissingRole(Role::Approver))
        );
    }

    #[test]
    fn roles_and_authorship_are_checked() {
        let alice = staff(1, &[Role::Author]);
        let carol = staff(3, &[Role::OrgAdmin]);
        assert_eq!(
            Transition::new(DraftState::Submitted, Step::Approve, &alice, 9, true),
            Err(WorkflowError::MissingRole(Role::Approver))
        );
        assert_eq!(
            Transition::new(DraftState::Draft, Step::Submit, &carol, 3, true),
            Err(WorkflowError::MissingRole(Role::Author))
        );
        assert_eq!(
            Transition::new(DraftState::Draft, Step::Submit, &alice, 2, true),
            Err(WorkflowError::NotTheAuthor)
        );
        assert_eq!(
            Transition::new(DraftState::Approved, Step::Publish, &alice, 1, true),
            Err(WorkflowError::NotTheScheduler)
        );
        assert_eq!(
            Transition::new(DraftState::Draft, Step::Submit, &Actor::System, 1, true),
            Err(WorkflowError::NotTheScheduler)
        );
        assert_eq!(
            Transition::new(DraftState::Submitted, Step::Reject, &Actor::System, 1, true),
            Err(WorkflowError::NotTheScheduler),
            "the scheduler only sends back what it cannot publish"
        );
        let t = Transition::new(DraftState::Approved, Step::Reject, &Actor::System, 1, true).unwrap();
        assert_eq!((t.to(), t.by()), (DraftState::Rejected, None));
    }

    #[test]
    fn every_illegal_move_is_refused() {
        let everyone = staff(1, &Role::ALL);
        let legal = [
            (DraftState::Draft, Step::Revise),
            (DraftState::Rejected, Step::Revise),
            (DraftState::Draft, Step::Submit),
            (DraftState::Submitted, Step::Recall),
            (DraftState::Draft, Step::Withdraw),
            (DraftState::Rejected, Step::Withdraw),
            (DraftState::Submitted, Step::Withdraw),
            (DraftState::Submitted, Step::Approve),
            (DraftState::Submitted, Step::Reject),
            (DraftState::Approved, Step::Reject),
            (DraftState::Approved, Step::Reschedule),
        ];
        let steps = [
            Step::Revise,
            Step::Submit,
            Step::Recall,
            Step::Withdraw,
            Step::Approve,
            Step::Reject,
            Step::Reschedule,
            Step::Publish,
        ];
        for state in DraftState::ALL {
            for step in steps {
                let actor = if step == Step::Publish { Actor::System } else { everyone.clone() };
                // (The scheduler's own rejection is checked above.)
                let ok = Transition::new(state, step, &actor, 1, false).is_ok();
                let expected =
                    legal.contains(&(state, step)) || (state, step) == (DraftState::Approved, Step::Publish);
                assert_eq!(ok, expected, "{state:?} {step:?}");
            }
        }
    }

    #[test]
    fn roles_round_trip_through_their_stored_form() {
        let roles = Roles::new([Role::Auditor, Role::Author]);
        assert_eq!(roles.to_string(), "author,auditor");
        assert_eq!(Roles::parse_list("author,auditor,unknown"), roles);
    }

    #[test]
    fn profile_changes_take_two_people_unless_exempt() {
        let admin = staff(3, &[Role::OrgAdmin, Role::Approver]);
        let approver = staff(4, &[Role::Approver]);
        let author = staff(1, &[Role::Author]);
        assert!(ProfileStep::Propose.check(&admin, None, true).is_ok());
        assert_eq!(
            ProfileStep::Propose.check(&approver, None, true),
            Err(WorkflowError::MissingRole(Role::OrgAdmin))
        );
        assert_eq!(ProfileStep::Apply.check(&admin, Some(3), true), Err(WorkflowError::OwnDraft));
        assert!(ProfileStep::Apply.check(&admin, Some(3), false).is_ok());
        assert!(ProfileStep::Apply.check(&approver, Some(3), true).is_ok());
        // What the operator proposed, any approver may apply.
        assert!(ProfileStep::Apply.check(&admin, None, true).is_ok());
        assert_eq!(
            ProfileStep::Apply.check(&author, Some(3), true),
            Err(WorkflowError::MissingRole(Role::Approver))
        );
        assert!(ProfileStep::Withdraw.check(&admin, Some(3), true).is_ok());
        assert_eq!(ProfileStep::Withdraw.check(&approver, Some(3), true), Err(WorkflowError::NotTheAuthor));
        assert!(ProfileStep::Reject.check(&approver, Some(3), true).is_ok());
    }
}
