//! Standard five-field cron text, turned into what the `cron` crate reads.
//!
//! The crate wants a seconds field first (and an optional year last), numbers its days of the
//! week 1-7 from Sunday, and requires both the day of the month and the day of the week to
//! match. Standard cron (Vixie, cronie) numbers the days 0-7 from Sunday (7 is Sunday again),
//! and when both day fields are restricted (neither starts with `*`), a day matches when
//! EITHER does. So the day of the week is expanded here and written as the crate's numbers, and
//! a schedule with both day fields restricted becomes two crate schedules whose firings are
//! merged.

use super::ScheduleError;

const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const EVERY_DAY: u8 = 0x7f;

/// The crate expressions (one, or two to be merged) for a five-field cron text.
pub(super) fn translate(cron: &str) -> Result<Vec<String>, ScheduleError> {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let [minute, hour, dom, month, dow] = fields[..] else {
        return Err(ScheduleError::Cron(match fields.len() {
            0 => "the cron expression is empty; write five fields: minute hour day-of-month month day-of-week"
                .to_string(),
            n @ (6 | 7) => format!(
                "`{cron}` has {n} fields; write five: minute hour day-of-month month day-of-week \
                 (no seconds or year field)"
            ),
            n => format!("`{cron}` has {n} fields; write five: minute hour day-of-month month day-of-week"),
        }));
    };
    let dom_star = dom.starts_with('*') || dom == "?";
    let dow_star = dow.starts_with('*') || dow == "?";
    let dom = if dom == "?" { "*" } else { dom };
    let days = weekdays(dow).map_err(|e| ScheduleError::Cron(format!("`{cron}`: the day-of-week field {e}")))?;
    let dow = if days == EVERY_DAY {
        "*".to_string()
    } else {
        (0..7).filter(|d| days & (1 << d) != 0).map(|d| (d + 1).to_string()).collect::<Vec<_>>().join(",")
    };
    Ok(if dom_star || dow_star {
        vec![format!("0 {minute} {hour} {dom} {month} {dow}")]
    } else {
        vec![format!("0 {minute} {hour} {dom} {month} *"), format!("0 {minute} {hour} * {month} {dow}")]
    })
}

/// The days a standard day-of-week field names, as bits (bit 0 is Sunday).
fn weekdays(field: &str) -> Result<u8, String> {
    let mut days = 0u8;
    for item in field.split(',') {
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => match step.parse::<u32>() {
                Ok(s) if (1..=7).contains(&s) => (base, Some(s)),
                _ => return Err(format!("has step `{step}`; a step is 1 to 7")),
            },
            None => (item, None),
        };
        let (low, high) = match base {
            "*" | "?" => (0, 7),
            "" => return Err(format!("{field:?} has an empty item")),
            _ => match base.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (day(a)?, day(b)?);
                    if a > b {
                        return Err(format!("has the range `{base}`, which runs backwards"));
                    }
                    (a, b)
                }
                None if step.is_some() => (day(base)?, 7),
                None => (day(base)?, day(base)?),
            },
        };
        for d in (low..=high).step_by(step.unwrap_or(1) as usize) {
            days |= 1 << (d % 7);
        }
    }
    Ok(days)
}

/// A day of the week: 0-7 (0 and 7 are Sunday) or a three-letter English name.
fn day(text: &str) -> Result<u32, String> {
    if let Ok(n) = text.parse::<u32>() {
        return if n <= 7 { Ok(n) } else { Err(format!("has `{n}`; days are 0-7 (0 and 7 are Sunday) or SUN-SAT")) };
    }
    DAY_NAMES
        .iter()
        .position(|name| name.eq_ignore_ascii_case(text))
        .map(|d| d as u32)
        .ok_or_else(|| format!("has `{text}`; days are 0-7 (0 and 7 are Sunday) or SUN-SAT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_of_week_fields() {
        let cases: &[(&str, &[u32])] = &[
            ("*", &[0, 1, 2, 3, 4, 5, 6]),
            ("0", &[0]),
            ("7", &[0]),
            ("1-5", &[1, 2, 3, 4, 5]),
            ("MON-FRI", &[1, 2, 3, 4, 5]),
            ("sat,sun", &[0, 6]),
            ("5-7", &[0, 5, 6]),
            ("*/2", &[0, 2, 4, 6]),
            ("1-5/2", &[1, 3, 5]),
            ("6/1", &[0, 6]),
        ];
        for (field, want) in cases {
            let bits = weekdays(field).unwrap_or_else(|e| panic!("{field}: {e}"));
            let got: Vec<u32> = (0..7).filter(|d| bits & (1 << d) != 0).collect();
            assert_eq!(got, *want, "{field}");
        }
        for (bad, why) in [("8", "0-7"), ("FUN", "SUN-SAT"), ("5-1", "backwards"), ("*/0", "step"), ("1,", "empty")] {
            let e = weekdays(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn translations() {
        let cases: &[(&str, &[&str])] = &[
            ("*/15 * * * *", &["0 */15 * * * *"]),
            ("0 9 * * 1-5", &["0 0 9 * * 2,3,4,5,6"]),
            ("0 9 * * 0", &["0 0 9 * * 1"]),
            ("30 2 1 * ?", &["0 30 2 1 * *"]),
            // Both day fields restricted: either matches (two schedules, merged).
            ("0 0 1 * MON", &["0 0 0 1 * *", "0 0 0 * * 2"]),
            // A day-of-week starting with `*` keeps both fields required (Vixie's rule).
            ("0 0 1 * */2", &["0 0 0 1 * 1,3,5,7"]),
        ];
        for (cron, want) in cases {
            assert_eq!(translate(cron).unwrap(), *want, "{cron}");
        }
        for (bad, why) in
            [("", "empty"), ("0 * * * * *", "6 fields"), ("0 0 * * * * 2030", "7 fields"), ("* *", "2 fields")]
        {
            let ScheduleError::Cron(e) = translate(bad).unwrap_err() else { panic!("{bad}") };
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
