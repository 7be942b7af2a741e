//! The shortest time between two firings of a schedule, found without walking years of them.
//!
//! Every matching day fires at the same wall-clock times (the minute and hour fields), so on the
//! wall clock the shortest gap is the smallest of: the gaps between a day's times, and (when two
//! consecutive days can both match) the gap from the last time of a day to the first of the
//! next. Clocks going back only lengthen gaps (a repeated hour fires once); clocks going forward
//! shorten the gaps around the skipped hour. So the days around each change of the zone's
//! offset in the year from the reference are also laid out as instants, assuming conservatively
//! that those days match, and their gaps measured.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use cron::TimeUnitSpec;

use super::{instant_in, Schedule, MIN_INTERVAL_MS, REFERENCE_MS};

/// The 28-year cycle of dates and weekdays (2024-2051 has no skipped leap year).
const CYCLE_DAYS: i64 = 28 * 365 + 7;
/// A day-to-day gap this long on the wall clock stays over the floor through any offset change
/// (changes move clocks by at most three hours).
const SAFE_WRAP_MINUTES: i64 = MIN_INTERVAL_MS / 60_000 + 180;

/// The shortest gap between two firings, in whole minutes; None when at most one firing a day
/// and no two consecutive days match.
pub(super) fn shortest_gap_minutes(schedule: &Schedule) -> Option<i64> {
    let times = day_times(schedule);
    let (first, last) = (*times.first()?, *times.last()?);
    let mut shortest = times.windows(2).map(|w| w[1] - w[0]).min();
    let wrap = 24 * 60 - last + first;
    let consecutive = wrap >= SAFE_WRAP_MINUTES || consecutive_days_match(schedule, first);
    if consecutive {
        shortest = Some(shortest.map_or(wrap, |s| s.min(wrap)));
    }
    for change in offset_changes(&schedule.tz) {
        let day = (change - Duration::seconds(1)).with_timezone(&schedule.tz).date_naive();
        let spans: Vec<Vec<NaiveDate>> = if consecutive {
            vec![(-1..=2).map(|d| day + Duration::days(d)).collect()]
        } else {
            vec![vec![day], vec![day + Duration::days(1)]]
        };
        for span in spans {
            let mut instants: Vec<i64> = span
                .iter()
                .flat_map(|date| times.iter().map(move |m| at_minute(*date, *m)))
                .map(|local| instant_in(&schedule.tz, local))
                .collect();
            instants.sort_unstable();
            instants.dedup();
            if let Some(gap) = instants.windows(2).map(|w| (w[1] - w[0]) / 60_000).min() {
                shortest = Some(shortest.map_or(gap, |s| s.min(gap)));
            }
        }
    }
    shortest
}

/// The wall-clock minutes of the day a matching day fires at, ascending.
fn day_times(schedule: &Schedule) -> Vec<i64> {
    let part = &schedule.parts[0];
    let mut times: Vec<i64> = part
        .hours()
        .iter()
        .flat_map(|h| part.minutes().iter().map(move |m| i64::from(h) * 60 + i64::from(m)))
        .collect();
    times.sort_unstable();
    times
}

fn at_minute(date: NaiveDate, minute_of_day: i64) -> NaiveDateTime {
    date.and_hms_opt(0, 0, 0).expect("midnight exists") + Duration::minutes(minute_of_day)
}

/// Whether two consecutive days both match, over a whole cycle of dates and weekdays.
fn consecutive_days_match(schedule: &Schedule, first_minute: i64) -> bool {
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a valid date");
    let matches = |offset: i64| {
        let at = Utc.from_utc_datetime(&at_minute(start + Duration::days(offset), first_minute));
        schedule.parts.iter().any(|p| p.includes(at))
    };
    let mut previous = matches(0);
    for offset in 1..=CYCLE_DAYS {
        let current = matches(offset);
        if previous && current {
            return true;
        }
        previous = current;
    }
    false
}

/// The instants the zone's offset changes in the year after the reference.
fn offset_changes(tz: &Tz) -> Vec<DateTime<Utc>> {
    let at = |secs: i64| DateTime::from_timestamp(secs, 0).expect("a valid instant");
    let offset_at = |secs: i64| tz.offset_from_utc_datetime(&at(secs).naive_utc()).fix().local_minus_utc();
    let start = REFERENCE_MS / 1000 + 12 * 3600;
    let mut changes = Vec::new();
    for day in 0..366 {
        let (mut low, mut high) = (start + day * 86_400, start + (day + 1) * 86_400);
        let before = offset_at(low);
        if offset_at(high) == before {
            continue;
        }
        // The change is in (low, high]: halve to the second.
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            if offset_at(mid) == before {
                low = mid;
            } else {
                high = mid;
            }
        }
        changes.push(at(high));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_changes_of_some_zones() {
        let cases: &[(&str, &[&str])] = &[
            ("UTC", &[]),
            ("Asia/Tokyo", &[]),
            ("Europe/Paris", &["2026-03-29T01:00:00+00:00", "2026-10-25T01:00:00+00:00"]),
            ("America/New_York", &["2026-03-08T07:00:00+00:00", "2026-11-01T06:00:00+00:00"]),
            ("Australia/Lord_Howe", &["2026-04-04T15:00:00+00:00", "2026-10-03T15:30:00+00:00"]),
        ];
        for (zone, want) in cases {
            let tz: Tz = zone.parse().unwrap();
            let got: Vec<String> = offset_changes(&tz).iter().map(|c| c.to_rfc3339()).collect();
            assert_eq!(got, *want, "{zone}");
        }
    }
}
