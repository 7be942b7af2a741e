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
//! Besides sandboxes it builds **repo images** (`/v1/images`: a sandbox in `build` mode whose
//! filesystem becomes the image, recorded on disk so images outlive the provider; sandboxes
//! start from one in `repo_image` mode) and runs **warm pools** (`pool: true` sandboxes wait
//! with `OI_POOL=1` until `POST /v1/sandboxes/:id/claim` hands them to a session).
//!
//! Decisions are pure functions, each in its own module: [`isolation::bwrap_args`],
//! [`env::sandbox_env`] and [`env::build_env`], [`repo::repo_url_for`], [`ids::is_safe_id`],
//! [`cgi`] (the git endpoint's CGI), [`push_rule`] (what a push may update),
//! [`auth::NonceCache`] and [`nonce_log`] (replay protection
//! that survives a restart), [`env::with_host_settings`], [`token`],
//! [`images::build_outcome`], [`claim::validate`] and [`snapshot_gc::decide`] (which snapshots
//! to delete). I/O lives in [`sandbox`] (processes), [`procs`] (finding and signalling them),
//! [`snapshot`] (taking, restoring and garbage-collecting snapshots), [`images`] (image records),
//! [`image_build`], [`claim`], [`git_http`], [`lifecycle`], [`routes`] and [`server`].

pub mod app;
pub mod auth;
pub mod cgi;
pub mod claim;
pub mod config;
pub mod containment;
pub mod env;
pub mod error;
pub mod gateway;
pub mod git_http;
pub mod ids;
pub mod image_build;
pub mod images;
pub mod isolation;
pub mod layout;
pub mod lifecycle;
pub mod nonce_log;
pub mod procs;
pub mod push_rule;
pub mod repo;
pub mod routes;
pub mod sandbox;
pub mod sandbox_fs;
pub mod seccomp;
pub mod server;
pub mod snapshot;
pub mod snapshot_gc;
pub mod token;

pub use config::Config;
pub use isolation::Isolation;
pub use routes::router;
pub use server::{serve, Provider, StartError};
