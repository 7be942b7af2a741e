//! `GET /api/models`: the models sessions can use, from configuration.

use oi_protocol::rest::{ModelList, ModelOption};
use worker::{Env, Request, Response};

use crate::config;
use crate::http::{json_response, Outcome};

/// For a signed-in person only: the list names the deployment's model providers.
pub async fn list(req: &Request, env: &Env) -> Outcome<Response> {
    crate::auth::current_caller(req, env).await?;
    let default_model = config::default_model(env);
    let mut models = vec![];
    for p in config::model_providers(env) {
        for name in &p.models {
            models.push(ModelOption {
                id: format!("{}/{name}", p.id),
                provider: p.id.clone(),
                test_model: p.test_model,
            });
        }
    }
    if !models.iter().any(|m| m.id == default_model) {
        let provider = default_model.split('/').next().unwrap_or_default().to_string();
        let test_model = config::model_providers(env).iter().any(|p| p.id == provider && p.test_model);
        models.insert(0, ModelOption { id: default_model.clone(), provider, test_model });
    }
    json_response(200, &ModelList { default_model, models })
}
