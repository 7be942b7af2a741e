//! The local sandbox provider (docs/sandbox-provider.md): each sandbox is a directory on the
//! host, and its supervisor runs under bubblewrap. An HTTP daemon speaks the provider contract
//! of [`oi_protocol::provider`], signed with [`oi_protocol::signing`].
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = oi_local_provider::Config::new("/var/lib/oi", "/usr/local/bin/sandbox-agent", "/opt/opencode", "key");
//! let provider = oi_local_provider::serve(config).await?;
//! println!("{}", provider.url());
//! provider.shutdown().await; // terminates every sandbox
//! # Ok(()) }
//! ```
//!
//! Decisions are pure functions, each in its own module: [`isolation::bwrap_args`],
//! [`env::sandbox_env`], [`repo::repo_url_for`], [`ids::is_safe_id`], [`cgi`] (the git
//! endpoint's CGI), [`auth::NonceCache`] and [`token`]. I/O lives in [`sandbox`] (processes),
//! [`procs`] (finding and signalling them), [`snapshot`], [`git_http`], [`lifecycle`],
//! [`routes`] and [`server`].

pub mod app;
pub mod auth;
pub mod cgi;
pub mod config;
pub mod env;
pub mod error;
pub mod git_http;
pub mod ids;
pub mod isolation;
pub mod layout;
pub mod lifecycle;
pub mod procs;
pub mod repo;
pub mod routes;
pub mod sandbox;
pub mod server;
pub mod snapshot;
pub mod token;

pub use config::Config;
pub use isolation::Isolation;
pub use routes::router;
pub use server::{serve, Provider, StartError};
