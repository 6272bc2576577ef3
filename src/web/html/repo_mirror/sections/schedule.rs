//! The schedule section of the mirror settings page: the sync interval and the cron schedule,
//! with the reading that says when syncs run and which of the two rules. The reading is a
//! partial of its own (`mirror/partials/schedule_reading.html`) that htmx fetches again as the
//! fields change.

use askama::Template;
use chrono::{DateTime, Utc};

use crate::{
    config::Config,
    entities::repository,
    mirror::{
        schedule::{Schedule, ScheduleError},
        settings::check_interval,
    },
    web::html::{
        forms::IntervalChoice,
        page::{FormErrors, TimeView},
    },
};

/// What decides when scheduled syncs run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ruling {
    /// The schedule is empty: every `sync_interval` seconds.
    Interval,
    /// A cron expression.
    Cron,
    /// `manual`: never on a schedule.
    Manual,
    /// The schedule typed would be refused, so nothing can be said.
    Unknown,
}

/// When syncs run, in words, for the schedule and interval shown (stored or typed), and which
/// of the two rules. Built from `mirror::schedule`, the code the save itself uses.
#[derive(Debug, Clone)]
pub struct ScheduleReading {
    /// What rules.
    pub ruling: Ruling,
    /// The reading ("Every hour", "At 02:30 on Monday through Friday (UTC)"); empty when the
    /// schedule is refused.
    pub text: String,
    /// Why the schedule typed would be refused (the sentence the save gives).
    pub schedule_error: Option<String>,
    /// Why the interval typed would be refused (the sentence the save gives).
    pub interval_error: Option<String>,
    /// When the next sync is due (what is stored, while mirroring is on).
    pub next_sync: Option<TimeView>,
    /// Whether what is shown differs from what is stored.
    pub unsaved: bool,
    /// Whether mirroring is on.
    pub enabled: bool,
    /// Whether the interval's note goes out of band too (the fragment alone).
    pub oob: bool,
}

/// What a repository stores about its schedule, which a reading is compared with.
#[derive(Debug, Clone, Copy)]
pub struct Saved<'a> {
    /// The stored `sync_schedule`.
    pub schedule: &'a str,
    /// The stored `sync_interval`.
    pub interval: i64,
    /// Whether mirroring is on.
    pub enabled: bool,
    /// When the next sync is due.
    pub next_sync_at: Option<DateTime<Utc>>,
}

impl<'a> Saved<'a> {
    /// What `repo` stores.
    #[must_use]
    pub fn of(repo: &'a repository::Model) -> Self {
        Self {
            schedule: &repo.sync_schedule,
            interval: repo.sync_interval,
            enabled: repo.mirror_enabled,
            next_sync_at: repo.next_sync_at,
        }
    }
}

impl ScheduleReading {
    /// The reading of `schedule` (parsed, or refused) with the interval `interval` (seconds,
    /// or why they are refused), compared with what is `saved`.
    #[must_use]
    pub fn new(
        schedule: Result<Schedule, ScheduleError>,
        interval: Result<i64, String>,
        saved: Saved<'_>,
        now: DateTime<Utc>,
    ) -> Self {
        let seconds = interval.as_ref().ok().copied();
        let (ruling, text, schedule_error, stored_text) = match schedule {
            Ok(schedule) => {
                let ruling = match schedule {
                    Schedule::Interval => Ruling::Interval,
                    Schedule::Cron(_) => Ruling::Cron,
                    Schedule::Manual => Ruling::Manual,
                };
                let text = schedule.describe(seconds.unwrap_or(saved.interval));
                (ruling, text, None, Some(schedule.as_stored()))
            }
            Err(e) => (Ruling::Unknown, String::new(), Some(e.to_string()), None),
        };
        let unsaved =
            stored_text.as_deref() != Some(saved.schedule) || seconds != Some(saved.interval);
        Self {
            ruling,
            text,
            schedule_error,
            interval_error: interval.err(),
            next_sync: saved
                .next_sync_at
                .filter(|_| saved.enabled && !unsaved)
                .map(|t| TimeView::upcoming(t, now)),
            unsaved,
            enabled: saved.enabled,
            oob: false,
        }
    }

    /// The reading of a typed `interval` and `schedule`, checked as the save checks them.
    #[must_use]
    pub fn typed(
        config: &Config,
        interval: &IntervalChoice,
        schedule: &str,
        saved: Saved<'_>,
        now: DateTime<Utc>,
    ) -> Self {
        let seconds = interval.seconds();
        Self::new(
            Schedule::parse(schedule, config.min_sync_interval),
            check_interval(config, seconds).map(|()| seconds),
            saved,
            now,
        )
    }

    /// The reading of what `repo` stores (read as the scheduler reads it).
    #[must_use]
    pub fn stored(repo: &repository::Model, now: DateTime<Utc>) -> Self {
        Self::new(
            Ok(Schedule::stored(&repo.sync_schedule)),
            Ok(repo.sync_interval),
            Saved::of(repo),
            now,
        )
    }

    /// Which of the two rules, in words, after the reading.
    #[must_use]
    pub fn ruled_by(&self) -> &'static str {
        match self.ruling {
            Ruling::Interval => "set by the sync interval (the schedule is empty)",
            Ruling::Cron => "set by the schedule; the sync interval is not used",
            Ruling::Manual => "set by the schedule (manual); the sync interval is not used",
            Ruling::Unknown => "",
        }
    }

    /// Whether the schedule rules, so the interval is not in effect.
    #[must_use]
    pub fn interval_unused(&self) -> bool {
        matches!(self.ruling, Ruling::Cron | Ruling::Manual)
    }

    /// The note next to the interval: whether it is in effect.
    #[must_use]
    pub fn interval_note(&self) -> &'static str {
        match self.ruling {
            Ruling::Interval => "In use: the schedule below is empty.",
            Ruling::Cron | Ruling::Manual => "Not used: the schedule below rules.",
            Ruling::Unknown => "Used only while the schedule below is empty.",
        }
    }
}

/// The interval and schedule form, ready to be put into the page.
#[derive(Template)]
#[template(path = "mirror/partials/schedule.html")]
pub struct ScheduleSection {
    /// Owner's username.
    pub owner: String,
    /// Repository name.
    pub name: String,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The interval, stored or typed.
    pub interval: IntervalChoice,
    /// The schedule, stored or typed.
    pub schedule: String,
    /// Inline messages next to the fields.
    pub errors: FormErrors,
    /// The smallest interval the server accepts, for the custom field's hint.
    pub min_interval: i64,
    /// When syncs run, and which field rules.
    pub reading: ScheduleReading,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn saved(schedule: &str, interval: i64) -> Saved<'_> {
        Saved {
            schedule,
            interval,
            enabled: true,
            next_sync_at: Some(Utc.with_ymd_and_hms(2026, 4, 15, 10, 0, 0).unwrap()),
        }
    }

    fn stored(schedule: &str, interval: i64) -> ScheduleReading {
        ScheduleReading::new(
            Ok(Schedule::stored(schedule)),
            Ok(interval),
            saved(schedule, interval),
            Utc::now(),
        )
    }

    #[test]
    fn the_reading_says_which_field_rules() {
        let now = Utc::now();
        let interval = stored("", 3600);
        assert_eq!(interval.text, "Every hour");
        assert!(interval.ruled_by().contains("sync interval"));
        assert!(!interval.interval_unused());
        assert!(!interval.unsaved && interval.next_sync.is_some());

        let cron = stored("30 2 * * 1-5", 3600);
        assert_eq!(cron.ruling, Ruling::Cron);
        assert!(cron.interval_unused());
        assert_eq!(cron.interval_note(), "Not used: the schedule below rules.");

        let typed = ScheduleReading::new(
            Schedule::parse("0 3 * * *", 60),
            Ok(3600),
            saved("", 3600),
            now,
        );
        assert!(typed.unsaved && typed.next_sync.is_none());
        assert_eq!(typed.ruling, Ruling::Cron);

        let bad = ScheduleReading::new(
            Schedule::parse("61 * * * *", 60),
            Err("must be between 60 and 31536000 seconds".to_owned()),
            saved("", 3600),
            now,
        );
        assert_eq!(bad.ruling, Ruling::Unknown);
        assert!(bad.schedule_error.is_some() && bad.interval_error.is_some());
    }
}
