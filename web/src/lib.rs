//! The Open Inspect web app: Leptos with client-side rendering, built to WASM and served as the
//! control plane's static assets.
//!
//! - [`model`]: pure view logic (the session as folded from the socket, tool-call and diff views,
//!   markdown, formatting, the composer's decisions), tested natively.
//! - `ui` (wasm32 only): the Leptos app: API client, session socket, pages and components.

pub mod model;

#[cfg(target_arch = "wasm32")]
pub mod ui;
