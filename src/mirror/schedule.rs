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

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Timelike, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

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

/// A validated 5-field cron expression.
#[derive(Debug, Clone, PartialEq)]
pub struct CronSchedule {
    /// The fields as given, joined by single spaces (shorthands expanded).
    text: String,
    /// Croner's reading of the numeric form (boxed, like `values`, to keep [`Schedule`] small).
    cron: Box<Cron>,
    /// Day-of-month is exactly `*`.
    dom_star: bool,
    /// Day-of-week is exactly `*`.
    dow_star: bool,
    /// Both day fields must match (Vixie: one starts with `*` but neither is exactly `*`).
    days_and: bool,
    /// The values of each field, for the reading.
    values: Box<FieldValues>,
}

/// The values a cron expression's fields list, ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldValues {
    /// Minutes, 0-59.
    minutes: Vec<u16>,
    /// Hours, 0-23.
    hours: Vec<u16>,
    /// Days of the month, 1-31.
    days: Vec<u16>,
    /// Months, 1-12.
    months: Vec<u16>,
    /// Days of the week, 0-6 from Sunday.
    weekdays: Vec<u16>,
}

/// The stored value of [`Schedule::Manual`].
const MANUAL: &str = "manual";

/// First day of the firing scan (any day works; the calendar repeats every 28 years).
const SCAN_START: NaiveDate = match NaiveDate::from_ymd_opt(2026, 1, 1) {
    Some(day) => day,
    None => panic!("valid date"),
};
/// End of the firing scan (exclusive): 28 years, one whole cycle of leap years and
/// weekdays within 1901–2099, plus one to see the gaps that wrap around it.
const SCAN_END: NaiveDate = match NaiveDate::from_ymd_opt(2055, 1, 1) {
    Some(day) => day,
    None => panic!("valid date"),
};
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
            Self::Interval => describe_interval(interval_secs),
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

impl CronSchedule {
    /// The expression as stored: its five fields joined by single spaces.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Parses five fields or a shorthand, without looking at when it fires.
    fn parse(text: &str) -> Result<Self, ScheduleError> {
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

    /// Refuses an expression that never fires, or fires twice within `min_interval_secs`.
    ///
    /// Every firing day has the same times of day, so the smallest gap is either between two
    /// of those times or from the last time on a firing day to the first on the next one. The
    /// days are scanned over a whole calendar cycle, stopping at the first gap that is too
    /// small.
    fn check_firings(&self, min_interval_secs: i64) -> Result<(), ScheduleError> {
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

    /// The next matching minute strictly after `now`.
    fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Firings are on whole minutes, so those after `now` are those after its minute.
        let minute = now.with_second(0)?.with_nanosecond(0)?;
        self.cron.find_next_occurrence(&minute, false).ok()
    }

    /// The English reading, ending in " (UTC)".
    fn describe(&self) -> String {
        let time = describe_time(&self.values.minutes, &self.values.hours);
        let days = self.describe_days();
        if time == "Every minute" && days.is_empty() {
            time
        } else if days.is_empty() {
            format!("{time} (UTC)")
        } else {
            format!("{time} {days} (UTC)")
        }
    }

    /// The day and month part of the reading ("" for every day of every month).
    fn describe_days(&self) -> String {
        let FieldValues {
            days: dom,
            weekdays: dow,
            months,
            ..
        } = &*self.values;
        let all_dom = dom.len() == 31;
        let all_dow = dow.len() == 7;
        let in_months = if months.len() == 12 {
            None
        } else {
            Some(month_list(months))
        };

        // Which day fields restrict, in croner's terms (see `CronSchedule::days_and`).
        let (use_dom, use_dow) = match (self.dom_star, self.dow_star) {
            (true, true) => (false, false),
            (true, false) => (false, !all_dow),
            (false, true) => (!all_dom, false),
            (false, false) if self.days_and => (!all_dom, !all_dow),
            (false, false) if all_dom || all_dow => (false, false),
            (false, false) => (true, true),
        };
        let in_suffix = in_months
            .as_ref()
            .map(|m| format!(" in {m}"))
            .unwrap_or_default();
        match (use_dom, use_dow) {
            (false, false) => in_months
                .map(|m| format!("every day in {m}"))
                .unwrap_or_default(),
            (false, true) => format!("on {}{in_suffix}", weekday_list(dow)),
            (true, false) => match day_progression(dom) {
                Some(phrase) => format!("on {phrase}{in_suffix}"),
                None => match &in_months {
                    Some(m) => format!("on the {} of {m}", ordinal_list(dom)),
                    None => format!("on the {} of the month", ordinal_list(dom)),
                },
            },
            (true, true) => {
                let dom_phrase = day_progression(dom)
                    .unwrap_or_else(|| format!("the {} of the month", ordinal_list(dom)));
                if self.days_and {
                    format!(
                        "on {dom_phrase} if it is a {}{in_suffix}",
                        weekday_list_or(dow)
                    )
                } else {
                    format!("on {dom_phrase} or on {}{in_suffix}", weekday_list(dow))
                }
            }
        }
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

/// The days the expression fires on, from the start of the scan to its end.
fn firing_days(cron: &Cron) -> impl Iterator<Item = NaiveDate> + '_ {
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

/// "Every hour", "Every 15 minutes", "Every 90 seconds", …
fn describe_interval(secs: i64) -> String {
    let (n, unit) = if secs > 0 && secs % SECS_PER_DAY == 0 {
        (secs / SECS_PER_DAY, "day")
    } else if secs > 0 && secs % 3600 == 0 {
        (secs / 3600, "hour")
    } else if secs > 0 && secs % 60 == 0 {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    if n == 1 {
        format!("Every {unit}")
    } else {
        format!("Every {n} {unit}s")
    }
}

/// The time-of-day part of a reading, from the minute and hour values.
fn describe_time(minutes: &[u16], hours: &[u16]) -> String {
    let all_minutes = minutes.len() == 60;
    let all_hours = hours.len() == 24;
    if all_minutes && all_hours {
        return "Every minute".to_owned();
    }
    if !all_hours && minutes.len() * hours.len() <= 4 {
        let times: Vec<String> = hours
            .iter()
            .flat_map(|h| minutes.iter().map(move |m| format!("{h:02}:{m:02}")))
            .collect();
        return format!("At {}", join_and(&times));
    }
    let hour_range = if all_hours { None } else { contiguous(hours) };
    if let [m] = minutes {
        return match (all_hours, hour_range, progression(hours)) {
            (true, _, _) => format!("Every hour at :{m:02}"),
            (false, Some((a, b)), _) => format!("Every hour from {a:02}:{m:02} to {b:02}:{m:02}"),
            (false, None, Some((a, step, b))) => {
                format!("Every {step} hours from {a:02}:{m:02} to {b:02}:{m:02}")
            }
            (false, None, None) => format!("At :{m:02} during hours {}", number_list(hours)),
        };
    }
    let (first_minute, last_minute) = (
        minutes.first().copied().unwrap_or(0),
        minutes.last().copied().unwrap_or(0),
    );
    let during = |what: String| match hour_range {
        Some((a, b)) => {
            format!("{what} from {a:02}:{first_minute:02} to {b:02}:{last_minute:02}")
        }
        None if all_hours => what,
        None => format!("{what} during hours {}", number_list(hours)),
    };
    if all_minutes {
        return during("Every minute".to_owned());
    }
    if let Some((a, b)) = contiguous(minutes) {
        return if all_hours {
            format!("Every minute from :{a:02} to :{b:02} of every hour")
        } else if hour_range.is_some() {
            during(format!("Every minute from :{a:02} to :{b:02} of each hour"))
        } else {
            during(format!("Every minute from :{a:02} to :{b:02}"))
        };
    }
    match progression(minutes) {
        Some((start, step, last)) if 60 % step == 0 && start < step && last + step >= 60 => {
            if start == 0 || hour_range.is_some() {
                during(format!("Every {step} minutes"))
            } else {
                during(format!("Every {step} minutes starting at :{start:02}"))
            }
        }
        _ => {
            let list: Vec<String> = runs(minutes)
                .into_iter()
                .map(|(a, b)| {
                    if a == b {
                        format!(":{a:02}")
                    } else {
                        format!(":{a:02} to :{b:02}")
                    }
                })
                .collect();
            let list = join_and(&list);
            if all_hours {
                format!("Every hour at {list}")
            } else if hour_range.is_some() {
                during(format!("At {list} past each hour"))
            } else {
                during(format!("At {list}"))
            }
        }
    }
}

/// `(first, last)` when the values are one unbroken run.
fn contiguous(values: &[u16]) -> Option<(u16, u16)> {
    match runs(values)[..] {
        [run] => Some(run),
        _ => None,
    }
}

/// `(first, step, last)` when the values (at least two) are evenly spaced.
fn progression(values: &[u16]) -> Option<(u16, u16, u16)> {
    let [first, second, ..] = values else {
        return None;
    };
    let step = second - first;
    values
        .windows(2)
        .all(|w| w[1] - w[0] == step)
        .then(|| (*first, step, values.last().copied().unwrap_or(*second)))
}

/// Unbroken runs of ascending values, as `(first, last)`.
fn runs(values: &[u16]) -> Vec<(u16, u16)> {
    let mut runs: Vec<(u16, u16)> = Vec::new();
    for &v in values {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == v => *last = v,
            _ => runs.push((v, v)),
        }
    }
    runs
}

/// Numbers with runs of three or more as `a-b`: "0-5, 12 and 18-23".
fn number_list(values: &[u16]) -> String {
    let items: Vec<String> = runs(values)
        .into_iter()
        .flat_map(|(a, b)| match b - a {
            0 => vec![a.to_string()],
            1 => vec![a.to_string(), b.to_string()],
            _ => vec![format!("{a}-{b}")],
        })
        .collect();
    join_and(&items)
}

/// Days of the month as ordinals: "1st and 15th", "1st through 7th".
fn ordinal_list(days: &[u16]) -> String {
    let items: Vec<String> = runs(days)
        .into_iter()
        .flat_map(|(a, b)| match b - a {
            0 => vec![ordinal(a)],
            1 => vec![ordinal(a), ordinal(b)],
            _ => vec![format!("{} through {}", ordinal(a), ordinal(b))],
        })
        .collect();
    join_and(&items)
}

/// "every 2nd day of the month starting on the 1st" for evenly spaced days with gaps.
fn day_progression(days: &[u16]) -> Option<String> {
    match progression(days) {
        Some((first, step, _)) if step > 1 && days.len() >= 4 => Some(format!(
            "every {} day of the month starting on the {}",
            ordinal(step),
            ordinal(first)
        )),
        _ => None,
    }
}

/// 1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, …, 21st, …
fn ordinal(n: u16) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Runs of weekdays (0 = Sunday) in week order from Monday, a run through the weekend kept
/// whole: "Monday through Friday", "Saturday and Sunday", "Friday through Monday".
fn weekday_runs(days: &[u16]) -> Vec<Vec<&'static str>> {
    let has = |d: u16| days.contains(&(d % 7));
    // Start on Monday, or earlier when a run reaches Monday from the weekend.
    let mut start: u16 = 1;
    if has(1) && days.len() < 7 {
        while has(start + 6) {
            start = (start + 6) % 7;
        }
    }
    let mut runs: Vec<Vec<&'static str>> = Vec::new();
    let mut open = false;
    for offset in 0..7 {
        let d = (start + offset) % 7;
        if has(d) {
            let name = WEEKDAYS[usize::from(d)];
            match runs.last_mut() {
                Some(run) if open => run.push(name),
                _ => runs.push(vec![name]),
            }
            open = true;
        } else {
            open = false;
        }
    }
    runs
}

/// Weekdays joined with "and": "Monday through Friday", "Monday and Thursday".
fn weekday_list(days: &[u16]) -> String {
    let items: Vec<String> = weekday_runs(days)
        .into_iter()
        .flat_map(|run| match run[..] {
            [first, _, _, ..] => vec![format!(
                "{first} through {}",
                run.last().copied().unwrap_or(first)
            )],
            _ => run.iter().map(|d| (*d).to_owned()).collect(),
        })
        .collect();
    join_and(&items)
}

/// Weekdays joined with "or": "Monday or Friday".
fn weekday_list_or(days: &[u16]) -> String {
    let items: Vec<String> = weekday_runs(days)
        .into_iter()
        .flat_map(|run| match run[..] {
            [first, _, _, ..] => vec![format!(
                "{first} through {}",
                run.last().copied().unwrap_or(first)
            )],
            _ => run.iter().map(|d| (*d).to_owned()).collect(),
        })
        .collect();
    join_with(&items, "or")
}

/// Month names, runs of three or more as "January through March".
fn month_list(months: &[u16]) -> String {
    let name = |m: u16| MONTHS[usize::from(m.saturating_sub(1)) % 12];
    let items: Vec<String> = runs(months)
        .into_iter()
        .flat_map(|(a, b)| match b - a {
            0 => vec![name(a).to_owned()],
            1 => vec![name(a).to_owned(), name(b).to_owned()],
            _ => vec![format!("{} through {}", name(a), name(b))],
        })
        .collect();
    join_and(&items)
}

/// "a", "a and b", "a, b and c".
fn join_and(items: &[String]) -> String {
    join_with(items, "and")
}

/// "a", "a or b", "a, b or c".
fn join_with(items: &[String], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} {conjunction} {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn cron(text: &str) -> Schedule {
        Schedule::parse(text, 60).unwrap()
    }

    fn next(text: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        cron(text).next_after(now, 3600).unwrap()
    }

    fn describe(text: &str) -> String {
        cron(text).describe(3600)
    }

    fn error(text: &str, min: i64) -> ScheduleError {
        Schedule::parse(text, min).unwrap_err()
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
        assert_eq!(
            next("0 0 31 * *", at(2026, 4, 15, 0, 0, 0)),
            at(2026, 5, 31, 0, 0, 0)
        );
        assert_eq!(
            next("0 0 1 * *", at(2026, 1, 31, 23, 59, 30)),
            at(2026, 2, 1, 0, 0, 0)
        );
        assert_eq!(
            next("0 0 30 * *", at(2026, 1, 31, 0, 0, 0)),
            at(2026, 3, 30, 0, 0, 0)
        );
        assert_eq!(
            next("0 12 29 2 *", at(2026, 3, 1, 0, 0, 0)),
            at(2028, 2, 29, 12, 0, 0)
        );
        assert_eq!(
            next("0 12 29 2 *", at(2028, 2, 29, 12, 0, 0)),
            at(2032, 2, 29, 12, 0, 0)
        );
    }

    #[test]
    fn next_after_cron_year_end() {
        assert_eq!(
            next("0 0 1 1 *", at(2026, 12, 31, 23, 59, 59)),
            at(2027, 1, 1, 0, 0, 0)
        );
        assert_eq!(
            next("59 23 31 12 *", at(2026, 12, 31, 23, 59, 0)),
            at(2027, 12, 31, 23, 59, 0)
        );
        assert_eq!(
            next("*/15 * * * *", at(2026, 12, 31, 23, 50, 0)),
            at(2027, 1, 1, 0, 0, 0)
        );
    }

    #[test]
    fn next_after_cron_is_strictly_after_and_on_whole_minutes() {
        // 2026-03-02 is a Monday.
        let text = "30 2 * * 1-5";
        assert_eq!(
            next(text, at(2026, 3, 2, 2, 30, 0)),
            at(2026, 3, 3, 2, 30, 0)
        );
        assert_eq!(
            next(text, at(2026, 3, 2, 2, 29, 59)),
            at(2026, 3, 2, 2, 30, 0)
        );
        assert_eq!(
            next(text, at(2026, 3, 2, 2, 30, 1)),
            at(2026, 3, 3, 2, 30, 0)
        );
        // Friday to Monday.
        assert_eq!(
            next(text, at(2026, 3, 6, 2, 30, 0)),
            at(2026, 3, 9, 2, 30, 0)
        );
        let just_before = at(2026, 3, 2, 2, 29, 59) + TimeDelta::milliseconds(999);
        assert_eq!(next(text, just_before), at(2026, 3, 2, 2, 30, 0));
        let just_after = at(2026, 3, 2, 2, 30, 0) + TimeDelta::milliseconds(1);
        let found = next(text, just_after);
        assert_eq!(found, at(2026, 3, 3, 2, 30, 0));
        assert_eq!(found.nanosecond(), 0);
        // Every minute: the next whole minute.
        let now = at(2026, 3, 2, 10, 0, 0) + TimeDelta::milliseconds(500);
        assert_eq!(next("* * * * *", now), at(2026, 3, 2, 10, 1, 0));
        assert_eq!(
            next("* * * * *", at(2026, 3, 2, 10, 0, 0)),
            at(2026, 3, 2, 10, 1, 0)
        );
        assert_eq!(
            next("* * * * *", at(2026, 3, 2, 10, 0, 59)),
            at(2026, 3, 2, 10, 1, 0)
        );
    }

    #[test]
    fn next_after_cron_day_rules() {
        // Either day field: the 13th or a Friday; 2026-02-06 is a Friday.
        assert_eq!(
            next("0 0 13 * 5", at(2026, 2, 1, 0, 0, 0)),
            at(2026, 2, 6, 0, 0, 0)
        );
        assert_eq!(
            next("0 0 13 * 5", at(2026, 2, 10, 0, 0, 0)),
            at(2026, 2, 13, 0, 0, 0)
        );
        // Both (Vixie's `*` rule): odd days that are Mondays; 2026-01-05 is a Monday.
        assert_eq!(
            next("0 0 */2 * 1", at(2026, 1, 1, 0, 0, 0)),
            at(2026, 1, 5, 0, 0, 0)
        );
        assert_eq!(
            next("0 0 */2 * 1", at(2026, 1, 5, 0, 0, 0)),
            at(2026, 1, 19, 0, 0, 0)
        );
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

    #[test]
    fn describe_required_cases() {
        for (text, reading) in [
            ("30 2 * * 1-5", "At 02:30 on Monday through Friday (UTC)"),
            ("0 * * * *", "Every hour at :00 (UTC)"),
            ("*/15 * * * *", "Every 15 minutes (UTC)"),
            ("0 0 1 * *", "At 00:00 on the 1st of the month (UTC)"),
            ("0 3 * * 0", "At 03:00 on Sunday (UTC)"),
            (
                "15 14 1,15 * *",
                "At 14:15 on the 1st and 15th of the month (UTC)",
            ),
        ] {
            assert_eq!(describe(text), reading, "{text}");
        }
    }

    #[test]
    fn describe_other_cron() {
        for (text, reading) in [
            ("* * * * *", "Every minute"),
            ("* * * 1 *", "Every minute every day in January (UTC)"),
            ("0 0 * * *", "At 00:00 (UTC)"),
            ("0 0,12 * * *", "At 00:00 and 12:00 (UTC)"),
            ("0 */6 * * *", "At 00:00, 06:00, 12:00 and 18:00 (UTC)"),
            ("0 */2 * * *", "Every 2 hours from 00:00 to 22:00 (UTC)"),
            ("30 9-17 * * *", "Every hour from 09:30 to 17:30 (UTC)"),
            (
                "30 1,2,5,7,8 * * *",
                "At :30 during hours 1, 2, 5, 7 and 8 (UTC)",
            ),
            (
                "*/15 9-17 * * 1-5",
                "Every 15 minutes from 09:00 to 17:45 on Monday through Friday (UTC)",
            ),
            ("5/15 * * * *", "Every 15 minutes starting at :05 (UTC)"),
            ("0,30 * * * *", "Every 30 minutes (UTC)"),
            ("5,10,40 * * * *", "Every hour at :05, :10 and :40 (UTC)"),
            (
                "*/7 * * * *",
                "Every hour at :00, :07, :14, :21, :28, :35, :42, :49 and :56 (UTC)",
            ),
            (
                "0-29 * * * *",
                "Every minute from :00 to :29 of every hour (UTC)",
            ),
            ("* 9 * * *", "Every minute from 09:00 to 09:59 (UTC)"),
            (
                "*/10 0-5,18-23 * * *",
                "Every 10 minutes during hours 0-5 and 18-23 (UTC)",
            ),
            ("0 0 * * 5-7", "At 00:00 on Friday through Sunday (UTC)"),
            ("0 0 * * sat,sun", "At 00:00 on Saturday and Sunday (UTC)"),
            ("0 0 * * 0-2", "At 00:00 on Sunday through Tuesday (UTC)"),
            (
                "0 0 * * 1,3,5",
                "At 00:00 on Monday, Wednesday and Friday (UTC)",
            ),
            ("0 0 * * 1-7", "At 00:00 (UTC)"),
            (
                "0 0 13 * 5",
                "At 00:00 on the 13th of the month or on Friday (UTC)",
            ),
            (
                "0 0 */2 * 1",
                "At 00:00 on every 2nd day of the month starting on the 1st if it is a Monday (UTC)",
            ),
            (
                "0 0 1-7 * */1",
                "At 00:00 on the 1st through 7th of the month (UTC)",
            ),
            (
                "0 0 1 */3 *",
                "At 00:00 on the 1st of January, April, July and October (UTC)",
            ),
            ("0 12 29 2 *", "At 12:00 on the 29th of February (UTC)"),
            (
                "0 0 21,22,23 * *",
                "At 00:00 on the 21st through 23rd of the month (UTC)",
            ),
            (
                "0 0 * jun-aug mon",
                "At 00:00 on Monday in June through August (UTC)",
            ),
            ("@weekly", "At 00:00 on Sunday (UTC)"),
        ] {
            assert_eq!(describe(text), reading, "{text}");
        }
    }

    #[test]
    fn describe_interval_and_manual() {
        for (secs, reading) in [
            (3600, "Every hour"),
            (900, "Every 15 minutes"),
            (90, "Every 90 seconds"),
            (60, "Every minute"),
            (1, "Every second"),
            (7200, "Every 2 hours"),
            (5400, "Every 90 minutes"),
            (86_400, "Every day"),
            (172_800, "Every 2 days"),
        ] {
            assert_eq!(Schedule::Interval.describe(secs), reading);
        }
        assert_eq!(
            Schedule::Manual.describe(3600),
            "Only when started by hand, a webhook or a push"
        );
    }
}
