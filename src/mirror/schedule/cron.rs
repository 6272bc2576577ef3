//! Cron expressions: five Vixie fields (or an `@` shorthand) checked, names replaced by
//! numbers, and handed to croner, which finds the next firing.

use chrono::{DateTime, Timelike, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use super::ScheduleError;

/// A validated 5-field cron expression.
#[derive(Debug, Clone, PartialEq)]
pub struct CronSchedule {
    /// The fields as given, joined by single spaces (shorthands expanded).
    pub(super) text: String,
    /// Croner's reading of the numeric form (boxed, like `values`, to keep [`super::Schedule`] small).
    pub(super) cron: Box<Cron>,
    /// Day-of-month is exactly `*`.
    pub(super) dom_star: bool,
    /// Day-of-week is exactly `*`.
    pub(super) dow_star: bool,
    /// Both day fields must match (Vixie: one starts with `*` but neither is exactly `*`).
    pub(super) days_and: bool,
    /// The values of each field, for the reading.
    pub(super) values: Box<FieldValues>,
}

/// The values a cron expression's fields list, ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FieldValues {
    /// Minutes, 0-59.
    pub(super) minutes: Vec<u16>,
    /// Hours, 0-23.
    pub(super) hours: Vec<u16>,
    /// Days of the month, 1-31.
    pub(super) days: Vec<u16>,
    /// Months, 1-12.
    pub(super) months: Vec<u16>,
    /// Days of the week, 0-6 from Sunday.
    pub(super) weekdays: Vec<u16>,
}

impl CronSchedule {
    /// The expression as stored: its five fields joined by single spaces.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Parses five fields or a shorthand, without looking at when it fires.
    pub(super) fn parse(text: &str) -> Result<Self, ScheduleError> {
        let expanded = if text.starts_with('@') {
            shorthand(text).ok_or_else(|| ScheduleError::UnknownShorthand(text.to_owned()))?
        } else {
            text
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let [minute, hour, dom, month, dow] = fields[..] else {
            return Err(ScheduleError::FieldCount {
                found: fields.len(),
            });
        };
        let (minute_text, minutes) = normalise_field(minute, &MINUTE)?;
        let (hour_text, hours) = normalise_field(hour, &HOUR)?;
        let (dom_text, days) = normalise_field(dom, &DAY_OF_MONTH)?;
        let (month_text, months) = normalise_field(month, &MONTH)?;
        let (dow_text, mut weekdays) = normalise_field(dow, &DAY_OF_WEEK)?;
        if weekdays.last() == Some(&7) {
            weekdays.pop();
            if weekdays.first() != Some(&0) {
                weekdays.insert(0, 0);
            }
        }
        let numeric = [minute_text, hour_text, dom_text, month_text, dow_text];
        let dom_star = dom == "*";
        let dow_star = dow == "*";
        let days_and = (dom.starts_with('*') || dow.starts_with('*')) && !dom_star && !dow_star;
        let cron = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .dom_and_dow(days_and)
            .build()
            .parse(&numeric.join(" "))
            .map_err(|e| ScheduleError::Invalid(e.to_string()))?;
        Ok(Self {
            text: fields.join(" "),
            cron: Box::new(cron),
            dom_star,
            dow_star,
            days_and,
            values: Box::new(FieldValues {
                minutes,
                hours,
                days,
                months,
                weekdays,
            }),
        })
    }

    /// The next matching minute strictly after `now`.
    pub(super) fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Firings are on whole minutes, so those after `now` are those after its minute.
        let minute = now.with_second(0)?.with_nanosecond(0)?;
        self.cron.find_next_occurrence(&minute, false).ok()
    }
}

/// The five fields of a supported `@` shorthand.
fn shorthand(text: &str) -> Option<&'static str> {
    match text.to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => Some("0 0 1 1 *"),
        "@monthly" => Some("0 0 1 * *"),
        "@weekly" => Some("0 0 * * 0"),
        "@daily" => Some("0 0 * * *"),
        "@hourly" => Some("0 * * * *"),
        _ => None,
    }
}

/// What one cron field accepts.
struct FieldSpec {
    /// Its name in messages.
    name: &'static str,
    /// Smallest value.
    min: u16,
    /// Largest value.
    max: u16,
    /// Three-letter names for `min`, `min + 1`, …
    names: &'static [&'static str],
}

const MINUTE: FieldSpec = FieldSpec {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
};
const HOUR: FieldSpec = FieldSpec {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
};
const DAY_OF_MONTH: FieldSpec = FieldSpec {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: FieldSpec = FieldSpec {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
};
const DAY_OF_WEEK: FieldSpec = FieldSpec {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};

/// Checks one field against Vixie syntax; returns it with names replaced by numbers, and the
/// values it lists (ascending).
fn normalise_field(field: &str, spec: &FieldSpec) -> Result<(String, Vec<u16>), ScheduleError> {
    let invalid = |what: String| ScheduleError::Invalid(format!("{} {field:?}: {what}", spec.name));
    if let Some(c) = field
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '*' | ',' | '-' | '/')))
    {
        return Err(invalid(format!(
            "{c:?} is not supported (use numbers, names, and * , - /)"
        )));
    }
    let mut items = Vec::new();
    let mut values = Vec::new();
    for item in field.split(',') {
        if item.is_empty() {
            return Err(invalid("has an empty list item".to_owned()));
        }
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        let step = match step {
            None => None,
            Some(step) => match step.parse::<u16>() {
                Ok(n) if n >= 1 => Some(n),
                _ => return Err(invalid(format!("step {step:?} is not a number from 1"))),
            },
        };
        // `n/step` runs from n to the largest value, as in croner.
        let (text, first, last) = if range == "*" {
            // Croner refuses a bare `*` among others (`*,3`); Vixie reads it as every value.
            let text = if step.is_none() && field.contains(',') {
                format!("{}-{}", spec.min, spec.max)
            } else {
                "*".to_owned()
            };
            (text, spec.min, spec.max)
        } else {
            let (start, end) = match range.split_once('-') {
                Some((start, end)) => (start, Some(end)),
                None => (range, None),
            };
            let first = value(start, spec, false).map_err(invalid)?;
            match end {
                None if step.is_some() => (first.to_string(), first, spec.max),
                None => (first.to_string(), first, first),
                Some(end) => {
                    let last = value(end, spec, true).map_err(invalid)?;
                    if last < first {
                        return Err(invalid(format!("range {range} runs backwards")));
                    }
                    (format!("{first}-{last}"), first, last)
                }
            }
        };
        values.extend((first..=last).step_by(usize::from(step.unwrap_or(1))));
        items.push(match step {
            Some(step) => format!("{text}/{step}"),
            None => text,
        });
    }
    values.sort_unstable();
    values.dedup();
    Ok((items.join(","), values))
}

/// One number or name of a field; a Sunday that ends a range is 7.
fn value(text: &str, spec: &FieldSpec, range_end: bool) -> Result<u16, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u16>() {
            Ok(n) if (spec.min..=spec.max).contains(&n) => Ok(n),
            _ => Err(format!("{text} is out of range {}-{}", spec.min, spec.max)),
        };
    }
    let index = spec
        .names
        .iter()
        .position(|name| name.eq_ignore_ascii_case(text))
        .and_then(|i| u16::try_from(i).ok());
    match index {
        Some(0) if range_end && spec.name == DAY_OF_WEEK.name => Ok(7),
        Some(i) => Ok(spec.min + i),
        None if text.is_empty() => Err("has an empty value".to_owned()),
        None if text.bytes().any(|b| b.is_ascii_digit()) || text.eq_ignore_ascii_case("L") => Err(
            format!("{text:?} is not supported (use numbers, names, and * , - /)"),
        ),
        None if spec.names.is_empty() => Err(format!("{text:?} is not a number")),
        None => Err(format!("{text:?} is not a number or {} name", spec.name)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, NaiveDate};

    use super::{
        super::gaps::{SCAN_START, firing_days},
        *,
    };
    use crate::mirror::schedule::{
        Schedule,
        tests::{at, cron, error, next},
    };

    #[test]
    fn shorthands_expand_to_five_fields() {
        for (short, long) in [
            ("@hourly", "0 * * * *"),
            ("@daily", "0 0 * * *"),
            ("@weekly", "0 0 * * 0"),
            ("@monthly", "0 0 1 * *"),
            ("@yearly", "0 0 1 1 *"),
            ("@annually", "0 0 1 1 *"),
            (" @DAILY ", "0 0 * * *"),
        ] {
            assert_eq!(Schedule::parse(short, 3600).unwrap().as_stored(), long);
        }
        assert_eq!(
            error("@reboot", 60),
            ScheduleError::UnknownShorthand("@reboot".to_owned())
        );
        assert!(matches!(
            error("@every 5m", 60),
            ScheduleError::UnknownShorthand(_)
        ));
        assert_eq!(
            error("@reboot", 60).to_string(),
            "unknown shorthand \"@reboot\": use @hourly, @daily, @weekly, @monthly or @yearly"
        );
    }

    #[test]
    fn exactly_five_fields() {
        for (text, found) in [
            ("* * * *", 4),
            ("0 * * * * *", 6),      // croner would read a seconds field
            ("0 0 0 1 1 * 2030", 7), // and a year field
            ("manual please", 2),
            ("hourly", 1),
        ] {
            assert_eq!(
                error(text, 60),
                ScheduleError::FieldCount { found },
                "{text}"
            );
        }
        assert_eq!(
            error("* * * *", 60).to_string(),
            "must be 5 fields: minute hour day-of-month month day-of-week (UTC), \"manual\", or empty"
        );
    }

    #[test]
    fn invalid_fields_say_which_and_why() {
        for (text, message) in [
            ("60 * * * *", "minute \"60\": 60 is out of range 0-59"),
            ("* 24 * * *", "hour \"24\": 24 is out of range 0-23"),
            ("* * 0 * *", "day-of-month \"0\": 0 is out of range 1-31"),
            ("* * 32 * *", "day-of-month \"32\": 32 is out of range 1-31"),
            ("* * * 13 *", "month \"13\": 13 is out of range 1-12"),
            ("* * * * 8", "day-of-week \"8\": 8 is out of range 0-7"),
            (
                "*/0 * * * *",
                "minute \"*/0\": step \"0\" is not a number from 1",
            ),
            (
                "*/ * * * *",
                "minute \"*/\": step \"\" is not a number from 1",
            ),
            ("5-1 * * * *", "minute \"5-1\": range 5-1 runs backwards"),
            ("1,,2 * * * *", "minute \"1,,2\": has an empty list item"),
            ("1- * * * *", "minute \"1-\": has an empty value"),
            ("MON * * * *", "minute \"MON\": \"MON\" is not a number"),
            (
                "0 0 * MON *",
                "month \"MON\": \"MON\" is not a number or month name",
            ),
            (
                "0 0 * * JAN",
                "day-of-week \"JAN\": \"JAN\" is not a number or day-of-week name",
            ),
            (
                "0 0 * * MONDAY",
                "day-of-week \"MONDAY\": \"MONDAY\" is not a number or day-of-week name",
            ),
            (
                "0 0 * * FRI-MON",
                "day-of-week \"FRI-MON\": range FRI-MON runs backwards",
            ),
            // croner's extensions
            (
                "0 0 L * *",
                "day-of-month \"L\": \"L\" is not supported (use numbers, names, and * , - /)",
            ),
            (
                "0 0 15W * *",
                "day-of-month \"15W\": \"15W\" is not supported (use numbers, names, and * , - /)",
            ),
            (
                "0 0 * * 5L",
                "day-of-week \"5L\": \"5L\" is not supported (use numbers, names, and * , - /)",
            ),
            (
                "0 0 * * 5#2",
                "day-of-week \"5#2\": '#' is not supported (use numbers, names, and * , - /)",
            ),
            (
                "0 0 ? * *",
                "day-of-month \"?\": '?' is not supported (use numbers, names, and * , - /)",
            ),
            (
                "0 0 * * +1",
                "day-of-week \"+1\": '+' is not supported (use numbers, names, and * , - /)",
            ),
        ] {
            let err = error(text, 60);
            assert_eq!(err, ScheduleError::Invalid(message.to_owned()), "{text}");
            assert_eq!(
                err.to_string(),
                format!("not a valid cron expression: {message}")
            );
        }
    }

    #[test]
    fn names_and_sunday_as_seven() {
        let weekdays = |text: &str| match cron(text) {
            Schedule::Cron(c) => c.values.weekdays,
            _ => panic!("not cron"),
        };
        assert_eq!(weekdays("0 0 * * MON-FRI"), vec![1, 2, 3, 4, 5]);
        assert_eq!(weekdays("0 0 * * mon-sun"), vec![0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(weekdays("0 0 * * 7"), vec![0]);
        assert_eq!(weekdays("0 0 * * 5-7"), vec![0, 5, 6]);
        assert_eq!(weekdays("0 0 * * SUN,SAT"), vec![0, 6]);
        assert_eq!(weekdays("0 0 * * 0,7"), vec![0]);
        assert_eq!(weekdays("0 0 * * */2"), vec![0, 2, 4, 6]);
        let Schedule::Cron(c) = cron("0 0 * Jan-MAR,jul,DEC *") else {
            panic!("not cron");
        };
        assert_eq!(c.values.months, vec![1, 2, 3, 7, 12]);
        // Sunday as 7 fires on Sundays: 2026-03-01 is one.
        assert_eq!(
            next("0 0 * * 7", at(2026, 2, 26, 0, 0, 0)),
            at(2026, 3, 1, 0, 0, 0)
        );
        assert_eq!(
            next("0 0 * * SUN", at(2026, 2, 26, 0, 0, 0)),
            at(2026, 3, 1, 0, 0, 0)
        );
    }

    /// Vixie cron's day rule, from the raw fields: both must match when either starts with `*`.
    fn vixie_day(schedule: &CronSchedule, dom: &str, dow: &str, day: NaiveDate) -> bool {
        let v = &schedule.values;
        let in_month = v.months.contains(&u16::try_from(day.month()).unwrap());
        let dom_ok = v.days.contains(&u16::try_from(day.day()).unwrap());
        let dow_ok = v
            .weekdays
            .contains(&u16::try_from(day.weekday().num_days_from_sunday()).unwrap());
        in_month
            && if dom.starts_with('*') || dow.starts_with('*') {
                dom_ok && dow_ok
            } else {
                dom_ok || dow_ok
            }
    }

    #[test]
    fn days_follow_vixie_cron() {
        for text in [
            "0 0 * * *",
            "0 0 1 * *",
            "0 0 * * 1",
            "0 0 1,15 * 1",     // either
            "0 0 1-7 * 1",      // either
            "0 0 */2 * 1",      // both: odd days that are Mondays
            "0 0 1 * */2",      // both: the 1st when a Sunday, Tuesday, …
            "0 0 */1 * 1",      // both: Mondays
            "0 0 1-31 * 1",     // either: every day
            "0 0 13 * 5",       // either
            "0 0 * 2 *",        // February
            "0 0 29 2 *",       // leap days
            "0 0 */10 */2 0-2", // both
            "0 0 1,*/15 * *",
            "0 0 28 2 *,3", // both: Feb 28
            "0 0 5 * 1,*",  // either: every day
            "*,5 1,2-4,*/6 * * *",
            "5/15,1 10-20/3 * * *",
            "0 0 * * 0-7,3",
        ] {
            let fields: Vec<&str> = text.split(' ').collect();
            let Schedule::Cron(schedule) = cron(text) else {
                panic!("not cron");
            };
            let mut minutes = Vec::new();
            let mut hours = Vec::new();
            for m in 0..60 {
                if schedule.cron.pattern.minute_match(m).unwrap() {
                    minutes.push(u16::try_from(m).unwrap());
                }
            }
            for h in 0..24 {
                if schedule.cron.pattern.hour_match(h).unwrap() {
                    hours.push(u16::try_from(h).unwrap());
                }
            }
            assert_eq!(minutes, schedule.values.minutes, "{text}");
            assert_eq!(hours, schedule.values.hours, "{text}");
            let fires: std::collections::HashSet<NaiveDate> = firing_days(&schedule.cron).collect();
            for day in SCAN_START.iter_days().take(4 * 366) {
                let croner = fires.contains(&day);
                assert_eq!(
                    croner,
                    vixie_day(&schedule, fields[2], fields[4], day),
                    "{text} {day}"
                );
            }
        }
    }
}
