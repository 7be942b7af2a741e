//! The images a chat request carries: OpenAI's `image_url` content parts
//! (`{"type":"image_url","image_url":{"url":"…","detail":"auto"}}`) in a message's `content`
//! array. Each is checked as OpenAI checks it (an `http(s)` URL, or a base64 `data:` URL of a
//! PNG, JPEG, GIF or WebP image) and recorded, so a test can see what the model was shown.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::errors::ApiError;
use crate::request::invalid_type;

/// The image types OpenAI takes in a `data:` URL.
pub const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// One `image_url` part of a request, as `GET /_requests` lists it under `images`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedImage {
    /// The index of its message in `messages`.
    pub message: usize,
    /// That message's `role` (`user` for an image someone attached).
    pub role: String,
    /// The index of the part in the message's `content`.
    pub part: usize,
    /// The type a `data:` URL declares (`image/png`); none for an `http(s)` URL.
    pub mime: Option<String>,
    /// The decoded size of a `data:` URL's bytes; none for an `http(s)` URL.
    pub bytes: Option<usize>,
    /// `image_url.detail`, when given (`auto`, `low`, `high`).
    pub detail: Option<String>,
    /// The URL as sent (a `data:` URL whole).
    pub url: String,
}

/// The image parts of `messages`, in order; a malformed one is a 400 worded like OpenAI's.
pub fn images_in(messages: &[Value]) -> Result<Vec<ReceivedImage>, ApiError> {
    let mut images = Vec::new();
    for (m, message) in messages.iter().enumerate() {
        let Some(parts) = message.get("content").and_then(Value::as_array) else { continue };
        let role = message.get("role").and_then(Value::as_str).unwrap_or_default();
        for (p, part) in parts.iter().enumerate() {
            if part.get("type").and_then(Value::as_str) != Some("image_url") {
                continue;
            }
            let at = format!("messages[{m}].content[{p}].image_url");
            let Some(image_url) = part.get("image_url").and_then(Value::as_object) else {
                return Err(invalid_type(&at, "an object with a string 'url'"));
            };
            let Some(url) = image_url.get("url").and_then(Value::as_str) else {
                return Err(invalid_type(&format!("{at}.url"), "a string"));
            };
            let (mime, bytes) = match url.strip_prefix("data:") {
                Some(data) => {
                    let (mime, bytes) = decode_data_url(data).map_err(|message| {
                        ApiError::invalid_request(message, Some(&format!("{at}.url")), Some("invalid_image_url"))
                    })?;
                    (Some(mime), Some(bytes))
                }
                None if url.starts_with("https://") || url.starts_with("http://") => (None, None),
                None => {
                    return Err(ApiError::invalid_request(
                        "Invalid image URL: expected an http(s) URL or a base64 data URL.",
                        Some(&format!("{at}.url")),
                        Some("invalid_image_url"),
                    ))
                }
            };
            images.push(ReceivedImage {
                message: m,
                role: role.to_string(),
                part: p,
                mime,
                bytes,
                detail: image_url.get("detail").and_then(Value::as_str).map(str::to_string),
                url: url.to_string(),
            });
        }
    }
    Ok(images)
}

/// `<mime>;base64,<data>` (what follows `data:`): the image type and the decoded size.
pub fn decode_data_url(data: &str) -> Result<(String, usize), String> {
    let (head, payload) = data.split_once(',').ok_or("Invalid data URL: no ',' before the data.")?;
    let mime = head
        .strip_suffix(";base64")
        .ok_or("Invalid data URL: the image must be base64-encoded (`data:<type>;base64,…`).")?
        .to_ascii_lowercase();
    if !IMAGE_TYPES.contains(&mime.as_str()) {
        return Err(format!("Invalid MIME type {mime:?}. Only image types are supported: {}.", IMAGE_TYPES.join(", ")));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .map_err(|e| format!("Invalid base64 image data: {e}."))?;
    if bytes.is_empty() {
        return Err("Invalid image: the data is empty.".into());
    }
    Ok((mime, bytes.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A 1×1 PNG.
    const PNG: &str =
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    /// What follows `data:`, and the type and size it holds or the start of the refusal.
    type Case<'a> = (&'a str, Result<(&'a str, usize), &'a str>);

    #[test]
    fn data_urls() {
        let cases: &[Case] = &[
            (&format!("image/png;base64,{PNG}"), Ok(("image/png", 70))),
            ("IMAGE/JPEG;base64,/9j/", Ok(("image/jpeg", 3))),
            ("image/webp;base64,UklGRg==", Ok(("image/webp", 4))),
            ("image/png,rawbytes", Err("must be base64-encoded")),
            ("image/svg+xml;base64,PHN2Zy8+", Err("Only image types")),
            ("text/plain;base64,aGk=", Err("Only image types")),
            ("image/png;base64,not base64!", Err("Invalid base64")),
            ("image/png;base64,", Err("empty")),
            ("image/png;base64", Err("no ','")),
        ];
        for (data, want) in cases {
            let got = decode_data_url(data);
            match (got, want) {
                (Ok((mime, n)), Ok((want_mime, want_n))) => {
                    assert_eq!((mime.as_str(), n), (*want_mime, *want_n), "{data}")
                }
                (Err(e), Err(part)) => assert!(e.contains(part), "{data}: {e}"),
                (got, want) => panic!("{data}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn finds_the_image_parts_of_every_message() {
        let data_url = format!("data:image/png;base64,{PNG}");
        let messages = vec![
            json!({"role": "system", "content": "sys"}),
            json!({"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": data_url}},
                {"type": "image_url", "image_url": {"url": "https://example.test/a.png", "detail": "low"}},
            ]}),
            json!({"role": "assistant", "content": null}),
        ];
        let images = images_in(&messages).unwrap();
        assert_eq!(
            images,
            [
                ReceivedImage {
                    message: 1,
                    role: "user".into(),
                    part: 1,
                    mime: Some("image/png".into()),
                    bytes: Some(70),
                    detail: None,
                    url: data_url.clone(),
                },
                ReceivedImage {
                    message: 1,
                    role: "user".into(),
                    part: 2,
                    mime: None,
                    bytes: None,
                    detail: Some("low".into()),
                    url: "https://example.test/a.png".into(),
                },
            ]
        );
        assert!(images_in(&[json!({"role": "user", "content": "just text"})]).unwrap().is_empty());
    }

    #[test]
    fn a_malformed_image_part_is_a_400_naming_it() {
        let cases = [
            (json!({"type": "image_url", "image_url": "https://x.test/a.png"}), "messages[0].content[0].image_url"),
            (json!({"type": "image_url", "image_url": {}}), "messages[0].content[0].image_url.url"),
            (
                json!({"type": "image_url", "image_url": {"url": "ftp://x/a.png"}}),
                "messages[0].content[0].image_url.url",
            ),
            (
                json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,%%"}}),
                "messages[0].content[0].image_url.url",
            ),
        ];
        for (part, param) in cases {
            let e = images_in(&[json!({"role": "user", "content": [part]})]).unwrap_err();
            assert_eq!((e.status, e.param.as_deref()), (400, Some(param)), "{}", e.message);
        }
    }
}
