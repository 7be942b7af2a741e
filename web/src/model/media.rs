//! The session's media as the page shows it: the gallery's entries (every piece of the
//! transcript, in order), their labels (`1280×800 · 47 KiB`) and the lightbox: which piece is
//! open, the next and previous ones (wrapping), and what a key does.

use oi_protocol::media::{MediaInfo, MediaKind};
use oi_protocol::transcript::Transcript;

/// One piece of media, with the words the page shows beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaEntry {
    pub media: MediaInfo,
    /// `1280×800 · 47 KiB` (the size alone when the dimensions are unknown).
    pub label: String,
    /// `Screenshot`, `Video` or `Attachment`.
    pub kind: &'static str,
    /// The image's alternative text: its caption, else its name.
    pub alt: String,
    /// A video plays in a `<video>`; everything else is an `<img>`.
    pub is_video: bool,
}

impl MediaEntry {
    pub fn new(media: &MediaInfo) -> Self {
        let alt = match media.caption.as_deref().map(str::trim) {
            Some(caption) if !caption.is_empty() => caption.to_string(),
            _ => media.name.clone(),
        };
        Self {
            media: media.clone(),
            label: media_label(media),
            kind: kind_label(media.kind),
            alt,
            is_video: media.content_type.is_video(),
        }
    }

    pub fn media_id(&self) -> &str {
        &self.media.media_id
    }
}

/// The gallery: every piece of the transcript in order (prompts' attachments, the agent's
/// artifacts, then artifacts made outside any prompt), each once even when two prompts name it.
pub fn gallery(transcript: &Transcript) -> Vec<MediaEntry> {
    let mut seen = std::collections::HashSet::new();
    transcript.media().into_iter().filter(|m| seen.insert(m.media_id.as_str())).map(MediaEntry::new).collect()
}

pub fn kind_label(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Attachment => "Attachment",
        MediaKind::Screenshot => "Screenshot",
        MediaKind::Video => "Video",
    }
}

/// A byte count for people, in binary units: `512 B`, `47 KiB`, `1.5 MiB`, `10 MiB`.
pub fn size_label(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes < KIB {
        format!("{bytes} B")
    } else if bytes < MIB {
        // Rounded to the nearest KiB, never up to "1024 KiB".
        format!("{} KiB", ((bytes + KIB / 2) / KIB).min(1023))
    } else {
        let tenths = (bytes * 10 + MIB / 2) / MIB;
        if tenths.is_multiple_of(10) {
            format!("{} MiB", tenths / 10)
        } else {
            format!("{}.{} MiB", tenths / 10, tenths % 10)
        }
    }
}

/// `1280×800`, when both dimensions are known.
pub fn dimensions_label(width: Option<u32>, height: Option<u32>) -> Option<String> {
    Some(format!("{}×{}", width?, height?))
}

/// `1280×800 · 47 KiB`, or `47 KiB` without dimensions.
pub fn media_label(media: &MediaInfo) -> String {
    let size = size_label(media.size);
    match dimensions_label(media.width, media.height) {
        Some(dimensions) => format!("{dimensions} · {size}"),
        None => size,
    }
}

/// The page a piece was taken of, as a link only when it is a web address (anything else, a
/// `file:` path say, is shown as text).
pub fn source_link(source_url: &str) -> Option<&str> {
    let lower = source_url.trim().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(source_url.trim())
}

/// A move in the lightbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LightboxKey {
    Close,
    Next,
    Previous,
}

/// What a key does while the lightbox is open: Escape closes it, the arrows move.
pub fn lightbox_key(key: &str) -> Option<LightboxKey> {
    match key {
        "Escape" | "Esc" => Some(LightboxKey::Close),
        "ArrowRight" | "Right" => Some(LightboxKey::Next),
        "ArrowLeft" | "Left" => Some(LightboxKey::Previous),
        _ => None,
    }
}

/// Which piece the lightbox shows, by id: the gallery can grow while it is open (a new
/// screenshot arrives) and the open piece stays the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lightbox {
    open: Option<String>,
}

impl Lightbox {
    pub fn open(&mut self, media_id: &str) {
        self.open = Some(media_id.to_string());
    }

    pub fn close(&mut self) {
        self.open = None;
    }

    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// The open piece's place in `entries` (0-based), if it is open and there.
    pub fn index(&self, entries: &[MediaEntry]) -> Option<usize> {
        let open = self.open.as_deref()?;
        entries.iter().position(|e| e.media_id() == open)
    }

    /// The open piece, if it is open and in `entries`.
    pub fn current<'a>(&self, entries: &'a [MediaEntry]) -> Option<&'a MediaEntry> {
        self.index(entries).map(|i| &entries[i])
    }

    /// `3 of 7`, when the piece is open and there.
    pub fn position(&self, entries: &[MediaEntry]) -> Option<String> {
        self.index(entries).map(|i| format!("{} of {}", i + 1, entries.len()))
    }

    /// The next piece, after the last the first.
    pub fn next(&mut self, entries: &[MediaEntry]) {
        if let Some(i) = self.index(entries) {
            self.open = Some(entries[(i + 1) % entries.len()].media_id().to_string());
        }
    }

    /// The previous piece, before the first the last.
    pub fn previous(&mut self, entries: &[MediaEntry]) {
        if let Some(i) = self.index(entries) {
            self.open = Some(entries[(i + entries.len() - 1) % entries.len()].media_id().to_string());
        }
    }

    /// Applies a key's move.
    pub fn apply(&mut self, key: LightboxKey, entries: &[MediaEntry]) {
        match key {
            LightboxKey::Close => self.close(),
            LightboxKey::Next => self.next(entries),
            LightboxKey::Previous => self.previous(entries),
        }
    }
}

#[cfg(test)]
mod tests {
    use oi_protocol::media::MediaKind::{Attachment, Screenshot, Video};
    use oi_protocol::transcript::transcript_of;

    use super::*;
    use crate::model::testing::{artifact, media, text_delta, user_message_with};

    fn ids(entries: &[MediaEntry]) -> Vec<&str> {
        entries.iter().map(MediaEntry::media_id).collect()
    }

    #[test]
    fn sizes_in_binary_units() {
        let cases = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1 KiB"),
            (47 * 1024 + 100, "47 KiB"),
            (1024 * 1024 - 1, "1023 KiB"),
            (1024 * 1024, "1 MiB"),
            (1536 * 1024, "1.5 MiB"),
            (10 * 1024 * 1024, "10 MiB"),
            (10 * 1024 * 1024 - 1, "10 MiB"),
        ];
        for (bytes, want) in cases {
            assert_eq!(size_label(bytes), want, "{bytes} bytes");
        }
    }

    #[test]
    fn labels_name_dimensions_then_size() {
        let png = media("med_a", Screenshot);
        let cases = [
            (Some(1280), Some(800), "1280×800 · 47 KiB"),
            (None, Some(800), "47 KiB"),
            (Some(1280), None, "47 KiB"),
            (None, None, "47 KiB"),
        ];
        for (width, height, want) in cases {
            let m = MediaInfo { width, height, ..png.clone() };
            assert_eq!(media_label(&m), want, "{width:?}×{height:?}");
        }
    }

    #[test]
    fn an_entry_shows_its_caption_else_its_name() {
        let mut shot = media("med_a", Screenshot);
        let entry = MediaEntry::new(&shot);
        assert_eq!((entry.alt.as_str(), entry.kind, entry.is_video), ("med_a.png", "Screenshot", false));
        shot.caption = Some("The login form, with the new error".into());
        assert_eq!(MediaEntry::new(&shot).alt, "The login form, with the new error");
        shot.caption = Some("  ".into());
        assert_eq!(MediaEntry::new(&shot).alt, "med_a.png");
        let clip = MediaEntry::new(&media("med_v", Video));
        assert_eq!((clip.kind, clip.is_video), ("Video", true));
        assert_eq!(MediaEntry::new(&media("med_p", Attachment)).kind, "Attachment");
    }

    #[test]
    fn the_gallery_lists_attachments_then_artifacts_in_order_each_once() {
        let events = [
            user_message_with(
                1,
                "msg_1",
                "Fix the header",
                vec![media("med_p1", Attachment), media("med_p2", Attachment)],
            ),
            text_delta(2, "Looking"),
            artifact(3, Some("msg_1"), media("med_s1", Screenshot)),
            artifact(4, Some("msg_1"), media("med_v1", Video)),
            artifact(5, None, media("med_s2", Screenshot)),
            // The same attachment named again by a later prompt is listed once.
            user_message_with(6, "msg_2", "And again", vec![media("med_p1", Attachment)]),
            artifact(7, Some("msg_2"), media("med_s3", Screenshot)),
        ];
        let transcript = transcript_of(&events).unwrap();
        let entries = gallery(&transcript);
        assert_eq!(ids(&entries), ["med_p1", "med_p2", "med_s1", "med_v1", "med_s3", "med_s2"]);
        assert!(gallery(&Transcript::default()).is_empty());
    }

    #[test]
    fn only_web_addresses_are_links() {
        let cases = [
            ("http://localhost:3000/login", Some("http://localhost:3000/login")),
            (" HTTPS://example.com/ ", Some("HTTPS://example.com/")),
            ("file:///tmp/page.html", None),
            ("javascript:alert(1)", None),
            ("", None),
        ];
        for (url, want) in cases {
            assert_eq!(source_link(url), want, "{url}");
        }
    }

    #[test]
    fn keys_close_and_move_the_lightbox() {
        let cases = [
            ("Escape", Some(LightboxKey::Close)),
            ("ArrowRight", Some(LightboxKey::Next)),
            ("ArrowLeft", Some(LightboxKey::Previous)),
            ("Enter", None),
            ("a", None),
        ];
        for (key, want) in cases {
            assert_eq!(lightbox_key(key), want, "{key}");
        }
    }

    #[test]
    fn the_lightbox_moves_and_wraps() {
        let entries: Vec<MediaEntry> =
            ["med_a", "med_b", "med_c"].map(|id| MediaEntry::new(&media(id, Screenshot))).into();
        // (opened at, key, shows then)
        let cases = [
            ("med_a", LightboxKey::Next, Some("med_b")),
            ("med_c", LightboxKey::Next, Some("med_a")),
            ("med_a", LightboxKey::Previous, Some("med_c")),
            ("med_b", LightboxKey::Previous, Some("med_a")),
            ("med_b", LightboxKey::Close, None),
        ];
        for (start, key, want) in cases {
            let mut lightbox = Lightbox::default();
            lightbox.open(start);
            lightbox.apply(key, &entries);
            assert_eq!(lightbox.current(&entries).map(MediaEntry::media_id), want, "{start} {key:?}");
        }
    }

    #[test]
    fn the_lightbox_keeps_its_piece_as_the_gallery_grows() {
        let mut entries: Vec<MediaEntry> = ["med_a", "med_b"].map(|id| MediaEntry::new(&media(id, Screenshot))).into();
        let mut lightbox = Lightbox::default();
        assert!(!lightbox.is_open());
        assert_eq!(lightbox.position(&entries), None);
        lightbox.open("med_b");
        assert_eq!(lightbox.position(&entries).as_deref(), Some("2 of 2"));
        entries.insert(0, MediaEntry::new(&media("med_0", Attachment)));
        assert_eq!(lightbox.position(&entries).as_deref(), Some("3 of 3"));
        lightbox.next(&entries);
        assert_eq!(lightbox.position(&entries).as_deref(), Some("1 of 3"));
        // A piece that is not in the gallery shows nothing and does not move.
        lightbox.open("med_gone");
        assert!(lightbox.is_open());
        lightbox.next(&entries);
        assert_eq!(lightbox.current(&entries), None);
        // One piece: next and previous stay on it.
        let one = &entries[..1];
        lightbox.open("med_0");
        lightbox.previous(one);
        assert_eq!(lightbox.current(one).map(MediaEntry::media_id), Some("med_0"));
    }
}
