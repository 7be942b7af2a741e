//! The agent's own tools, served to OpenCode by the supervisor's binary as a local MCP server
//! (`sandbox-agent mcp-tools`, registered in OpenCode's config as `openinspect`). The tools,
//! `create_pull_request` and `slack_notify`, reach the control plane only through the
//! supervisor's egress (`OI_EGRESS_URL`), which adds the sandbox token: the tool server, like
//! OpenCode, holds none.
//!
//! [`protocol`] (pure: JSON-RPC messages and the answer to each), one module per tool
//! ([`pull_request`], [`slack_notify`]: its schema, arguments, the answer's wording, the HTTP
//! call), [`answers`] (a refusal's wording), [`serve`] (the stdio loop).

pub mod answers;
pub mod protocol;
pub mod pull_request;
pub mod serve;
pub mod slack_notify;

/// The supervisor's subcommand that runs the tool server.
pub const SUBCOMMAND: &str = "mcp-tools";
