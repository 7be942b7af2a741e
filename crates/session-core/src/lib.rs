//! Pure session decisions, tested natively. The Durable Object does the I/O (SQLite,
//! sockets, D1) and asks these functions what to do.

pub mod admission;
pub mod auth;
pub mod bridge_ack;
pub mod compaction;
pub mod frames;
pub mod git_proxy;
pub mod github;
pub mod images;
pub mod lifecycle;
pub mod media;
pub mod model_proxy;
pub mod network;
pub mod paging;
pub mod pr_head_push;
pub mod preview;
pub mod queue;
pub mod rate_limit;
pub mod repo_url;
pub mod secrets;
pub mod validation;
