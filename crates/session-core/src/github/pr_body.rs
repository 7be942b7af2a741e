//! The markdown body of a pull request the agent opens: who asked (when the App opens it on
//! someone's behalf), the agent's summary, the prompts that led to it, the verification evidence,
//! and a link back to the session.
//!
//! GitHub refuses a body over 65,536 characters. Each prompt is cut at 2,000 characters; if the
//! body is still too long, the later prompts are left out (the session has them all). The summary
//! and the evidence have their own caps, so they always fit beside at least 30,000 characters of
//! prompts.

/// GitHub's limit on a pull request body, in characters.
pub const MAX_BODY_CHARS: usize = 65_536;
/// A prompt longer than this is cut, with a note.
pub const MAX_PROMPT_CHARS: usize = 2_000;
/// The summary is cut at this length, with a note.
pub const MAX_SUMMARY_CHARS: usize = 16_000;
/// Each evidence item is cut at this length.
pub const MAX_EVIDENCE_ITEM_CHARS: usize = 2_000;
/// The evidence list stops (with a count of what is left out) before this length.
pub const MAX_EVIDENCE_CHARS: usize = 16_000;

/// Screenshots shown in the body, at most.
pub const MAX_SCREENSHOTS: usize = 10;
/// A screenshot's caption is cut at this length.
pub const MAX_SCREENSHOT_CAPTION_CHARS: usize = 200;

/// What goes in the body.
#[derive(Debug, Clone, Copy)]
pub struct PrBody<'a> {
    /// The agent's summary of its change, if it wrote one.
    pub summary: Option<&'a str>,
    /// `(author, text)` for each prompt, in the order they were sent.
    pub prompts: &'a [(String, String)],
    pub session_url: &'a str,
    /// One item per piece of verification evidence (a command and its result, a test run).
    pub evidence: &'a [String],
    /// Screenshots the agent offered as evidence: `(caption, image URL)`, shown as images
    /// (at most [`MAX_SCREENSHOTS`]).
    pub screenshots: &'a [(String, String)],
    /// The GitHub login of the person who asked, set when the pull request is opened with the
    /// App's identity instead of theirs.
    pub asked_by: Option<&'a str>,
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// The first `max` characters of `text`, and whether anything was cut.
fn cut(text: &str, max: usize) -> (&str, bool) {
    match text.char_indices().nth(max) {
        Some((at, _)) => (&text[..at], true),
        None => (text, false),
    }
}

/// `n` with thousands separators (`2,000`).
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

fn summary_section(summary: Option<&str>) -> String {
    let summary = summary.map(str::trim).filter(|s| !s.is_empty());
    let Some(summary) = summary else {
        return "## Summary\n\n_The agent did not write a summary; the session has the full conversation._\n\n".into();
    };
    let (shown, was_cut) = cut(summary, MAX_SUMMARY_CHARS);
    let note = if was_cut { "\n\n_The summary is cut short here; the session has all of it._" } else { "" };
    format!("## Summary\n\n{}{note}\n\n", shown.trim_end())
}

/// `@name` and `#123` as text, not a mention or a link: a word joiner (U+2060) after the sign
/// keeps GitHub from notifying the person or cross-referencing the issue a prompt quotes.
pub fn quiet_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut previous: Option<char> = None;
    while let Some(c) = chars.next() {
        out.push(c);
        let starts_word = previous.is_none_or(|p| !p.is_alphanumeric());
        if (c == '@' || c == '#') && starts_word && chars.peek().is_some_and(|n| n.is_ascii_alphanumeric()) {
            out.push('\u{2060}');
        }
        previous = Some(c);
    }
    out
}

/// One prompt: its author, the text as a quote (cut at [`MAX_PROMPT_CHARS`]), and a note if cut.
fn prompt_block(author: &str, text: &str) -> String {
    let text = text.trim();
    let (shown, was_cut) = cut(text, MAX_PROMPT_CHARS);
    let mut block = format!("From **{}**:\n\n", author.trim());
    for line in shown.trim_end().lines() {
        let line = line.trim_end();
        block.push('>');
        if !line.is_empty() {
            block.push(' ');
            block.push_str(&quiet_mentions(line));
        }
        block.push('\n');
    }
    if was_cut {
        block.push_str(&format!(
            "\n_Cut short: the first {} of {} characters are shown._\n",
            thousands(MAX_PROMPT_CHARS),
            thousands(chars(text))
        ));
    }
    block.push('\n');
    block
}

fn evidence_section(evidence: &[String]) -> String {
    let items: Vec<&str> = evidence.iter().map(|e| e.trim()).filter(|e| !e.is_empty()).collect();
    if items.is_empty() {
        return "## Verification\n\nNo verification evidence was recorded.\n\n".into();
    }
    let mut list = String::new();
    let mut shown = 0;
    for item in &items {
        let (text, was_cut) = cut(item, MAX_EVIDENCE_ITEM_CHARS);
        let mut entry = format!("- {}", text.trim_end().lines().map(str::trim_end).collect::<Vec<_>>().join("\n  "));
        entry.push_str(if was_cut { " …\n" } else { "\n" });
        if chars(&list) + chars(&entry) > MAX_EVIDENCE_CHARS {
            break;
        }
        list.push_str(&entry);
        shown += 1;
    }
    if shown < items.len() {
        list.push_str(&format!("- _{} not shown._\n", plural(items.len() - shown, "more item", "more items")));
    }
    format!("## Verification\n\n{list}\n")
}

/// The screenshots as markdown images; the caption as plain alt text (no brackets, no line
/// breaks) and the URL in angle brackets, so neither can end the image early.
fn screenshots_section(screenshots: &[(String, String)]) -> String {
    if screenshots.is_empty() {
        return String::new();
    }
    let mut out = String::from("## Screenshots\n\n");
    for (caption, url) in screenshots.iter().take(MAX_SCREENSHOTS) {
        let alt: String = cut(caption.trim(), MAX_SCREENSHOT_CAPTION_CHARS)
            .0
            .chars()
            .map(|c| if matches!(c, '[' | ']' | '\\' | '<' | '>') || c.is_control() { ' ' } else { c })
            .collect();
        let url: String = url.chars().filter(|c| !matches!(c, '<' | '>' | ' ') && !c.is_control()).collect();
        out.push_str(&format!("![{alt}](<{url}>)\n\n"));
    }
    if screenshots.len() > MAX_SCREENSHOTS {
        let more = plural(screenshots.len() - MAX_SCREENSHOTS, "more screenshot is", "more screenshots are");
        out.push_str(&format!("_{more} in the session._\n\n"));
    }
    out
}

impl PrBody<'_> {
    /// The markdown, at most [`MAX_BODY_CHARS`] characters.
    pub fn render(&self) -> String {
        let mut head = String::new();
        if let Some(login) = self.asked_by.map(|l| l.trim().trim_start_matches('@')).filter(|l| !l.is_empty()) {
            head.push_str(&format!("Opened by Open Inspect on behalf of @{login}.\n\n"));
        }
        head.push_str(&summary_section(self.summary));
        head.push_str("## Prompts\n\n");
        let tail = format!(
            "{}{}---\n\n[Open the session in Open Inspect]({})",
            evidence_section(self.evidence),
            screenshots_section(self.screenshots),
            self.session_url
        );

        // The prompts get what is left, keeping room for the note on what is left out.
        const NOTE_ROOM: usize = 200;
        let budget = MAX_BODY_CHARS.saturating_sub(chars(&head) + chars(&tail) + NOTE_ROOM);
        let mut prompts = String::new();
        let mut used = 0;
        let mut shown = 0;
        for (author, text) in self.prompts {
            let block = prompt_block(author, text);
            let size = chars(&block);
            if used + size > budget {
                break;
            }
            prompts.push_str(&block);
            used += size;
            shown += 1;
        }
        if self.prompts.is_empty() {
            prompts.push_str("_No prompts were recorded._\n\n");
        } else if shown < self.prompts.len() {
            let left = plural(self.prompts.len() - shown, "later prompt is", "later prompts are");
            prompts.push_str(&format!(
                "_{left} not shown (GitHub limits the length of this description); the session has them all._\n\n"
            ));
        }

        let body = format!("{head}{prompts}{tail}");
        // Only an absurd session URL or login gets here.
        match cut(&body, MAX_BODY_CHARS) {
            (_, false) => body,
            (shown, true) => shown.to_string(),
        }
    }
}

#[cfg(test)]
#[path = "pr_body_tests.rs"]
mod tests;
