//! Pure view logic, with no browser in sight: it compiles and is unit-tested natively.
//!
//! The browser code (`crate::ui`) fetches and renders; everything it decides goes through here.

pub mod attachments;
pub mod auth;
pub mod automation_form;
pub mod automations;
pub mod compose;
pub mod connection;
pub mod diff;
pub mod errors;
pub mod format;
pub mod integrations;
pub mod load;
pub mod markdown;
pub mod media;
pub mod new_session_form;
pub mod origin;
pub mod previews;
pub mod pull_request;
pub mod pull_request_view;
pub mod query;
pub mod repo_picker;
pub mod secrets;
pub mod session;
pub mod timeline;
pub mod tool;

#[cfg(test)]
mod testing;
