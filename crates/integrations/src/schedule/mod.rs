//! Schedules: a five-field cron expression in an IANA time zone, and what the minute tick does
//! with an automation whose stored slot has come.
//!
//! Firings are the schedule's wall-clock times in its zone, mapped to instants:
//! - a wall time that happens twice (the hour repeated when clocks go back) fires once, the
//!   first time;
//! - a wall time that never happens (the hour skipped when clocks go forward) fires when the
//!   clock jumps past it: a daily 02:30 job runs at 03:00 on that day, and jobs inside the
//!   skipped hour run once, together.
//!
//! Invariants: [`Schedule::next_after`] is strictly later than its argument, so successive calls
//! never give a slot twice; no two firings are less than [`MIN_INTERVAL_MS`] apart (checked by
//! [`Schedule::parse`], daylight-saving changes included); nothing reads a clock.

mod fields;
mod interval;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// No schedule runs more often than every 15 minutes.
pub const MIN_INTERVAL_MS: i64 = 15 * 60_000;
/// A slot found more than this late (the Worker was down or busy) is skipped, not run.
pub const GRACE_MS: i64 = 10 * 60_000;

/// The fixed moment schedules are analysed from (2026-01-01T00:00:00Z): parsing reads no clock.
const REFERENCE_MS: i64 = 1_767_225_600_000;
/// A schedule with no firing this long after [`REFERENCE_MS`] never runs (about five years).
const NEVER_HORIZON_MS: i64 = 5 * 366 * 86_400_000;
/// How many wall-clock firings [`Schedule::next_after`] passes over at most (those of a repeated
/// hour that it already gave): far more than an hour of 15-minute firings.
const MAX_SKIPPED: usize = 256;

/// A parsed, checked schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    source: String,
    tz: Tz,
    /// One crate schedule, or two whose firings are merged (both day fields restricted).
    parts: Vec<cron::Schedule>,
}

/// Why a schedule is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleError {
    /// The cron text is not five valid fields (the message says what is wrong).
    Cron(String),
    /// Not an IANA time zone name (the name given).
    TimeZone(String),
    /// Two firings can be this many minutes apart, under the 15-minute floor.
    TooOften { minutes: i64 },
    /// No firing in the next five years (`0 0 30 2 *`).
    Never,
}

impl std::fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScheduleError::Cron(message) => f.write_str(message),
            ScheduleError::TimeZone(name) => {
                write!(f, "`{name}` is not an IANA time zone name (for example `UTC`, `Europe/Paris`)")
            }
            ScheduleError::TooOften { minutes } => write!(
                f,
                "the schedule runs as often as every {minutes} minutes; the shortest interval is {} minutes",
                MIN_INTERVAL_MS / 60_000
            ),
            ScheduleError::Never => f.write_str("the schedule never runs (no date in the next five years matches it)"),
        }
    }
}

impl std::error::Error for ScheduleError {}

impl Schedule {
    /// Five fields: minute hour day-of-month month day-of-week, as in standard cron (days of the
    /// week 0-7 or SUN-SAT, 0 and 7 being Sunday; when both day fields are restricted, either
    /// matching is enough). The time zone is an IANA name (`UTC`, `Europe/Paris`).
    ///
    /// Refuses six- or seven-field text (seconds, years), unknown zones, schedules that can fire
    /// less than 15 minutes apart, and schedules that never fire.
    pub fn parse(cron: &str, timezone: &str) -> Result<Schedule, ScheduleError> {
        let source = cron.split_whitespace().collect::<Vec<_>>().join(" ");
        let exprs = fields::translate(&source)?;
        let tz: Tz = timezone.trim().parse().map_err(|_| ScheduleError::TimeZone(timezone.to_string()))?;
        let parts = exprs
            .iter()
            .map(|e| {
                e.parse::<cron::Schedule>().map_err(|err| {
                    // The crate's message ends with the reason, after a copy of its own
                    // (six-field) text and a caret: keep the reason.
                    let err = err.to_string();
                    let reason = err.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("");
                    ScheduleError::Cron(format!("`{source}` is not a valid cron expression: {reason}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let schedule = Schedule { source, tz, parts };
        match schedule.next_after(REFERENCE_MS) {
            Some(first) if first - REFERENCE_MS <= NEVER_HORIZON_MS => {}
            _ => return Err(ScheduleError::Never),
        }
        if let Some(minutes) = interval::shortest_gap_minutes(&schedule) {
            if minutes * 60_000 < MIN_INTERVAL_MS {
                return Err(ScheduleError::TooOften { minutes });
            }
        }
        Ok(schedule)
    }

    /// The cron text (whitespace normalised).
    pub fn cron(&self) -> &str {
        &self.source
    }

    /// The IANA time zone name.
    pub fn timezone(&self) -> &str {
        self.tz.name()
    }

    /// The first firing strictly after `after_ms`.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let mut local = self.local(after_ms)?;
        for _ in 0..MAX_SKIPPED {
            local = self.next_local(local)?;
            let at = self.instant(local);
            if at > after_ms {
                return Some(at);
            }
        }
        None
    }

    /// The last firing at or before `at_ms`.
    pub fn last_at_or_before(&self, at_ms: i64) -> Option<i64> {
        let local = self.local(at_ms)?;
        // Wall times up to `local` map to instants up to `at_ms` (the mapping never goes back).
        let mut last = self.prev_local(local).map(|n| self.instant(n));
        // In a repeated hour, later wall times may still map (to their first pass) before `at_ms`.
        let mut n = local;
        for _ in 0..MAX_SKIPPED {
            let Some(next) = self.next_local(n) else { break };
            let at = self.instant(next);
            if at > at_ms {
                break;
            }
            last = Some(at);
            n = next;
        }
        last
    }

    /// The wall-clock time at an instant.
    fn local(&self, ms: i64) -> Option<NaiveDateTime> {
        Some(DateTime::from_timestamp_millis(ms)?.with_timezone(&self.tz).naive_local())
    }

    /// The first wall-clock firing strictly after `after` (wall clocks have no gaps or repeats,
    /// so the crate walks them as UTC).
    fn next_local(&self, after: NaiveDateTime) -> Option<NaiveDateTime> {
        let after = Utc.from_utc_datetime(&after);
        self.parts.iter().filter_map(|p| p.after(&after).next()).map(|d| d.naive_utc()).min()
    }

    /// The last wall-clock firing at or before `at`.
    fn prev_local(&self, at: NaiveDateTime) -> Option<NaiveDateTime> {
        // The crate looks strictly before a time with a fraction of a second: add one.
        let before = Utc.from_utc_datetime(&(at + Duration::milliseconds(1)));
        self.parts.iter().filter_map(|p| p.after(&before).next_back()).map(|d| d.naive_utc()).max()
    }

    /// The instant of a wall-clock time (see the module's notes on repeated and skipped hours).
    fn instant(&self, local: NaiveDateTime) -> i64 {
        instant_in(&self.tz, local)
    }
}

/// The instant a wall-clock time stands for in `tz`: the first of two, or for a time the clock
/// skips, the instant it jumps past it.
pub(crate) fn instant_in(tz: &Tz, local: NaiveDateTime) -> i64 {
    let mut probe = local;
    // Skipped stretches are an hour or two; a whole day has been skipped once (Samoa, 2011).
    for _ in 0..=(26 * 60) {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => return at.timestamp_millis(),
            LocalResult::None => probe += Duration::minutes(1),
        }
    }
    local.and_utc().timestamp_millis()
}

/// What a minute tick does with a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tick {
    /// The stored slot has not come.
    Wait,
    /// Run for `slot`; store `next` as the next slot.
    Run { slot: i64, next: Option<i64> },
    /// `slot` came `late_ms` ago, more than [`GRACE_MS`]: record it skipped; store `next`.
    Skip { slot: i64, late_ms: i64, next: Option<i64> },
}

/// What a minute tick does with a schedule whose stored next slot is `next_run_at`:
/// [`Tick::Wait`] while `now_ms < next_run_at`; otherwise the slot is the latest firing at or
/// before now that is at or after `next_run_at` (older missed slots fold into it, so a Worker
/// that was down runs once, not once per missed slot; a stored slot that is not a firing, as after
/// an edit, stands for itself). Run when it is at most [`GRACE_MS`] old, else Skip; either way
/// `next` is the first firing after now, so a second tick with the stored `next` waits.
pub fn on_tick(schedule: &Schedule, next_run_at: i64, now_ms: i64) -> Tick {
    if now_ms < next_run_at {
        return Tick::Wait;
    }
    let slot = match schedule.last_at_or_before(now_ms) {
        Some(last) if last >= next_run_at => last,
        _ => next_run_at,
    };
    let late_ms = now_ms - slot;
    let next = schedule.next_after(now_ms);
    if late_ms <= GRACE_MS {
        Tick::Run { slot, next }
    } else {
        Tick::Skip { slot, late_ms, next }
    }
}
