use std::collections::BTreeSet;

use super::super::activities::{action, response, thought};
use super::super::plan::PlanStep;
use super::*;

const SDL: &str = include_str!("../../../testing/linear-double/contract/schema-subset.graphql");

/// The field names of `kind name { … }` in the excerpt (descriptions and arguments skipped).
fn fields(kind: &str, name: &str) -> BTreeSet<String> {
    let head = format!("\n{kind} {name} ");
    let start = SDL.find(&head).unwrap_or_else(|| panic!("{kind} {name} is not in the excerpt"));
    let block = &SDL[start + 1..];
    let block = &block[..block.find("\n}").unwrap()];
    block
        .lines()
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| {
            let name: String = line.trim().chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            let rest = &line.trim()[name.len()..];
            (!name.is_empty() && (rest.starts_with(':') || rest.starts_with('('))).then_some(name)
        })
        .collect()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn the_mutations_are_the_contracts() {
    let mutations = fields("type", "Mutation");
    for (document, mutation, payload) in [
        (AGENT_ACTIVITY_CREATE, "agentActivityCreate", "AgentActivityPayload"),
        (AGENT_SESSION_UPDATE, "agentSessionUpdate", "AgentSessionPayload"),
        (ISSUE_UPDATE, "issueUpdate", "IssuePayload"),
        (COMMENT_CREATE, "commentCreate", "CommentPayload"),
    ] {
        assert!(mutations.contains(mutation), "{mutation}");
        assert!(document.contains(&format!("{{ {mutation}(")), "{document}");
        assert!(fields("type", payload).contains("success"), "{payload}");
    }
    assert!(fields("type", "AgentActivityPayload").contains("agentActivity"));
    assert!(fields("type", "CommentPayload").contains("comment"));
    let issue = fields("type", "Issue");
    for field in ["id", "identifier", "title", "description", "url", "state", "team", "project", "labels"] {
        assert!(issue.contains(field), "Issue.{field}");
    }
    assert!(fields("type", "Query").contains("issue"));
}

#[test]
fn the_variables_use_the_contracts_inputs() {
    let content = thought("Reading ENG-123.");
    let activity = activity_create_variables("ses", &content, true);
    assert_eq!(activity, json!({"input": {"agentSessionId": "ses", "content": content.as_json(), "ephemeral": true}}));
    assert!(keys(&activity["input"]).is_subset(&fields("input", "AgentActivityCreateInput")));
    // Only thoughts and actions may be ephemeral.
    let done = response("Done.", None, "https://oi.test/s");
    assert_eq!(activity_create_variables("ses", &done, true)["input"].get("ephemeral"), None);
    assert_eq!(activity_create_variables("ses", &action("Ran", "ls", None), true)["input"]["ephemeral"], json!(true));
    assert_eq!(activity_create_variables("ses", &content, false)["input"].get("ephemeral"), None);

    let update = session_update_variables("ses", PlanPhase::At(PlanStep::Work), Some("https://oi.test/sessions/ses_1"));
    assert_eq!(update["id"], json!("ses"));
    assert_eq!(
        update["input"]["externalUrls"],
        json!([{"label": "Open Inspect session", "url": "https://oi.test/sessions/ses_1"}])
    );
    assert_eq!(update["input"]["plan"]["steps"][2]["status"], json!("inProgress"));
    assert!(keys(&update["input"]).is_subset(&fields("input", "AgentSessionUpdateInput")));
    assert!(keys(&update["input"]["externalUrls"][0]).is_subset(&fields("input", "AgentSessionExternalUrlInput")));
    assert_eq!(
        keys(&session_update_variables("ses", PlanPhase::At(PlanStep::Analyse), None)["input"]),
        BTreeSet::from(["plan".to_string()])
    );

    let moved = issue_state_variables("issue-id", "state-id");
    assert_eq!(moved, json!({"id": "issue-id", "input": {"stateId": "state-id"}}));
    assert!(keys(&moved["input"]).is_subset(&fields("input", "IssueUpdateInput")));

    let comment = comment_create_variables("ENG-123", "See the session.", Some("c1"));
    assert_eq!(comment, json!({"input": {"issueId": "ENG-123", "body": "See the session.", "parentId": "c1"}}));
    assert!(keys(&comment["input"]).is_subset(&fields("input", "CommentCreateInput")));
    assert_eq!(comment_create_variables("ENG-123", "x", None)["input"].get("parentId"), None);
    assert_eq!(issue_query_variables("ENG-123"), json!({"id": "ENG-123"}));
}

#[test]
fn mutation_results() {
    let ok = json!({"data": {"issueUpdate": {"success": true}}});
    assert_eq!(mutation_result(&ok, "issueUpdate"), Ok(()));
    let no = json!({"data": {"issueUpdate": {"success": false}}});
    assert_eq!(mutation_result(&no, "issueUpdate"), Err("Linear did not confirm issueUpdate".into()));
    assert_eq!(mutation_result(&ok, "commentCreate"), Err("Linear did not confirm commentCreate".into()));
    let refused = json!({"errors": [{"message": "Entity not found", "extensions": {"type": "invalid input"}}]});
    assert_eq!(mutation_result(&refused, "issueUpdate"), Err("Linear refused issueUpdate: Entity not found".into()));
}
