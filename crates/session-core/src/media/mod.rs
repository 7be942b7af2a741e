//! Media decisions: what an upload is (from its bytes), whether it is admitted, which attached
//! images a prompt may carry, the part of a piece a `Range` asks for, and the link that shows
//! an evidence screenshot outside the session (`link`).
//!
//! Invariant: a piece's type is the one its bytes show; a declared `Content-Type` that names
//! another type is refused, never trusted.

pub mod link;
pub mod range;

#[cfg(test)]
mod tests;

use oi_protocol::media::{
    MediaInfo, MediaKind, MediaType, MAX_ATTACHMENTS_PER_PROMPT, MAX_CAPTION_CHARS, MAX_IMAGE_BYTES,
    MAX_MEDIA_NAME_CHARS, MAX_SCREENSHOTS_PER_SESSION, MAX_SESSION_MEDIA_BYTES, MAX_VIDEOS_PER_SESSION,
    MAX_VIDEO_BYTES,
};
use oi_protocol::{ApiError, ErrorCode};

/// The type the bytes show, if it is one media may have.
pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
    infer::get(bytes).and_then(|kind| MediaType::from_mime(kind.mime_type()))
}

/// An image's size in pixels, when its header says.
pub fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let size = imagesize::blob_size(bytes).ok()?;
    Some((u32::try_from(size.width).ok()?, u32::try_from(size.height).ok()?))
}

/// What a session already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MediaUsage {
    pub total_bytes: u64,
    pub screenshots: u32,
    pub videos: u32,
}

/// An upload to be checked.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    pub kind: MediaKind,
    /// The request's `Content-Type`, if any.
    pub declared: Option<&'a str>,
    pub bytes: &'a [u8],
}

/// An admitted upload: its type and, for an image, its size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    pub content_type: MediaType,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// The most bytes an upload of `kind` may have (the Worker stops reading past it).
pub fn max_bytes(kind: MediaKind) -> u64 {
    match kind {
        MediaKind::Attachment | MediaKind::Screenshot => MAX_IMAGE_BYTES,
        MediaKind::Video => MAX_VIDEO_BYTES,
    }
}

fn refuse(code: ErrorCode, message: impl Into<String>) -> ApiError {
    ApiError::new(code, message)
}

/// Whether `upload` may be stored in a session that holds `usage`, and what it is.
pub fn admit(upload: Upload<'_>, usage: MediaUsage) -> Result<Admitted, ApiError> {
    let size = upload.bytes.len() as u64;
    if size == 0 {
        return Err(refuse(ErrorCode::InvalidRequest, "the body is empty; send the file's bytes"));
    }
    let limit = max_bytes(upload.kind);
    if size > limit {
        return Err(refuse(
            ErrorCode::PayloadTooLarge,
            format!("a {} may have at most {} MiB; this one has {}", upload.kind.as_str(), limit >> 20, human(size)),
        ));
    }
    let wanted = if upload.kind == MediaKind::Video { "a WebM or MP4 video" } else { "a PNG, JPEG, WebP or GIF image" };
    let Some(content_type) = sniff(upload.bytes).filter(|t| t.is_video() == (upload.kind == MediaKind::Video)) else {
        return Err(refuse(ErrorCode::UnsupportedMediaType, format!("the bytes are not {wanted}")));
    };
    if let Some(declared) = upload.declared.map(str::trim).filter(|d| !d.is_empty() && !is_generic(d)) {
        if MediaType::from_mime(declared) != Some(content_type) {
            return Err(refuse(
                ErrorCode::UnsupportedMediaType,
                format!("Content-Type says {declared:?} but the bytes are {}", content_type.mime()),
            ));
        }
    }
    admit_counts(upload.kind, size, usage)?;
    let (width, height) = match dimensions(upload.bytes) {
        Some((w, h)) if content_type.is_image() => (Some(w), Some(h)),
        _ => (None, None),
    };
    Ok(Admitted { content_type, width, height })
}

/// Whether one more piece of `kind` and `size` bytes fits in a session that holds `usage`
/// (checked again when the piece is kept, against the usage at that moment).
pub fn admit_counts(kind: MediaKind, size: u64, usage: MediaUsage) -> Result<(), ApiError> {
    match kind {
        MediaKind::Screenshot if usage.screenshots >= MAX_SCREENSHOTS_PER_SESSION => {
            return Err(refuse(
                ErrorCode::QuotaExceeded,
                format!("this session has {MAX_SCREENSHOTS_PER_SESSION} screenshots, the most it may have"),
            ))
        }
        MediaKind::Video if usage.videos >= MAX_VIDEOS_PER_SESSION => {
            return Err(refuse(
                ErrorCode::QuotaExceeded,
                format!("this session has {MAX_VIDEOS_PER_SESSION} videos, the most it may have"),
            ))
        }
        _ => {}
    }
    if usage.total_bytes.saturating_add(size) > MAX_SESSION_MEDIA_BYTES {
        return Err(refuse(
            ErrorCode::PayloadTooLarge,
            format!("the session's media would pass {} MiB", MAX_SESSION_MEDIA_BYTES >> 20),
        ));
    }
    Ok(())
}

/// `Content-Type`s that say nothing about the file (what a client sends when it does not know).
fn is_generic(declared: &str) -> bool {
    let mime = declared.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime == "application/octet-stream"
}

/// Checks a name (or caption, with `what` = "caption"): no control characters, not too long.
/// A name is also not empty and holds no path separator.
pub fn check_text(what: &str, value: &str, max_chars: usize) -> Result<(), ApiError> {
    let invalid = |m: String| refuse(ErrorCode::InvalidRequest, m);
    if value.chars().count() > max_chars {
        return Err(invalid(format!("`{what}` is longer than {max_chars} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(format!("`{what}` must not contain control characters")));
    }
    if what == "name" && (value.trim().is_empty() || value.contains(['/', '\\'])) {
        return Err(invalid("`name` must be a file name: not empty, no / or \\".to_string()));
    }
    Ok(())
}

/// Checks the words that come with an upload.
pub fn check_labels(name: &str, caption: Option<&str>, source_url: Option<&str>) -> Result<(), ApiError> {
    check_text("name", name, MAX_MEDIA_NAME_CHARS)?;
    if let Some(caption) = caption {
        check_text("caption", caption, MAX_CAPTION_CHARS)?;
    }
    if let Some(url) = source_url {
        check_text("source_url", url, MAX_CAPTION_CHARS)?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(refuse(ErrorCode::InvalidRequest, "`source_url` must be an http or https URL"));
        }
    }
    Ok(())
}

/// The attached images of a prompt, in the order asked, from the session's `stored` media;
/// refused when there are too many, one is named twice, or one is not an attachment of this
/// session.
pub fn prompt_attachments(ids: &[String], stored: &[MediaInfo]) -> Result<Vec<MediaInfo>, ApiError> {
    if ids.len() > MAX_ATTACHMENTS_PER_PROMPT {
        return Err(refuse(
            ErrorCode::InvalidRequest,
            format!("a prompt may carry at most {MAX_ATTACHMENTS_PER_PROMPT} attachments; this one has {}", ids.len()),
        ));
    }
    let mut out: Vec<MediaInfo> = Vec::with_capacity(ids.len());
    for id in ids {
        if out.iter().any(|m| &m.media_id == id) {
            return Err(refuse(ErrorCode::InvalidRequest, format!("attachment {id:?} is named twice")));
        }
        let found = stored.iter().find(|m| &m.media_id == id && m.kind == MediaKind::Attachment).ok_or_else(|| {
            refuse(
                ErrorCode::InvalidRequest,
                format!("no attachment {id:?} in this session; upload it with POST /api/sessions/:id/attachments"),
            )
        })?;
        out.push(found.clone());
    }
    Ok(out)
}

/// `47 KiB`, `3.2 MiB`: a size for messages.
pub fn human(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1024 * 1024 => format!("{} KiB", b / 1024),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}
