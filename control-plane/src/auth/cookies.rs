//! Reading and writing cookies, and the percent-encoding their values use.

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value(header: &str, name: &str) -> Option<String> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// The value of cookie `name` on a request.
pub fn request_cookie(req: &worker::Request, name: &str) -> Option<String> {
    let header = req.headers().get("cookie").ok().flatten()?;
    cookie_value(&header, name)
}

/// `Set-Cookie` for a cookie only the server reads: HttpOnly, Secure, SameSite=Lax.
pub fn private_cookie(name: &str, value: &str, path: &str, max_age_secs: i64) -> String {
    format!("{name}={value}; Path={path}; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Lax")
}

/// `Set-Cookie` that removes a cookie set by [`private_cookie`].
pub fn cleared_cookie(name: &str, path: &str) -> String {
    private_cookie(name, "", path, 0)
}

/// Everything but RFC 3986's unreserved characters is encoded.
const UNRESERVED: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

pub fn percent_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

/// Decodes `%XX` (a `%` without two hex digits stays) and `+` as a space.
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let header = format!("theme=dark; oi_x={}; other=1", percent_encode("Grace Hopper & co"));
        assert_eq!(percent_decode(&cookie_value(&header, "oi_x").unwrap()), "Grace Hopper & co");
        assert_eq!(cookie_value("a=1", "oi_x"), None);
        assert_eq!(percent_decode("Zo%C3%AB"), "Zoë");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%aé"), "%aé");
    }

    #[test]
    fn private_cookies_are_http_only_secure_and_lax() {
        let c = private_cookie("oi_session", "abc", "/", 60);
        assert_eq!(c, "oi_session=abc; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax");
        assert!(cleared_cookie("oi_session", "/").contains("Max-Age=0"));
    }
}
