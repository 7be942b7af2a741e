//! Linear (docs/linear.md): delegating an issue to the agent, or mentioning it, starts a
//! session; Linear shows its progress as the agent session's activities.
//!
//! - [`oauth`]: installing the app (`actor=app`) and its token, renewed when it expires.
//! - [`api`]: GraphQL calls with the app's token (one retry after a 401 with a renewed token).

pub mod api;
pub mod oauth;
