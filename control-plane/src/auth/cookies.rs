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

pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
