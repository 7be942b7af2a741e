//! Deployment settings, read from the Worker's environment (`[vars]` in wrangler.toml).

use worker::Env;

/// The model used when a session does not name one.
pub fn default_model(env: &Env) -> String {
    var(env, "DEFAULT_MODEL").unwrap_or_else(|| "scripted/test-model".to_string())
}

/// A plain variable, if set and non-empty.
pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.is_empty())
}
