//! Deployment settings, read from the Worker's environment: `[vars]` in wrangler.toml,
//! `--var` in local runs, and secrets for keys.

use oi_protocol::agent::{AgentConfig, ModelProvider};
use worker::Env;

/// The model used when a session does not name one.
pub fn default_model(env: &Env) -> String {
    var(env, "DEFAULT_MODEL").unwrap_or_else(|| "scripted/test-model".to_string())
}

/// A plain variable, if set and non-empty.
pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.is_empty())
}

/// A secret (or, in local runs, a variable of the same name).
pub fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name).ok().map(|v| v.to_string()).filter(|v| !v.is_empty()).or_else(|| var(env, name))
}

/// The control plane's URL as sandboxes reach it.
pub fn control_plane_url(env: &Env) -> String {
    var(env, "CONTROL_PLANE_URL").unwrap_or_else(|| "http://127.0.0.1:8787".to_string())
}

/// A session's page, for links from outside (a pull request body, Slack, GitHub, Linear): on
/// the public URL when one is set, else on the control plane's.
pub fn session_page_url(env: &Env, session_id: &str) -> String {
    let base = crate::auth::settings::public_url(env).unwrap_or_else(|| control_plane_url(env));
    format!("{}/sessions/{session_id}", base.trim_end_matches('/'))
}

/// The sandbox provider's URL and signing key, when one is configured.
pub fn sandbox_provider(env: &Env) -> Option<(String, String)> {
    Some((var(env, "SANDBOX_PROVIDER_URL")?, secret(env, "SANDBOX_PROVIDER_KEY")?))
}

/// The model providers (`MODEL_PROVIDERS`, a JSON list without keys) with each key read from
/// the secret `MODEL_API_KEY_<ID>` (upper case, `-` as `_`).
pub fn model_providers(env: &Env) -> Vec<ModelProvider> {
    let mut providers: Vec<ModelProvider> =
        var(env, "MODEL_PROVIDERS").and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default();
    for p in &mut providers {
        let name = format!("MODEL_API_KEY_{}", p.id.to_ascii_uppercase().replace('-', "_"));
        if let Some(key) = secret(env, &name) {
            p.api_key = Some(key);
        }
    }
    providers
}

/// What a session's agent runs with: the providers without their keys. The sandbox reaches
/// every model through the control plane's model proxy, which adds the key at the egress.
pub fn agent_config(env: &Env, model: &str) -> AgentConfig {
    let providers = model_providers(env).into_iter().map(|p| ModelProvider { api_key: None, ..p }).collect();
    AgentConfig { model: model.to_string(), providers }
}

/// The lifecycle's timing: the defaults, overridden by `SANDBOX_*_MS` variables (tests and
/// deployments shorten or lengthen them).
pub fn lifecycle_timing(env: &Env) -> oi_session_core::lifecycle::Timing {
    let mut t = oi_session_core::lifecycle::Timing::default();
    let ms = |name: &str| var(env, name).and_then(|v| v.parse::<i64>().ok()).filter(|v| *v > 0);
    for (name, field) in [
        ("SANDBOX_INACTIVITY_MS", &mut t.inactivity),
        ("SANDBOX_INACTIVITY_EXTENSION_MS", &mut t.inactivity_extension),
        ("SANDBOX_WARM_RELEASE_MS", &mut t.warm_release),
        ("SANDBOX_HEARTBEAT_STALE_MS", &mut t.heartbeat_stale),
        ("SANDBOX_CONNECT_TIMEOUT_MS", &mut t.connect_watchdog),
        ("SANDBOX_EXECUTION_TIMEOUT_MS", &mut t.execution_timeout),
        ("SANDBOX_BREAKER_WINDOW_MS", &mut t.breaker_window),
    ] {
        if let Some(v) = ms(name) {
            *field = v;
        }
    }
    t
}

/// The lowest runtime generation a snapshot may have to be restored.
pub fn min_runtime_generation(env: &Env) -> u32 {
    var(env, "MIN_RUNTIME_GENERATION").and_then(|v| v.parse().ok()).unwrap_or(oi_protocol::provider::RUNTIME_GENERATION)
}

/// How repo images are kept fresh (`IMAGE_REBUILD_MS`, `IMAGE_RECENT_USE_MS` override).
pub fn image_policy(env: &Env) -> oi_session_core::images::ImagePolicy {
    let mut p = oi_session_core::images::ImagePolicy::default();
    let ms = |name: &str| var(env, name).and_then(|v| v.parse::<i64>().ok()).filter(|v| *v > 0);
    if let Some(v) = ms("IMAGE_REBUILD_MS") {
        p.rebuild_every = v;
    }
    if let Some(v) = ms("IMAGE_RECENT_USE_MS") {
        p.recent_use = v;
    }
    p
}

/// A configured warm pool.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PoolConfig {
    pub repo: String,
    #[serde(default = "default_branch")]
    pub branch: String,
    pub size: u32,
}

fn default_branch() -> String {
    "main".into()
}

/// The warm pools (`WARM_POOLS`, a JSON list of `{repo, branch, size}`).
pub fn warm_pools(env: &Env) -> Vec<PoolConfig> {
    var(env, "WARM_POOLS").and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_default()
}

/// The package registries a sandbox on `repo` may reach when its provider isolates the network
/// (`NETWORK_ALLOWLIST`; the public registries by default). A bad setting is logged and the
/// default used.
pub fn network_allow(env: &Env, repo: &str) -> Vec<String> {
    let configured = var(env, "NETWORK_ALLOWLIST");
    oi_session_core::network::registries_for(configured.as_deref(), repo).unwrap_or_else(|why| {
        worker::console_error!("{why}");
        oi_session_core::network::registries_for(None, repo).unwrap_or_default()
    })
}

/// The domain preview origins live under: `PREVIEW_DOMAIN` (a deployment routes
/// `*.<domain>` to the Worker), else `localhost:<this request's port>` (browsers send
/// `*.localhost` to this machine).
pub fn preview_domain(env: &Env, url: &worker::Url) -> String {
    var(env, "PREVIEW_DOMAIN").unwrap_or_else(|| match url.port() {
        Some(port) => format!("localhost:{port}"),
        None => "localhost".to_string(),
    })
}

/// The key that signs preview tickets and passes: derived (SHA-256 with a label) from the
/// first of `SESSION_SIGNING_KEY`, `SECRETS_KEY`, `LOCAL_TOKEN` that is set.
pub fn preview_secret(env: &Env) -> Option<Vec<u8>> {
    use sha2::{Digest, Sha256};
    let base = ["SESSION_SIGNING_KEY", "SECRETS_KEY", "LOCAL_TOKEN"].iter().find_map(|name| secret(env, name))?;
    Some(Sha256::digest(format!("open-inspect preview passes\n{base}").as_bytes()).to_vec())
}
