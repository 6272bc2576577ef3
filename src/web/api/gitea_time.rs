//! Times in Gitea's shapes as Gitea's own clients parse them: RFC 3339 to the second with a
//! numeric offset (`2026-12-07T12:14:48+00:00`). Hand-written clients (py-gitea) cut the
//! offset at a fixed place and fail on fractions of a second or on `Z`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// `time` to the second, `+00:00`.
fn text(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Serialises a time as [`text`] writes it.
///
/// # Errors
/// The serializer's own.
pub fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&text(time))
}

/// An optional time, `null` when absent.
pub mod option {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    /// Serialises `Some` as [`super::serialize`] does, `None` as `null`.
    ///
    /// # Errors
    /// The serializer's own.
    pub fn serialize<S: Serializer>(
        time: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => super::serialize(time, serializer),
            None => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn seconds_and_a_numeric_offset() {
        let time = Utc.with_ymd_and_hms(2026, 12, 7, 12, 14, 48).unwrap()
            + chrono::Duration::nanoseconds(520_520_000);
        assert_eq!(text(&time), "2026-12-07T12:14:48+00:00");
    }
}
