//! The sandbox supervisor (`sandbox-agent`): boots the session's repo, runs OpenCode, and
//! bridges it to the session's Durable Object.
//!
//! Pure decisions: [`config`] (the provider's environment), [`boot_plan`] (what each boot mode
//! does), [`outbox`] (exactly-once numbering), [`translate`] (OpenCode events → agent events),
//! [`supervisor::prompts`] (what each prompt and stop command does), [`opencode::config`].
//! I/O: [`endpoints`] (the URLs a boot reaches, through the isolated network's forwarders),
//! [`git`], [`scripts`], [`opencode`] (process, HTTP client, a prompt's attached images),
//! [`egress`] (the sandbox's loopback endpoint for models, git, attached images and the agent's
//! tools: forwards to the control plane with the sandbox token), [`mcp`] (the agent's own tools,
//! an MCP server OpenCode starts as `sandbox-agent mcp-tools`), [`browser`] (headless Chromium
//! over the DevTools protocol, for the `screenshot` tool), [`bridge`] (the WebSocket),
//! [`preview`] (a viewer's request to the app on a listed port, answered on the
//! bridge), [`supervisor`] (the boot paths and the prompt loop tying them together).

pub mod agent;
pub mod boot;
pub mod boot_plan;
pub mod bridge;
pub mod browser;
pub mod config;
pub mod diff;
pub mod egress;
pub mod endpoints;
pub mod git;
pub mod mcp;
pub mod network;
pub mod opencode;
pub mod outbox;
pub mod preview;
pub mod redact;
pub mod scripts;
pub mod supervisor;
pub mod translate;
