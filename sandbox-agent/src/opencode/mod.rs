//! OpenCode: its configuration, its process, its HTTP API and its id format, and a prompt's
//! attached images ([`attachments`]).

pub mod attachments;
pub mod client;
pub mod config;
pub mod ids;
pub mod process;
pub mod warmup;
