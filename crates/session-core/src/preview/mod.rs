//! Previews: a look at the app a session's sandbox serves, for the people who may view the
//! session. Each preview lives on an origin of its own (`p-<session>-<port>.<preview domain>`),
//! never the control plane's, so the app's pages (the agent's work, untrusted) cannot read the
//! control plane's cookies or call its API as the viewer. A person enters through a short-lived
//! ticket minted on the control plane's origin; the preview origin swaps it for a pass (its
//! own cookie), checked on every request together with the session's access rules.
//!
//! - [`address`]: the preview origin's host name, to and from a session and port.
//! - [`pass`]: the signed ticket and pass (HS256 JWTs).
//! - [`headers`]: which request and response headers cross the tunnel.
//!
//! Invariant: a preview request reaches a sandbox only with a pass for that session and port,
//! for a person the session's access rules let view it; the host name alone opens nothing.

pub mod address;
pub mod headers;
pub mod pass;

pub use oi_protocol::preview::{check_port, parse_ports, MAX_PREVIEW_PORTS};
