//! Which headers cross the preview tunnel. Hop-by-hop headers (RFC 9110 §7.6.1) stay on their
//! hop; the pass cookie stays on the control plane's side (the app never sees it), and the
//! `Host` the app sees is its own address in the sandbox.

/// The cookie that holds a preview pass on the preview origin.
pub const PASS_COOKIE: &str = "oi_preview";

use oi_protocol::preview::HOP_BY_HOP_HEADERS as HOP_BY_HOP;

fn crosses(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    !HOP_BY_HOP.contains(&name.as_str()) && !name.starts_with("cf-") && name != "host" && name != "content-length"
}

/// The request headers sent on to the app on `port`: without hop-by-hop ones, with the pass
/// cookie taken out of `Cookie`, and `Host: 127.0.0.1:<port>`.
pub fn to_app(incoming: &[(String, String)], port: u16) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(incoming.len() + 1);
    for (name, value) in incoming {
        if !crosses(name) {
            continue;
        }
        if name.eq_ignore_ascii_case("cookie") {
            let kept: Vec<&str> = value
                .split(';')
                .map(str::trim)
                .filter(|c| !c.is_empty() && c.split('=').next() != Some(PASS_COOKIE))
                .collect();
            if !kept.is_empty() {
                out.push((name.clone(), kept.join("; ")));
            }
            continue;
        }
        out.push((name.clone(), value.clone()));
    }
    out.push(("host".into(), format!("127.0.0.1:{port}")));
    out
}

/// The response headers sent back to the viewer: without hop-by-hop ones.
pub fn from_app(outgoing: &[(String, String)]) -> Vec<(String, String)> {
    outgoing.iter().filter(|(name, _)| crosses(name)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn only_end_to_end_headers_cross_and_the_pass_stays_behind() {
        let incoming = h(&[
            ("Host", "p-ses-1-3000.localhost:8787"),
            ("Connection", "keep-alive, x-secret"),
            ("Accept", "text/html"),
            ("Cookie", "theme=dark; oi_preview=eyJ.pass.sig; cart=3"),
            ("Transfer-Encoding", "chunked"),
            ("CF-Connecting-IP", "203.0.113.9"),
            ("Content-Length", "12"),
        ]);
        assert_eq!(
            to_app(&incoming, 3000),
            h(&[("Accept", "text/html"), ("Cookie", "theme=dark; cart=3"), ("host", "127.0.0.1:3000")])
        );
        let only_pass = h(&[("cookie", "oi_preview=x")]);
        assert_eq!(to_app(&only_pass, 5173), h(&[("host", "127.0.0.1:5173")]));
        let outgoing =
            h(&[("Content-Type", "text/html"), ("Keep-Alive", "timeout=5"), ("Set-Cookie", "sid=1; Path=/")]);
        assert_eq!(from_app(&outgoing), h(&[("Content-Type", "text/html"), ("Set-Cookie", "sid=1; Path=/")]));
    }
}
