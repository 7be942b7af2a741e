//! OpenCode: its configuration, its process, its HTTP API and its id format.

pub mod client;
pub mod config;
pub mod ids;
pub mod process;
pub mod warmup;
