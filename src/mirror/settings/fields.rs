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
