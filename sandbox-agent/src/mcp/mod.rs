//! The agent's own tools, served to OpenCode by the supervisor's binary as a local MCP server
//! (`sandbox-agent mcp-tools`, registered in OpenCode's config as `openinspect`). The tools,
//! `create_pull_request`, `slack_notify`, `submit_review`, `reply_comment` and `screenshot`,
//! reach the control plane only through the supervisor's egress (`OI_EGRESS_URL`), which adds the
//! sandbox token: the tool server, like OpenCode, holds none.
//!
//! [`protocol`] (pure: JSON-RPC messages and the answer to each), one module per tool
//! ([`pull_request`], [`slack_notify`], [`submit_review`], [`reply_comment`], [`screenshot`]: its
//! schema, arguments and the answer's wording; `create_pull_request` and `screenshot` also their
//! HTTP call, `screenshot` its capture in headless Chromium, [`crate::browser`]), [`origin`]
//! (what the tools that post to the session's origin share: the HTTP call, picking the tool's
//! wording by the post, argument checks), [`answers`] (a refusal's wording), [`serve`] (the
//! stdio loop).

pub mod answers;
pub mod origin;
pub mod protocol;
pub mod pull_request;
pub mod reply_comment;
pub mod screenshot;
pub mod serve;
pub mod slack_notify;
pub mod submit_review;

/// The supervisor's subcommand that runs the tool server.
pub const SUBCOMMAND: &str = "mcp-tools";
