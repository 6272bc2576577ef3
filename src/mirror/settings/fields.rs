//! The rules for one settings field at a time, shared with the import form.

use crate::config::Config;

/// `sync_interval` of a new repository: one hour.
pub const DEFAULT_SYNC_INTERVAL: i64 = 3600;
/// Largest `sync_interval` accepted: one year.
pub const MAX_SYNC_INTERVAL: i64 = 31_536_000;
/// Longest username accepted.
pub const MAX_USERNAME_LEN: usize = 255;
/// Longest password accepted.
pub const MAX_PASSWORD_LEN: usize = 4096;

/// Checks a sync interval against the configured minimum and one year.
///
/// # Errors
/// The message for the `sync_interval` field.
pub fn check_interval(config: &Config, seconds: i64) -> Result<(), String> {
    if (config.min_sync_interval..=MAX_SYNC_INTERVAL).contains(&seconds) {
        Ok(())
    } else {
        Err(format!(
            "must be between {} and {MAX_SYNC_INTERVAL} seconds",
            config.min_sync_interval
        ))
    }
}

/// Checks the length of a remote username.
///
/// # Errors
/// The message for the username field.
pub fn check_username(username: &str) -> Result<(), String> {
    if username.chars().count() > MAX_USERNAME_LEN {
        Err(format!("must be at most {MAX_USERNAME_LEN} characters"))
    } else {
        Ok(())
    }
}

/// Checks the length of a remote password.
///
/// # Errors
/// The message for the password field.
pub fn check_password(password: &str) -> Result<(), String> {
    if password.len() > MAX_PASSWORD_LEN {
        Err(format!("must be at most {MAX_PASSWORD_LEN} bytes"))
    } else {
        Ok(())
    }
}

// Shallow mirrors: how much history a pull fetches.

/// Largest `upstream_depth` accepted.
pub const MAX_UPSTREAM_DEPTH: i64 = 100_000;

/// Why a shallow repository and a push mirror cannot go together (the 422 of either side).
pub const SHALLOW_CANNOT_PUSH: &str = "a shallow mirror cannot be pushed";

/// Checks a history depth: `0` (the full history) or 1 to [`MAX_UPSTREAM_DEPTH`] commits.
///
/// # Errors
/// The message for the depth field.
pub fn check_depth(depth: i64) -> Result<i32, String> {
    if (0..=MAX_UPSTREAM_DEPTH).contains(&depth) {
        i32::try_from(depth).map_err(|_| depth_range())
    } else {
        Err(depth_range())
    }
}

/// The range of a depth, in words.
fn depth_range() -> String {
    format!("must be 0 (the full history) or between 1 and {MAX_UPSTREAM_DEPTH} commits")
}
