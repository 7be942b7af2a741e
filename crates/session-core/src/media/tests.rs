use oi_protocol::media::{MediaInfo, MediaKind, MediaType, MAX_IMAGE_BYTES, MAX_SCREENSHOTS_PER_SESSION};
use oi_protocol::ErrorCode;

use super::*;

/// The first bytes of a PNG of `w`×`h` (signature and IHDR: all a sniffer and a size reader need).
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b
}

fn gif(w: u16, h: u16) -> Vec<u8> {
    let mut b = b"GIF89a".to_vec();
    b.extend_from_slice(&w.to_le_bytes());
    b.extend_from_slice(&h.to_le_bytes());
    b.extend_from_slice(&[0, 0, 0]);
    b
}

fn jpeg() -> Vec<u8> {
    // SOI, then a baseline SOF0 of 640×480.
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    b.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8, 0x01, 0xE0, 0x02, 0x80, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    b
}

fn webp() -> Vec<u8> {
    // RIFF....WEBPVP8X with a 300×200 canvas.
    let mut b = b"RIFF\x24\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
    b.extend_from_slice(&[0x2B, 0x01, 0x00, 0xC7, 0x00, 0x00]);
    b
}

fn webm() -> Vec<u8> {
    let mut b = vec![0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81, 0x01];
    b.extend_from_slice(&[0x42, 0xF2, 0x81, 0x04, 0x42, 0xF3, 0x81, 0x08, 0x42, 0x82, 0x84]);
    b.extend_from_slice(b"webm");
    b.extend_from_slice(&[0x42, 0x87, 0x81, 0x02, 0x42, 0x85, 0x81, 0x02]);
    b
}

fn mp4() -> Vec<u8> {
    let mut b = vec![0, 0, 0, 0x18];
    b.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
    b
}

#[test]
fn the_type_is_what_the_bytes_show() {
    let cases: Vec<(&str, Vec<u8>, Option<MediaType>)> = vec![
        ("png", png(10, 20), Some(MediaType::Png)),
        ("gif", gif(3, 4), Some(MediaType::Gif)),
        ("jpeg", jpeg(), Some(MediaType::Jpeg)),
        ("webp", webp(), Some(MediaType::Webp)),
        ("webm", webm(), Some(MediaType::Webm)),
        ("mp4", mp4(), Some(MediaType::Mp4)),
        ("text", b"hello, not an image".to_vec(), None),
        ("svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(), None),
        ("pdf", b"%PDF-1.7\n".to_vec(), None),
        ("empty", Vec::new(), None),
    ];
    for (name, bytes, want) in cases {
        assert_eq!(sniff(&bytes), want, "{name}");
    }
}

#[test]
fn images_say_their_size() {
    assert_eq!(dimensions(&png(1280, 800)), Some((1280, 800)));
    assert_eq!(dimensions(&gif(3, 4)), Some((3, 4)));
    assert_eq!(dimensions(&jpeg()), Some((640, 480)));
    assert_eq!(dimensions(&webp()), Some((300, 200)));
    assert_eq!(dimensions(b"nothing"), None);
}

#[test]
fn uploads_are_admitted_by_kind_type_and_limits() {
    let big_png = {
        let mut b = png(1, 1);
        b.resize(MAX_IMAGE_BYTES as usize + 1, 0);
        b
    };
    let empty = MediaUsage::default();
    let full_of_screenshots = MediaUsage { screenshots: MAX_SCREENSHOTS_PER_SESSION, ..empty };
    let nearly_full = MediaUsage { total_bytes: MAX_SESSION_MEDIA_BYTES - 10, ..empty };
    type Case<'a> = (&'a str, MediaKind, Option<&'a str>, Vec<u8>, MediaUsage, Result<MediaType, (ErrorCode, &'a str)>);
    let cases: Vec<Case> = vec![
        ("png attachment", MediaKind::Attachment, Some("image/png"), png(4, 4), empty, Ok(MediaType::Png)),
        ("no content type", MediaKind::Attachment, None, gif(1, 1), empty, Ok(MediaType::Gif)),
        ("octet-stream", MediaKind::Screenshot, Some("application/octet-stream"), png(4, 4), empty, Ok(MediaType::Png)),
        ("charset param", MediaKind::Attachment, Some("image/png; q=1"), png(4, 4), empty, Ok(MediaType::Png)),
        ("video", MediaKind::Video, Some("video/webm"), webm(), empty, Ok(MediaType::Webm)),
        ("empty body", MediaKind::Attachment, None, Vec::new(), empty, Err((ErrorCode::InvalidRequest, "empty"))),
        ("too big", MediaKind::Attachment, None, big_png, empty, Err((ErrorCode::PayloadTooLarge, "at most 10 MiB"))),
        (
            "not an image",
            MediaKind::Attachment,
            None,
            b"GET / HTTP".to_vec(),
            empty,
            Err((ErrorCode::UnsupportedMediaType, "not a PNG")),
        ),
        (
            "video as attachment",
            MediaKind::Attachment,
            None,
            mp4(),
            empty,
            Err((ErrorCode::UnsupportedMediaType, "not a PNG")),
        ),
        (
            "image as video",
            MediaKind::Video,
            None,
            png(1, 1),
            empty,
            Err((ErrorCode::UnsupportedMediaType, "WebM or MP4")),
        ),
        (
            "declared lies",
            MediaKind::Attachment,
            Some("image/jpeg"),
            png(4, 4),
            empty,
            Err((ErrorCode::UnsupportedMediaType, "bytes are image/png")),
        ),
        (
            "svg declared",
            MediaKind::Attachment,
            Some("image/svg+xml"),
            png(4, 4),
            empty,
            Err((ErrorCode::UnsupportedMediaType, "image/svg+xml")),
        ),
        (
            "screenshot quota",
            MediaKind::Screenshot,
            None,
            png(4, 4),
            full_of_screenshots,
            Err((ErrorCode::QuotaExceeded, "100 screenshots")),
        ),
        (
            "attachment ignores screenshot quota",
            MediaKind::Attachment,
            None,
            png(4, 4),
            full_of_screenshots,
            Ok(MediaType::Png),
        ),
        (
            "session total",
            MediaKind::Attachment,
            None,
            png(4, 4),
            nearly_full,
            Err((ErrorCode::PayloadTooLarge, "500 MiB")),
        ),
    ];
    for (name, kind, declared, bytes, usage, want) in cases {
        let got = admit(Upload { kind, declared, bytes: &bytes }, usage);
        match (got, want) {
            (Ok(a), Ok(t)) => assert_eq!(a.content_type, t, "{name}"),
            (Err(e), Err((code, part))) => {
                assert_eq!(e.code, code, "{name}: {}", e.message);
                assert!(e.message.contains(part), "{name}: {}", e.message);
            }
            (got, want) => panic!("{name}: {got:?}, expected {want:?}"),
        }
    }
}

#[test]
fn an_admitted_image_carries_its_size_and_a_video_none() {
    let a =
        admit(Upload { kind: MediaKind::Screenshot, declared: None, bytes: &png(1280, 800) }, MediaUsage::default());
    assert_eq!(a.unwrap(), Admitted { content_type: MediaType::Png, width: Some(1280), height: Some(800) });
    let v = admit(Upload { kind: MediaKind::Video, declared: None, bytes: &mp4() }, MediaUsage::default());
    assert_eq!(v.unwrap(), Admitted { content_type: MediaType::Mp4, width: None, height: None });
}

#[test]
fn labels_are_checked() {
    let long = "x".repeat(201);
    /// name, caption, source URL, a word of the refusal (none: accepted)
    type Case<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);
    let cases: &[Case] = &[
        ("a.png", Some("The home page"), Some("http://127.0.0.1:3000/"), None),
        ("", None, None, Some("`name` must be a file name")),
        ("  ", None, None, Some("`name` must be a file name")),
        ("../etc/passwd", None, None, Some("no / or")),
        ("a\\b.png", None, None, Some("no / or")),
        ("a\nb.png", None, None, Some("control characters")),
        (&long, None, None, Some("longer than 200")),
        ("a.png", Some("bad\u{0007}"), None, Some("`caption` must not contain")),
        ("a.png", None, Some("file:///etc/passwd"), Some("http or https")),
        ("a.png", None, Some("javascript:alert(1)"), Some("http or https")),
    ];
    for (name, caption, url, want) in cases {
        let got = check_labels(name, *caption, *url);
        match (got, want) {
            (Ok(()), None) => {}
            (Err(e), Some(part)) => assert!(e.message.contains(part), "{name:?}: {}", e.message),
            (got, want) => panic!("{name:?}: {got:?}, expected {want:?}"),
        }
    }
}

fn stored(id: &str, kind: MediaKind) -> MediaInfo {
    MediaInfo {
        media_id: id.into(),
        kind,
        name: format!("{id}.png"),
        content_type: MediaType::Png,
        size: 10,
        width: Some(1),
        height: Some(1),
        url: format!("/api/sessions/ses_1/media/{id}"),
        caption: None,
        source_url: None,
        evidence: false,
    }
}

#[test]
fn a_prompt_carries_only_this_sessions_attachments() {
    let session = vec![
        stored("med_a", MediaKind::Attachment),
        stored("med_b", MediaKind::Attachment),
        stored("med_s", MediaKind::Screenshot),
    ];
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    /// ids asked, the ids carried or a word of the refusal
    type Case<'a> = (&'a [&'a str], Result<&'a [&'a str], &'a str>);
    let cases: &[Case] = &[
        (&[], Ok(&[])),
        (&["med_b", "med_a"], Ok(&["med_b", "med_a"])),
        (&["med_a", "med_a"], Err("named twice")),
        (&["med_x"], Err("no attachment \"med_x\"")),
        (&["med_s"], Err("no attachment \"med_s\"")),
        (&["med_a"; 7], Err("at most 6")),
    ];
    for (asked, want) in cases {
        let got = prompt_attachments(&ids(asked), &session);
        match (got, want) {
            (Ok(list), Ok(expected)) => {
                assert_eq!(list.iter().map(|m| m.media_id.as_str()).collect::<Vec<_>>(), *expected, "{asked:?}")
            }
            (Err(e), Err(part)) => {
                assert_eq!(e.code, ErrorCode::InvalidRequest);
                assert!(e.message.contains(part), "{asked:?}: {}", e.message)
            }
            (got, want) => panic!("{asked:?}: {got:?}, expected {want:?}"),
        }
    }
}

#[test]
fn sizes_read_as_people_say_them() {
    assert_eq!(human(12), "12 bytes");
    assert_eq!(human(48_213), "47 KiB");
    assert_eq!(human(3 * 1024 * 1024 + 300_000), "3.3 MiB");
}
