//! The values of the configuration read from text: numbers, switches and URLs checked, each
//! error naming the variable.

use super::ConfigError;

/// Eight `git` processes per core, at least eight.
pub(super) fn default_git_processes() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .saturating_mul(8)
        .max(8)
}

/// The error for `name` set to `value`, with why it is refused.
pub(super) fn invalid(name: &'static str, value: &str, reason: impl ToString) -> ConfigError {
    ConfigError::Invalid {
        name,
        value: value.to_owned(),
        reason: reason.to_string(),
    }
}

/// `raw` as an error message may repeat it: hidden when it holds a password (messages go to
/// logs).
fn shown<'a>(raw: &'a str, url: &url::Url) -> &'a str {
    if url.password().is_some() {
        "(hidden)"
    } else {
        raw
    }
}

/// Checks `MIRRORFORGE_SMTP_URL`: `smtp://` or `smtps://` with a host; a value with a password
/// is not repeated in the message.
pub(super) fn smtp_url(raw: &str) -> Result<String, ConfigError> {
    const NAME: &str = "MIRRORFORGE_SMTP_URL";
    let url = url::Url::parse(raw.trim()).map_err(|e| invalid(NAME, "(hidden)", e))?;
    let reason = if !matches!(url.scheme(), "smtp" | "smtps") {
        Some("must start with smtp:// or smtps://")
    } else if url.host_str().is_none_or(str::is_empty) {
        Some("must name a host")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(invalid(NAME, shown(raw, &url), reason)),
        None => Ok(raw.trim().to_owned()),
    }
}

/// Checks `MIRRORFORGE_PUBLIC_URL`: an absolute http(s) URL with a host and without
/// credentials, query or fragment; returned without its trailing slash.
pub(super) fn public_url(raw: &str) -> Result<String, ConfigError> {
    const NAME: &str = "MIRRORFORGE_PUBLIC_URL";
    let url = url::Url::parse(raw.trim()).map_err(|e| invalid(NAME, raw, e))?;
    let reason = if !matches!(url.scheme(), "http" | "https") {
        Some("must start with http:// or https://")
    } else if url.host_str().is_none_or(str::is_empty) {
        Some("must name a host")
    } else if !url.username().is_empty() || url.password().is_some() {
        Some("must not contain credentials")
    } else if url.query().is_some() || url.fragment().is_some() {
        Some("must not have a query or fragment")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(invalid(NAME, shown(raw, &url), reason)),
        None => Ok(url.as_str().trim_end_matches('/').to_owned()),
    }
}

/// A switch: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off` (empty: off).
pub(super) fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(invalid(name, value, "must be true or false")),
    }
}

/// A number from the environment, else from the file, else `default`.
pub(super) fn parse_num<T: std::str::FromStr>(
    name: &'static str,
    from_env: Option<String>,
    from_file: Option<T>,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match from_env.filter(|v| !v.is_empty()) {
        Some(v) => v.trim().parse().map_err(|e| invalid(name, &v, e)),
        None => Ok(from_file.unwrap_or(default)),
    }
}
