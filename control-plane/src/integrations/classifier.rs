//! The repository classifier: when a request from an integration (Slack, Linear) names no
//! repository and no rule chooses one, a small model (the integration's `classifier_model`
//! setting, `provider/model`) is asked to choose among the configured repositories. Its answer counts only when it is one of them
//! (`oi_integrations::slack::routing::parse_classifier_answer`); anything else, and any
//! failure, leaves the choice to the people in the thread (the menu).
//!
//! The call goes from the control plane to the configured provider with the provider's key, as
//! the model proxy's calls do; no sandbox is involved and nothing of it reaches one.

use oi_integrations::slack::routing::{classifier_prompt, parse_classifier_answer};
use oi_protocol::agent::ModelApi;
use oi_session_core::model_proxy::headers::auth_header;
use serde_json::{json, Value};
use worker::{Env, Fetch, Headers, Method, Request, RequestInit};

use crate::config;

/// The longest answer asked for (a repository name).
const MAX_TOKENS: u32 = 60;

/// The repository the model chose among `candidates`, if it chose one of them.
pub async fn classify(env: &Env, model: &str, text: &str, candidates: &[String]) -> Option<String> {
    match ask(env, model, text, candidates).await {
        Ok(answer) => parse_classifier_answer(&answer, candidates),
        Err(why) => {
            worker::console_error!("the repository classifier ({model}) did not answer: {why}");
            None
        }
    }
}

async fn ask(env: &Env, model: &str, text: &str, candidates: &[String]) -> Result<String, String> {
    let (provider_id, name) = model.split_once('/').ok_or_else(|| format!("{model:?} is not provider/model"))?;
    let provider = config::model_providers(env)
        .into_iter()
        .find(|p| p.id == provider_id)
        .ok_or_else(|| format!("no model provider {provider_id:?} is configured"))?;
    let (system, user) = classifier_prompt(text, candidates);
    let base = provider.base_url.trim_end_matches('/');
    let (url, body) = match provider.api {
        ModelApi::OpenaiCompatible => (
            format!("{base}/chat/completions"),
            json!({
                "model": name,
                "stream": false,
                "max_tokens": MAX_TOKENS,
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            }),
        ),
        ModelApi::Anthropic => (
            format!("{base}/messages"),
            json!({
                "model": name,
                "max_tokens": MAX_TOKENS,
                "system": system,
                "messages": [{"role": "user", "content": user}],
            }),
        ),
    };
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(|e| e.to_string());
    set("content-type", "application/json")?;
    if let Some(key) = &provider.api_key {
        let (header, value) = auth_header(provider.api, key);
        set(header, &value)?;
    }
    if provider.api == ModelApi::Anthropic {
        set("anthropic-version", "2023-06-01")?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(body.to_string().into()));
    let request = Request::new_with_init(&url, &init).map_err(|e| e.to_string())?;
    let mut response = Fetch::Request(request).send().await.map_err(|e| e.to_string())?;
    if response.status_code() != 200 {
        return Err(format!("{url} answered {}", response.status_code()));
    }
    let answer: Value = response.json().await.map_err(|e| e.to_string())?;
    let text = match provider.api {
        ModelApi::OpenaiCompatible => answer["choices"][0]["message"]["content"].as_str(),
        ModelApi::Anthropic => answer["content"][0]["text"].as_str(),
    };
    text.map(String::from).ok_or_else(|| "the answer has no text".into())
}
