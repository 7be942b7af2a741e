//! Shared helpers: a double with a small workspace, a GraphQL client like the product's, and a
//! receiver standing in for the product's webhook route.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use oi_linear_double::{
    IssueConfig, LabelConfig, LinearConfig, LinearDouble, ProjectConfig, SessionCreated, TeamConfig, UserConfig,
    DEFAULT_ACCESS_TOKEN,
};
use serde_json::{json, Value};

pub const ADA: &str = "user-ada";
pub const GRACE: &str = "user-grace";
pub const API_KEY: &str = "lin_api_test-key-of-ada";
pub const CALLBACK: &str = "http://127.0.0.1:8787/api/integrations/linear/callback";

pub fn config() -> LinearConfig {
    LinearConfig::new()
        .user(UserConfig::new(ADA, "Ada Lovelace", "ada@example.com"))
        .user(UserConfig::new(GRACE, "Grace Hopper", "grace@example.com"))
        .team(TeamConfig::new("ENG", "Engineering"))
        .team(TeamConfig::new("OPS", "Operations"))
        .label(LabelConfig::new("bug"))
        .label(LabelConfig::new("agent"))
        .project(ProjectConfig::new("Agents"))
        .issue(
            IssueConfig::new("ENG-123", "Fix the flaky test")
                .description("It fails on CI one run in ten.")
                .label("bug")
                .project("Agents")
                .creator(ADA),
        )
        .issue(IssueConfig::new("OPS-7", "Rotate the keys"))
        .api_key(API_KEY, ADA)
        .redirect_uri(CALLBACK)
}

pub async fn start() -> LinearDouble {
    LinearDouble::start(config()).await.expect("start the double")
}

/// What a GraphQL call got back.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `errors[0].extensions.type`.
    pub fn error_type(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["type"].as_str()
    }
}

/// `POST /graphql` with `Authorization: <authorization>` (as sent, or none).
pub async fn post(linear: &LinearDouble, authorization: Option<&str>, query: &str, variables: Value) -> Reply {
    let mut request = reqwest::Client::new()
        .post(linear.graphql_url())
        .header("content-type", "application/json")
        .body(json!({"query": query, "variables": variables}).to_string());
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let response = request.send().await.expect("reach the double");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.expect("a JSON answer");
    Reply { status, headers, body }
}

/// A GraphQL call with the app token, as the product makes them.
pub async fn gql(linear: &LinearDouble, query: &str, variables: Value) -> Reply {
    post(linear, Some(&format!("Bearer {DEFAULT_ACCESS_TOKEN}")), query, variables).await
}

/// Starts a session on `issue` (delegated by Ada) without sending the webhook.
pub fn session_on(linear: &LinearDouble, issue: &str) -> String {
    linear.session_created_payload(&SessionCreated::delegated(issue, ADA)).expect("a session").0
}

pub const CREATE_ACTIVITY: &str = "mutation CreateActivity($input: AgentActivityCreateInput!) {
  agentActivityCreate(input: $input) { success lastSyncId agentActivity { id ephemeral content { __typename } } }
}";

/// One webhook delivery as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// A receiver on 127.0.0.1 that records deliveries and answers 200 after `delay`.
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

pub async fn receiver(delay: Duration) -> Receiver {
    let received = Arc::new(Mutex::new(Vec::new()));
    let state = (received.clone(), delay);
    let app = axum::Router::new().fallback(record).with_state(state);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { url, received }
}

async fn record(
    State((received, delay)): State<(Arc<Mutex<Vec<Received>>>, Duration)>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    received.lock().unwrap().push(Received { headers, body: body.to_vec() });
    tokio::time::sleep(delay).await;
    "ok"
}
