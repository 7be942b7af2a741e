//! A prompt's attached images, handed to OpenCode. Each is read through the egress
//! (`GET {egress}/media/{media_id}`, on to the session's sandbox route
//! `GET /api/sessions/:id/sandbox/media/:media_id` with the sandbox token), checked (an image,
//! at most [`MAX_IMAGE_BYTES`]) and added to the prompt as a file part with a `data:` URL after
//! the text part; OpenCode's provider turns it into the model's image input (an `image_url`
//! part for OpenAI-compatible models). One that cannot be read is left out and named, so the
//! prompt still runs.

use std::time::Duration;

use base64::Engine;
use futures_util::StreamExt;
use oi_protocol::media::{MediaInfo, MAX_IMAGE_BYTES};
use serde_json::{json, Value};

use crate::egress::{is_media_id, Egress};

/// How long reading one attachment may take.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// `data:<mime>;base64,<bytes>`.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// OpenCode's file part for an attached image (its `FilePartInput`).
pub fn file_part(info: &MediaInfo, bytes: &[u8]) -> Value {
    let mime = info.content_type.mime();
    json!({"type": "file", "mime": mime, "filename": info.name, "url": data_url(mime, bytes)})
}

/// The prompt's parts: its text, then each attached image's file part.
pub fn prompt_parts(text: &str, files: Vec<Value>) -> Vec<Value> {
    std::iter::once(json!({"type": "text", "text": text})).chain(files).collect()
}

/// Whether an attachment may be read at all: an image, under a plain media id.
pub fn check_attachment(info: &MediaInfo) -> Result<(), String> {
    if !info.content_type.is_image() {
        return Err(format!("it is {}, not an image", info.content_type.mime()));
    }
    if !is_media_id(&info.media_id) {
        return Err(format!("{:?} is not a media id", info.media_id));
    }
    Ok(())
}

/// Whether `size` bytes fit in an attachment.
pub fn check_size(size: u64) -> Result<(), String> {
    if size > MAX_IMAGE_BYTES {
        return Err(format!("it is larger than {} MB", MAX_IMAGE_BYTES / (1024 * 1024)));
    }
    Ok(())
}

/// One line naming an attachment that could not be read, and why.
pub fn unread_notice(info: &MediaInfo, why: &str) -> String {
    format!(
        "The attached image {:?} ({}) could not be read, so the prompt runs without it: {why}",
        info.name, info.media_id
    )
}

/// Reads one attachment through the egress at `egress_url`.
pub async fn read(client: &reqwest::Client, egress_url: &str, info: &MediaInfo) -> Result<Vec<u8>, String> {
    check_attachment(info)?;
    let res = client
        .get(Egress::media_read_url(egress_url, &info.media_id))
        .timeout(READ_TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("the control plane did not answer: {e}"))?;
    let status = res.status();
    if !status.is_success() {
        let body = res.text().await.unwrap_or_default();
        return Err(crate::mcp::answers::failure("the control plane refused", status.as_u16(), &body));
    }
    if let Some(length) = res.content_length() {
        check_size(length)?;
    }
    let mut bytes = Vec::new();
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| format!("its bytes broke off: {e}"))?;
        bytes.extend_from_slice(&chunk);
        check_size(bytes.len() as u64)?;
    }
    if bytes.is_empty() {
        return Err("it is empty".into());
    }
    Ok(bytes)
}

/// Reads every attachment: the file parts of those read, and a notice for each that was not.
pub async fn read_all(
    client: &reqwest::Client,
    egress_url: &str,
    attachments: &[MediaInfo],
) -> (Vec<Value>, Vec<String>) {
    let mut parts = Vec::new();
    let mut notices = Vec::new();
    for info in attachments {
        match read(client, egress_url, info).await {
            Ok(bytes) => parts.push(file_part(info, &bytes)),
            Err(why) => notices.push(unread_notice(info, &why)),
        }
    }
    (parts, notices)
}

#[cfg(test)]
mod tests {
    use oi_protocol::media::{MediaKind, MediaType};

    use super::*;

    fn info(media_id: &str, content_type: MediaType) -> MediaInfo {
        MediaInfo {
            media_id: media_id.into(),
            kind: MediaKind::Attachment,
            name: "shot.png".into(),
            content_type,
            size: 3,
            width: Some(1),
            height: Some(1),
            url: format!("/api/sessions/ses_1/media/{media_id}"),
            caption: None,
            source_url: None,
            evidence: false,
        }
    }

    #[test]
    fn data_urls_and_file_parts() {
        let cases: &[(&str, &[u8], &str)] = &[
            ("image/png", b"\x89PNG", "data:image/png;base64,iVBORw=="),
            ("image/jpeg", b"abc", "data:image/jpeg;base64,YWJj"),
            ("image/gif", b"", "data:image/gif;base64,"),
        ];
        for (mime, bytes, want) in cases {
            assert_eq!(data_url(mime, bytes), *want);
        }
        assert_eq!(
            file_part(&info("med_1", MediaType::Png), b"abc"),
            json!({"type": "file", "mime": "image/png", "filename": "shot.png", "url": "data:image/png;base64,YWJj"})
        );
        let parts = prompt_parts("Look", vec![json!({"type": "file"})]);
        assert_eq!(parts, [json!({"type": "text", "text": "Look"}), json!({"type": "file"})]);
        assert_eq!(prompt_parts("Only text", Vec::new()), [json!({"type": "text", "text": "Only text"})]);
    }

    #[test]
    fn only_images_under_a_plain_id_within_the_limit() {
        let cases: &[(MediaInfo, Result<(), &str>)] = &[
            (info("med_1", MediaType::Png), Ok(())),
            (info("med_1", MediaType::Webp), Ok(())),
            (info("med_1", MediaType::Mp4), Err("video/mp4, not an image")),
            (info("../x", MediaType::Png), Err("not a media id")),
            (info("", MediaType::Png), Err("not a media id")),
        ];
        for (info, want) in cases {
            match (check_attachment(info), want) {
                (Ok(()), Ok(())) => {}
                (Err(e), Err(part)) => assert!(e.contains(part), "{e}"),
                (got, want) => panic!("{}: got {got:?}, want {want:?}", info.media_id),
            }
        }
        let sizes = [(0, true), (MAX_IMAGE_BYTES, true), (MAX_IMAGE_BYTES + 1, false)];
        for (size, fits) in sizes {
            assert_eq!(check_size(size).is_ok(), fits, "{size}");
        }
        let notice = unread_notice(&info("med_9", MediaType::Png), "the control plane refused: gone (not_found)");
        assert_eq!(
            notice,
            "The attached image \"shot.png\" (med_9) could not be read, so the prompt runs without it: \
             the control plane refused: gone (not_found)"
        );
    }
}
