//! Validation against the SDL, queries, authentication and rate limits.

mod common;

use common::*;
use oi_linear_double::{LinearErrorType, DEFAULT_ACCESS_TOKEN};
use serde_json::json;

const ISSUE_QUERY: &str = "query Issue($id: String!) {
  issue(id: $id) {
    id identifier title description url priority labelIds
    team { id key name started: states(filter: { type: { eq: \"started\" } }) { nodes { id name type position } } }
    state { id name type }
    labels { nodes { id name } }
    project { id name }
    ...Creator
  }
}
fragment Creator on Issue { creator { id name email isMe } }";

#[tokio::test]
async fn answers_product_style_queries() {
    let linear = start().await;
    let reply = gql(&linear, ISSUE_QUERY, json!({"id": "ENG-123"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let issue = &reply.body["data"]["issue"];
    assert_eq!(issue["identifier"], "ENG-123");
    assert_eq!(issue["title"], "Fix the flaky test");
    assert_eq!(issue["description"], "It fails on CI one run in ten.");
    assert_eq!(issue["url"], "https://linear.app/oi-test/issue/ENG-123");
    assert_eq!(issue["team"]["key"], "ENG");
    let started: Vec<&str> =
        issue["team"]["started"]["nodes"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(started, ["In Progress", "In Review"]);
    assert_eq!(issue["state"]["name"], "Todo");
    assert_eq!(issue["labels"]["nodes"][0]["name"], "bug");
    assert_eq!(issue["labelIds"][0], issue["labels"]["nodes"][0]["id"]);
    assert_eq!(issue["project"]["name"], "Agents");
    assert_eq!(issue["creator"]["name"], "Ada Lovelace");
    assert_eq!(issue["creator"]["isMe"], false);

    // By UUID too, and `viewer` is the app user for the app token.
    let id = issue["id"].as_str().unwrap().to_string();
    let reply = gql(
        &linear,
        "query($id: String!) { issue(id: $id) { identifier } viewer { id name app isMe } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(reply.body["data"]["issue"]["identifier"], "ENG-123");
    assert_eq!(reply.body["data"]["viewer"]["id"], linear.config().app_user.id);
    assert_eq!(reply.body["data"]["viewer"]["app"], true);
    assert_eq!(reply.body["data"]["viewer"]["isMe"], true);

    let operations = linear.operations();
    assert_eq!(operations[0].operation_name.as_deref(), Some("Issue"));
    assert_eq!(operations[0].operation_type, "query");
    assert_eq!(operations[0].variable("id"), Some(&json!("ENG-123")));
    assert!(operations[0].errors().is_empty());
    assert_eq!(operations[1].root_fields, ["issue", "viewer"]);
    linear.assert_no_violations();
}

#[tokio::test]
async fn an_unknown_issue_is_an_invalid_input_error() {
    let linear = start().await;
    let reply = gql(&linear, "query { issue(id: \"ENG-999\") { id } }", json!({})).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.body["data"], json!(null));
    assert_eq!(reply.body["errors"][0]["message"], "Entity not found: Issue");
    assert_eq!(reply.body["errors"][0]["path"], json!(["issue"]));
    assert_eq!(reply.error_type(), Some("invalid input"));
    assert_eq!(linear.operations()[0].errors().len(), 1);
    // Looking something up that is gone is not a contract violation.
    linear.assert_no_violations();
}

#[tokio::test]
async fn refuses_what_the_sdl_does_not_allow() {
    let linear = start().await;
    let cases = [
        (
            "query($id: String!) { issue(id: $id) { id nope } }",
            json!({"id": "ENG-123"}),
            "does not have a field `nope`",
        ),
        ("query { issue { id } }", json!({}), "required argument `Query.issue(id:)` is not provided"),
        ("query($id: Int!) { issue(id: $id) { id } }", json!({"id": 1}), "`$id` of type `Int!` cannot be used"),
        ("query($id: String!) { issue(id: $id, first: 2) { id } }", json!({"id": "ENG-123"}), "argument"),
        (
            "query($id: String!) { issue(id: $id) { cycle { id } } }",
            json!({"id": "ENG-123"}),
            "Cycle is not in the contract excerpt",
        ),
        ("mutation { issueCreate(input: {}) { success } }", json!({}), "issueCreate"),
    ];
    for (query, variables, expected) in cases {
        linear.clear_violations();
        let reply = gql(&linear, query, variables).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.body);
        assert_eq!(reply.error_type(), Some("graphql error"), "{query}");
        let violations = linear.violations();
        assert!(violations.iter().any(|v| v.contains(expected)), "{query}: {violations:?}");
    }
}

#[tokio::test]
async fn checks_variable_values_against_input_types() {
    let linear = start().await;
    let session = session_on(&linear, "ENG-123");
    let cases = [
        (
            json!({"agentSessionId": session}),
            "Missing value for non-null input object field AgentActivityCreateInput.content",
        ),
        (
            json!({"agentSessionId": session, "content": {"type": "thought", "body": "x"}, "private": true}),
            "key private not in type",
        ),
        (
            json!({"agentSessionId": session, "content": {"type": "thought", "body": "x"}, "ephemeral": "yes"}),
            "could not coerce",
        ),
        (
            json!({"agentSessionId": session, "content": {"type": "thought", "body": "x"}, "signal": "pause"}),
            "could not coerce",
        ),
    ];
    for (input, expected) in cases {
        linear.clear_violations();
        let reply = gql(&linear, CREATE_ACTIVITY, json!({"input": input})).await;
        assert_eq!(reply.status, 400, "{input}: {}", reply.body);
        assert_eq!(reply.error_type(), Some("invalid input"));
        let violations = linear.violations();
        assert!(violations.iter().any(|v| v.contains(expected)), "{input}: {violations:?}");
    }
    assert!(linear.activities(&session).is_empty());
}

#[tokio::test]
async fn authentication_answers_401_in_linears_shape() {
    let linear = start().await;
    let query = "query { viewer { id } }";
    let none = post(&linear, None, query, json!({})).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.error_type(), Some("authentication error"));
    assert!(none.body["errors"][0]["extensions"]["userPresentableMessage"].is_string());
    assert!(linear.violations().iter().any(|v| v.contains("no Authorization header")));
    linear.clear_violations();

    let wrong = post(&linear, Some("Bearer lin_oauth_not-a-token"), query, json!({})).await;
    assert_eq!((wrong.status, wrong.error_type()), (401, Some("authentication error")));
    linear.assert_no_violations();
    // An invalid document is a violation even when the token is refused.
    let invalid = post(&linear, Some("Bearer lin_oauth_not-a-token"), "query { viewer { nope } }", json!({})).await;
    assert_eq!(invalid.status, 401);
    let violations = linear.violations();
    assert!(violations.iter().any(|v| v == "viewer: type `User` does not have a field `nope`"), "{violations:?}");
    linear.clear_violations();

    // A personal API key goes without a prefix and acts as its owner.
    let key = post(&linear, Some(API_KEY), query, json!({})).await;
    assert_eq!(key.body["data"]["viewer"]["id"], ADA);
    let bearer_key = post(&linear, Some(&format!("Bearer {API_KEY}")), query, json!({})).await;
    assert_eq!(bearer_key.status, 401);
    let bare_token = post(&linear, Some(DEFAULT_ACCESS_TOKEN), query, json!({})).await;
    assert_eq!(bare_token.status, 401);
    let violations = linear.violations();
    assert!(violations.iter().any(|v| v.contains("API key sent as `Bearer")), "{violations:?}");
    assert!(violations.iter().any(|v| v.contains("OAuth token sent without `Bearer")), "{violations:?}");
}

#[tokio::test]
async fn rate_limit_headers_and_switches() {
    let linear = start().await;
    let query = "query { viewer { id name } }";
    let first = gql(&linear, query, json!({})).await;
    for name in [
        "x-ratelimit-requests-limit",
        "x-ratelimit-requests-remaining",
        "x-ratelimit-requests-reset",
        "x-ratelimit-complexity-limit",
        "x-ratelimit-complexity-remaining",
        "x-ratelimit-complexity-reset",
    ] {
        assert!(first.header(name).is_some_and(|v| v.parse::<u64>().is_ok()), "{name}");
    }
    let remaining = |r: &Reply| r.header("x-ratelimit-requests-remaining").unwrap().parse::<u64>().unwrap();
    let second = gql(&linear, query, json!({})).await;
    assert_eq!(remaining(&second), remaining(&first) - 1);

    linear.rate_limit_next();
    let limited = gql(&linear, query, json!({})).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.error_type(), Some("ratelimited"));
    assert_eq!(remaining(&limited), 0);
    assert_eq!(gql(&linear, query, json!({})).await.status, 200);

    linear.fail_next(LinearErrorType::InternalError, "Something went wrong");
    let failed = gql(&linear, query, json!({})).await;
    assert_eq!((failed.status, failed.error_type()), (500, Some("internal error")));
    assert_eq!(gql(&linear, query, json!({})).await.status, 200);
    linear.assert_no_violations();
}

#[tokio::test]
async fn a_field_the_double_does_not_model_is_reported() {
    let linear = start().await;
    let reply = gql(&linear, "query { issue(id: \"ENG-123\") { id estimate } }", json!({})).await;
    assert_eq!(reply.status, 500);
    assert!(
        linear.violations().iter().any(|v| v.contains("does not model Issue.estimate")),
        "{:?}",
        linear.violations()
    );
}
