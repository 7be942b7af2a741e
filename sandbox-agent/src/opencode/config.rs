//! How OpenCode is configured: its config JSON (`OPENCODE_CONFIG_CONTENT`), its environment,
//! and the files seeded into its private directories. Pure functions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use oi_protocol::agent::{AgentConfig, ModelApi};
use oi_protocol::supervisor_env::EGRESS_URL;
use serde_json::{json, Map, Value};

use super::warmup;
use crate::egress::{Egress, PLACEHOLDER_API_KEY};
use crate::mcp;

/// The pinned OpenCode version this supervisor is built and tested against.
pub const OPENCODE_VERSION: &str = "1.18.33";

/// The plugin manifest OpenCode 1.18.33 would otherwise `npm install` into its config folder
/// at every start (63 MB when the registry is reachable). With these two files and an empty
/// `node_modules` present, it skips the install.
pub const PLUGIN_PACKAGE_JSON: &str = include_str!("../../assets/opencode-1.18.33/package.json");
pub const PLUGIN_PACKAGE_LOCK: &str = include_str!("../../assets/opencode-1.18.33/package-lock.json");

/// OpenCode's limit on one call to the tool server (and on its start), in ms: opening a pull
/// request waits for the source-control host. OpenCode's default is 5 s.
pub const TOOL_SERVER_TIMEOUT_MS: u64 = 60_000;

/// What OpenCode reaches of the supervisor.
#[derive(Debug, Clone, Copy)]
pub struct SupervisorLinks<'a> {
    /// The egress, `http://127.0.0.1:{port}`: models, git and the agent's tools go through it.
    pub egress_url: &'a str,
    /// The supervisor's own binary, which OpenCode runs as the agent's tool server
    /// (`{tools_bin} mcp-tools`); `None`: no tool server.
    pub tools_bin: Option<&'a Path>,
}

/// What OpenCode is told of each declared model: it calls tools, takes images as input (so a
/// prompt's attached images reach it; without `attachment` and image `modalities` OpenCode
/// replaces them with an error text), and its limits.
pub fn model_json(name: &str) -> Value {
    json!({
        "name": name,
        "tool_call": true,
        "attachment": true,
        "modalities": {"input": ["text", "image"], "output": ["text"]},
        "limit": {"context": 128000, "output": 8192},
    })
}

/// OpenCode's config: every provider declared, the session's model, unattended permissions,
/// and the supervisor's tool server.
///
/// Every provider is reached through the supervisor's model proxy (`links.egress_url`) with a
/// placeholder key: the vendor's URL and key are known only to the control plane. The one
/// exception is the warm-up stub, a supervisor-internal endpoint that OpenCode calls directly.
pub fn config_json(agent: &AgentConfig, links: SupervisorLinks<'_>) -> Value {
    let egress_url = links.egress_url;
    let mut providers = Map::new();
    for p in &agent.providers {
        let npm = match p.api {
            ModelApi::OpenaiCompatible => "@ai-sdk/openai-compatible",
            ModelApi::Anthropic => "@ai-sdk/anthropic",
        };
        // Declare the provider's listed models and the session's model; OpenCode needs custom
        // providers' models listed.
        let session_model = agent.model.split_once('/').filter(|(provider, _)| *provider == p.id).map(|(_, m)| m);
        let mut models = Map::new();
        for model in p.models.iter().map(String::as_str).chain(session_model) {
            models.insert(model.to_string(), model_json(model));
        }
        let base_url =
            if p.id == warmup::PROVIDER_ID { p.base_url.clone() } else { Egress::provider_url(egress_url, &p.id) };
        providers.insert(
            p.id.clone(),
            json!({
                "npm": npm,
                "name": p.id,
                "options": {"baseURL": base_url, "apiKey": PLACEHOLDER_API_KEY},
                "models": models,
            }),
        );
    }
    let mut config = json!({
        "autoupdate": false,
        "share": "disabled",
        "enabled_providers": agent.providers.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        "model": agent.model,
        "small_model": agent.model,
        "provider": providers,
        "permission": {"*": "allow", "question": "deny", "doom_loop": "allow", "external_directory": "allow"},
    });
    if let Some(bin) = links.tools_bin {
        config["mcp"] = json!({ mcp::protocol::SERVER_NAME: tool_server_json(bin, egress_url) });
    }
    config
}

/// The tool server as OpenCode 1.18.33 starts a local MCP server (its `McpLocalConfig`): a
/// command, its environment (added to OpenCode's own, which holds no token), on at start.
/// Its tools are offered as `openinspect_<tool>`.
pub fn tool_server_json(tools_bin: &Path, egress_url: &str) -> Value {
    json!({
        "type": "local",
        "command": [tools_bin.to_string_lossy(), mcp::SUBCOMMAND],
        "environment": {EGRESS_URL: egress_url},
        "enabled": true,
        "timeout": TOOL_SERVER_TIMEOUT_MS,
    })
}

/// OpenCode's private directories under the supervisor's state directory.
#[derive(Debug, Clone)]
pub struct OpencodeDirs {
    pub data: PathBuf,
    pub config: PathBuf,
    pub cache: PathBuf,
    pub state: PathBuf,
}

impl OpencodeDirs {
    pub fn under(state_dir: &Path) -> Self {
        let base = state_dir.join("opencode");
        Self {
            data: base.join("data"),
            config: base.join("config"),
            cache: base.join("cache"),
            state: base.join("state"),
        }
    }

    /// Where OpenCode keeps its config (and would install its plugin dependencies).
    pub fn config_folder(&self) -> PathBuf {
        self.config.join("opencode")
    }
}

/// The environment OpenCode runs with: offline flags, private XDG directories, its config (its
/// providers behind the egress, the tool server), a server password, and
/// `OPENCODE_CLIENT=serve` (no interactive `question` tool).
pub fn environment(
    agent: &AgentConfig,
    dirs: &OpencodeDirs,
    password: &str,
    links: SupervisorLinks<'_>,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let mut set = |k: &str, v: String| {
        env.insert(k.to_string(), v);
    };
    set("XDG_DATA_HOME", dirs.data.display().to_string());
    set("XDG_CONFIG_HOME", dirs.config.display().to_string());
    set("XDG_CACHE_HOME", dirs.cache.display().to_string());
    set("XDG_STATE_HOME", dirs.state.display().to_string());
    set("OPENCODE_CONFIG_CONTENT", config_json(agent, links).to_string());
    set("OPENCODE_SERVER_PASSWORD", password.to_string());
    set("OPENCODE_CLIENT", "serve".into());
    for flag in [
        "OPENCODE_DISABLE_AUTOUPDATE",
        "OPENCODE_DISABLE_MODELS_FETCH",
        "OPENCODE_DISABLE_LSP_DOWNLOAD",
        "OPENCODE_DISABLE_SHARE",
        "OPENCODE_DISABLE_CLAUDE_CODE",
        "OPENCODE_DISABLE_EXTERNAL_SKILLS",
    ] {
        set(flag, "1".into());
    }
    env
}

/// The URL in OpenCode's readiness line (`opencode server listening on http://127.0.0.1:4096`).
pub fn parse_listening_line(line: &str) -> Option<String> {
    let rest = line.split("listening on ").nth(1)?;
    let url = rest.split_whitespace().next()?;
    url.starts_with("http://").then(|| url.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oi_protocol::agent::ModelProvider;

    fn agent() -> AgentConfig {
        AgentConfig {
            model: "scripted/test-model".into(),
            providers: vec![
                ModelProvider {
                    id: "scripted".into(),
                    api: ModelApi::OpenaiCompatible,
                    base_url: "http://127.0.0.1:8790/v1".into(),
                    api_key: None,
                    test_model: true,
                    models: vec![],
                },
                ModelProvider {
                    id: "anthropic".into(),
                    api: ModelApi::Anthropic,
                    base_url: "https://api.anthropic.com/v1".into(),
                    api_key: Some("sk-ant".into()),
                    test_model: false,
                    models: vec!["claude-haiku-4-5".into()],
                },
            ],
        }
    }

    const PROXY: &str = "http://127.0.0.1:4242";
    const LINKS: SupervisorLinks<'static> = SupervisorLinks { egress_url: PROXY, tools_bin: None };

    #[test]
    fn config_declares_providers_model_and_permissions() {
        let c = config_json(&agent(), LINKS);
        assert_eq!(c["model"], "scripted/test-model");
        assert_eq!(c["enabled_providers"], json!(["scripted", "anthropic"]));
        let scripted = &c["provider"]["scripted"];
        assert_eq!(scripted["npm"], "@ai-sdk/openai-compatible");
        assert_eq!(scripted["models"]["test-model"]["tool_call"], true);
        assert_eq!(c["provider"]["anthropic"]["npm"], "@ai-sdk/anthropic");
        assert_eq!(c["provider"]["anthropic"]["models"]["claude-haiku-4-5"]["tool_call"], true, "listed models");
        for (provider, model) in [("scripted", "test-model"), ("anthropic", "claude-haiku-4-5")] {
            let declared = &c["provider"][provider]["models"][model];
            assert_eq!(declared["attachment"], true, "{provider}/{model} takes attachments");
            assert_eq!(declared["modalities"], json!({"input": ["text", "image"], "output": ["text"]}));
        }
        assert!(c["provider"]["anthropic"]["models"].get("test-model").is_none());
        assert_eq!(c["permission"]["question"], "deny");
        assert_eq!(c["permission"]["*"], "allow");
    }

    #[test]
    fn every_provider_goes_through_the_egress_without_a_key() {
        let c = config_json(&agent(), LINKS);
        for (id, provider) in c["provider"].as_object().unwrap() {
            assert_eq!(provider["options"]["baseURL"], format!("{PROXY}/model/{id}"));
            assert_eq!(provider["options"]["apiKey"], PLACEHOLDER_API_KEY, "never the key the config carries");
        }
        let text = c.to_string();
        assert!(!text.contains("sk-ant") && !text.contains("api.anthropic.com") && !text.contains(":8790"), "{text}");
    }

    #[test]
    fn the_warm_up_stub_is_called_directly() {
        let with_stub = warmup::with_warmup_provider(&agent(), "http://127.0.0.1:5555/v1");
        let c = config_json(&with_stub, LINKS);
        let stub = &c["provider"][warmup::PROVIDER_ID]["options"];
        assert_eq!(stub["baseURL"], "http://127.0.0.1:5555/v1");
        assert_eq!(stub["apiKey"], PLACEHOLDER_API_KEY);
        assert_eq!(c["provider"]["scripted"]["options"]["baseURL"], format!("{PROXY}/model/scripted"));
    }

    #[test]
    fn environment_is_offline_and_private() {
        let dirs = OpencodeDirs::under(Path::new("/s"));
        let env = environment(&agent(), &dirs, "pw", LINKS);
        assert_eq!(env["XDG_CONFIG_HOME"], "/s/opencode/config");
        assert_eq!(env["OPENCODE_CLIENT"], "serve");
        assert_eq!(env["OPENCODE_DISABLE_MODELS_FETCH"], "1");
        assert_eq!(env["OPENCODE_SERVER_PASSWORD"], "pw");
        let parsed: Value = serde_json::from_str(&env["OPENCODE_CONFIG_CONTENT"]).unwrap();
        assert_eq!(parsed["model"], "scripted/test-model");
        assert_eq!(parsed["provider"]["scripted"]["options"]["baseURL"], format!("{PROXY}/model/scripted"));
    }

    #[test]
    fn the_tool_server_is_the_supervisor_binary_behind_the_egress() {
        assert!(config_json(&agent(), LINKS).get("mcp").is_none());
        let bin = Path::new("/opt/oi/sandbox-agent");
        let c = config_json(&agent(), SupervisorLinks { tools_bin: Some(bin), ..LINKS });
        assert_eq!(
            c["mcp"],
            json!({"openinspect": {
                "type": "local",
                "command": ["/opt/oi/sandbox-agent", "mcp-tools"],
                "environment": {"OI_EGRESS_URL": PROXY},
                "enabled": true,
                "timeout": 60000,
            }})
        );
    }

    #[test]
    fn readiness_line() {
        assert_eq!(
            parse_listening_line("opencode server listening on http://127.0.0.1:4096").as_deref(),
            Some("http://127.0.0.1:4096")
        );
        assert_eq!(parse_listening_line("Warning: OPENCODE_SERVER_PASSWORD is not set"), None);
        assert!(PLUGIN_PACKAGE_JSON.contains(OPENCODE_VERSION));
    }
}
