//! What the agent's session is asked: the first prompt of a new agent session, and a follow-up.
//!
//! Invariant: a prompt never exceeds the longest prompt a session accepts
//! ([`MAX_PROMPT_CHARS`]; the end is cut, marked "…"), and Linear's texts go in as Linear sent
//! them: they are the request, untrusted like any person's prompt.

use oi_protocol::limits::MAX_PROMPT_CHARS;

use super::events::SessionCreated;
use crate::truncate;

/// The first prompt: Linear's own prompt context when it sent one (it holds the issue, the
/// thread's comments and the guidance); else the issue, the comment that mentioned the agent
/// and the guidance, assembled here.
pub fn first_prompt(created: &SessionCreated) -> String {
    if let Some(context) = created.prompt_context.as_deref().filter(|c| !c.trim().is_empty()) {
        return truncate(context.trim(), MAX_PROMPT_CHARS);
    }
    let mut parts = Vec::new();
    if let Some(issue) = &created.issue {
        parts.push(format!("Linear issue {}: {}", issue.identifier, issue.title.trim()));
        if let Some(description) = issue.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            parts.push(description.to_string());
        }
    }
    if let Some(comment) = created.comment.as_ref().map(|c| c.body.trim()).filter(|b| !b.is_empty()) {
        parts.push(format!("Request:\n{comment}"));
    }
    let guidance: Vec<String> =
        created.guidance.iter().map(|g| g.trim()).filter(|g| !g.is_empty()).map(|g| format!("- {g}")).collect();
    if !guidance.is_empty() {
        parts.push(format!("Guidance:\n{}", guidance.join("\n")));
    }
    truncate(&parts.join("\n\n"), MAX_PROMPT_CHARS)
}

/// A follow-up prompt: the person's message, within [`MAX_PROMPT_CHARS`].
pub fn follow_up_prompt(body: &str) -> String {
    truncate(body.trim(), MAX_PROMPT_CHARS)
}

#[cfg(test)]
mod tests {
    use super::super::events::{SessionComment, SessionIssue};
    use super::*;

    fn created(prompt_context: Option<&str>) -> SessionCreated {
        SessionCreated {
            dedupe_key: "session:s".into(),
            organization_id: "org".into(),
            agent_session_id: "s".into(),
            session_url: None,
            issue: Some(SessionIssue {
                id: "i".into(),
                identifier: "ENG-123".into(),
                title: " Login button does nothing ".into(),
                description: Some("It is in acme/web.".into()),
                url: "https://linear.app/acme/issue/ENG-123".into(),
                team_id: "t".into(),
                team_key: "ENG".into(),
            }),
            comment: Some(SessionComment { id: "c".into(), body: "@open-inspect fix it".into() }),
            creator: None,
            prompt_context: prompt_context.map(str::to_string),
            guidance: vec!["Run the tests.".into(), " ".into()],
        }
    }

    #[test]
    fn linears_context_first() {
        assert_eq!(first_prompt(&created(Some(" <issue>ENG-123</issue> "))), "<issue>ENG-123</issue>");
    }

    #[test]
    fn assembled_without_it() {
        let want = "Linear issue ENG-123: Login button does nothing\n\nIt is in acme/web.\n\n\
                    Request:\n@open-inspect fix it\n\nGuidance:\n- Run the tests.";
        assert_eq!(first_prompt(&created(None)), want);
        assert_eq!(first_prompt(&created(Some("  "))), want);
        let bare = SessionCreated { issue: None, comment: None, guidance: Vec::new(), ..created(None) };
        assert_eq!(first_prompt(&bare), "");
    }

    #[test]
    fn prompts_fit() {
        let long = "x".repeat(MAX_PROMPT_CHARS + 10);
        let prompt = first_prompt(&created(Some(&long)));
        assert_eq!(prompt.chars().count(), MAX_PROMPT_CHARS);
        assert!(prompt.ends_with('…'));
        assert_eq!(follow_up_prompt(&long).chars().count(), MAX_PROMPT_CHARS);
        assert_eq!(follow_up_prompt("  use acme/web  "), "use acme/web");
    }
}
