//! The agent's own tools, served to OpenCode by the supervisor's binary as a local MCP server
//! (`sandbox-agent mcp-tools`, registered in OpenCode's config as `openinspect`). The one tool,
//! `create_pull_request`, reaches the control plane only through the supervisor's egress
//! (`OI_EGRESS_URL`), which adds the sandbox token: the tool server, like OpenCode, holds none.
//!
//! [`protocol`] (pure: JSON-RPC messages and the answer to each), [`pull_request`] (the tool:
//! its schema, arguments, the answer's wording, the HTTP call), [`serve`] (the stdio loop).

pub mod protocol;
pub mod pull_request;
pub mod serve;

/// The supervisor's subcommand that runs the tool server.
pub const SUBCOMMAND: &str = "mcp-tools";
