//! The source-control provider boundary.
//!
//! Session logic asks a [`SourceControl`] for repositories, branches, the credential git needs
//! and the session's pull request; it never speaks a host's API itself. [`github::GitHub`] is
//! the first implementation (a GitHub App: installation tokens for the App, the user's own
//! OAuth token for their pull requests). GitLab and others implement the same trait.
//!
//! Nothing here does I/O of its own: HTTP goes through the caller's [`HttpClient`] (the
//! Worker's `fetch` in production, `reqwest` in tests) and installation tokens are cached in
//! the caller's [`TokenCache`] (D1 in production), so the code runs the same natively and in
//! WASM.

pub mod github;
mod http;
mod provider;

pub use http::{HttpClient, HttpRequest, HttpResponse};
pub use provider::{
    CachedToken, PublishedPull, PullRequestDraft, RepoPermission, RepoRef, SourceControl, SourceControlError,
    TokenCache,
};
