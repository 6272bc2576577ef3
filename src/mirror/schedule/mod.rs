//! Mirror sync schedules: a repository's `sync_schedule` text ("" for every `sync_interval`
//! seconds, "manual", or a 5-field UTC cron expression), its validation against
//! `MIRRORFORGE_MIN_SYNC_INTERVAL`, the next sync time, and its reading for the settings page.
//!
//! Cron expressions follow Vixie cron: `minute hour day-of-month month day-of-week`, each a
//! comma list of `*`, `n` or `n-m`, optionally with `/step`; month and day-of-week also take
//! three-letter English names (`JAN`, `MON`), day-of-week 0 and 7 are both Sunday. When both
//! day fields are restricted a day matches either; when one of them starts with `*` (such as
//! `*/2`) it must match both. `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly` and
//! `@annually` are accepted and stored as their five fields. Croner's extensions (`L`, `W`,
//! `#`, `?`, a `+` day-of-week, seconds and year fields) are refused. Matching is croner's.
//!
//! Three rooms: `cron` parses an expression, `gaps` scans when it fires (the minimum
//! interval), `words` writes a schedule out in English.

mod cron;
mod gaps;
mod words;

pub use self::cron::CronSchedule;

use chrono::{DateTime, TimeDelta, Utc};

/// Why a `sync_schedule` value was refused; the message suits a form or API field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Not "", "manual", a shorthand or five fields.
    #[error(
        "must be 5 fields: minute hour day-of-month month day-of-week (UTC), \"manual\", or empty"
    )]
    FieldCount {
        /// How many whitespace-separated fields there were.
        found: usize,
    },
    /// An `@` shorthand other than the supported ones.
    #[error("unknown shorthand {0:?}: use @hourly, @daily, @weekly, @monthly or @yearly")]
    UnknownShorthand(String),
    /// Five fields, but one of them is not valid cron.
    #[error("not a valid cron expression: {0}")]
    Invalid(String),
    /// Two firings are closer together than the minimum interval.
    #[error("fires more often than every {min_secs} seconds (the minimum interval)")]
    TooFrequent {
        /// The minimum interval, in seconds.
        min_secs: i64,
        /// A gap between two consecutive firings that is below it, in seconds.
        gap_secs: i64,
    },
    /// No date matches (such as the 31st of February).
    #[error("never fires")]
    NeverFires,
}

/// A parsed `sync_schedule`.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Every `sync_interval` seconds (stored as "").
    Interval,
    /// Never scheduled (stored as "manual").
    Manual,
    /// At the times of a cron expression, in UTC.
    Cron(CronSchedule),
}

/// The stored value of [`Schedule::Manual`].
const MANUAL: &str = "manual";

/// Seconds in a (UTC) day.
const SECS_PER_DAY: i64 = 86_400;

impl Schedule {
    /// Parses a stored or submitted value (trimmed); `min_interval_secs` is `MIRRORFORGE_MIN_SYNC_INTERVAL`.
    ///
    /// # Errors
    /// A [`ScheduleError`] when the text is not a schedule, never fires, or fires more often
    /// than every `min_interval_secs` seconds.
    pub fn parse(text: &str, min_interval_secs: i64) -> Result<Self, ScheduleError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Self::Interval);
        }
        if text.eq_ignore_ascii_case(MANUAL) {
            return Ok(Self::Manual);
        }
        let schedule = CronSchedule::parse(text)?;
        schedule.check_firings(min_interval_secs)?;
        Ok(Self::Cron(schedule))
    }

    /// Reads a stored value without the minimum-interval check; an unreadable one counts as Interval (logged by caller).
    #[must_use]
    pub fn stored(text: &str) -> Self {
        Self::parse(text, 0).unwrap_or(Self::Interval)
    }

    /// The next sync time after `now` for a mirror with `interval_secs`: Interval → now + interval; Manual → None; Cron → the next matching minute strictly after `now` (seconds = 0).
    #[must_use]
    pub fn next_after(&self, now: DateTime<Utc>, interval_secs: i64) -> Option<DateTime<Utc>> {
        match self {
            Self::Interval => now.checked_add_signed(TimeDelta::try_seconds(interval_secs)?),
            Self::Manual => None,
            Self::Cron(schedule) => schedule.next_after(now),
        }
    }

    /// Human reading for the settings page, e.g. "At 02:30 on Monday through Friday (UTC)" for `30 2 * * 1-5`.
    #[must_use]
    pub fn describe(&self, interval_secs: i64) -> String {
        match self {
            Self::Interval => words::describe_interval(interval_secs),
            Self::Manual => "Only when started by hand, a webhook or a push".to_owned(),
            Self::Cron(schedule) => schedule.describe(),
        }
    }

    /// The value as stored ("", "manual" or the normalised cron text, fields joined by single spaces).
    #[must_use]
    pub fn as_stored(&self) -> String {
        match self {
            Self::Interval => String::new(),
            Self::Manual => MANUAL.to_owned(),
            Self::Cron(schedule) => schedule.text.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Timelike};

    use super::*;

    pub(super) fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    pub(super) fn cron(text: &str) -> Schedule {
        Schedule::parse(text, 60).unwrap()
    }

    pub(super) fn next(text: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        cron(text).next_after(now, 3600).unwrap()
    }

    pub(super) fn describe(text: &str) -> String {
        cron(text).describe(3600)
    }

    pub(super) fn error(text: &str, min: i64) -> ScheduleError {
        Schedule::parse(text, min).unwrap_err()
    }

    /// The next firing of each `(text, now, expected)`: `expected`.
    fn check_next(cases: &[(&str, DateTime<Utc>, DateTime<Utc>)]) {
        for (text, now, expected) in cases {
            assert_eq!(next(text, *now), *expected, "{text} after {now}");
        }
    }

    #[test]
    fn empty_and_manual() {
        assert_eq!(Schedule::parse("", 60), Ok(Schedule::Interval));
        assert_eq!(Schedule::parse(" \t ", 60), Ok(Schedule::Interval));
        assert_eq!(Schedule::parse("manual", 60), Ok(Schedule::Manual));
        assert_eq!(Schedule::parse(" Manual ", 60), Ok(Schedule::Manual));
        assert_eq!(Schedule::Interval.as_stored(), "");
        assert_eq!(Schedule::Manual.as_stored(), "manual");
    }

    #[test]
    fn stored_text_is_normalised() {
        assert_eq!(cron("  30   2 *\t*  1-5 ").as_stored(), "30 2 * * 1-5");
        assert_eq!(
            cron("0 0 * jan-mar Mon-Fri").as_stored(),
            "0 0 * jan-mar Mon-Fri"
        );
        let Schedule::Cron(schedule) = cron("0  0 1 * *") else {
            panic!("not cron");
        };
        assert_eq!(schedule.as_str(), "0 0 1 * *");
        // A stored value parses back to the same schedule.
        for text in [
            "30 2 * * 1-5",
            "*/15 * * * *",
            "0 0 * * MON-SUN",
            "5/15 1-3 * * *",
        ] {
            let schedule = cron(text);
            assert_eq!(cron(&schedule.as_stored()), schedule);
        }
    }

    #[test]
    fn next_after_interval_and_manual() {
        let now = at(2026, 4, 15, 10, 20, 30);
        assert_eq!(
            Schedule::Interval.next_after(now, 3600),
            Some(at(2026, 4, 15, 11, 20, 30))
        );
        assert_eq!(
            Schedule::Interval.next_after(now, 90),
            Some(at(2026, 4, 15, 10, 22, 0))
        );
        assert_eq!(Schedule::Interval.next_after(now, i64::MAX), None);
        assert_eq!(Schedule::Manual.next_after(now, 3600), None);
    }

    #[test]
    fn next_after_cron_month_ends_and_leap_days() {
        #[rustfmt::skip]
        let cases = [
            ("0 0 31 * *", at(2026, 4, 15, 0, 0, 0), at(2026, 5, 31, 0, 0, 0)),
            ("0 0 1 * *", at(2026, 1, 31, 23, 59, 30), at(2026, 2, 1, 0, 0, 0)),
            ("0 0 30 * *", at(2026, 1, 31, 0, 0, 0), at(2026, 3, 30, 0, 0, 0)),
            ("0 12 29 2 *", at(2026, 3, 1, 0, 0, 0), at(2028, 2, 29, 12, 0, 0)),
            ("0 12 29 2 *", at(2028, 2, 29, 12, 0, 0), at(2032, 2, 29, 12, 0, 0)),
        ];
        check_next(&cases);
    }

    #[test]
    fn next_after_cron_year_end() {
        #[rustfmt::skip]
        let cases = [
            ("0 0 1 1 *", at(2026, 12, 31, 23, 59, 59), at(2027, 1, 1, 0, 0, 0)),
            ("59 23 31 12 *", at(2026, 12, 31, 23, 59, 0), at(2027, 12, 31, 23, 59, 0)),
            ("*/15 * * * *", at(2026, 12, 31, 23, 50, 0), at(2027, 1, 1, 0, 0, 0)),
        ];
        check_next(&cases);
    }

    #[test]
    fn next_after_cron_is_strictly_after_and_on_whole_minutes() {
        // 2026-03-02 is a Monday.
        let text = "30 2 * * 1-5";
        #[rustfmt::skip]
        let cases = [
            (text, at(2026, 3, 2, 2, 30, 0), at(2026, 3, 3, 2, 30, 0)),
            (text, at(2026, 3, 2, 2, 29, 59), at(2026, 3, 2, 2, 30, 0)),
            (text, at(2026, 3, 2, 2, 30, 1), at(2026, 3, 3, 2, 30, 0)),
            // Friday to Monday.
            (text, at(2026, 3, 6, 2, 30, 0), at(2026, 3, 9, 2, 30, 0)),
        ];
        check_next(&cases);
        let just_before = at(2026, 3, 2, 2, 29, 59) + TimeDelta::milliseconds(999);
        assert_eq!(next(text, just_before), at(2026, 3, 2, 2, 30, 0));
        let just_after = at(2026, 3, 2, 2, 30, 0) + TimeDelta::milliseconds(1);
        let found = next(text, just_after);
        assert_eq!(found, at(2026, 3, 3, 2, 30, 0));
        assert_eq!(found.nanosecond(), 0);
        // Every minute: the next whole minute.
        let now = at(2026, 3, 2, 10, 0, 0) + TimeDelta::milliseconds(500);
        assert_eq!(next("* * * * *", now), at(2026, 3, 2, 10, 1, 0));
        #[rustfmt::skip]
        let cases = [
            ("* * * * *", at(2026, 3, 2, 10, 0, 0), at(2026, 3, 2, 10, 1, 0)),
            ("* * * * *", at(2026, 3, 2, 10, 0, 59), at(2026, 3, 2, 10, 1, 0)),
        ];
        check_next(&cases);
    }

    #[test]
    fn next_after_cron_day_rules() {
        // Either day field: the 13th or a Friday; 2026-02-06 is a Friday.
        #[rustfmt::skip]
        let cases = [
            ("0 0 13 * 5", at(2026, 2, 1, 0, 0, 0), at(2026, 2, 6, 0, 0, 0)),
            ("0 0 13 * 5", at(2026, 2, 10, 0, 0, 0), at(2026, 2, 13, 0, 0, 0)),
        ];
        check_next(&cases);
        // Both (Vixie's `*` rule): odd days that are Mondays; 2026-01-05 is a Monday.
        #[rustfmt::skip]
        let cases = [
            ("0 0 */2 * 1", at(2026, 1, 1, 0, 0, 0), at(2026, 1, 5, 0, 0, 0)),
            ("0 0 */2 * 1", at(2026, 1, 5, 0, 0, 0), at(2026, 1, 19, 0, 0, 0)),
        ];
        check_next(&cases);
        // The interval is ignored for cron.
        assert_eq!(
            cron("0 0 * * *").next_after(at(2026, 1, 1, 12, 0, 0), 60),
            Some(at(2026, 1, 2, 0, 0, 0))
        );
    }

    #[test]
    fn stored_values() {
        assert_eq!(Schedule::stored(""), Schedule::Interval);
        assert_eq!(Schedule::stored("manual"), Schedule::Manual);
        assert_eq!(Schedule::stored("garbage"), Schedule::Interval);
        assert_eq!(Schedule::stored("61 * * * *"), Schedule::Interval);
        assert_eq!(Schedule::stored("0 0 31 2 *"), Schedule::Interval);
        // No minimum-interval check.
        assert_eq!(Schedule::stored("* * * * *").as_stored(), "* * * * *");
        assert_eq!(
            Schedule::stored(" */5  * * * * ").as_stored(),
            "*/5 * * * *"
        );
    }
}
