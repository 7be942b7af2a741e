//! Snapshot garbage collection, the decision: which snapshots to delete, by age and by count
//! per session. The deleting is [`crate::snapshot::collect_garbage`].

use std::collections::HashMap;
use std::time::Duration;

/// How long snapshots are kept (`--snapshot-max-age-hours`, `--snapshots-per-session`,
/// `--snapshot-gc-interval-secs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GcSettings {
    /// Snapshots older than this are deleted.
    pub max_age: Duration,
    /// Only the newest this many snapshots of each session are kept. At least 1.
    pub per_session: usize,
    /// How often the collection runs; it also runs when the provider starts.
    pub interval: Duration,
}

impl Default for GcSettings {
    /// 7 days, 5 per session, every 10 minutes.
    fn default() -> Self {
        Self { max_age: Duration::from_secs(168 * 3600), per_session: 5, interval: Duration::from_secs(600) }
    }
}

impl GcSettings {
    /// Why these settings are unusable, if they are.
    pub fn check(&self) -> Result<(), String> {
        if self.per_session < 1 {
            return Err("--snapshots-per-session must be at least 1".into());
        }
        if self.max_age.is_zero() {
            return Err("--snapshot-max-age-hours must be at least 1".into());
        }
        if self.interval.is_zero() {
            return Err("--snapshot-gc-interval-secs must be at least 1".into());
        }
        Ok(())
    }
}

/// What the collector knows of one snapshot (from its `snapshot.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRecord {
    pub snapshot_id: String,
    pub session_id: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// Why a snapshot is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Older than `max_age`.
    TooOld,
    /// Not among the newest `per_session` of its session.
    Superseded,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::TooOld => "older than the maximum age",
            Reason::Superseded => "beyond the newest snapshots kept per session",
        }
    }
}

/// How old a directory without a readable `snapshot.json` (a failed or interrupted copy) must
/// be, by modification time, before it is deleted.
pub const LEFTOVER_AGE: Duration = Duration::from_secs(3600);

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The snapshots to delete, in the order given: those older than `max_age`, and those beyond
/// the newest `per_session` of their session (newest by `created_at`, ties broken by id). With
/// `per_session >= 1` the newest snapshot of a session is kept while it is younger than
/// `max_age`.
pub fn decide(snapshots: &[SnapshotRecord], now_ms: i64, settings: &GcSettings) -> Vec<(String, Reason)> {
    let mut by_session: HashMap<&str, Vec<&SnapshotRecord>> = HashMap::new();
    for s in snapshots {
        by_session.entry(&s.session_id).or_default().push(s);
    }
    let mut rank: HashMap<(&str, &str), usize> = HashMap::new();
    for (session, mut list) in by_session {
        list.sort_by(|a, b| (b.created_at, &b.snapshot_id).cmp(&(a.created_at, &a.snapshot_id)));
        for (i, s) in list.into_iter().enumerate() {
            rank.insert((session, &s.snapshot_id), i);
        }
    }
    let max_age = millis(settings.max_age);
    snapshots
        .iter()
        .filter_map(|s| {
            let reason = if now_ms.saturating_sub(s.created_at) > max_age {
                Reason::TooOld
            } else if rank[&(s.session_id.as_str(), s.snapshot_id.as_str())] >= settings.per_session {
                Reason::Superseded
            } else {
                return None;
            };
            Some((s.snapshot_id.clone(), reason))
        })
        .collect()
}

/// Whether a directory without a readable `snapshot.json`, last modified at `modified_ms`, is
/// an abandoned copy to delete.
pub fn is_stale_leftover(modified_ms: i64, now_ms: i64) -> bool {
    now_ms.saturating_sub(modified_ms) > millis(LEFTOVER_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Reason::*;

    const HOUR: i64 = 3600 * 1000;
    const NOW: i64 = 1_000 * HOUR;

    fn rec(id: &str, session: &str, hours_ago: i64) -> SnapshotRecord {
        SnapshotRecord { snapshot_id: id.into(), session_id: session.into(), created_at: NOW - hours_ago * HOUR }
    }

    fn settings(max_age_hours: u64, per_session: usize) -> GcSettings {
        GcSettings { max_age: Duration::from_secs(max_age_hours * 3600), per_session, ..GcSettings::default() }
    }

    #[test]
    fn deletes_by_age_and_by_count_per_session() {
        type Case = (&'static str, Vec<SnapshotRecord>, GcSettings, Vec<(&'static str, Reason)>);
        let cases: Vec<Case> = vec![
            ("nothing", vec![], settings(168, 5), vec![]),
            ("one young snapshot stays", vec![rec("a", "s", 1)], settings(168, 1), vec![]),
            ("one old snapshot goes, even the newest", vec![rec("a", "s", 200)], settings(168, 5), vec![("a", TooOld)]),
            ("exactly max age stays", vec![rec("a", "s", 168)], settings(168, 5), vec![]),
            (
                "the newest N of a session stay",
                vec![rec("a", "s", 4), rec("b", "s", 1), rec("c", "s", 3), rec("d", "s", 2)],
                settings(168, 2),
                vec![("a", Superseded), ("c", Superseded)],
            ),
            (
                "sessions are counted apart",
                vec![rec("a1", "s1", 2), rec("a2", "s1", 1), rec("b1", "s2", 3), rec("b2", "s2", 5)],
                settings(168, 1),
                vec![("a1", Superseded), ("b2", Superseded)],
            ),
            (
                "age wins over rank",
                vec![rec("old", "s", 300), rec("older", "s", 400), rec("new", "s", 1)],
                settings(168, 5),
                vec![("old", TooOld), ("older", TooOld)],
            ),
            (
                "both rules at once",
                vec![rec("a", "s", 1), rec("b", "s", 2), rec("c", "s", 3), rec("d", "s", 200)],
                settings(168, 2),
                vec![("c", Superseded), ("d", TooOld)],
            ),
            (
                "a snapshot from the future is the newest",
                vec![rec("future", "s", -5), rec("now", "s", 0)],
                settings(168, 1),
                vec![("now", Superseded)],
            ),
        ];
        for (name, snapshots, settings, want) in cases {
            let got = decide(&snapshots, NOW, &settings);
            let want: Vec<(String, Reason)> = want.into_iter().map(|(id, r)| (id.to_string(), r)).collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn equal_times_are_ordered_by_id() {
        let snapshots = vec![rec("snap_b", "s", 1), rec("snap_a", "s", 1)];
        assert_eq!(decide(&snapshots, NOW, &settings(168, 1)), vec![("snap_a".to_string(), Superseded)]);
    }

    #[test]
    fn the_newest_young_snapshot_of_every_session_stays() {
        let snapshots: Vec<SnapshotRecord> =
            (0..40).map(|i| rec(&format!("snap_{i}"), &format!("s{}", i % 4), (i % 7) as i64)).collect();
        let doomed = decide(&snapshots, NOW, &settings(168, 1));
        for session in ["s0", "s1", "s2", "s3"] {
            let kept = snapshots
                .iter()
                .filter(|s| s.session_id == session && !doomed.iter().any(|(d, _)| *d == s.snapshot_id));
            assert_eq!(kept.count(), 1, "{session}");
        }
    }

    #[test]
    fn leftovers_go_after_an_hour() {
        assert!(!is_stale_leftover(NOW, NOW));
        assert!(!is_stale_leftover(NOW - HOUR, NOW));
        assert!(is_stale_leftover(NOW - HOUR - 1, NOW));
        assert!(!is_stale_leftover(NOW + HOUR, NOW), "from the future");
    }

    #[test]
    fn settings_are_checked() {
        assert_eq!(GcSettings::default().check(), Ok(()));
        assert_eq!(GcSettings::default().max_age, Duration::from_secs(7 * 24 * 3600));
        assert!(settings(168, 0).check().unwrap_err().contains("--snapshots-per-session"));
        assert!(settings(0, 1).check().unwrap_err().contains("--snapshot-max-age-hours"));
        let never = GcSettings { interval: Duration::ZERO, ..GcSettings::default() };
        assert!(never.check().unwrap_err().contains("--snapshot-gc-interval-secs"));
    }
}
