//! What several pages share: form widgets (the interval choice) and the rules of htmx
//! fragments (only for htmx, never cached).

use axum::{
    http::{HeaderMap, HeaderValue, header},
    response::Response,
};

/// The interval presets of the original design, in seconds, with their labels.
pub const INTERVAL_PRESETS: &[(i64, &str)] = &[
    (1800, "Every 30 minutes"),
    (3600, "Every hour"),
    (7200, "Every 2 hours"),
    (86_400, "Every day"),
];

/// The interval as the form shows it: a preset (`"3600"`) or `"custom"` with its seconds.
#[derive(Debug, Clone)]
pub struct IntervalChoice {
    /// The selected option: a preset's seconds, or `custom`.
    pub preset: String,
    /// The custom value as typed (or the stored one when it is no preset).
    pub custom: String,
}

impl IntervalChoice {
    /// The choice showing `seconds`.
    #[must_use]
    pub fn of(seconds: i64) -> Self {
        if INTERVAL_PRESETS.iter().any(|(s, _)| *s == seconds) {
            Self {
                preset: seconds.to_string(),
                custom: String::new(),
            }
        } else {
            Self {
                preset: "custom".to_owned(),
                custom: seconds.to_string(),
            }
        }
    }

    /// The seconds chosen. Anything that is not a whole number becomes a value no range
    /// accepts, so the one validation path reports it next to the field with the allowed range.
    #[must_use]
    pub fn seconds(&self) -> i64 {
        let text = if self.preset == "custom" {
            self.custom.trim()
        } else {
            self.preset.trim()
        };
        text.parse().unwrap_or(i64::MIN)
    }

    /// Whether `option` (a preset's seconds, or `custom`) is the selected one.
    #[must_use]
    pub fn is(&self, option: &str) -> bool {
        self.preset == option
    }

    /// The `<select>` options: value and label.
    #[must_use]
    pub fn options(&self) -> Vec<(String, &'static str)> {
        INTERVAL_PRESETS
            .iter()
            .map(|(s, label)| (s.to_string(), *label))
            .chain(std::iter::once((
                "custom".to_owned(),
                "Custom (seconds below)",
            )))
            .collect()
    }
}

/// Whether htmx sent the request (a fragment route answers only those).
#[must_use]
pub fn from_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// A fragment shows live state: it must never come from a cache.
pub fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_map_to_presets_or_custom() {
        let hour = IntervalChoice::of(3600);
        assert!(hour.is("3600"));
        assert_eq!(hour.seconds(), 3600);
        let odd = IntervalChoice::of(900);
        assert!(odd.is("custom"));
        assert_eq!(odd.custom, "900");
        assert_eq!(odd.seconds(), 900);
        let typo = IntervalChoice {
            preset: "custom".into(),
            custom: "ten".into(),
        };
        assert_eq!(typo.seconds(), i64::MIN);
        assert_eq!(hour.options().len(), INTERVAL_PRESETS.len() + 1);
    }
}
