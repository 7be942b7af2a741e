//! Each mutation's effect on the double's state, and its refusals.

mod common;

use common::*;
use serde_json::{json, Value};

async fn activity(linear: &oi_linear_double::LinearDouble, session: &str, content: Value, ephemeral: bool) -> Reply {
    let input = json!({"agentSessionId": session, "content": content, "ephemeral": ephemeral});
    gql(linear, CREATE_ACTIVITY, json!({"input": input})).await
}

#[tokio::test]
async fn activities_are_recorded_in_order_and_move_the_session() {
    let linear = start().await;
    let session = session_on(&linear, "ENG-123");
    assert_eq!(linear.session(&session).unwrap().status, "pending");

    let reply = activity(&linear, &session, json!({"type": "thought", "body": "Looking at the test"}), true).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let payload = &reply.body["data"]["agentActivityCreate"];
    assert_eq!(payload["success"], true);
    assert!(payload["lastSyncId"].is_number());
    assert_eq!(payload["agentActivity"]["ephemeral"], true);
    assert_eq!(payload["agentActivity"]["content"]["__typename"], "AgentActivityThoughtContent");
    assert_eq!(linear.session(&session).unwrap().status, "active");

    let steps = [
        (json!({"type": "action", "action": "Ran", "parameter": "cargo test", "result": "2 failed"}), "active"),
        (json!({"type": "elicitation", "body": "Which database?"}), "awaitingInput"),
        (json!({"type": "error", "body": "The build broke", "reasonCode": "build"}), "error"),
        (json!({"type": "response", "body": "Fixed in #42"}), "complete"),
    ];
    for (content, status) in steps {
        let reply = activity(&linear, &session, content.clone(), false).await;
        assert_eq!(reply.status, 200, "{content}: {}", reply.body);
        assert_eq!(linear.session(&session).unwrap().status, status, "{content}");
    }
    let activities = linear.activities(&session);
    let kinds: Vec<&str> = activities.iter().map(|a| a.kind()).collect();
    assert_eq!(kinds, ["thought", "action", "elicitation", "error", "response"]);
    assert!(activities.windows(2).all(|w| w[0].received_at <= w[1].received_at));
    assert_eq!(activities[0].user_id, linear.config().app_user.id);
    assert!(linear.session(&session).unwrap().ended_at.is_some());

    // The session reads back through the API too.
    let query = "query($id: String!) { agentSession(id: $id) { status issue { identifier } activities { nodes { content { ... on AgentActivityResponseContent { body } } } } } }";
    let reply = gql(&linear, query, json!({"id": session})).await;
    let session_json = &reply.body["data"]["agentSession"];
    assert_eq!(session_json["status"], "complete");
    assert_eq!(session_json["issue"]["identifier"], "ENG-123");
    assert_eq!(session_json["activities"]["nodes"][4]["content"]["body"], "Fixed in #42");
    linear.assert_no_violations();
}

#[tokio::test]
async fn refuses_ephemeral_responses_and_misshapen_content() {
    let linear = start().await;
    let session = session_on(&linear, "ENG-123");
    let cases = [
        (json!({"type": "response", "body": "Done"}), true, "Only thought and action activities can be ephemeral"),
        (json!({"type": "elicitation", "body": "?"}), true, "Only thought and action activities can be ephemeral"),
        (json!({"type": "action", "action": "Ran"}), false, "content.parameter is required"),
        (json!({"type": "thought", "text": "x"}), false, "content.text is not a field"),
        (json!({"type": "prompt", "body": "x"}), false, "the user's"),
    ];
    for (content, ephemeral, expected) in cases {
        linear.clear_violations();
        let reply = activity(&linear, &session, content.clone(), ephemeral).await;
        assert_eq!(reply.status, 400, "{content}");
        assert_eq!(reply.error_type(), Some("invalid input"));
        assert_eq!(reply.body["data"], json!(null));
        assert!(reply.body["errors"][0]["message"].as_str().unwrap().contains(expected), "{}", reply.body);
        assert!(linear.violations().iter().any(|v| v.contains(expected)), "{:?}", linear.violations());
    }
    assert!(linear.activities(&session).is_empty());
    assert_eq!(linear.session(&session).unwrap().status, "pending");
    // A stale session recovers with the next activity.
    assert!(linear.set_session_status(&session, "stale"));
    activity(&linear, &session, json!({"type": "thought", "body": "Back"}), false).await;
    assert_eq!(linear.session(&session).unwrap().status, "active");
    let unknown = activity(&linear, "no-such-session", json!({"type": "thought", "body": "x"}), false).await;
    assert_eq!(unknown.body["errors"][0]["message"], "Entity not found: AgentSession");
    assert_eq!(linear.activities(&session).len(), 1);
}

#[tokio::test]
async fn session_updates_record_plan_and_external_urls() {
    let linear = start().await;
    let session = session_on(&linear, "ENG-123");
    let mutation = "mutation Update($id: String!, $input: AgentSessionUpdateInput!) {
      agentSessionUpdate(id: $id, input: $input) { success agentSession { id externalLinks { label url } } }
    }";
    let plan =
        json!({"steps": [{"content": "Reproduce", "status": "completed"}, {"content": "Fix", "status": "inProgress"}]});
    let session_url = json!({"label": "Open Inspect", "url": "https://oi.example.com/s/1"});
    let input = json!({"plan": plan, "externalUrls": [session_url]});
    let reply = gql(&linear, mutation, json!({"id": session, "input": input})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["data"]["agentSessionUpdate"]["agentSession"]["externalLinks"][0]["label"], "Open Inspect");

    let pr = json!({"label": "Pull request", "url": "https://github.com/o/r/pull/42"});
    let input = json!({"addedExternalUrls": [pr], "removedExternalUrls": ["https://oi.example.com/s/1"]});
    gql(&linear, mutation, json!({"id": session, "input": input})).await;
    let stored = linear.session(&session).unwrap();
    assert_eq!(stored.plan, Some(plan));
    let urls: Vec<&str> = stored.external_urls.iter().map(|u| u.url.as_str()).collect();
    assert_eq!(urls, ["https://github.com/o/r/pull/42"]);
    assert_eq!(stored.updates.len(), 2);
    linear.assert_no_violations();

    let bad =
        gql(&linear, mutation, json!({"id": session, "input": {"externalUrls": [{"label": "x", "url": "not a url"}]}}))
            .await;
    assert_eq!(bad.error_type(), Some("invalid input"));
    let internal = gql(&linear, mutation, json!({"id": session, "input": {"dismissedAt": "2026-01-01"}})).await;
    assert_eq!(internal.error_type(), Some("invalid input"));
    assert_eq!(linear.violations().len(), 2);
}

#[tokio::test]
async fn issue_updates_move_state_and_labels_within_the_team() {
    let linear = start().await;
    let config = linear.config();
    let eng = &config.teams[0];
    let in_progress = eng.find_state("In Progress").unwrap().id.clone();
    let agent_label = config.labels[1].id.clone();
    let mutation = "mutation($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success issue { state { name } labels { nodes { name } } } } }";
    let input = json!({"stateId": in_progress, "addedLabelIds": [agent_label]});
    let reply = gql(&linear, mutation, json!({"id": "ENG-123", "input": input})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let issue = &reply.body["data"]["issueUpdate"]["issue"];
    assert_eq!(issue["state"]["name"], "In Progress");
    assert_eq!(issue["labels"]["nodes"].as_array().unwrap().len(), 2);
    let stored = linear.issue("ENG-123").unwrap();
    assert_eq!(stored.state_changes.len(), 1);
    assert_eq!(stored.state_changes[0].to_state_name, "In Progress");
    assert_eq!(linear.issue_state_name("ENG-123").as_deref(), Some("In Progress"));
    linear.assert_no_violations();

    // OPS's states are not ENG's.
    let ops_done = config.teams[1].find_state("Done").unwrap().id.clone();
    let reply = gql(&linear, mutation, json!({"id": "ENG-123", "input": {"stateId": ops_done}})).await;
    assert_eq!(reply.error_type(), Some("invalid input"));
    assert!(linear.violations()[0].contains("does not belong to the issue's team"));
    assert_eq!(linear.issue_state_name("ENG-123").as_deref(), Some("In Progress"));
}

#[tokio::test]
async fn comments_by_identifier_uuid_and_reply() {
    let linear = start().await;
    let mutation = "mutation($input: CommentCreateInput!) { commentCreate(input: $input) { success comment { id body issue { identifier } user { id } } } }";
    let reply = gql(&linear, mutation, json!({"input": {"issueId": "ENG-123", "body": "On it"}})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let comment = &reply.body["data"]["commentCreate"]["comment"];
    assert_eq!(comment["issue"]["identifier"], "ENG-123");
    assert_eq!(comment["user"]["id"], linear.config().app_user.id);
    let parent = comment["id"].as_str().unwrap().to_string();

    let uuid = linear.issue("ENG-123").unwrap().id;
    gql(&linear, mutation, json!({"input": {"issueId": uuid, "body": "Second"}})).await;
    gql(&linear, mutation, json!({"input": {"parentId": parent, "body": "A reply"}})).await;
    let comments = linear.comments("ENG-123");
    let bodies: Vec<&str> = comments.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(bodies, ["On it", "Second", "A reply"]);
    assert_eq!(comments[2].parent_id.as_deref(), Some(parent.as_str()));
    let read = gql(&linear, "query($id: String!) { comment(id: $id) { body } }", json!({"id": parent})).await;
    assert_eq!(read.body["data"]["comment"]["body"], "On it");
    linear.assert_no_violations();

    let missing = gql(&linear, mutation, json!({"input": {"issueId": "ENG-999", "body": "x"}})).await;
    assert_eq!(missing.body["errors"][0]["message"], "Entity not found: Issue");
    assert_eq!(linear.violations().len(), 1);
}
