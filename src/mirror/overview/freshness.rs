//! How long ago a mirror last succeeded, measured against its schedule: fresh, late or stale.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::mirror::schedule::Schedule;

/// Slack allowed after a sync was due before it counts as late: the scheduler ticks, syncs take time.
const SLACK_SECS: i64 = 60;

/// A mirror's freshness at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// The last success is within one period (plus a minute), or a manual mirror has succeeded.
    Fresh,
    /// One sync missed, but the last success is within three periods.
    Late,
    /// Beyond three periods, or never succeeded.
    Stale,
}

impl Freshness {
    /// The word, as the API and the page show it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fresh => "fresh",
            Self::Late => "late",
            Self::Stale => "stale",
        }
    }

    /// The freshness at `now` of a mirror on `schedule` (every `interval_secs` when it is an
    /// interval) whose last success ended at `last_success`. A manual mirror is fresh once it
    /// has succeeded; a cron mirror's period is the gap between the firings after its last success.
    #[must_use]
    pub fn of(
        schedule: &Schedule,
        interval_secs: i64,
        last_success: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Self {
        let Some(last) = last_success else {
            return Self::Stale;
        };
        if matches!(schedule, Schedule::Manual) {
            return Self::Fresh;
        }
        let Some(due) = schedule.next_after(last, interval_secs) else {
            return Self::Fresh;
        };
        let period = match schedule {
            Schedule::Cron(_) => schedule
                .next_after(due, interval_secs)
                .map_or(TimeDelta::zero(), |after| after - due),
            _ => TimeDelta::try_seconds(interval_secs).unwrap_or(TimeDelta::MAX),
        };
        let slack = TimeDelta::seconds(SLACK_SECS);
        let fresh_until = due
            .checked_add_signed(slack)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let late_until = period
            .checked_mul(2)
            .and_then(|two| fresh_until.checked_add_signed(two))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        if now <= fresh_until {
            Self::Fresh
        } else if now <= late_until {
            Self::Late
        } else {
            Self::Stale
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn interval_mirrors_age_in_three_steps() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let hourly = |ago: Duration| Freshness::of(&Schedule::Interval, 3600, Some(now - ago), now);
        assert_eq!(hourly(Duration::minutes(30)), Freshness::Fresh);
        assert_eq!(hourly(Duration::seconds(3650)), Freshness::Fresh);
        assert_eq!(hourly(Duration::minutes(90)), Freshness::Late);
        assert_eq!(hourly(Duration::minutes(179)), Freshness::Late);
        assert_eq!(hourly(Duration::hours(4)), Freshness::Stale);
        assert_eq!(
            Freshness::of(&Schedule::Interval, 3600, None, now),
            Freshness::Stale
        );
    }

    #[test]
    fn manual_and_cron_mirrors() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let manual = Schedule::Manual;
        assert_eq!(
            Freshness::of(&manual, 60, Some(now - Duration::days(30)), now),
            Freshness::Fresh
        );
        assert_eq!(Freshness::of(&manual, 60, None, now), Freshness::Stale);
        let daily = Schedule::parse("0 3 * * *", 60).unwrap();
        let at = |h: u32, d: u32| Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap();
        // Last success at 03:00 on the 1st; next firing 03:00 on the 2nd.
        assert_eq!(
            Freshness::of(&daily, 60, Some(at(3, 1)), at(12, 1)),
            Freshness::Fresh
        );
        assert_eq!(
            Freshness::of(&daily, 60, Some(at(3, 1)), at(12, 2)),
            Freshness::Late
        );
        assert_eq!(
            Freshness::of(&daily, 60, Some(at(3, 1)), at(12, 4)),
            Freshness::Stale
        );
    }
}
