//! Shared helpers: a double with people and channels, a Web API client like the product's,
//! and a receiver standing in for the product's events and interactions routes.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use oi_slack_double::{ChannelConfig, SlackConfig, SlackDouble, UserConfig};
use serde_json::Value;

pub const TOKEN: &str = "xoxb-1111-2222-TestTokenForTheDouble";
pub const SECRET: &str = "test-signing-secret-0123456789ab";
pub const CHANNEL: &str = "C0123DEV";
pub const PRIVATE: &str = "G0123SECRET";
pub const ADA: &str = "U0ADA";
pub const GRACE: &str = "U0GRACE";
pub const DM_ADA: &str = "D0ADA";

pub fn config() -> SlackConfig {
    SlackConfig::new(TOKEN, SECRET)
        .channel(ChannelConfig::public(CHANNEL, "dev"))
        .channel(ChannelConfig::private(PRIVATE, "secret").without_bot())
        .channel(ChannelConfig::im(DM_ADA, ADA))
        .user(UserConfig::new(ADA, "ada").real_name("Ada Lovelace").email("ada@example.com"))
        .user(UserConfig::new(GRACE, "grace").real_name("Grace Hopper").email("grace@example.com"))
}

pub async fn start() -> SlackDouble {
    SlackDouble::start(config()).await.expect("start the double")
}

/// Calls the Web API as the product does: `POST` JSON with `Authorization: Bearer`.
pub async fn post_json(slack: &SlackDouble, method: &str, args: Value) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(slack.api_url(method))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json; charset=utf-8")
        .body(args.to_string())
        .send()
        .await
        .expect("reach the double");
    (res.status().as_u16(), res.json().await.expect("a JSON answer"))
}

/// `POST` a form with `Authorization: Bearer`.
pub async fn post_form(slack: &SlackDouble, method: &str, args: &[(&str, &str)]) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(slack.api_url(method))
        .bearer_auth(TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(args).unwrap())
        .send()
        .await
        .expect("reach the double");
    (res.status().as_u16(), res.json().await.expect("a JSON answer"))
}

/// `GET` with query arguments and `Authorization: Bearer`.
pub async fn get(slack: &SlackDouble, method: &str, args: &[(&str, &str)]) -> (u16, Value) {
    let url = format!("{}?{}", slack.api_url(method), serde_urlencoded::to_string(args).unwrap());
    let res = reqwest::Client::new().get(url).bearer_auth(TOKEN).send().await.expect("reach the double");
    (res.status().as_u16(), res.json().await.expect("a JSON answer"))
}

/// Posts a message as the bot; answers its ts.
pub async fn post(slack: &SlackDouble, args: Value) -> String {
    let (_, body) = post_json(slack, "chat.postMessage", args).await;
    assert_eq!(body["ok"], true, "{body}");
    body["ts"].as_str().unwrap().to_string()
}

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    /// Whether the Slack signature checks out with `SECRET`.
    pub fn signed(&self) -> bool {
        oi_slack_double::signing::verify(
            SECRET,
            self.header("x-slack-request-timestamp"),
            &self.body,
            self.header("x-slack-signature"),
            oi_slack_double::signing::unix_now(),
        )
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// The `payload` field of an interaction form, parsed.
    pub fn payload(&self) -> Value {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&self.body).expect("a form body");
        assert_eq!(pairs.len(), 1, "one field");
        assert_eq!(pairs[0].0, "payload");
        serde_json::from_str(&pairs[0].1).expect("JSON in payload")
    }
}

/// A stand-in for the product's routes: records what it gets and answers 200 (the
/// `url_verification` challenge as text).
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start() -> Self {
        let got = Arc::new(Mutex::new(Vec::new()));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(receive).with_state(got.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, got }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

async fn receive(State(got): State<Arc<Mutex<Vec<Received>>>>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let received = Received { path: parts.uri.path().into(), headers: parts.headers, body: body.clone() };
    got.lock().unwrap().push(received);
    match serde_json::from_slice::<Value>(&body) {
        Ok(v) if v["type"] == "url_verification" => {
            v["challenge"].as_str().unwrap_or_default().to_string().into_response()
        }
        _ => "".into_response(),
    }
}
