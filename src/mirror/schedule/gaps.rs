//! When a cron expression fires, scanned over a whole calendar cycle: an expression that
//! never fires, or fires twice within the minimum interval, is refused.

use chrono::{Datelike, NaiveDate};
use croner::Cron;

use super::{CronSchedule, SECS_PER_DAY, ScheduleError};

/// First day of the firing scan (any day works; the calendar repeats every 28 years).
pub(super) const SCAN_START: NaiveDate = match NaiveDate::from_ymd_opt(2026, 1, 1) {
    Some(day) => day,
    None => panic!("valid date"),
};
/// End of the firing scan (exclusive): 28 years, one whole cycle of leap years and
/// weekdays within 1901–2099, plus one to see the gaps that wrap around it.
const SCAN_END: NaiveDate = match NaiveDate::from_ymd_opt(2055, 1, 1) {
    Some(day) => day,
    None => panic!("valid date"),
};

impl CronSchedule {
    /// Refuses an expression that never fires, or fires twice within `min_interval_secs`.
    ///
    /// Every firing day has the same times of day, so the smallest gap is either between two
    /// of those times or from the last time on a firing day to the first on the next one. The
    /// days are scanned over a whole calendar cycle, stopping at the first gap that is too
    /// small.
    pub(super) fn check_firings(&self, min_interval_secs: i64) -> Result<(), ScheduleError> {
        let mut days = firing_days(&self.cron);
        let Some(first_day) = days.next() else {
            return Err(ScheduleError::NeverFires);
        };
        // Cron cannot fire twice within a minute.
        if min_interval_secs <= 60 {
            return Ok(());
        }
        let times = times_of_day(&self.cron);
        let too_frequent = |gap_secs| ScheduleError::TooFrequent {
            min_secs: min_interval_secs,
            gap_secs,
        };
        if let Some(gap) = times.windows(2).map(|w| w[1] - w[0]).min()
            && gap < min_interval_secs
        {
            return Err(too_frequent(gap));
        }
        let span = match (times.first(), times.last()) {
            (Some(first), Some(last)) => last - first,
            _ => return Err(ScheduleError::NeverFires),
        };
        if SECS_PER_DAY - span >= min_interval_secs {
            return Ok(()); // even on consecutive days the gap is long enough
        }
        let mut previous = first_day;
        for day in days {
            let gap = (day - previous).num_days() * SECS_PER_DAY - span;
            if gap < min_interval_secs {
                return Err(too_frequent(gap));
            }
            previous = day;
        }
        Ok(())
    }
}

/// The days the expression fires on, from the start of the scan to its end.
pub(super) fn firing_days(cron: &Cron) -> impl Iterator<Item = NaiveDate> + '_ {
    SCAN_START
        .iter_days()
        .take_while(|day| *day < SCAN_END)
        .filter(|day| {
            cron.pattern.month_match(day.month()).unwrap_or(false)
                && cron
                    .pattern
                    .day_match(day.year(), day.month(), day.day())
                    .unwrap_or(false)
        })
}

/// The times of day the expression fires at, in seconds since midnight, ascending.
fn times_of_day(cron: &Cron) -> Vec<i64> {
    let pattern = &cron.pattern;
    let minutes: Vec<i64> = (0..60)
        .filter(|m| pattern.minute_match(*m).unwrap_or(false))
        .map(|m| i64::from(m) * 60)
        .collect();
    (0..24)
        .filter(|h| pattern.hour_match(*h).unwrap_or(false))
        .flat_map(|h| minutes.iter().map(move |m| i64::from(h) * 3600 + m))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mirror::schedule::{
        Schedule,
        tests::{at, cron, error},
    };

    #[test]
    fn never_fires() {
        for text in [
            "0 0 31 2 *",
            "0 0 30 2 *",
            "0 0 31 4,6,9,11 *",
            "0 0 30,31 feb *",
        ] {
            assert_eq!(error(text, 60), ScheduleError::NeverFires, "{text}");
            assert_eq!(error(text, 0), ScheduleError::NeverFires, "{text}");
            assert_eq!(error(text, 3600), ScheduleError::NeverFires, "{text}");
        }
        assert_eq!(error("0 0 31 2 *", 60).to_string(), "never fires");
        // Rare but real.
        assert!(Schedule::parse("0 0 29 2 *", 3600).is_ok());
        assert!(Schedule::parse("0 0 31 2 1", 3600).is_ok()); // or on Mondays
        assert!(Schedule::parse("0 0 */29 2 1", 3600).is_ok()); // Feb 1 or 29 that is a Monday
    }

    #[test]
    fn minimum_interval() {
        let too_frequent = |text: &str, min: i64| match Schedule::parse(text, min) {
            Err(ScheduleError::TooFrequent { min_secs, gap_secs }) => {
                assert_eq!(min_secs, min);
                assert!(gap_secs < min);
                Some(gap_secs)
            }
            Err(other) => panic!("{text}: {other}"),
            Ok(_) => None,
        };
        // Cron cannot fire twice within a minute.
        assert_eq!(too_frequent("* * * * *", 60), None);
        assert_eq!(too_frequent("* * * * *", 1), None);
        assert_eq!(too_frequent("* * * * *", 61), Some(60));
        assert_eq!(too_frequent("*/5 * * * *", 300), None);
        assert_eq!(too_frequent("*/5 * * * *", 3600), Some(300));
        assert_eq!(too_frequent("*/7 * * * *", 420), Some(240)); // :56 to :00
        assert_eq!(too_frequent("0 * * * *", 3600), None);
        assert_eq!(too_frequent("0 * * * *", 3601), Some(3600));
        assert_eq!(too_frequent("0,59 * * * *", 120), Some(60));
        // From the last firing of one day to the first of the next.
        assert_eq!(too_frequent("0 0,23 * * *", 3600), None);
        assert_eq!(too_frequent("0 0,23 * * *", 7200), Some(3600));
        assert_eq!(too_frequent("0 0,23 * * 1", 7200), None);
        assert_eq!(too_frequent("30 23 * * 0", 7200), None);
        assert_eq!(too_frequent("0 0 * * *", 86_400), None);
        assert_eq!(too_frequent("0 0 * * *", 86_401), Some(86_400));
        assert_eq!(too_frequent("0 0 1,2 * *", 2 * 86_400), Some(86_400));
        assert_eq!(too_frequent("0 0 * * 1", 7 * 86_400), None);
        // Month ends: the 31st and the 1st are a day apart; the 1st is 28 days after Feb 1.
        assert_eq!(too_frequent("0 0 1,31 * *", 2 * 86_400), Some(86_400));
        assert_eq!(too_frequent("0 0 1 * *", 28 * 86_400), None);
        assert_eq!(too_frequent("0 0 1 * *", 29 * 86_400), Some(28 * 86_400));
        // Leap years: Feb 28 to 29 (2028) is a day; leap days are four years apart.
        assert_eq!(too_frequent("0 0 28,29 2 *", 2 * 86_400), Some(86_400));
        assert_eq!(too_frequent("0 0 29 2 *", 1461 * 86_400), None);
        assert_eq!(
            too_frequent("0 0 29 2 *", 1462 * 86_400),
            Some(1461 * 86_400)
        );
        // A `*` in a list (Vixie: it starts with `*`, so both day fields must match).
        assert_eq!(too_frequent("0 0 28 2 *,3", 365 * 86_400), None);
        assert_eq!(cron("0 0 28 2 *,3").as_stored(), "0 0 28 2 *,3");
    }

    #[test]
    fn minimum_interval_rule_holds_across_days_and_never_firing_is_refused() {
        assert!(matches!(
            error("*/5 * * * *", 3600),
            ScheduleError::TooFrequent { .. }
        ));
        // The gap from 23:00 to 00:00 is across days: one hour, so two hours is too much.
        assert!(Schedule::parse("0 0,23 * * 1", 3600).is_ok());
        assert!(matches!(
            error("0 0,23 * * *", 7200),
            ScheduleError::TooFrequent { .. }
        ));
        assert!(error("0 0 31 2 *", 60) == ScheduleError::NeverFires);
    }

    /// The smallest gap between consecutive firings over `years`, by croner's own iteration.
    fn brute_force_min_gap(text: &str, years: i32) -> i64 {
        let Schedule::Cron(schedule) = Schedule::parse(text, 0).unwrap() else {
            panic!("not cron");
        };
        let end = at(2026 + years, 1, 1, 0, 0, 0);
        let mut iter = schedule.cron.iter_after(at(2025, 12, 31, 0, 0, 0));
        let mut previous = iter.next().unwrap();
        let mut min = i64::MAX;
        for time in iter.take_while(|t| *t < end) {
            min = min.min((time - previous).num_seconds());
            previous = time;
        }
        min
    }

    #[test]
    fn minimum_interval_agrees_with_croner() {
        for text in [
            "0 0,23 * * *",
            "30 22 * * 1,2",
            "0 0 1-7 * 1",
            "0 0 */2 * 1",
            "15 3,20 31 * *",
            "0 0 28,29 2 *",
            "0 12 1,15 * 5",
            "0 0 * * 6,0",
            "*/20 1-2 * * *",
            "59 23 31 1,3 *",
            "0 0 1 * */1",
        ] {
            let gap = brute_force_min_gap(text, 5);
            assert!(Schedule::parse(text, gap).is_ok(), "{text} at {gap}");
            assert_eq!(
                Schedule::parse(text, gap + 1),
                Err(ScheduleError::TooFrequent {
                    min_secs: gap + 1,
                    gap_secs: gap
                }),
                "{text}"
            );
        }
    }
}
