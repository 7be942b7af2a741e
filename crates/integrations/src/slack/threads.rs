//! Threads: how long a thread the app worked in still takes follow-ups, and the first prompt of
//! a request made inside a thread (its earlier messages as context).
//!
//! Invariant: the first prompt never exceeds the longest prompt a session accepts; what is cut
//! is the oldest context first, then the end of the request.

use oi_protocol::limits::MAX_PROMPT_CHARS;

/// How long after its request a thread's replies still go to its session.
pub const THREAD_FOLLOW_UP_DAYS: i64 = 7;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Whether a reply at `now_ms` in a thread whose request came at `thread_started_ms` is a
/// follow-up for its session (within [`THREAD_FOLLOW_UP_DAYS`]; a start in the future, from a
/// clock's skew, counts as recent).
pub fn follow_up_allowed(thread_started_ms: i64, now_ms: i64) -> bool {
    now_ms.saturating_sub(thread_started_ms) <= THREAD_FOLLOW_UP_DAYS * DAY_MS
}

/// The marker put where older messages were left out.
pub const LEFT_OUT: &str = "[earlier messages left out]";

/// Earlier messages of the thread (user, text), oldest first, as `user: text` lines for the
/// first prompt: at most `max_chars` characters, the newest kept when cut (an older part left
/// out is marked; a newest message longer than everything is cut at its end).
pub fn thread_context(messages: &[(String, String)], max_chars: usize) -> String {
    let lines: Vec<String> = messages
        .iter()
        .filter(|(_, text)| !text.trim().is_empty())
        .map(|(user, text)| format!("{}: {}", user.trim(), text.trim()))
        .collect();
    let whole = lines.join("\n");
    if whole.chars().count() <= max_chars {
        return whole;
    }
    // Something stays out: room for the marker, then the newest lines that fit.
    let mut used = LEFT_OUT.chars().count();
    let mut kept: Vec<&str> = Vec::new();
    for line in lines.iter().rev() {
        let len = line.chars().count() + 1;
        if used + len > max_chars {
            break;
        }
        used += len;
        kept.push(line);
    }
    kept.reverse();
    if kept.is_empty() {
        // Not even the newest message fits whole: its beginning.
        return lines.last().map(|l| super::messages::truncate(l, max_chars)).unwrap_or_default();
    }
    format!("{LEFT_OUT}\n{}", kept.join("\n"))
}

/// The first prompt of a request: the request itself, then the thread's earlier messages
/// ([`thread_context`]) when there are any; at most the longest prompt a session accepts.
pub fn first_prompt(request_text: &str, context: &str) -> String {
    let request = request_text.trim();
    let context = context.trim();
    if context.is_empty() {
        return crate::cut_chars(request, MAX_PROMPT_CHARS).to_string();
    }
    let head = "\n\nEarlier messages in the Slack thread, oldest first, for context:\n\n";
    let room = MAX_PROMPT_CHARS.saturating_sub(request.chars().count() + head.chars().count());
    if room < 100 {
        return crate::cut_chars(request, MAX_PROMPT_CHARS).to_string();
    }
    // The oldest context goes first.
    let skip = context.chars().count().saturating_sub(room);
    let context: String = context.chars().skip(skip).collect();
    format!("{request}{head}{context}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = DAY_MS;

    #[test]
    fn follow_ups() {
        let t0 = 1_767_225_600_000;
        let cases: &[(i64, bool)] =
            &[(0, true), (DAY, true), (7 * DAY, true), (7 * DAY + 1, false), (30 * DAY, false), (-DAY, true)];
        for (elapsed, allowed) in cases {
            assert_eq!(follow_up_allowed(t0, t0 + elapsed), *allowed, "{elapsed}");
        }
        assert!(!follow_up_allowed(i64::MIN, i64::MAX));
    }

    fn thread(messages: &[(&str, &str)]) -> Vec<(String, String)> {
        messages.iter().map(|(u, t)| (u.to_string(), t.to_string())).collect()
    }

    #[test]
    fn contexts() {
        let first = format!("the build is red {}", "x".repeat(83));
        let msgs = thread(&[("ada", &first), ("grace", " since #412 "), ("bot", ""), ("ada", "on main only")]);
        let whole = format!("ada: {first}\ngrace: since #412\nada: on main only");
        assert_eq!(whole.len(), 141);
        let cases: &[(usize, &str)] = &[
            (1_000, &whole),
            (141, &whole),
            // The newest kept, the older part marked.
            (140, "[earlier messages left out]\ngrace: since #412\nada: on main only"),
            (62, "[earlier messages left out]\nada: on main only"),
            (45, "[earlier messages left out]\nada: on main only"),
            // The newest alone, when the marker does not fit with it.
            (44, "ada: on main only"),
            // Not even the newest whole: its beginning.
            (10, "ada: on m…"),
            (0, ""),
        ];
        for (max, want) in cases {
            let got = thread_context(&msgs, *max);
            assert_eq!(got, *want, "{max}");
            assert!(got.chars().count() <= *max, "{max}");
        }
        assert_eq!(thread_context(&[], 100), "");
    }

    #[test]
    fn first_prompts() {
        assert_eq!(first_prompt(" fix it ", ""), "fix it");
        assert_eq!(
            first_prompt("fix it", "ada: the build is red"),
            "fix it\n\nEarlier messages in the Slack thread, oldest first, for context:\n\nada: the build is red"
        );
        let huge_context = format!("OLDEST {}NEWEST", "c".repeat(2 * MAX_PROMPT_CHARS));
        let prompt = first_prompt("fix it", &huge_context);
        assert_eq!(prompt.chars().count(), MAX_PROMPT_CHARS);
        assert!(prompt.starts_with("fix it\n") && prompt.ends_with("NEWEST") && !prompt.contains("OLDEST"));
        let huge_request = "r".repeat(2 * MAX_PROMPT_CHARS);
        let prompt = first_prompt(&huge_request, "ada: hi");
        assert_eq!(prompt.chars().count(), MAX_PROMPT_CHARS);
        assert!(!prompt.contains("ada: hi"));
    }
}
