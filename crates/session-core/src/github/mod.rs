//! GitHub decisions for pull requests, with no I/O. The control plane does the HTTP (webhook
//! deliveries, the REST API), the storage and the clock, and asks these functions what to do.
//!
//! - [`webhook`]: the `X-Hub-Signature-256` check (HMAC-SHA256, constant time).
//! - [`events`]: the webhook events the product uses, typed ([`events::parse_event`]).
//! - [`review_events`]: the deliveries that may ask the App to review or answer on a pull
//!   request ([`review_events::parse_review_event`]).
//! - [`app_jwt`]: the GitHub App's RS256 JWT, made from its PEM key at a time the caller passes.
//! - [`tokens`]: when a cached installation token must be replaced, and its `expires_at`.
//! - [`attribution`]: commit authors' noreply emails, `Co-authored-by` trailers, commit messages.
//! - [`evidence`]: the checks the agent ran, as a pull request's verification evidence.
//! - [`pr_body`]: the markdown body of a pull request the agent opens.
//! - [`pr_state`]: a pull request's state and checks kept current from webhooks.

pub mod app_jwt;
pub mod attribution;
pub mod events;
pub mod evidence;
pub mod pr_body;
pub mod pr_state;
pub mod review_events;
pub mod tokens;
pub mod webhook;

pub use app_jwt::app_jwt;
pub use attribution::{co_author_trailers, commit_attribution, commit_message, commit_person, noreply_email, Person};
pub use events::{parse_event, WebhookEvent};
pub use pr_body::PrBody;
pub use webhook::{verify_signature, WebhookRefusal};
