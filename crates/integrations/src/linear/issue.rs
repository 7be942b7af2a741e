//! The issue as the `issue` query ([`super::operations::ISSUE_QUERY`]) returns it: what routing
//! (title, description, team, project, labels) and the state rule (its state, its team's
//! workflow states) need, which the session's webhook does not carry.
//!
//! Invariant: an [`IssueDetails`] is only made from a response that has every field the query
//! asks for with the right type (a nullable one may be null); anything else is an error naming
//! the field, or GraphQL's own error messages when the response carries `errors`. Workflow
//! state types Linear may add later are kept as [`StateType::Other`], never guessed.

use serde_json::Value;

/// A workflow state's type (Linear's `WorkflowState.type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateType {
    Triage,
    Backlog,
    Unstarted,
    Started,
    Completed,
    Canceled,
    /// A type this code does not know, as sent.
    Other(String),
}

impl StateType {
    pub fn parse(value: &str) -> StateType {
        match value {
            "triage" => StateType::Triage,
            "backlog" => StateType::Backlog,
            "unstarted" => StateType::Unstarted,
            "started" => StateType::Started,
            "completed" => StateType::Completed,
            "canceled" => StateType::Canceled,
            other => StateType::Other(other.to_string()),
        }
    }
}

/// One of a team's workflow states.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowState {
    pub id: String,
    pub state_type: StateType,
    /// Its place in the team's board, lowest first.
    pub position: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IssueTeam {
    pub id: String,
    /// `ENG`.
    pub key: String,
    pub states: Vec<WorkflowState>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueProject {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IssueDetails {
    pub id: String,
    /// `ENG-123`.
    pub identifier: String,
    pub title: String,
    pub description: Option<String>,
    pub url: String,
    pub state_id: String,
    pub state_type: StateType,
    pub team: IssueTeam,
    pub project: Option<IssueProject>,
    /// Label names, as Linear spells them.
    pub labels: Vec<String>,
}

/// The messages of a GraphQL response's `errors`, joined; None when it has none.
pub fn graphql_errors(response: &Value) -> Option<String> {
    let errors = response.get("errors")?.as_array().filter(|e| !e.is_empty())?;
    let messages: Vec<&str> = errors
        .iter()
        .map(|e| e.get("message").and_then(Value::as_str).unwrap_or("an error without a message"))
        .collect();
    Some(messages.join("; "))
}

fn missing(path: &str) -> String {
    format!("the issue query's answer has no usable `{path}`")
}

fn text(value: &Value, key: &str, path: &str) -> Result<String, String> {
    value.get(key).and_then(Value::as_str).map(str::to_string).ok_or_else(|| missing(&format!("{path}{key}")))
}

fn child<'a>(value: &'a Value, key: &str, path: &str) -> Result<&'a Value, String> {
    value.get(key).filter(|v| v.is_object()).ok_or_else(|| missing(&format!("{path}{key}")))
}

fn nodes<'a>(value: &'a Value, key: &str, path: &str) -> Result<&'a Vec<Value>, String> {
    value
        .get(key)
        .and_then(|c| c.get("nodes"))
        .and_then(Value::as_array)
        .ok_or_else(|| missing(&format!("{path}{key}.nodes")))
}

/// Reads the `issue` query's response body (`{"data": {"issue": …}}`).
pub fn parse_issue_response(response: &Value) -> Result<IssueDetails, String> {
    if let Some(errors) = graphql_errors(response) {
        return Err(format!("Linear refused the issue query: {errors}"));
    }
    let issue = response.pointer("/data/issue").filter(|v| v.is_object()).ok_or_else(|| missing("data.issue"))?;
    let state = child(issue, "state", "issue.")?;
    let team = child(issue, "team", "issue.")?;
    let mut states = Vec::new();
    for (i, node) in nodes(team, "states", "issue.team.")?.iter().enumerate() {
        let at = format!("issue.team.states.nodes[{i}].");
        states.push(WorkflowState {
            id: text(node, "id", &at)?,
            state_type: StateType::parse(&text(node, "type", &at)?),
            position: node.get("position").and_then(Value::as_f64).ok_or_else(|| missing(&format!("{at}position")))?,
        });
    }
    let project = match issue.get("project") {
        None | Some(Value::Null) => None,
        Some(project) => Some(IssueProject {
            id: text(project, "id", "issue.project.")?,
            name: text(project, "name", "issue.project.")?,
        }),
    };
    let mut labels = Vec::new();
    for (i, node) in nodes(issue, "labels", "issue.")?.iter().enumerate() {
        labels.push(text(node, "name", &format!("issue.labels.nodes[{i}]."))?);
    }
    Ok(IssueDetails {
        id: text(issue, "id", "issue.")?,
        identifier: text(issue, "identifier", "issue.")?,
        title: text(issue, "title", "issue.")?,
        description: issue.get("description").and_then(Value::as_str).map(str::to_string),
        url: text(issue, "url", "issue.")?,
        state_id: text(state, "id", "issue.state.")?,
        state_type: StateType::parse(&text(state, "type", "issue.state.")?),
        team: IssueTeam { id: text(team, "id", "issue.team.")?, key: text(team, "key", "issue.team.")?, states },
        project,
        labels,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn recorded() -> Value {
        serde_json::from_str(include_str!("../../tests/fixtures/linear/issue.query.response.json")).unwrap()
    }

    #[test]
    fn the_recorded_answer() {
        let issue = parse_issue_response(&recorded()).unwrap();
        assert_eq!((issue.identifier.as_str(), issue.title.as_str()), ("ENG-123", "Login button does nothing"));
        assert!(issue.description.as_deref().is_some_and(|d| d.ends_with("in acme/web.")));
        assert_eq!(issue.state_type, StateType::Unstarted);
        assert_eq!((issue.team.key.as_str(), issue.team.states.len()), ("ENG", 7));
        assert_eq!(issue.team.states[3].state_type, StateType::Started);
        assert_eq!(issue.team.states[3].position, 2.0);
        assert_eq!(
            issue.project,
            Some(IssueProject { id: "c2000000-0000-4000-8000-000000000001".into(), name: "Sign-in revamp".into() })
        );
        assert_eq!(issue.labels, ["Bug", "model:anthropic/claude-sonnet-4-5"]);
    }

    #[test]
    fn nullable_parts_and_unknown_state_types() {
        let mut answer = recorded();
        let issue = answer.pointer_mut("/data/issue").unwrap();
        issue["project"] = Value::Null;
        issue["description"] = Value::Null;
        issue["state"]["type"] = json!("paused");
        let issue = parse_issue_response(&answer).unwrap();
        assert_eq!((issue.project, issue.description), (None, None));
        assert_eq!(issue.state_type, StateType::Other("paused".into()));
    }

    #[test]
    fn refusals_name_the_field() {
        let cases: &[(&str, Value, &str)] = &[
            ("/data/issue", Value::Null, "`data.issue`"),
            ("/data/issue/state", Value::Null, "`issue.state`"),
            ("/data/issue/team/key", json!(1), "`issue.team.key`"),
            ("/data/issue/team/states", json!([]), "`issue.team.states.nodes`"),
            ("/data/issue/team/states/nodes/2/position", json!("3"), "`issue.team.states.nodes[2].position`"),
            ("/data/issue/labels/nodes/0", json!({}), "`issue.labels.nodes[0].name`"),
            ("/data/issue/project", json!({"id": "p"}), "`issue.project.name`"),
        ];
        for (pointer, value, says) in cases {
            let mut answer = recorded();
            *answer.pointer_mut(pointer).unwrap() = value.clone();
            let error = parse_issue_response(&answer).expect_err(pointer);
            assert!(error.ends_with(says), "{pointer}: {error}");
        }
        let refused = json!({"data": null, "errors": [{"message": "Entity not found"}, {"extensions": {}}]});
        assert_eq!(graphql_errors(&refused).as_deref(), Some("Entity not found; an error without a message"));
        let error = parse_issue_response(&refused).unwrap_err();
        assert_eq!(error, "Linear refused the issue query: Entity not found; an error without a message");
        assert_eq!(graphql_errors(&recorded()), None);
    }
}
