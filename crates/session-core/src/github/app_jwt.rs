//! The GitHub App's JWT, which authenticates as the App itself (to mint installation tokens).
//! RS256, signed with the App's private key; claims `iat` (60 s in the past, for clock drift),
//! `exp` (9 minutes ahead: GitHub refuses more than 10) and `iss` (the App id). The caller passes
//! the time; nothing here reads the clock.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

/// How far `iat` is set in the past (GitHub recommends 60 s, for clock drift).
pub const BACKDATE_SECS: i64 = 60;
/// How far `exp` is set in the future (GitHub's maximum is 10 minutes).
pub const LIFETIME_SECS: i64 = 9 * 60;

/// The JWT's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppClaims {
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

const BAD_KEY: &str = "the GitHub App private key is not a usable RSA key in PEM form (expected the \
    `.pem` file GitHub generates, starting `-----BEGIN RSA PRIVATE KEY-----`)";

/// A key pasted into a single-line setting often has its newlines written as `\n`: restore them.
fn restore_newlines(pem: &str) -> std::borrow::Cow<'_, str> {
    let pem = pem.trim();
    if !pem.contains('\n') && pem.contains("\\n") {
        pem.replace("\\n", "\n").into()
    } else {
        pem.into()
    }
}

/// The JWT for App `app_id` at `now_secs` (Unix seconds). A bad key is refused with a message
/// that never repeats it.
pub fn app_jwt(app_id: &str, private_key_pem: &str, now_secs: i64) -> Result<String, String> {
    let app_id = app_id.trim();
    if app_id.is_empty() {
        return Err("the GitHub App id is empty".into());
    }
    let key = EncodingKey::from_rsa_pem(restore_newlines(private_key_pem).as_bytes()).map_err(|_| BAD_KEY)?;
    let claims = AppClaims { iat: now_secs - BACKDATE_SECS, exp: now_secs + LIFETIME_SECS, iss: app_id.to_string() };
    // The PEM armour is checked above; the key inside is parsed when signing.
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).map_err(|_| BAD_KEY.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    const KEY: &str = include_str!("../../tests/fixtures/github/test-app-key.pem");
    const KEY_PKCS8: &str = include_str!("../../tests/fixtures/github/test-app-key.pkcs8.pem");
    const PUBLIC_KEY: &str = include_str!("../../tests/fixtures/github/test-app-key.pub.pem");
    const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

    fn verify(token: &str, issuer: &str) -> jsonwebtoken::errors::Result<AppClaims> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false; // NOW is fixed; the times are checked by the tests.
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["iat", "exp", "iss"]);
        let key = DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()).unwrap();
        jsonwebtoken::decode::<AppClaims>(token, &key, &validation).map(|data| data.claims)
    }

    #[test]
    fn a_jwt_that_the_public_key_verifies() {
        let token = app_jwt("123456", KEY, NOW).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!((header.alg, header.typ.as_deref()), (Algorithm::RS256, Some("JWT")));
        let claims = verify(&token, "123456").unwrap();
        assert_eq!(claims, AppClaims { iat: NOW - 60, exp: NOW + 540, iss: "123456".into() });
        assert!(claims.exp - NOW <= 600 && claims.exp - claims.iat <= 600);

        // Another issuer, or a changed token, is refused.
        assert!(verify(&token, "654321").is_err());
        let (rest, signature) = token.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { "B" } else { "A" };
        assert!(verify(&format!("{rest}.{flipped}{}", &signature[1..]), "123456").is_err());
    }

    #[test]
    fn a_pkcs8_key_and_a_key_with_escaped_newlines_work_too() {
        let token = app_jwt("42", KEY_PKCS8, NOW).unwrap();
        assert_eq!(verify(&token, "42").unwrap().iss, "42");

        let one_line = KEY.trim().replace('\n', "\\n");
        let token = app_jwt(" 42 ", &one_line, NOW).unwrap();
        assert_eq!(verify(&token, "42").unwrap().iss, "42");
    }

    #[test]
    fn bad_keys_are_refused_without_echoing_them() {
        let body = KEY.lines().nth(3).unwrap();
        let garbled = KEY.replace(body, &"A".repeat(body.len()));
        for key in ["", "not a key", PUBLIC_KEY, &garbled, &KEY[..KEY.len() / 2]] {
            let error = app_jwt("123456", key, NOW).unwrap_err();
            assert_eq!(error, BAD_KEY);
            assert!(!error.contains(body) && !error.contains(&garbled[40..80]));
        }
    }

    #[test]
    fn an_empty_app_id_is_refused() {
        assert_eq!(app_jwt("  ", KEY, NOW).unwrap_err(), "the GitHub App id is empty");
    }
}
