//! Every wire type of Open Inspect, in one place.
//!
//! The control-plane Worker, the sandbox supervisor, the web app and every test use these types,
//! so no JSON shape is written twice. Each module is one surface:
//!
//! - [`rest`]: REST request and response bodies under `/api`.
//! - [`client`]: messages between a client (browser, CLI, test) and a session's Durable Object.
//! - [`bridge`]: messages between the sandbox bridge and a session's Durable Object.
//! - [`events`]: the session event log, shared by history, live fan-out and the bridge.
//! - [`error`]: the one error body, `{"error":{"code","message"}}`.
//! - [`secrets`]: the secrets API (values go in, never out).
//! - [`source_control`]: repositories, a session's pull request, commit attribution.
//! - [`transcript`]: the reducer that turns events into the transcript a user sees.
//! - [`provider`] and [`supervisor_env`]: the sandbox-provider API, and the environment a
//!   provider gives the sandbox supervisor.
//! - [`origin`]: where a session came from, and what its origin is told afterwards.
//! - [`automations`]: automations, their triggers and runs.
//! - [`integrations`]: integrations' settings and the log of vendor deliveries.
//! - [`review`]: the agent's tools for answering on a GitHub pull request (`submit_review`,
//!   `reply_comment`).
//! - [`sandbox_routes`]: the control-plane routes a sandbox may reach (its own session's
//!   sandbox-token routes), for the network gateway and the supervisor's egress.

pub mod agent;
pub mod automations;
pub mod bridge;
pub mod client;
pub mod decode;
pub mod error;
pub mod events;
pub mod integrations;
pub mod limits;
pub mod media;
pub mod origin;
pub mod preview;
pub mod provider;
pub mod rest;
pub mod review;
pub mod sandbox_routes;
pub mod secrets;
pub mod session;
pub mod signing;
pub mod source_control;
pub mod supervisor_env;
pub mod transcript;

pub use error::{ApiError, ErrorBody, ErrorCode};
pub use events::{EventBody, SessionEvent};
pub use session::{PromptStatus, QueuedPrompt, Role, SandboxStatus, SessionState, SessionStatus, SessionSummary, User};
