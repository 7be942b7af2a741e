//! @mentions of the App in a comment's markdown: whether there is one, and the request without
//! them.
//!
//! Invariant: a mention is `@<slug>` (or `@<slug>[bot]`), any case, as a whole word: not inside
//! another word or address (`ops@slug`, `@slug-x`, `@slug_x`, `@org/slug`, `@slug/team`), not in
//! code (spans or fenced blocks) and not in a quoted line (`> @slug …` quotes an earlier ask).

use std::ops::Range;

/// Whether `body` mentions the App whose slug is `slug`.
pub fn mentions_app(body: &str, slug: &str) -> bool {
    !mention_ranges(body, slug).is_empty()
}

/// `body` without its mentions of the App (and the space one would leave doubled), trimmed.
/// Code, quotes and other mentions are kept as they are.
pub fn strip_mentions(body: &str, slug: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut at = 0;
    for range in mention_ranges(body, slug) {
        out.push_str(&body[at..range.start]);
        at = range.end;
        let after_space = out.is_empty() || out.ends_with(char::is_whitespace);
        if after_space && body[at..].starts_with(' ') {
            at += 1;
        }
    }
    out.push_str(&body[at..]);
    out.trim().to_string()
}

/// Byte ranges of the mentions, in order.
fn mention_ranges(body: &str, slug: &str) -> Vec<Range<usize>> {
    let slug = slug.trim();
    let mut found = Vec::new();
    if slug.is_empty() {
        return found;
    }
    // The fence that opened the code block we are in: its character and length.
    let mut fence: Option<(char, usize)> = None;
    let mut line_start = 0;
    for line in body.split_inclusive('\n') {
        let start = line_start;
        line_start += line.len();
        let trimmed = line.trim_start();
        if let Some((c, n)) = fence_of(trimmed) {
            match fence {
                None => fence = Some((c, n)),
                Some((open, len)) if open == c && n >= len && trimmed.trim_end().len() == n => fence = None,
                Some(_) => {}
            }
            continue;
        }
        if fence.is_some() || trimmed.starts_with('>') {
            continue;
        }
        for segment in outside_code_spans(line) {
            find_in(line, segment, slug, start, &mut found);
        }
    }
    found
}

/// A line opening or closing a fenced code block: three or more backticks or tildes.
fn fence_of(trimmed: &str) -> Option<(char, usize)> {
    let c = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = trimmed.chars().take_while(|x| *x == c).count();
    (n >= 3).then_some((c, n))
}

/// The parts of `line` outside inline code spans (a run of N backticks up to the next run of
/// exactly N; an unclosed run is plain text).
fn outside_code_spans(line: &str) -> Vec<Range<usize>> {
    let runs = backtick_runs(line);
    let mut outside = Vec::new();
    let (mut at, mut i) = (0, 0);
    while i < runs.len() {
        let open = &runs[i];
        match runs[i + 1..].iter().position(|r| r.len() == open.len()) {
            Some(offset) => {
                outside.push(at..open.start);
                at = runs[i + 1 + offset].end;
                i += offset + 2;
            }
            None => i += 1,
        }
    }
    outside.push(at..line.len());
    outside
}

/// The runs of backticks in `text`, as byte ranges.
pub(super) fn backtick_runs(text: &str) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for (i, c) in text.char_indices() {
        if c != '`' {
            continue;
        }
        match runs.last_mut() {
            Some(run) if run.end == i => run.end = i + 1,
            _ => runs.push(i..i + 1),
        }
    }
    runs
}

/// Characters that continue a login, a team (`org/team`) or an address around a mention.
fn continues_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_/@.".contains(c)
}

/// Mentions inside `segment` of `line` (which starts at `offset` in the body).
fn find_in(line: &str, segment: Range<usize>, slug: &str, offset: usize, found: &mut Vec<Range<usize>>) {
    let text = &line[segment.clone()];
    for (i, _) in text.match_indices('@') {
        let before = text[..i].chars().next_back();
        if before.is_some_and(continues_word) {
            continue;
        }
        let rest = &text[i + 1..];
        let Some(name) = rest.get(..slug.len()).filter(|n| n.eq_ignore_ascii_case(slug)) else { continue };
        let mut end = i + 1 + name.len();
        if text[end..].starts_with("[bot]") {
            end += "[bot]".len();
        }
        // A `.` ends a sentence (logins have none); anything else of a word continues it.
        let after = text[end..].chars().next();
        if after.is_some_and(|c| c != '.' && continues_word(c)) {
            continue;
        }
        let at = offset + segment.start;
        found.push(at + i..at + end);
    }
}

#[cfg(test)]
#[path = "mention_tests.rs"]
mod tests;
