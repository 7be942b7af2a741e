//! Media: images people attach to prompts, and the screenshots and videos the agent makes.
//!
//! Every piece is stored once (R2, key `sessions/<session>/media/<media_id>`) and described by a
//! [`MediaInfo`]. People upload attachments with `POST /api/sessions/:id/attachments` (the raw
//! bytes as the body) and name them in [`crate::rest::PromptRequest::attachments`]; the agent
//! uploads through its sandbox route `POST /api/sessions/:id/sandbox/media` with the query of
//! [`AgentUpload`], and each upload is logged as an `artifact` event ([`Artifact`]). Both are
//! read back at `GET /api/sessions/:id/media/:media_id` (HTTP `Range` supported) by whoever may
//! view the session. The type of a piece is the one its bytes show, never the one declared.

use serde::{Deserialize, Serialize};

/// One image attachment, at most.
pub const MAX_IMAGE_BYTES: u64 = 10 * 1024 * 1024;
/// One video, at most.
pub const MAX_VIDEO_BYTES: u64 = 50 * 1024 * 1024;
/// The longest video the agent's `record` tool makes.
pub const MAX_VIDEO_SECONDS: u32 = 60;
/// Attachments on one prompt, at most.
pub const MAX_ATTACHMENTS_PER_PROMPT: usize = 6;
/// Screenshots in one session, at most.
pub const MAX_SCREENSHOTS_PER_SESSION: u32 = 100;
/// Videos in one session, at most.
pub const MAX_VIDEOS_PER_SESSION: u32 = 20;
/// Every piece of one session together, at most.
pub const MAX_SESSION_MEDIA_BYTES: u64 = 500 * 1024 * 1024;
/// Characters in a name or caption, at most.
pub const MAX_MEDIA_NAME_CHARS: usize = 200;
/// Characters in a caption, at most.
pub const MAX_CAPTION_CHARS: usize = 1000;
/// An attachment no prompt has used is deleted after this long.
pub const UNREFERENCED_ATTACHMENT_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// What a piece is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// An image a person attached to a prompt.
    Attachment,
    /// A still the agent captured (its `screenshot` tool).
    Screenshot,
    /// A short recording the agent made (its `record` tool).
    Video,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Attachment => "attachment",
            MediaKind::Screenshot => "screenshot",
            MediaKind::Video => "video",
        }
    }
}

/// The content types media may have; each is recognised from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MediaType {
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/webp")]
    Webp,
    #[serde(rename = "image/gif")]
    Gif,
    #[serde(rename = "video/webm")]
    Webm,
    #[serde(rename = "video/mp4")]
    Mp4,
}

impl MediaType {
    pub const ALL: [MediaType; 6] =
        [MediaType::Png, MediaType::Jpeg, MediaType::Webp, MediaType::Gif, MediaType::Webm, MediaType::Mp4];

    /// The MIME type, as sent in `Content-Type`.
    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Webp => "image/webp",
            MediaType::Gif => "image/gif",
            MediaType::Webm => "video/webm",
            MediaType::Mp4 => "video/mp4",
        }
    }

    pub fn from_mime(mime: &str) -> Option<Self> {
        let mime = mime.split(';').next().unwrap_or("").trim();
        Self::ALL.into_iter().find(|t| t.mime().eq_ignore_ascii_case(mime))
    }

    pub fn is_image(self) -> bool {
        !self.is_video()
    }

    pub fn is_video(self) -> bool {
        matches!(self, MediaType::Webm | MediaType::Mp4)
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Png => "png",
            MediaType::Jpeg => "jpg",
            MediaType::Webp => "webp",
            MediaType::Gif => "gif",
            MediaType::Webm => "webm",
            MediaType::Mp4 => "mp4",
        }
    }
}

/// A stored piece of media.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaInfo {
    /// `med_…`.
    pub media_id: String,
    pub kind: MediaKind,
    /// A file name to show (and to download as).
    pub name: String,
    pub content_type: MediaType,
    /// Bytes.
    pub size: u64,
    /// Pixels, when the bytes say (images always do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Where to read it: `/api/sessions/<id>/media/<media_id>`, relative to the control plane.
    pub url: String,
    /// What it shows, in the agent's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The page it was taken of (screenshots and videos).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// The agent offers it as evidence of its change: the session's pull request shows it.
    #[serde(default)]
    pub evidence: bool,
}

/// Where a session's media is read: `/api/sessions/<session_id>/media/<media_id>`.
pub fn media_path(session_id: &str, media_id: &str) -> String {
    format!("/api/sessions/{session_id}/media/{media_id}")
}

/// The `artifact` event: the agent made a screenshot or a video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// The prompt that was running, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub media: MediaInfo,
}

/// The query of `POST /api/sessions/:id/sandbox/media` (the body is the bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentUpload {
    /// `screenshot` or `video`.
    pub kind: MediaKind,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub evidence: bool,
}

/// The query of `POST /api/sessions/:id/attachments` (the body is the image's bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentUpload {
    /// The file's name, as the person's computer called it.
    pub name: String,
}
