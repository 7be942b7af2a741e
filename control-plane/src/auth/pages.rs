//! The few HTML pages sign-in shows itself (everything else is the web app).

use worker::Response;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A small page with a title, a message and a link back to sign-in.
pub fn page(status: u16, title: &str, message: &str) -> worker::Result<Response> {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width\"><title>{t} · Open Inspect</title><style>body{{font-family:system-ui,\
         sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}}@media(prefers-color-scheme:\
         dark){{body{{background:#111;color:#eee}}a{{color:#8cf}}}}</style></head><body><h1>{t}</h1>\
         <p id=\"message\">{m}</p><p><a href=\"/auth/github/login\">Sign in with GitHub</a> · \
         <a href=\"/\">Open Inspect</a></p></body></html>",
        t = escape(title),
        m = escape(message)
    );
    let mut response = Response::from_html(html)?.with_status(status);
    response.headers_mut().set("cache-control", "no-store")?;
    // Its one style is inline; nothing else may load or frame it.
    response.headers_mut().set(
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
    )?;
    response.headers_mut().set("x-content-type-options", "nosniff")?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_escaped() {
        assert_eq!(super::escape("<b>\"x\" & y</b>"), "&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;");
    }
}
