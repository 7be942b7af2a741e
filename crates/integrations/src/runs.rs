//! Runs: when failures pause an automation, and the session a run makes.

/// This many failed runs in a row pause an automation.
pub const PAUSE_AFTER_FAILURES: u32 = 3;
/// The last failure's reason is cut to this many characters in the pause reason.
const MAX_LAST_REASON_CHARS: usize = 500;

/// After a run ended `failed` and the failure streak is now `streak`: pause the automation?
pub fn should_pause(streak: u32) -> bool {
    streak >= PAUSE_AFTER_FAILURES
}

/// Why an automation paused itself.
pub fn pause_reason(streak: u32, last_reason: &str) -> String {
    let last = crate::cut_chars(last_reason.trim(), MAX_LAST_REASON_CHARS);
    let last = if last.is_empty() { "no reason given" } else { last };
    format!("paused after {streak} failed runs in a row; the last: {last}")
}

/// The longest session id the API accepts (`ses_` and up to 60 letters and digits).
const MAX_SESSION_ID_LEN: usize = 64;

/// Whether `id` looks like a session id: `ses_` then 1 to 60 ASCII letters and digits (the
/// rule of the control plane's routes and of session branches).
pub fn is_session_id(id: &str) -> bool {
    id.len() > 4
        && id.len() <= MAX_SESSION_ID_LEN
        && id.starts_with("ses_")
        && id[4..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A run's session id, the same every time for the same run, so a retried start makes (or
/// finds) the same session: `ses_` and the run id's part after `run_`. A run id whose part is not
/// 1 to 60 letters and digits gets `ses_` and 32 hex digits of its SHA-256 instead.
pub fn session_id_for_run(run_id: &str) -> String {
    let id = format!("ses_{}", run_id.strip_prefix("run_").unwrap_or(run_id));
    if is_session_id(&id) {
        return id;
    }
    use sha2::{Digest, Sha256};
    format!("ses_{}", &hex::encode(Sha256::digest(run_id.as_bytes()))[..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pausing() {
        let cases: &[(u32, bool)] = &[(0, false), (1, false), (2, false), (3, true), (4, true)];
        for (streak, want) in cases {
            assert_eq!(should_pause(*streak), *want, "{streak}");
        }
        let cases: &[(u32, &str, &str)] = &[
            (
                3,
                "the sandbox failed to start",
                "paused after 3 failed runs in a row; the last: the sandbox failed to start",
            ),
            (4, "  ", "paused after 4 failed runs in a row; the last: no reason given"),
        ];
        for (streak, last, want) in cases {
            assert_eq!(pause_reason(*streak, last), *want);
        }
        let long = pause_reason(3, &"é".repeat(1000));
        assert_eq!(long.chars().filter(|c| *c == 'é').count(), MAX_LAST_REASON_CHARS);
    }

    #[test]
    fn session_ids_for_runs() {
        let cases: &[(&str, &str)] = &[
            ("run_0199a3c1b2d4e5f60718293a", "ses_0199a3c1b2d4e5f60718293a"),
            ("run_abc", "ses_abc"),
            ("0199a3c1", "ses_0199a3c1"),
        ];
        for (run, want) in cases {
            assert_eq!(session_id_for_run(run), *want, "{run}");
        }
        for odd in ["run_", "run_a-b", "run_a/../b", &format!("run_{}", "a".repeat(61)), "", "run_é"] {
            let id = session_id_for_run(odd);
            assert!(is_session_id(&id) && id.len() == 36, "{odd:?} → {id}");
            assert_eq!(session_id_for_run(odd), id, "the same every time");
        }
        assert_ne!(session_id_for_run("run_a-b"), session_id_for_run("run_a-c"));
        for (id, ok) in [("ses_1", true), ("ses_", false), ("ses_a_b", false), ("run_1", false)] {
            assert_eq!(is_session_id(id), ok, "{id}");
        }
    }
}
