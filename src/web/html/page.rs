//! What every page shares: the layout's data (who is logged in, the CSRF token, a one-time
//! notice, and the redirect that leaves one), inline form errors, and times shown as
//! "3 hours ago".

use axum::{
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tower_sessions::{Expiry, Session};

use crate::{
    auth::{VISITOR_SESSION_LIFETIME, csrf},
    config::Registration,
    entities::user,
    error::{Error, FieldErrors},
    state::AppState,
};

/// Session key of the notice shown once on the next page (after a redirect).
const FLASH_KEY: &str = "flash";

/// What `base.html` needs; every page's template struct embeds it as `layout`.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Name of the logged-in user; `None` for visitors.
    pub username: Option<String>,
    /// The session's CSRF token, for the logout button and every form on the page; empty on
    /// a visitor's page without a form.
    pub csrf_token: String,
    /// Whether to offer the register link (`MIRRORFORGE_REGISTRATION=open`).
    pub registration_open: bool,
    /// A one-line notice left by the previous request ("Repository deleted."), shown once.
    pub flash: Option<String>,
}

impl Layout {
    /// Builds the layout of a page without a form of its own for `viewer`, taking the
    /// session's pending notice. Only a logged-in viewer gets a CSRF token (for the logout
    /// button): a visitor's page view stores no session and sets no cookie.
    ///
    /// # Errors
    /// The session store failed.
    pub async fn new(
        state: &AppState,
        session: &Session,
        viewer: Option<&user::Model>,
    ) -> Result<Self, Error> {
        Self::build(state, session, viewer, viewer.is_some()).await
    }

    /// Builds the layout of a page with a form (log in, register), which needs a CSRF token
    /// and so a session, for visitors too.
    ///
    /// # Errors
    /// The session store failed.
    pub async fn with_form(
        state: &AppState,
        session: &Session,
        viewer: Option<&user::Model>,
    ) -> Result<Self, Error> {
        Self::build(state, session, viewer, true).await
    }

    async fn build(
        state: &AppState,
        session: &Session,
        viewer: Option<&user::Model>,
        needs_token: bool,
    ) -> Result<Self, Error> {
        let csrf_token = if needs_token {
            csrf::token_for(session).await?
        } else {
            String::new()
        };
        if viewer.is_none() {
            // A visitor's session (if any) keeps a visitor's lifetime on every page it sees.
            session.set_expiry(Some(Expiry::OnInactivity(VISITOR_SESSION_LIFETIME)));
        }
        // Taken out only when there is one: a removal marks the session changed, and a
        // changed session is written back.
        let flash = match session
            .get::<String>(FLASH_KEY)
            .await
            .map_err(Error::internal)?
        {
            Some(_) => session
                .remove::<String>(FLASH_KEY)
                .await
                .map_err(Error::internal)?,
            None => None,
        };
        Ok(Self {
            username: viewer.map(|u| u.username.clone()),
            csrf_token,
            registration_open: state.config.registration == Registration::Open,
            flash,
        })
    }
}

/// Leaves a notice for the next page this session sees.
///
/// # Errors
/// The session store failed.
pub async fn set_flash(session: &Session, message: impl Into<String>) -> Result<(), Error> {
    session
        .insert(FLASH_KEY, message.into())
        .await
        .map_err(Error::internal)
}

/// Leaves `message` for the next page this session sees and sends the browser to `to` (a path
/// on this server, with an `#anchor` when the notice is about one part of the page).
///
/// # Errors
/// The session store failed.
pub async fn flash_redirect(
    session: &Session,
    message: impl Into<String>,
    to: &str,
) -> Result<Response, Error> {
    set_flash(session, message).await?;
    Ok(Redirect::to(to).into_response())
}

/// The body of a form whose only field is the CSRF token (log out, revoke).
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {}

/// Messages shown inline next to the fields of a form that was sent back.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    /// Field name → message.
    fields: FieldErrors,
    /// A message about the form as a whole (shown above it).
    pub form: Option<String>,
}

impl FormErrors {
    /// An error about the whole form, not one field.
    #[must_use]
    pub fn whole_form(message: impl Into<String>) -> Self {
        Self {
            fields: FieldErrors::new(),
            form: Some(message.into()),
        }
    }

    /// An error on one field.
    #[must_use]
    pub fn on(field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), message.into());
        Self { fields, form: None }
    }

    /// Whether any field has a message.
    #[must_use]
    pub fn has_field_errors(&self) -> bool {
        !self.fields.is_empty()
    }

    /// The message for `field`, or `""` when it is fine.
    #[must_use]
    pub fn of(&self, field: &str) -> &str {
        self.fields.get(field).map_or("", String::as_str)
    }

    /// Turns a service error into inline messages and the status to answer with:
    /// a validation failure puts each message next to its field (422), a conflict goes on
    /// `conflict_field` (409). Messages for fields the form does not show (not in `shown`) go
    /// above the form so none is lost. Any other error is handed back for an error page.
    ///
    /// # Errors
    /// `err` itself when it is neither a validation failure nor a conflict.
    pub fn from_service(
        err: Error,
        shown: &[&str],
        conflict_field: &str,
    ) -> Result<(StatusCode, Self), Error> {
        match err {
            Error::Validation(fields) => {
                let mut errors = Self::default();
                let mut others = Vec::new();
                for (field, message) in fields {
                    if shown.contains(&field.as_str()) {
                        errors.fields.insert(field, message);
                    } else {
                        others.push(message);
                    }
                }
                if !others.is_empty() {
                    errors.form = Some(others.join("; "));
                }
                Ok((StatusCode::UNPROCESSABLE_ENTITY, errors))
            }
            Error::Conflict(message) => {
                Ok((StatusCode::CONFLICT, Self::on(conflict_field, message)))
            }
            other => Err(other),
        }
    }
}

/// A point in time as pages show it: relative text, with the exact time for tooltips and machines.
#[derive(Debug, Clone)]
pub struct TimeView {
    /// RFC 3339, for the `datetime` attribute.
    pub iso: String,
    /// The exact time in UTC, for the `title` tooltip.
    pub exact: String,
    /// "5 minutes ago".
    pub relative: String,
}

impl TimeView {
    /// `then` as seen at `now`.
    #[must_use]
    pub fn new(then: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self {
            iso: then.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            exact: then.format("%Y-%m-%d %H:%M UTC").to_string(),
            relative: relative_time(then, now),
        }
    }
}

impl TimeView {
    /// A time expected ahead (the next sync) as seen at `now`: "in 5 minutes", "due now".
    #[must_use]
    pub fn upcoming(then: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self {
            relative: relative_until(then, now),
            ..Self::new(then, now)
        }
    }
}

/// "in 5 minutes", "in 2 hours", "in 3 days"; a time already past reads "due now".
#[must_use]
pub fn relative_until(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (then - now).num_seconds();
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("in 1 {unit}")
        } else {
            format!("in {n} {unit}s")
        }
    };
    if seconds <= 0 {
        return "due now".to_owned();
    }
    if seconds < 60 {
        return plural(seconds, "second");
    }
    let minutes = (seconds + 30) / 60;
    if minutes < 60 {
        return plural(minutes, "minute");
    }
    let hours = (seconds + 1800) / 3600;
    if hours < 48 {
        return plural(hours, "hour");
    }
    plural((seconds + 43_200) / 86_400, "day")
}

/// "just now", "5 minutes ago", "yesterday", "3 months ago"…; a time in the future (a commit
/// from a skewed clock) shows as its date.
#[must_use]
pub fn relative_time(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - then).num_seconds();
    if seconds < -60 {
        return then.format("on %Y-%m-%d").to_string();
    }
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit} ago")
        } else {
            format!("{n} {unit}s ago")
        }
    };
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    match seconds {
        s if s < 45 => "just now".to_owned(),
        s if s < 90 => "1 minute ago".to_owned(),
        s if s < HOUR => plural((s + MINUTE / 2) / MINUTE, "minute"),
        s if s < DAY => plural(s / HOUR, "hour"),
        s if s < 2 * DAY => "yesterday".to_owned(),
        s if s < 30 * DAY => plural(s / DAY, "day"),
        s if s < 365 * DAY => plural(s / (30 * DAY), "month"),
        s => plural(s / (365 * DAY), "year"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let ago = |d: Duration| relative_time(now - d, now);
        assert_eq!(ago(Duration::seconds(3)), "just now");
        assert_eq!(ago(Duration::seconds(-30)), "just now");
        assert_eq!(ago(Duration::seconds(70)), "1 minute ago");
        assert_eq!(ago(Duration::minutes(5)), "5 minutes ago");
        assert_eq!(ago(Duration::hours(1)), "1 hour ago");
        assert_eq!(ago(Duration::hours(23)), "23 hours ago");
        assert_eq!(ago(Duration::hours(30)), "yesterday");
        assert_eq!(ago(Duration::days(6)), "6 days ago");
        assert_eq!(ago(Duration::days(65)), "2 months ago");
        assert_eq!(ago(Duration::days(800)), "2 years ago");
        assert_eq!(ago(Duration::days(-3)), "on 2026-11-28");
        let until = |d: Duration| relative_until(now + d, now);
        assert_eq!(until(Duration::seconds(-5)), "due now");
        assert_eq!(until(Duration::seconds(1)), "in 1 second");
        assert_eq!(until(Duration::seconds(40)), "in 40 seconds");
        assert_eq!(until(Duration::minutes(59)), "in 59 minutes");
        assert_eq!(until(Duration::seconds(3599)), "in 1 hour");
        assert_eq!(until(Duration::hours(1)), "in 1 hour");
        assert_eq!(until(Duration::hours(30)), "in 30 hours");
        assert_eq!(until(Duration::days(3)), "in 3 days");
    }

    #[test]
    fn service_errors_land_next_to_their_fields() {
        let mut fields = FieldErrors::new();
        fields.insert("name".into(), "name is required".into());
        fields.insert("secret".into(), "not on this form".into());
        let (status, errors) =
            FormErrors::from_service(Error::Validation(fields), &["name"], "name").unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(errors.of("name"), "name is required");
        assert_eq!(errors.of("description"), "");
        assert_eq!(errors.form.as_deref(), Some("not on this form"));

        let (status, errors) =
            FormErrors::from_service(Error::Conflict("taken".into()), &["name"], "name").unwrap();
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(errors.of("name"), "taken");

        assert!(FormErrors::from_service(Error::NotFound("x"), &[], "name").is_err());
    }
}
