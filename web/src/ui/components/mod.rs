//! Pieces the pages share.

pub mod commit;
pub mod diff;
pub mod feedback;
pub mod lightbox;
pub mod me;
pub mod media;
pub mod origin;
pub mod participants;
pub mod prompt_box;
pub mod pull_request;
pub mod queue;
pub mod sandbox_panel;
pub mod status;
pub mod tool_call;
pub mod transcript;
