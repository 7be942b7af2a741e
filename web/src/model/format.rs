//! Words and numbers as the page shows them: times, durations, names and status labels.

use oi_protocol::events::{PromptOutcome, ToolStatus};
use oi_protocol::session::{PresenceStatus, PromptStatus, SandboxStatus};
use oi_protocol::{SessionStatus, SessionSummary};
use time::{Date, OffsetDateTime};

/// How long ago `then` was, at `now` (both in milliseconds since the epoch).
pub fn relative_time(now: i64, then: i64) -> String {
    let seconds = (now - then).max(0) / 1000;
    match seconds {
        0..=9 => "just now".to_string(),
        10..=59 => format!("{seconds} s ago"),
        60..=3_599 => format!("{} min ago", seconds / 60),
        3_600..=86_399 => format!("{} h ago", seconds / 3_600),
        86_400..=604_799 => format!("{} d ago", seconds / 86_400),
        _ => date(then),
    }
}

/// `YYYY-MM-DD` (UTC) of a time in milliseconds since the epoch; a time outside the years
/// -9999 to 9999 shows as the nearest end of that range.
pub fn date(ms: i64) -> String {
    let date = match OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)) {
        Ok(time) => time.date(),
        Err(_) if ms < 0 => Date::MIN,
        Err(_) => Date::MAX,
    };
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// How soon `then` is, at `now` (both in milliseconds since the epoch): `in 5 min`, `in 3 h`;
/// `due now` once it has come.
pub fn until(now: i64, then: i64) -> String {
    let seconds = (then - now) / 1000;
    match seconds {
        i64::MIN..=0 => "due now".to_string(),
        1..=59 => format!("in {seconds} s"),
        60..=3_599 => format!("in {} min", seconds / 60),
        3_600..=86_399 => format!("in {} h", seconds / 3_600),
        _ => format!("in {} d", seconds / 86_400),
    }
}

/// `YYYY-MM-DD HH:MM UTC` of a time in milliseconds since the epoch.
pub fn date_time(ms: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)) {
        Ok(time) => format!("{} {:02}:{:02} UTC", date(ms), time.hour(), time.minute()),
        Err(_) => date(ms),
    }
}

/// A duration for people: `0.4 s`, `12 s`, `2 min 5 s`.
pub fn duration(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 10_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 60_000 {
        format!("{} s", ms / 1000)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// The first 7 characters of a commit id.
pub fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// What a session is called in lists: its title, or the repository's last path segment.
pub fn session_name(summary: &SessionSummary) -> String {
    match summary.title.as_deref().map(str::trim) {
        Some(title) if !title.is_empty() => title.to_string(),
        _ => repo_name(&summary.repo),
    }
}

/// `app` for `/srv/git/app.git`, `https://host/acme/app.git` or `acme/app`.
pub fn repo_name(repo: &str) -> String {
    let last = repo.trim_end_matches('/').rsplit(['/', ':']).next().unwrap_or(repo);
    let name = last.strip_suffix(".git").unwrap_or(last);
    if name.is_empty() {
        repo.to_string()
    } else {
        name.to_string()
    }
}

/// Up to two capital letters for an avatar: `AL` for Ada Lovelace.
pub fn initials(name: &str) -> String {
    let letters: String =
        name.split_whitespace().filter_map(|w| w.chars().next()).flat_map(char::to_uppercase).take(2).collect();
    if letters.is_empty() {
        "?".to_string()
    } else {
        letters
    }
}

pub fn session_status(status: SessionStatus) -> &'static str {
    match status {
        SessionStatus::Created => "New",
        SessionStatus::Running => "Running",
        SessionStatus::Idle => "Idle",
        SessionStatus::Failed => "Failed",
    }
}

pub fn sandbox_status(status: SandboxStatus) -> &'static str {
    match status {
        SandboxStatus::None => "No sandbox yet",
        SandboxStatus::Spawning => "Starting",
        SandboxStatus::Ready => "Ready",
        SandboxStatus::Running => "Working",
        SandboxStatus::Stopping => "Stopping",
        SandboxStatus::Stopped => "Stopped",
        SandboxStatus::Failed => "Failed",
    }
}

pub fn prompt_status(status: PromptStatus) -> &'static str {
    match status {
        PromptStatus::Queued => "Queued",
        PromptStatus::Processing => "Running",
        PromptStatus::Stopping => "Stopping",
        PromptStatus::Finished => "Finished",
        PromptStatus::Cancelled => "Cancelled",
    }
}

pub fn tool_status(status: ToolStatus) -> &'static str {
    match status {
        ToolStatus::Pending => "Pending",
        ToolStatus::Running => "Running",
        ToolStatus::Completed => "Done",
        ToolStatus::Error => "Error",
    }
}

pub fn outcome(outcome: PromptOutcome) -> &'static str {
    match outcome {
        PromptOutcome::Completed => "Completed",
        PromptOutcome::Failed => "Failed",
        PromptOutcome::Stopped => "Stopped",
    }
}

pub fn presence(status: PresenceStatus) -> &'static str {
    match status {
        PresenceStatus::Active => "active",
        PresenceStatus::Idle => "idle",
        PresenceStatus::Typing => "typing…",
    }
}

/// A tone for a status badge: the CSS modifier `badge-<tone>`.
pub fn session_tone(status: SessionStatus) -> &'static str {
    match status {
        SessionStatus::Created => "neutral",
        SessionStatus::Running => "busy",
        SessionStatus::Idle => "ok",
        SessionStatus::Failed => "bad",
    }
}

pub fn sandbox_tone(status: SandboxStatus) -> &'static str {
    match status {
        SandboxStatus::None | SandboxStatus::Stopped => "neutral",
        SandboxStatus::Spawning | SandboxStatus::Running | SandboxStatus::Stopping => "busy",
        SandboxStatus::Ready => "ok",
        SandboxStatus::Failed => "bad",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::summary;

    #[test]
    fn relative_times() {
        let now = 1_800_000_000_000;
        assert_eq!(relative_time(now, now + 5_000), "just now");
        assert_eq!(relative_time(now, now - 42_000), "42 s ago");
        assert_eq!(relative_time(now, now - 3 * 60_000), "3 min ago");
        assert_eq!(relative_time(now, now - 5 * 3_600_000), "5 h ago");
        assert_eq!(relative_time(now, now - 2 * 86_400_000), "2 d ago");
        assert_eq!(relative_time(now, 0), "1970-01-01");
        assert_eq!(date(1_795_455_544_882), "2026-11-23");
        assert_eq!(date(951_782_400_000), "2000-02-29");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date(i64::MAX), "9999-12-31");
    }

    #[test]
    fn times_to_come() {
        let now = 1_800_000_000_000;
        assert_eq!(until(now, now - 5_000), "due now");
        assert_eq!(until(now, now), "due now");
        assert_eq!(until(now, now + 30_000), "in 30 s");
        assert_eq!(until(now, now + 5 * 60_000), "in 5 min");
        assert_eq!(until(now, now + 3 * 3_600_000 + 1), "in 3 h");
        assert_eq!(until(now, now + 2 * 86_400_000), "in 2 d");
        assert_eq!(date_time(1_795_455_544_882), "2026-11-23 17:39 UTC");
        assert_eq!(date_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(date_time(i64::MAX), "9999-12-31");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(420), "0.4 s");
        assert_eq!(duration(12_300), "12 s");
        assert_eq!(duration(125_000), "2 min 5 s");
        assert_eq!(duration(-5), "0.0 s");
    }

    #[test]
    fn names() {
        assert_eq!(repo_name("/srv/git/app.git"), "app");
        assert_eq!(repo_name("https://example.com/acme/web-app.git/"), "web-app");
        assert_eq!(repo_name("git@example.com:acme/tool.git"), "tool");
        assert_eq!(repo_name("acme/app"), "app");
        let mut s = summary();
        assert_eq!(session_name(&s), "app");
        s.title = Some("Fix the login".into());
        assert_eq!(session_name(&s), "Fix the login");
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("ada"), "A");
        assert_eq!(initials(" "), "?");
        assert_eq!(short_sha("3f1c2a9e8b7d"), "3f1c2a9");
        assert_eq!(short_sha("abc"), "abc");
    }
}
