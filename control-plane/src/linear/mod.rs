//! Linear (docs/linear.md): delegating an issue to the agent, or mentioning it, starts a
//! session; Linear shows its progress as the agent session's activities.
//!
//! - [`oauth`]: installing the app (`actor=app`) and its token, renewed when it expires.
//! - [`api`]: GraphQL calls with the app's token (one retry after a 401 with a renewed token).
//! - [`webhook`]: Linear's deliveries, verified, deduped and queued.
//! - [`requests`]: the jobs: an agent session created (a thought first, then the issue, its
//!   repository, the session and its first prompt), a prompt in it, a stop.
//! - [`notices`]: the session's progress and end as the agent session's activities.
//! - [`store`]: agent sessions and their sessions.

pub mod api;
pub mod notices;
pub mod oauth;
pub mod requests;
pub mod store;
pub mod webhook;
