//! The GraphQL operations the Worker sends to Linear (`POST https://api.linear.app/graphql`,
//! body `{"query", "variables"}`), and their `variables`.
//!
//! Invariant: every mutation, argument and input field used here is in the contract's excerpt
//! (shared/contracts/linear/schema-subset.graphql; a test checks them against the Linear
//! double's copy, crates/testing/linear-double/contract). The one exception is what [`ISSUE_QUERY`] selects inside `state`,
//! `team`, `project` and `labels`: the excerpt leaves out WorkflowState, Team, Project and the
//! connection types, so those fields (`WorkflowState.type/position`, `Team.key/states`,
//! `Project.name`, `*Connection.nodes`) follow Linear's full schema (linear/linear
//! `packages/sdk/src/schema.graphql`), not the contract.

use serde_json::{json, Value};

use super::activities::ActivityContent;
use super::issue::graphql_errors;
use super::plan::{plan, PlanPhase};

/// Posts an activity to a session.
pub const AGENT_ACTIVITY_CREATE: &str = "mutation AgentActivityCreate($input: AgentActivityCreateInput!) { \
agentActivityCreate(input: $input) { success agentActivity { id } } }";

/// Updates a session: its plan and its links.
pub const AGENT_SESSION_UPDATE: &str = "mutation AgentSessionUpdate($id: String!, $input: AgentSessionUpdateInput!) { \
agentSessionUpdate(id: $id, input: $input) { success } }";

/// Moves an issue to another workflow state.
pub const ISSUE_UPDATE: &str = "mutation IssueUpdate($id: String!, $input: IssueUpdateInput!) { \
issueUpdate(id: $id, input: $input) { success } }";

/// Comments on an issue (outside a session: when a session cannot be answered).
pub const COMMENT_CREATE: &str = "mutation CommentCreate($input: CommentCreateInput!) { \
commentCreate(input: $input) { success comment { id } } }";

/// What routing and the state rule need of an issue (read by
/// [`super::issue::parse_issue_response`]). Linear pages connections at 50 by default; a
/// team's workflow states and an issue's labels fit.
pub const ISSUE_QUERY: &str = "query Issue($id: String!) { issue(id: $id) { \
id identifier title description url \
state { id type } \
team { id key states { nodes { id type position } } } \
project { id name } \
labels { nodes { name } } } }";

/// The label of the session page's link in Linear.
pub const SESSION_LINK_LABEL: &str = "Open Inspect session";

/// `agentActivityCreate`'s variables. `ephemeral` (replaced by the next activity) is sent only
/// for contents that may be ephemeral.
pub fn activity_create_variables(agent_session_id: &str, content: &ActivityContent, ephemeral: bool) -> Value {
    let mut input = json!({"agentSessionId": agent_session_id, "content": content.as_json()});
    if ephemeral && content.may_be_ephemeral() {
        input["ephemeral"] = json!(true);
    }
    json!({"input": input})
}

/// `agentSessionUpdate`'s variables: the plan in `phase`, and (when given) the session page as
/// the session's only external link.
pub fn session_update_variables(agent_session_id: &str, phase: PlanPhase, session_url: Option<&str>) -> Value {
    let mut input = json!({"plan": plan(phase)});
    if let Some(url) = session_url {
        input["externalUrls"] = json!([{"label": SESSION_LINK_LABEL, "url": url}]);
    }
    json!({"id": agent_session_id, "input": input})
}

/// `issueUpdate`'s variables moving the issue to a workflow state
/// ([`super::states::state_on_first_prompt`]).
pub fn issue_state_variables(issue_id: &str, state_id: &str) -> Value {
    json!({"id": issue_id, "input": {"stateId": state_id}})
}

/// `commentCreate`'s variables: a markdown comment on the issue (its id or `ENG-123`), in reply
/// to `parent_comment_id` when given.
pub fn comment_create_variables(issue_id: &str, body: &str, parent_comment_id: Option<&str>) -> Value {
    let mut input = json!({"issueId": issue_id, "body": body});
    if let Some(parent) = parent_comment_id {
        input["parentId"] = json!(parent);
    }
    json!({"input": input})
}

/// The issue query's variables.
pub fn issue_query_variables(issue_id: &str) -> Value {
    json!({"id": issue_id})
}

/// Whether a mutation's response says it worked (`data.<mutation>.success` true); else why not
/// (GraphQL's errors, or that Linear said no without one).
pub fn mutation_result(response: &Value, mutation: &str) -> Result<(), String> {
    if let Some(errors) = graphql_errors(response) {
        return Err(format!("Linear refused {mutation}: {errors}"));
    }
    match response.pointer(&format!("/data/{mutation}/success")).and_then(Value::as_bool) {
        Some(true) => Ok(()),
        _ => Err(format!("Linear did not confirm {mutation}")),
    }
}

#[cfg(test)]
#[path = "operations_tests.rs"]
mod tests;
