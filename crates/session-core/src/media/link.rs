//! The link that shows an evidence screenshot outside the session: in its pull request, on
//! GitHub, whose image proxy fetches it without anyone's cookie. The link carries
//! `?key=<hex HMAC-SHA256(secret, "media-link:<session>:<media>")>`, so it opens that one
//! piece and no other, and only the control plane (which holds the secret) can make one.
//!
//! Invariant: a key opens exactly the piece it was made for; it is compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn mac(secret: &[u8], session_id: &str, media_id: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(format!("media-link:{session_id}:{media_id}").as_bytes());
    mac
}

/// The key for one piece.
pub fn key(secret: &[u8], session_id: &str, media_id: &str) -> String {
    hex::encode(mac(secret, session_id, media_id).finalize().into_bytes())
}

/// Whether `given` is the key for this piece.
pub fn verify(secret: &[u8], session_id: &str, media_id: &str, given: &str) -> bool {
    let Ok(bytes) = hex::decode(given) else { return false };
    mac(secret, session_id, media_id).verify_slice(&bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_opens_only_its_own_piece() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let k = key(secret, "ses_1", "med_1");
        assert_eq!(k.len(), 64);
        assert!(verify(secret, "ses_1", "med_1", &k));
        let cases = [
            ("ses_1", "med_2", k.clone()),
            ("ses_2", "med_1", k.clone()),
            ("ses_1", "med_1", format!("{}{}", if k.starts_with('0') { '1' } else { '0' }, &k[1..])),
            ("ses_1", "med_1", String::new()),
            ("ses_1", "med_1", "zz".into()),
            ("ses_1", "med_1", k[..62].to_string()),
        ];
        for (session, media, given) in cases {
            assert!(!verify(secret, session, media, &given), "{session} {media} {given}");
        }
        assert!(!verify(b"another secret", "ses_1", "med_1", &k));
    }
}
