//! Who may do what: one [`authorize`] for every action, on the deployment or on one session.
//!
//! - Admins may do everything.
//! - Members may create and list sessions and manage the secrets of repositories (a repo's
//!   secrets reach only that repo's sandboxes, and any member can already run code there).
//!   Global settings, global secrets, automations, integrations and repo images are for admins.
//! - A session's creator is its owner. A public session may be viewed, joined, prompted and
//!   stopped (and its prompts cancelled) by any member; a private one only by its owner, its
//!   listed participants and admins. Only the owner and admins may archive or delete it.
//! - A session action checked against the deployment, or a deployment action checked against a
//!   session, is refused (for everyone): it is a mistake in the caller.
//!
//! Listing: the list shows a member the sessions [`authorize`] lets them view.

/// A person's role across the deployment. The wire type, re-exported so the Worker, the web app
/// and these decisions share one enum (`"admin"`, `"member"`).
pub use oi_protocol::Role;

/// Something a person asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    CreateSession,
    ListSessions,
    ViewSession,
    JoinSession,
    PromptSession,
    StopSession,
    CancelPrompt,
    ArchiveSession,
    DeleteSession,
    ManageGlobalSettings,
    ManageGlobalSecrets,
    ManageRepoSecrets,
    ManageAutomations,
    ManageIntegrations,
    ManageImages,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 15] = [
        Action::CreateSession,
        Action::ListSessions,
        Action::ViewSession,
        Action::JoinSession,
        Action::PromptSession,
        Action::StopSession,
        Action::CancelPrompt,
        Action::ArchiveSession,
        Action::DeleteSession,
        Action::ManageGlobalSettings,
        Action::ManageGlobalSecrets,
        Action::ManageRepoSecrets,
        Action::ManageAutomations,
        Action::ManageIntegrations,
        Action::ManageImages,
    ];

    /// The action's name in snake case (for messages and logs).
    pub fn name(self) -> &'static str {
        match self {
            Action::CreateSession => "create_session",
            Action::ListSessions => "list_sessions",
            Action::ViewSession => "view_session",
            Action::JoinSession => "join_session",
            Action::PromptSession => "prompt_session",
            Action::StopSession => "stop_session",
            Action::CancelPrompt => "cancel_prompt",
            Action::ArchiveSession => "archive_session",
            Action::DeleteSession => "delete_session",
            Action::ManageGlobalSettings => "manage_global_settings",
            Action::ManageGlobalSecrets => "manage_global_secrets",
            Action::ManageRepoSecrets => "manage_repo_secrets",
            Action::ManageAutomations => "manage_automations",
            Action::ManageIntegrations => "manage_integrations",
            Action::ManageImages => "manage_images",
        }
    }

    /// Whether the action is checked against one session (else against the deployment).
    pub fn is_session_action(self) -> bool {
        matches!(rule(self), Rule::Session(_))
    }
}

/// The person asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    pub user_id: &'a str,
    pub role: Role,
}

/// What the decision needs to know about a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionFacts<'a> {
    /// The creator.
    pub owner_id: &'a str,
    pub private: bool,
    /// People the owner added (they may view, join and prompt even when it is private).
    pub participant_ids: &'a [String],
}

/// What the action is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    Deployment,
    Session(SessionFacts<'a>),
    /// An automation, by its owner (the person its runs act for).
    Automation {
        owner_id: &'a str,
    },
}

refusal! {
    /// A refusal, with a message that names the action and the reason.
    Denied => Forbidden
}

/// How an action is decided for a member (admins may do everything).
enum Rule {
    /// On the deployment: members may.
    DeploymentMembers,
    /// On the deployment: admins only; the message says so.
    DeploymentAdmins(&'static str),
    Session(SessionRule),
    /// On the deployment: members may (to create and list their own). On one thing: its owner
    /// and admins. The phrase ends "… can {phrase}".
    Owned(&'static str),
}

enum SessionRule {
    /// Owner, listed participants, and any member when the session is public. The phrase ends
    /// "… can {phrase}".
    Participants(&'static str),
    /// Owner only (and admins). The phrase ends "… can {phrase}".
    Owner(&'static str),
}

fn rule(action: Action) -> Rule {
    use SessionRule::{Owner, Participants};
    match action {
        Action::CreateSession | Action::ListSessions | Action::ManageRepoSecrets => Rule::DeploymentMembers,
        Action::ManageGlobalSettings => {
            Rule::DeploymentAdmins("only an admin can manage the deployment's global settings")
        }
        Action::ManageGlobalSecrets => Rule::DeploymentAdmins("only an admin can manage global secrets"),
        Action::ManageAutomations => Rule::Owned("manage it"),
        Action::ManageIntegrations => Rule::DeploymentAdmins("only an admin can manage integrations"),
        Action::ManageImages => Rule::DeploymentAdmins("only an admin can manage repo images"),
        Action::ViewSession => Rule::Session(Participants("view it")),
        Action::JoinSession => Rule::Session(Participants("join it")),
        Action::PromptSession => Rule::Session(Participants("prompt it")),
        Action::StopSession => Rule::Session(Participants("stop it")),
        Action::CancelPrompt => Rule::Session(Participants("cancel its prompts")),
        Action::ArchiveSession => Rule::Session(Owner("archive it")),
        Action::DeleteSession => Rule::Session(Owner("delete it")),
    }
}

fn deny(message: impl Into<String>) -> Result<(), Denied> {
    Err(Denied { message: message.into() })
}

/// Decides whether `actor` may do `action` on `target`.
pub fn authorize(actor: &Actor, action: Action, target: &Target) -> Result<(), Denied> {
    let admin = actor.role == Role::Admin;
    match (rule(action), target) {
        (Rule::Session(_), Target::Deployment) => {
            deny(format!("the action {} applies to a session, not to the whole deployment", action.name()))
        }
        (Rule::DeploymentMembers | Rule::DeploymentAdmins(_), Target::Session(_) | Target::Automation { .. }) => {
            deny(format!("the action {} applies to the whole deployment, not to one thing in it", action.name()))
        }
        (Rule::Session(_), Target::Automation { .. }) | (Rule::Owned(_), Target::Session(_)) => {
            deny(format!("the action {} does not apply to this kind of thing", action.name()))
        }
        (_, _) if admin => Ok(()),
        (Rule::DeploymentMembers | Rule::Owned(_), Target::Deployment) => Ok(()),
        (Rule::Owned(phrase), Target::Automation { owner_id }) => {
            if !actor.user_id.is_empty() && *owner_id == actor.user_id {
                Ok(())
            } else {
                deny(format!("only its owner or an admin can {phrase}"))
            }
        }
        (Rule::DeploymentAdmins(message), Target::Deployment) => deny(message),
        (Rule::Session(rule), Target::Session(facts)) => {
            // An empty id is nobody: it never matches an owner or a participant.
            let me = actor.user_id;
            let owner = !me.is_empty() && facts.owner_id == me;
            let participant = !me.is_empty() && facts.participant_ids.iter().any(|p| p == me);
            match rule {
                SessionRule::Participants(_) if owner || participant || !facts.private => Ok(()),
                SessionRule::Participants(phrase) => {
                    deny(format!("this session is private: only its owner, its participants and admins can {phrase}"))
                }
                SessionRule::Owner(_) if owner => Ok(()),
                SessionRule::Owner(phrase) => deny(format!("only the session's owner or an admin can {phrase}")),
            }
        }
    }
}

/// [`authorize`] as a yes or no (for filtering lists).
pub fn allows(actor: &Actor, action: Action, target: &Target) -> bool {
    authorize(actor, action, target).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::{ApiError, ErrorCode};
    use Action::*;

    const OWNER: &str = "usr_owner";
    const PARTICIPANT: &str = "usr_participant";
    const OTHER: &str = "usr_other";

    /// Expected outcomes against a session, `Y` allowed and `-` denied, in these columns:
    ///
    /// ```text
    ///            Admin                        Member
    ///   owner     participant  other     owner     participant  other
    ///   prv pub   prv pub      prv pub   prv pub   prv pub      prv pub
    /// ```
    const SESSION_TABLE: [(Action, &str); 15] = [
        (CreateSession, "-- -- --  -- -- --"),
        (ListSessions, "-- -- --  -- -- --"),
        (ViewSession, "YY YY YY  YY YY -Y"),
        (JoinSession, "YY YY YY  YY YY -Y"),
        (PromptSession, "YY YY YY  YY YY -Y"),
        (StopSession, "YY YY YY  YY YY -Y"),
        (CancelPrompt, "YY YY YY  YY YY -Y"),
        (ArchiveSession, "YY YY YY  YY -- --"),
        (DeleteSession, "YY YY YY  YY -- --"),
        (ManageGlobalSettings, "-- -- --  -- -- --"),
        (ManageGlobalSecrets, "-- -- --  -- -- --"),
        (ManageRepoSecrets, "-- -- --  -- -- --"),
        (ManageAutomations, "-- -- --  -- -- --"),
        (ManageIntegrations, "-- -- --  -- -- --"),
        (ManageImages, "-- -- --  -- -- --"),
    ];

    /// Expected outcomes against the deployment: (action, admin, member).
    const DEPLOYMENT_TABLE: [(Action, bool, bool); 15] = [
        (CreateSession, true, true),
        (ListSessions, true, true),
        (ViewSession, false, false),
        (JoinSession, false, false),
        (PromptSession, false, false),
        (StopSession, false, false),
        (CancelPrompt, false, false),
        (ArchiveSession, false, false),
        (DeleteSession, false, false),
        (ManageGlobalSettings, true, false),
        (ManageGlobalSecrets, true, false),
        (ManageRepoSecrets, true, true),
        (ManageAutomations, true, true),
        (ManageIntegrations, true, false),
        (ManageImages, true, false),
    ];

    fn participants() -> Vec<String> {
        vec!["usr_someone".to_string(), PARTICIPANT.to_string()]
    }

    fn facts(participants: &[String], private: bool) -> Target<'_> {
        Target::Session(SessionFacts { owner_id: OWNER, private, participant_ids: participants })
    }

    #[test]
    fn every_role_action_relation_and_privacy_against_a_session() {
        let ps = participants();
        let mut checked = 0;
        for (action, expected) in SESSION_TABLE {
            let expected: Vec<bool> = expected.chars().filter(|c| !c.is_whitespace()).map(|c| c == 'Y').collect();
            assert_eq!(expected.len(), 12, "{action:?}: the row needs 12 outcomes");
            let mut column = 0;
            for role in [Role::Admin, Role::Member] {
                for user_id in [OWNER, PARTICIPANT, OTHER] {
                    for private in [true, false] {
                        let result = authorize(&Actor { user_id, role }, action, &facts(&ps, private));
                        assert_eq!(
                            result.is_ok(),
                            expected[column],
                            "{role:?} {user_id} {action:?} private={private}: {result:?}"
                        );
                        if let Err(denied) = result {
                            assert!(!denied.message.is_empty());
                        }
                        column += 1;
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 2 * Action::ALL.len() * 3 * 2);
    }

    #[test]
    fn every_role_and_action_against_the_deployment() {
        for (action, admin, member) in DEPLOYMENT_TABLE {
            for (role, expected) in [(Role::Admin, admin), (Role::Member, member)] {
                let result = authorize(&Actor { user_id: OTHER, role }, action, &Target::Deployment);
                assert_eq!(result.is_ok(), expected, "{role:?} {action:?} on the deployment: {result:?}");
            }
        }
    }

    #[test]
    fn an_automation_is_managed_by_its_owner_and_admins_only() {
        let target = Target::Automation { owner_id: OWNER };
        for action in Action::ALL {
            for (user_id, role) in
                [(OWNER, Role::Member), (OTHER, Role::Member), (OTHER, Role::Admin), ("", Role::Member)]
            {
                let expected = action == ManageAutomations && (role == Role::Admin || user_id == OWNER);
                let result = authorize(&Actor { user_id, role }, action, &target);
                assert_eq!(result.is_ok(), expected, "{role:?} {user_id:?} {action:?} on an automation: {result:?}");
            }
        }
        let denied = authorize(&Actor { user_id: OTHER, role: Role::Member }, ManageAutomations, &target).unwrap_err();
        assert_eq!(denied.message, "only its owner or an admin can manage it");
        // An empty owner is nobody's.
        let nobody = Target::Automation { owner_id: "" };
        assert!(authorize(&Actor { user_id: "", role: Role::Member }, ManageAutomations, &nobody).is_err());
    }

    #[test]
    fn the_tables_cover_every_action_once() {
        for (i, action) in Action::ALL.into_iter().enumerate() {
            assert_eq!(SESSION_TABLE[i].0, action);
            assert_eq!(DEPLOYMENT_TABLE[i].0, action);
        }
    }

    #[test]
    fn messages_name_the_action_and_the_reason() {
        let ps = participants();
        let member = |user_id| Actor { user_id, role: Role::Member };
        let cases: [(Actor, Action, Target, &str); 9] = [
            (
                member(PARTICIPANT),
                DeleteSession,
                facts(&ps, false),
                "only the session's owner or an admin can delete it",
            ),
            (member(OTHER), ArchiveSession, facts(&ps, false), "only the session's owner or an admin can archive it"),
            (
                member(OTHER),
                ViewSession,
                facts(&ps, true),
                "this session is private: only its owner, its participants and admins can view it",
            ),
            (
                member(OTHER),
                CancelPrompt,
                facts(&ps, true),
                "this session is private: only its owner, its participants and admins can cancel its prompts",
            ),
            (member(OTHER), ManageGlobalSecrets, Target::Deployment, "only an admin can manage global secrets"),
            (member(OTHER), ManageImages, Target::Deployment, "only an admin can manage repo images"),
            (
                Actor { user_id: OTHER, role: Role::Admin },
                DeleteSession,
                Target::Deployment,
                "the action delete_session applies to a session, not to the whole deployment",
            ),
            (
                Actor { user_id: OTHER, role: Role::Admin },
                ManageImages,
                facts(&ps, false),
                "the action manage_images applies to the whole deployment, not to one thing in it",
            ),
            (
                member(OTHER),
                CreateSession,
                facts(&ps, false),
                "the action create_session applies to the whole deployment, not to one thing in it",
            ),
        ];
        for (actor, action, target, message) in cases {
            let denied = authorize(&actor, action, &target).unwrap_err();
            assert_eq!(denied.message, message);
            assert_eq!(denied.to_string(), message);
            assert_eq!(ApiError::from(denied).code, ErrorCode::Forbidden);
        }
    }

    #[test]
    fn an_empty_user_id_is_nobody() {
        let ps = vec![String::new()];
        let target = Target::Session(SessionFacts { owner_id: "", private: true, participant_ids: &ps });
        let nobody = Actor { user_id: "", role: Role::Member };
        assert!(!allows(&nobody, ViewSession, &target));
        assert!(!allows(&nobody, DeleteSession, &target));
    }

    #[test]
    fn session_actions_are_known_as_such() {
        let session: Vec<Action> = Action::ALL.into_iter().filter(|a| a.is_session_action()).collect();
        assert_eq!(
            session,
            [ViewSession, JoinSession, PromptSession, StopSession, CancelPrompt, ArchiveSession, DeleteSession]
        );
    }
}
