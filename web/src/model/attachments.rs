//! Images attached to a follow-up prompt: the checks made before an upload (the server checks
//! again; these only save a round trip), the upload's path, and the composer's chips, each
//! uploading, uploaded or failed.

use oi_protocol::media::{AttachmentUpload, MediaInfo, MediaType, MAX_ATTACHMENTS_PER_PROMPT, MAX_IMAGE_BYTES};

use super::media::size_label;

/// The file input's `accept`: the image types the server takes.
pub const ACCEPT: &str = "image/png,image/jpeg,image/webp,image/gif";

/// Why a file is not uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a PNG, JPEG, WebP or GIF (by the type the browser gave it).
    NotAnImage {
        name: String,
        mime: String,
    },
    TooLarge {
        name: String,
        size: u64,
    },
    /// The prompt already has [`MAX_ATTACHMENTS_PER_PROMPT`].
    TooMany {
        name: String,
    },
}

impl Refusal {
    /// The sentence the composer shows.
    pub fn message(&self) -> String {
        match self {
            Refusal::NotAnImage { name, mime } if mime.is_empty() => {
                format!("{name} is not a PNG, JPEG, WebP or GIF image")
            }
            Refusal::NotAnImage { name, mime } => format!("{name} is {mime}, not a PNG, JPEG, WebP or GIF image"),
            Refusal::TooLarge { name, size } => {
                format!("{name} is {}; an image may be at most {}", size_label(*size), size_label(MAX_IMAGE_BYTES))
            }
            Refusal::TooMany { name } => {
                format!("{name} was not added: a prompt takes at most {MAX_ATTACHMENTS_PER_PROMPT} images")
            }
        }
    }
}

/// Checks one file before it is uploaded, when `taken` places are already used: its type (from
/// its MIME type), its size and the number of images per prompt. The image's type, if it passes.
pub fn check_file(name: &str, mime: &str, size: u64, taken: usize) -> Result<MediaType, Refusal> {
    let name = name.to_string();
    if taken >= MAX_ATTACHMENTS_PER_PROMPT {
        return Err(Refusal::TooMany { name });
    }
    let kind = MediaType::from_mime(mime)
        .filter(|t| t.is_image())
        .ok_or_else(|| Refusal::NotAnImage { name: name.clone(), mime: mime.trim().to_string() })?;
    if size > MAX_IMAGE_BYTES {
        return Err(Refusal::TooLarge { name, size });
    }
    Ok(kind)
}

/// The name an image is uploaded under: its file name, or `pasted-image.png` for a pasted
/// image that has none.
pub fn upload_name(name: &str, kind: MediaType) -> String {
    match name.trim() {
        "" => format!("pasted-image.{}", kind.extension()),
        name => name.to_string(),
    }
}

/// `POST` here with the image's bytes: `/api/sessions/<id>/attachments?name=<name>`.
pub fn upload_path(session_id: &str, name: &str) -> String {
    let query = serde_urlencoded::to_string(AttachmentUpload { name: name.to_string() }).unwrap_or_default();
    format!("/api/sessions/{session_id}/attachments?{query}")
}

/// Where one chip's image is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChipState {
    Uploading,
    Uploaded(MediaInfo),
    /// The server's message (or why the request failed).
    Failed(String),
}

impl ChipState {
    /// `uploading`, `uploaded` or `failed` (the chip's `data-state`).
    pub fn as_str(&self) -> &'static str {
        match self {
            ChipState::Uploading => "uploading",
            ChipState::Uploaded(_) => "uploaded",
            ChipState::Failed(_) => "failed",
        }
    }
}

/// One image in the composer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chip {
    /// The chip's own key (the image has no id until it is uploaded).
    pub key: u32,
    pub name: String,
    pub state: ChipState,
}

/// Why the prompt cannot be sent with its images yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    Uploading,
    Failed,
}

impl NotReady {
    pub fn message(self) -> &'static str {
        match self {
            NotReady::Uploading => "Wait for the images to finish uploading, then send.",
            NotReady::Failed => "An image could not be uploaded: remove it (×) or attach it again, then send.",
        }
    }
}

/// The images of the prompt being written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingAttachments {
    chips: Vec<Chip>,
    next_key: u32,
}

impl PendingAttachments {
    pub fn chips(&self) -> &[Chip] {
        &self.chips
    }

    pub fn is_empty(&self) -> bool {
        self.chips.is_empty()
    }

    /// Places taken: images uploading or uploaded (a failed one takes none).
    pub fn taken(&self) -> usize {
        self.chips.iter().filter(|c| !matches!(c.state, ChipState::Failed(_))).count()
    }

    /// Checks a file and, if it passes, adds its chip (uploading): its key and the name to
    /// upload it under.
    pub fn add(&mut self, name: &str, mime: &str, size: u64) -> Result<(u32, String), Refusal> {
        let kind = check_file(name, mime, size, self.taken())?;
        let name = upload_name(name, kind);
        let key = self.next_key;
        self.next_key += 1;
        self.chips.push(Chip { key, name: name.clone(), state: ChipState::Uploading });
        Ok((key, name))
    }

    /// The upload of chip `key` ended; nothing happens if the chip was removed meanwhile.
    pub fn finish(&mut self, key: u32, result: Result<MediaInfo, String>) {
        if let Some(chip) = self.chips.iter_mut().find(|c| c.key == key) {
            chip.state = match result {
                Ok(media) => ChipState::Uploaded(media),
                Err(message) => ChipState::Failed(message),
            };
        }
    }

    pub fn remove(&mut self, key: u32) {
        self.chips.retain(|c| c.key != key);
    }

    pub fn is_uploading(&self) -> bool {
        self.chips.iter().any(|c| c.state == ChipState::Uploading)
    }

    /// The ids to send with the prompt, once every image is uploaded.
    pub fn ready_ids(&self) -> Result<Vec<String>, NotReady> {
        self.chips
            .iter()
            .map(|c| match &c.state {
                ChipState::Uploaded(media) => Ok(media.media_id.clone()),
                ChipState::Uploading => Err(NotReady::Uploading),
                ChipState::Failed(_) => Err(NotReady::Failed),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| if self.is_uploading() { NotReady::Uploading } else { NotReady::Failed })
    }

    /// The prompt was sent with these images: their chips go (an image added meanwhile stays
    /// for the next prompt).
    pub fn sent(&mut self, media_ids: &[String]) {
        self.chips.retain(|c| !matches!(&c.state, ChipState::Uploaded(m) if media_ids.contains(&m.media_id)));
    }
}

/// What makes a send idempotent: the text and the images together, so a retry of the same
/// prompt reuses its request id and a changed set of images gets a new one.
pub fn request_key(text: &str, media_ids: &[String]) -> String {
    if media_ids.is_empty() {
        text.to_string()
    } else {
        format!("{text}\u{0}{}", media_ids.join(","))
    }
}

#[cfg(test)]
mod tests {
    use oi_protocol::media::{MediaKind, MediaType};

    use super::*;
    use crate::model::testing::media;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn accept_lists_exactly_the_image_types() {
        let images: Vec<&str> = MediaType::ALL.into_iter().filter(|t| t.is_image()).map(MediaType::mime).collect();
        assert_eq!(ACCEPT, images.join(","));
    }

    #[test]
    fn files_are_checked_before_they_are_uploaded() {
        use Refusal::*;
        let name = "shot.png";
        let refused_type = |mime: &str| Err(NotAnImage { name: name.into(), mime: mime.into() });
        // (mime, size, places taken, outcome)
        let cases: Vec<(&str, u64, usize, Result<MediaType, Refusal>)> = vec![
            ("image/png", 1024, 0, Ok(MediaType::Png)),
            ("image/jpeg", MAX_IMAGE_BYTES, 5, Ok(MediaType::Jpeg)),
            ("IMAGE/WEBP", 10, 0, Ok(MediaType::Webp)),
            ("image/gif; charset=binary", 10, 0, Ok(MediaType::Gif)),
            ("image/png", MAX_IMAGE_BYTES + 1, 0, Err(TooLarge { name: name.into(), size: MAX_IMAGE_BYTES + 1 })),
            ("image/png", 10, MAX_ATTACHMENTS_PER_PROMPT, Err(TooMany { name: name.into() })),
            ("video/webm", 10, 0, refused_type("video/webm")),
            ("image/svg+xml", 10, 0, refused_type("image/svg+xml")),
            ("image/bmp", 10, 0, refused_type("image/bmp")),
            ("", 10, 0, refused_type("")),
        ];
        for (mime, size, taken, want) in cases {
            assert_eq!(check_file(name, mime, size, taken), want, "{mime} {size} {taken}");
        }
    }

    #[test]
    fn refusals_say_why() {
        let cases = [
            (
                Refusal::NotAnImage { name: "a.svg".into(), mime: "image/svg+xml".into() },
                "a.svg is image/svg+xml, not a PNG, JPEG, WebP or GIF image",
            ),
            (
                Refusal::NotAnImage { name: "notes".into(), mime: String::new() },
                "notes is not a PNG, JPEG, WebP or GIF image",
            ),
            (
                Refusal::TooLarge { name: "big.png".into(), size: 12 * MIB },
                "big.png is 12 MiB; an image may be at most 10 MiB",
            ),
            (Refusal::TooMany { name: "7.png".into() }, "7.png was not added: a prompt takes at most 6 images"),
        ];
        for (refusal, want) in cases {
            assert_eq!(refusal.message(), want);
        }
    }

    #[test]
    fn names_and_paths() {
        assert_eq!(upload_name("screen shot.png", MediaType::Png), "screen shot.png");
        assert_eq!(upload_name("", MediaType::Png), "pasted-image.png");
        assert_eq!(upload_name(" ", MediaType::Jpeg), "pasted-image.jpg");
        let cases = [
            ("shot.png", "/api/sessions/ses_1/attachments?name=shot.png"),
            ("screen shot (2).png", "/api/sessions/ses_1/attachments?name=screen+shot+%282%29.png"),
            ("a&b=c?.png", "/api/sessions/ses_1/attachments?name=a%26b%3Dc%3F.png"),
            ("écran.png", "/api/sessions/ses_1/attachments?name=%C3%A9cran.png"),
        ];
        for (name, want) in cases {
            assert_eq!(upload_path("ses_1", name), want);
        }
    }

    #[test]
    fn chips_upload_then_give_their_ids() {
        let mut pending = PendingAttachments::default();
        assert_eq!(pending.ready_ids(), Ok(vec![]));
        let (a, name) = pending.add("", "image/png", 10).unwrap();
        assert_eq!(name, "pasted-image.png");
        let (b, _) = pending.add("b.jpg", "image/jpeg", 10).unwrap();
        assert_ne!(a, b);
        assert!(pending.is_uploading());
        assert_eq!(pending.chips()[0].state.as_str(), "uploading");
        assert_eq!(pending.ready_ids(), Err(NotReady::Uploading));
        pending.finish(a, Ok(media("med_a", MediaKind::Attachment)));
        pending.finish(b, Err("b.jpg is not an image the server accepts".into()));
        assert_eq!(pending.ready_ids(), Err(NotReady::Failed));
        assert_eq!(pending.chips()[1].state, ChipState::Failed("b.jpg is not an image the server accepts".into()));
        assert_eq!(pending.chips().iter().map(|c| c.state.as_str()).collect::<Vec<_>>(), ["uploaded", "failed"]);
        pending.remove(b);
        assert_eq!(pending.ready_ids(), Ok(vec!["med_a".to_string()]));
        // An upload that ends after its chip was removed changes nothing.
        pending.finish(b, Ok(media("med_b", MediaKind::Attachment)));
        assert_eq!(pending.chips().len(), 1);
        // Sent: its images go; one added while the prompt was on its way stays.
        let sent = pending.ready_ids().unwrap();
        let (c, _) = pending.add("c.gif", "image/gif", 10).unwrap();
        pending.sent(&sent);
        assert_eq!(pending.chips().iter().map(|c| c.key).collect::<Vec<_>>(), [c]);
        pending.finish(c, Ok(media("med_c", MediaKind::Attachment)));
        pending.sent(&["med_c".to_string()]);
        assert!(pending.is_empty());
    }

    #[test]
    fn failed_chips_take_no_place() {
        let mut pending = PendingAttachments::default();
        let keys: Vec<u32> = (0..MAX_ATTACHMENTS_PER_PROMPT)
            .map(|i| pending.add(&format!("{i}.png"), "image/png", 1).unwrap().0)
            .collect();
        assert_eq!(pending.add("7.png", "image/png", 1), Err(Refusal::TooMany { name: "7.png".into() }));
        pending.finish(keys[0], Err("too large".into()));
        assert_eq!(pending.taken(), MAX_ATTACHMENTS_PER_PROMPT - 1);
        assert!(pending.add("7.png", "image/png", 1).is_ok());
        // A refused file adds no chip.
        let before = pending.chips().len();
        assert!(pending.add("x.bmp", "image/bmp", 1).is_err());
        assert_eq!(pending.chips().len(), before);
    }

    #[test]
    fn request_keys_change_with_the_images() {
        assert_eq!(request_key("Fix it", &[]), "Fix it");
        let one = request_key("Fix it", &["med_a".into()]);
        assert_ne!(one, "Fix it");
        assert_ne!(one, request_key("Fix it", &["med_a".into(), "med_b".into()]));
        assert_eq!(one, request_key("Fix it", &["med_a".into()]));
    }
}
