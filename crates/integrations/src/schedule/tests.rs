use super::*;

fn ms(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339).unwrap_or_else(|e| panic!("{rfc3339}: {e}")).timestamp_millis()
}

fn iso(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%MZ").to_string()
}

fn parse(cron: &str, tz: &str) -> Schedule {
    Schedule::parse(cron, tz).unwrap_or_else(|e| panic!("{cron} in {tz}: {e}"))
}

#[test]
fn what_parses() {
    let ok: &[(&str, &str)] = &[
        ("*/15 * * * *", "UTC"),
        ("0 9 * * 1-5", "Europe/Paris"),
        ("0,30 8-18 * * MON-FRI", "America/New_York"),
        ("  0   9 * *  * ", "UTC"),
        ("0 0 29 2 *", "UTC"),
        // 23:50 and 00:00 are ten minutes apart, but never on consecutive days (Mondays only).
        ("0,50 0,23 * * 1", "UTC"),
        // Fine on a clock without daylight saving (see the New York case below).
        ("0,50 1,3 * * *", "UTC"),
    ];
    for (cron, tz) in ok {
        parse(cron, tz);
    }
    let refused: &[(&str, &str, ScheduleError)] = &[
        ("*/10 * * * *", "UTC", ScheduleError::TooOften { minutes: 10 }),
        ("*/5 * * * *", "Europe/Paris", ScheduleError::TooOften { minutes: 5 }),
        ("* * * * *", "UTC", ScheduleError::TooOften { minutes: 1 }),
        // 50 past, then on the hour: ten minutes.
        ("0,50 * * * *", "UTC", ScheduleError::TooOften { minutes: 10 }),
        // 23:50, then 00:00 the next day.
        ("0,50 0,23 * * *", "UTC", ScheduleError::TooOften { minutes: 10 }),
        // 01:50 EST, then 03:00 EDT ten minutes later on the day clocks go forward.
        ("0,50 1,3 * * *", "America/New_York", ScheduleError::TooOften { minutes: 10 }),
        ("0 0 30 2 *", "UTC", ScheduleError::Never),
        ("0 0 31 4 *", "Europe/Paris", ScheduleError::Never),
        ("0 9 * * *", "Mars/Olympus", ScheduleError::TimeZone("Mars/Olympus".into())),
        ("0 9 * * *", "", ScheduleError::TimeZone("".into())),
        ("0 9 * * *", "europe/paris", ScheduleError::TimeZone("europe/paris".into())),
    ];
    for (cron, tz, want) in refused {
        assert_eq!(Schedule::parse(cron, tz).unwrap_err(), *want, "{cron} in {tz}");
    }
    let bad_text: &[(&str, &str)] = &[
        ("", "empty"),
        ("0 0 9 * * *", "6 fields"),
        ("0 0 9 * * * 2030", "7 fields"),
        ("0 9 * *", "4 fields"),
        ("61 * * * *", "`61 * * * *` is not a valid cron expression: Minutes must be less than 59. ('61' specified.)"),
        ("0 24 * * *", "not a valid cron expression"),
        ("0 9 * 13 *", "not a valid cron expression"),
        ("0 9 * * 8", "day-of-week"),
        ("every day", "2 fields"),
        ("x 9 * * *", "not a valid cron expression"),
    ];
    for (cron, needle) in bad_text {
        match Schedule::parse(cron, "UTC") {
            Err(ScheduleError::Cron(message)) => assert!(message.contains(needle), "{cron}: {message}"),
            other => panic!("{cron}: {other:?}"),
        }
    }
}

#[test]
fn errors_name_the_problem() {
    let cases = [
        (ScheduleError::TooOften { minutes: 5 }, "every 5 minutes; the shortest interval is 15 minutes"),
        (ScheduleError::TimeZone("Mars/Olympus".into()), "`Mars/Olympus` is not an IANA time zone"),
        (ScheduleError::Never, "never runs"),
        (ScheduleError::Cron("`x` is bad".into()), "`x` is bad"),
    ];
    for (error, needle) in cases {
        assert!(error.to_string().contains(needle), "{error}");
    }
}

#[test]
fn next_firings() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        // Weekdays at 09:00 in Paris (CET, UTC+1, in January).
        ("0 9 * * 1-5", "Europe/Paris", "2026-01-02T12:00:00Z", &["2026-01-05T08:00Z", "2026-01-06T08:00Z"]),
        // The same wall time is an hour earlier in UTC once Paris is on summer time.
        ("0 9 * * *", "Europe/Paris", "2026-03-28T12:00:00Z", &["2026-03-29T07:00Z", "2026-03-30T07:00Z"]),
        // Spring forward in New York (02:00 EST becomes 03:00 EDT): 02:30 does not exist that
        // day, and the job runs when the clock jumps past it.
        ("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", &["2026-03-08T07:00Z", "2026-03-09T06:30Z"]),
        ("30 2 * * *", "Europe/Paris", "2026-03-28T12:00:00Z", &["2026-03-29T01:00Z", "2026-03-30T00:30Z"]),
        // Fall back in New York (02:00 EDT becomes 01:00 EST): 01:30 happens twice, the job runs
        // once, the first time.
        ("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", &["2026-11-01T05:30Z", "2026-11-02T06:30Z"]),
        // Asked from inside the repeated hour (01:10 EST), the day's 01:30 has already run.
        ("30 1 * * *", "America/New_York", "2026-11-01T06:10:00Z", &["2026-11-02T06:30Z"]),
        // Every 15 minutes across spring forward: 01:45 EST, then 03:00 EDT, 15 minutes later.
        (
            "*/15 * * * *",
            "America/New_York",
            "2026-03-08T06:40:00Z",
            &["2026-03-08T06:45Z", "2026-03-08T07:00Z", "2026-03-08T07:15Z"],
        ),
        // Every 15 minutes across fall back: the repeated hour runs once.
        (
            "*/15 * * * *",
            "America/New_York",
            "2026-11-01T05:40:00Z",
            &["2026-11-01T05:45Z", "2026-11-01T07:00Z", "2026-11-01T07:15Z"],
        ),
        // Both day fields restricted: the 1st of the month OR a Monday, as standard cron does.
        (
            "0 0 1 * MON",
            "UTC",
            "2026-01-20T00:00:00Z",
            &["2026-01-26T00:00Z", "2026-02-01T00:00Z", "2026-02-02T00:00Z", "2026-02-09T00:00Z"],
        ),
        // Sunday is 0 and 7.
        ("0 12 * * 0", "UTC", "2026-01-01T00:00:00Z", &["2026-01-04T12:00Z", "2026-01-11T12:00Z"]),
        ("0 12 * * 7", "UTC", "2026-01-01T00:00:00Z", &["2026-01-04T12:00Z"]),
        // Strictly after: a firing exactly at `after` is not the next one.
        ("0 * * * *", "UTC", "2026-01-01T10:00:00Z", &["2026-01-01T11:00Z"]),
        ("0 * * * *", "UTC", "2026-01-01T09:59:59.999Z", &["2026-01-01T10:00Z"]),
        ("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", &["2028-02-29T00:00Z", "2032-02-29T00:00Z"]),
    ];
    for (cron, tz, after, want) in cases {
        let schedule = parse(cron, tz);
        let mut at = ms(after);
        let mut got = Vec::new();
        for _ in 0..want.len() {
            at = schedule.next_after(at).unwrap_or_else(|| panic!("{cron}: no firing after {}", iso(at)));
            got.push(iso(at));
        }
        assert_eq!(got, *want, "{cron} in {tz} after {after}");
    }
}

#[test]
fn firings_strictly_increase_and_keep_the_floor_through_a_year() {
    let cases: &[(&str, &str)] = &[
        ("*/15 * * * *", "America/New_York"),
        ("*/15 * * * *", "Europe/Paris"),
        ("*/15 * * * *", "Australia/Lord_Howe"),
        ("30 1 * * *", "America/New_York"),
        ("30 2 * * *", "Europe/Paris"),
        ("0,30 1-3 * * *", "Europe/Paris"),
        ("0 0 1 * MON", "Europe/Paris"),
    ];
    for (cron, tz) in cases {
        let schedule = parse(cron, tz);
        let mut at = REFERENCE_MS;
        let mut count = 0;
        while at < REFERENCE_MS + 366 * 86_400_000 {
            let next = schedule.next_after(at).unwrap();
            assert!(next > at, "{cron} in {tz}: {} after {}", iso(next), iso(at));
            if count > 0 {
                assert!(next - at >= MIN_INTERVAL_MS, "{cron} in {tz}: {} then {}", iso(at), iso(next));
            }
            at = next;
            count += 1;
        }
        assert!(count > 12, "{cron} in {tz}: {count} firings");
    }
}

#[test]
fn last_firing_at_or_before() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("0 * * * *", "UTC", "2026-01-01T10:00:00Z", "2026-01-01T10:00Z"),
        ("0 * * * *", "UTC", "2026-01-01T10:59:59Z", "2026-01-01T10:00Z"),
        ("30 1 * * *", "America/New_York", "2026-11-01T06:40:00Z", "2026-11-01T05:30Z"),
        ("30 2 * * *", "America/New_York", "2026-03-08T07:05:00Z", "2026-03-08T07:00Z"),
    ];
    for (cron, tz, at, want) in cases {
        assert_eq!(parse(cron, tz).last_at_or_before(ms(at)).map(iso).as_deref(), Some(*want), "{cron} at {at}");
    }
}

#[test]
fn ticks() {
    let hourly = parse("0 * * * *", "UTC");
    let t = |s: &str| ms(&format!("2026-01-01T{s}Z"));
    let cases: Vec<(&str, i64, i64, Tick)> = vec![
        ("before the slot", t("10:00:00"), t("09:59:59"), Tick::Wait),
        ("on time", t("10:00:00"), t("10:00:00"), Tick::Run { slot: t("10:00:00"), next: Some(t("11:00:00")) }),
        ("a minute late", t("10:00:00"), t("10:01:00"), Tick::Run { slot: t("10:00:00"), next: Some(t("11:00:00")) }),
        (
            "late by the grace",
            t("10:00:00"),
            t("10:10:00"),
            Tick::Run { slot: t("10:00:00"), next: Some(t("11:00:00")) },
        ),
        (
            "later than the grace",
            t("10:00:00"),
            t("10:10:00.001"),
            Tick::Skip { slot: t("10:00:00"), late_ms: GRACE_MS + 1, next: Some(t("11:00:00")) },
        ),
        (
            "missed slots fold into the latest, which runs",
            t("10:00:00"),
            t("12:05:00"),
            Tick::Run { slot: t("12:00:00"), next: Some(t("13:00:00")) },
        ),
        (
            "missed slots fold into the latest, too late",
            t("10:00:00"),
            t("12:30:00"),
            Tick::Skip { slot: t("12:00:00"), late_ms: 30 * 60_000, next: Some(t("13:00:00")) },
        ),
        // The doubled tick: the first stored next = 11:00, so the same minute waits.
        ("the same minute again", t("11:00:00"), t("10:00:30"), Tick::Wait),
        (
            "a stored slot that is not a firing stands for itself",
            t("10:07:00"),
            t("10:08:00"),
            Tick::Run { slot: t("10:07:00"), next: Some(t("11:00:00")) },
        ),
    ];
    for (name, next_run_at, now, want) in cases {
        assert_eq!(on_tick(&hourly, next_run_at, now), want, "{name}");
    }

    // Fall back in New York: the 01:30 job runs once; the tick in the repeated 01:30 waits.
    let nightly = parse("30 1 * * *", "America/New_York");
    let first = ms("2026-11-01T05:30:00Z");
    let Tick::Run { slot, next: Some(next) } = on_tick(&nightly, first, first) else { panic!("runs at 01:30 EDT") };
    assert_eq!((iso(slot), iso(next)), ("2026-11-01T05:30Z".into(), "2026-11-02T06:30Z".into()));
    assert_eq!(on_tick(&nightly, next, ms("2026-11-01T06:30:00Z")), Tick::Wait);
}
