//! The agent's model configuration: which model, and the endpoints that serve it. Any
//! OpenAI-compatible endpoint (local models included) or Anthropic works; no key is built in.

use serde::{Deserialize, Serialize};

/// The wire protocol a model endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelApi {
    /// `POST {base_url}/chat/completions` (OpenAI, vLLM, Ollama, llama.cpp, the scripted model…).
    OpenaiCompatible,
    /// `POST {base_url}/messages` (Anthropic).
    Anthropic,
}

/// One model provider: the `provider` half of a `provider/model` name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelProvider {
    /// The name used in `provider/model` (`scripted`, `openai`, `anthropic`, `local`…).
    pub id: String,
    pub api: ModelApi,
    /// Base URL including the version path, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// The API key, when the endpoint needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Shown in the UI; `true` for the scripted test model.
    #[serde(default)]
    pub test_model: bool,
    /// Model names this provider offers in pickers (`provider/<name>`); any name still works.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
}

/// What the sandbox's agent runs with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentConfig {
    /// `provider/model`, the session's default.
    pub model: String,
    /// Every provider a prompt may name.
    pub providers: Vec<ModelProvider>,
}

impl AgentConfig {
    /// The provider serving a `provider/model` name.
    pub fn provider_for(&self, model: &str) -> Option<&ModelProvider> {
        let (provider, _) = model.split_once('/')?;
        self.providers.iter().find(|p| p.id == provider)
    }
}
