//! The Slack integration's pure decisions (shared/contracts/slack): a person mentions the app
//! (or writes to it directly), the app picks a repository, starts a session as that person, and
//! keeps one status message in the thread up to date; replies in the thread are follow-ups.
//!
//! - [`signature`]: Slack's v0 request signatures (events and interactivity).
//! - [`events`]: Events API deliveries: requests, thread replies, and what is ignored.
//! - [`routing`]: which repository a request works in, and the classifier's prompt and answer.
//! - [`messages`]: the Block Kit messages the bot posts, within Slack's limits.
//! - [`interactions`]: clicks on the bot's buttons and menu.
//! - [`refusals`]: what a session's watchers are told when Slack refuses a call.
//! - [`settings`]: the integration's `config` object, validated.
//! - [`threads`]: the follow-up window, and the first prompt with the thread's context.
//!
//! Invariant, as everywhere in this crate: no I/O and no clock; the Worker passes times in and
//! does what these functions decide.

pub mod events;
pub mod interactions;
pub mod messages;
pub mod refusals;
pub mod routing;
pub mod settings;
pub mod signature;
pub mod threads;

pub use threads::{first_prompt, follow_up_allowed, thread_context, THREAD_FOLLOW_UP_DAYS};
