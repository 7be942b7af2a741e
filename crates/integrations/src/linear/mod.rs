//! The Linear integration's pure decisions (shared/contracts/linear): delegating an issue to
//! the agent, or mentioning it, creates a Linear agent session; the agent answers with a
//! thought, picks a repository, works in a session of its own, and answers with the pull
//! request. Follow-up prompts in the session continue it; a stop request stops it.
//!
//! - [`signature`]: `Linear-Signature` and the one-minute `webhookTimestamp` window.
//! - [`events`]: agent session deliveries (`created`, `prompted`, stop), their dedupe keys, and
//!   what is ignored.
//! - [`settings`]: the integration's `config` object, validated.
//! - [`issue`]: the issue as the `issue` query returns it.
//! - [`routing`]: which repository an issue is worked on in, and which model works on it.
//! - [`activities`]: the activities the agent posts, within limits, and their texts.
//! - [`plan`]: the session's plan, by phase.
//! - [`prompts`]: the first prompt of a session, and follow-ups.
//! - [`states`]: which workflow state an issue moves to when the work starts.
//! - [`operations`]: the GraphQL documents the Worker sends, and their variables.
//!
//! Invariant, as everywhere in this crate: no I/O and no clock; the Worker passes times in and
//! does what these functions decide.

pub mod activities;
pub mod events;
pub mod issue;
pub mod operations;
pub mod plan;
pub mod prompts;
pub mod routing;
pub mod settings;
pub mod signature;
pub mod states;
