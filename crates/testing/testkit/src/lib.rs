//! Test and benchmark harness for Open Inspect.
//!
//! [`ControlPlane`] starts the built Worker under `wrangler dev` (workerd) on a free loopback
//! port with its own state directory, and stops it when dropped. [`Api`], [`ClientSocket`]
//! and [`BridgeSocket`] speak to it with the protocol crate's types.

pub mod agent_events;
mod api;
mod bridge_socket;
pub mod callback_receiver;
mod client_socket;
mod control_plane;
mod git_fixture;
pub mod github_app;
pub mod media;
mod process;
pub mod sentry_sender;
pub mod signing;
mod stack;
mod tcp_proxy;

pub use api::{Api, ApiResponse, Hop};
pub use bridge_socket::BridgeSocket;
pub use client_socket::{mint_ws_token, ClientEndpoint, ClientSocket};
pub use control_plane::{repo_root, ControlPlane, ControlPlaneOptions};
pub use git_fixture::{repos_dir, BareRepo};
pub use process::{free_port, ChildGroup};
pub use stack::{bin_dir, opencode_bin, Stack, StackOptions, SCRIPTED_MODEL_KEY, SECRETS_KEY};
pub use tcp_proxy::TcpProxy;

/// How long a test waits for one expected message before failing.
pub const RECV_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// `bytes` random bytes from the OS, as hex (tokens for the servers tests start).
pub fn random_hex(bytes: usize) -> String {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut buf)).expect("/dev/urandom");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
