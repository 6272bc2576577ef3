//! Durations as Gitea's API carries them: Go's `time.Duration` text (`8h0m0s`, `10m`,
//! `1h30m`, `90s`), parsed as `time.ParseDuration` parses it and written as
//! `Duration.String()` writes it. Our intervals are whole seconds.

use std::fmt::Write;

use crate::error::Error;

/// Why a duration's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not Go's syntax (a number and a unit, repeated: `1h30m`).
    #[error("is not a duration such as \"8h0m0s\", \"10m\" or \"1h30m\"")]
    Syntax,
    /// A unit Go does not know.
    #[error("has an unknown unit {0:?} (use h, m, s, ms, us or ns)")]
    Unit(String),
    /// Negative.
    #[error("must not be negative")]
    Negative,
    /// Longer than Go's duration can hold (about 292 years).
    #[error("is too long")]
    TooLong,
}

/// Nanoseconds in each unit Go accepts.
fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60 * 1_000_000_000,
        "h" => 3_600 * 1_000_000_000,
        _ => return None,
    })
}

/// The whole seconds in `text` (a part of a second is dropped).
///
/// # Errors
/// The text is not Go's duration syntax, is negative, or longer than Go allows.
pub fn parse_seconds(text: &str) -> Result<u64, DurationError> {
    let text = text.trim();
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(DurationError::Syntax);
    }
    let mut nanos: u128 = 0;
    while !rest.is_empty() {
        let whole_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (whole, after) = rest.split_at(whole_end);
        let (fraction, after) = match after.strip_prefix('.') {
            Some(after) => {
                let end = after
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(after.len());
                after.split_at(end)
            }
            None => ("", after),
        };
        if whole.is_empty() && fraction.is_empty() {
            return Err(DurationError::Syntax);
        }
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        if unit.is_empty() {
            return Err(DurationError::Syntax);
        }
        let scale = unit_nanos(unit).ok_or_else(|| DurationError::Unit(unit.to_owned()))?;
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| DurationError::TooLong)?
        };
        let mut part = whole.checked_mul(scale).ok_or(DurationError::TooLong)?;
        // The fraction's digits, as far as they can change a nanosecond.
        let mut place = scale;
        for digit in fraction.bytes().take(30) {
            place /= 10;
            part += u128::from(digit - b'0') * place;
        }
        nanos = nanos.checked_add(part).ok_or(DurationError::TooLong)?;
        if nanos > i64::MAX as u128 {
            return Err(DurationError::TooLong);
        }
        rest = after;
    }
    if negative && nanos > 0 {
        return Err(DurationError::Negative);
    }
    u64::try_from(nanos / 1_000_000_000).map_err(|_| DurationError::TooLong)
}

/// `seconds` as Go's `Duration.String()` writes it: `8h0m0s`, `10m0s`, `45s`, `0s`.
#[must_use]
pub fn format_seconds(seconds: u64) -> String {
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut text = String::new();
    if hours > 0 {
        let _ = write!(text, "{hours}h");
    }
    if hours > 0 || minutes > 0 {
        let _ = write!(text, "{minutes}m");
    }
    let _ = write!(text, "{seconds}s");
    text
}

/// `seconds` of a stored interval as Go writes a duration (a negative one reads `0s`).
#[must_use]
pub fn format_interval(seconds: i64) -> String {
    format_seconds(u64::try_from(seconds).unwrap_or(0))
}

/// `text`, a Go duration, as an interval of whole seconds no shorter than `min_seconds`.
///
/// # Errors
/// 422 naming `field` when the text is not a duration or is shorter than the minimum.
pub fn parse_interval(field: &str, text: &str, min_seconds: i64) -> Result<i64, Error> {
    let seconds = parse_seconds(text).map_err(|e| Error::field(field, format!("{field} {e}")))?;
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    if seconds < min_seconds {
        return Err(Error::field(
            field,
            format!("{field} must be at least {}", format_interval(min_seconds)),
        ));
    }
    Ok(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_go_parses() {
        assert_eq!(parse_seconds("8h0m0s"), Ok(8 * 3600));
        assert_eq!(parse_seconds("10m"), Ok(600));
        assert_eq!(parse_seconds("1h30m"), Ok(5400));
        assert_eq!(parse_seconds("90s"), Ok(90));
        assert_eq!(parse_seconds("1.5h"), Ok(5400));
        assert_eq!(parse_seconds(".5m"), Ok(30));
        assert_eq!(parse_seconds("2m500ms"), Ok(120));
        assert_eq!(parse_seconds("1h1m1s1ms1us1ns"), Ok(3661));
        assert_eq!(parse_seconds("0"), Ok(0));
        assert_eq!(parse_seconds("+5m"), Ok(300));
        assert_eq!(parse_seconds("-0s"), Ok(0));
    }

    #[test]
    fn refuses_what_go_refuses() {
        for text in [
            "",
            "h",
            "10",
            "1h30",
            ".m",
            "1..5m",
            "m10",
            "ten minutes",
            "-",
            "1 h",
        ] {
            assert!(parse_seconds(text).is_err(), "{text:?}");
        }
        assert_eq!(parse_seconds("3d"), Err(DurationError::Unit("d".into())));
        assert_eq!(parse_seconds("-1h"), Err(DurationError::Negative));
        assert_eq!(parse_seconds("2562048h"), Err(DurationError::TooLong));
        assert_eq!(
            parse_seconds("99999999999999999999999999999999999999999h"),
            Err(DurationError::TooLong)
        );
    }

    #[test]
    fn writes_as_go_writes() {
        assert_eq!(format_seconds(8 * 3600), "8h0m0s");
        assert_eq!(format_seconds(600), "10m0s");
        assert_eq!(format_seconds(5400), "1h30m0s");
        assert_eq!(format_seconds(45), "45s");
        assert_eq!(format_seconds(0), "0s");
        assert_eq!(format_seconds(3601), "1h0m1s");
        for seconds in [0, 59, 60, 61, 3599, 3600, 86_400, 90_061] {
            assert_eq!(parse_seconds(&format_seconds(seconds)), Ok(seconds));
        }
    }
}
