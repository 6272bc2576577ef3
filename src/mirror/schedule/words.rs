//! Schedules written out in English for the settings page: "At 02:30 on Monday through
//! Friday (UTC)", "Every 15 minutes".

use super::{
    SECS_PER_DAY,
    cron::{CronSchedule, FieldValues},
};

impl CronSchedule {
    /// The English reading, ending in " (UTC)".
    pub(super) fn describe(&self) -> String {
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

/// "Every hour", "Every 15 minutes", "Every 90 seconds", …
pub(super) fn describe_interval(secs: i64) -> String {
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
    join_and(&weekday_items(days))
}

/// Weekdays joined with "or": "Monday or Friday".
fn weekday_list_or(days: &[u16]) -> String {
    join_with(&weekday_items(days), "or")
}

/// Weekday runs as items to join: three or more as "Monday through Friday".
fn weekday_items(days: &[u16]) -> Vec<String> {
    weekday_runs(days)
        .into_iter()
        .flat_map(|run| match run[..] {
            [first, _, _, ..] => vec![format!(
                "{first} through {}",
                run.last().copied().unwrap_or(first)
            )],
            _ => run.iter().map(|d| (*d).to_owned()).collect(),
        })
        .collect()
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
    use crate::mirror::schedule::{Schedule, tests::describe};

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
