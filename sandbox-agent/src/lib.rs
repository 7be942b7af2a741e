//! The sandbox supervisor (`sandbox-agent`): boots the session's repo, runs OpenCode, and
//! bridges it to the session's Durable Object.
//!
//! Pure decisions: [`config`] (the provider's environment), [`boot_plan`] (what each boot mode
//! does), [`outbox`] (exactly-once numbering), [`translate`] (OpenCode events → agent events),
//! [`opencode::config`]. I/O: [`git`], [`scripts`], [`opencode`] (process and HTTP client),
//! [`model_proxy`] (the model endpoint OpenCode calls: forwards to the control plane with the
//! sandbox token), [`bridge`] (the WebSocket), [`supervisor`] (the loop tying them together).

pub mod agent;
pub mod boot;
pub mod boot_plan;
pub mod bridge;
pub mod config;
pub mod diff;
pub mod git;
pub mod model_proxy;
pub mod opencode;
pub mod outbox;
pub mod scripts;
pub mod supervisor;
pub mod translate;
