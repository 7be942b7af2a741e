//! A PNG's size, from its header: the signature, then the `IHDR` chunk with the width and the
//! height (big-endian) (<https://www.w3.org/TR/png/#11IHDR>).

/// The eight bytes every PNG starts with.
pub const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// `(width, height)` in pixels, or `None` when `bytes` do not start like a PNG.
pub fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != SIGNATURE || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let number = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Some((number(16), number(20)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = SIGNATURE.to_vec();
        bytes.extend_from_slice(&13u32.to_be_bytes());
        bytes.extend_from_slice(b"IHDR");
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&[8, 6, 0, 0, 0]);
        bytes
    }

    /// Bytes, and the size they say.
    type Case = (Vec<u8>, Option<(u32, u32)>);

    #[test]
    fn reads_the_size_from_the_header() {
        let mut not_ihdr = header(1, 1);
        not_ihdr[12..16].copy_from_slice(b"IDAT");
        let cases: &[Case] = &[
            (header(1280, 800), Some((1280, 800))),
            (header(1, 70_000), Some((1, 70_000))),
            (header(1280, 800)[..23].to_vec(), None),
            (b"GIF89a............................".to_vec(), None),
            (not_ihdr, None),
            (Vec::new(), None),
        ];
        for (bytes, want) in cases {
            assert_eq!(dimensions(bytes), *want, "{bytes:?}");
        }
    }
}
