//! The domain error shared by services, and its two web faces: JSON under `/api`, an HTML page elsewhere.

use std::collections::BTreeMap;

use axum::{
    Json,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use serde::Serialize;

/// Field name → message, for validation failures.
pub type FieldErrors = BTreeMap<String, String>;

/// What can go wrong in a service, independent of HTTP.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request body could not be parsed.
    #[error("{0}")]
    BadRequest(String),
    /// No or invalid credentials.
    #[error("authentication required")]
    Unauthorized,
    /// A token in the URL's query string: refused, since URLs end up in logs and histories.
    #[error(
        "a token in the URL is refused, since URLs are logged and kept in histories: send it in the Authorization header (`Authorization: token <token>`)"
    )]
    TokenInQuery,
    /// A webhook call whose signature does not verify against the repository's secret.
    #[error("signature does not match")]
    BadSignature,
    /// Authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// The thing does not exist (or the caller may not know it does).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A conflicting state: a taken name, a sync already running.
    #[error("{0}")]
    Conflict(String),
    /// Input failed validation; each bad field is named.
    #[error("validation failed")]
    Validation(FieldErrors),
    /// Too many wrong passwords for this account from this address: wait, then try again.
    #[error("too many failed login attempts; try again in {}", in_words(*retry_after_secs))]
    TooManyRequests {
        /// Seconds until an attempt will be considered again (the `Retry-After` header).
        retry_after_secs: u64,
    },
    /// The request body is larger than this route takes.
    #[error("{0}")]
    TooLarge(String),
    /// A remote (an upstream or a push mirror) could not be read; the message names it
    /// without credentials.
    #[error("{0}")]
    Remote(String),
    /// The repository was renamed or moved: where it answers now (the request's path with its
    /// new `OWNER/NAME`; only `OWNER/NAME` until the path is known).
    #[error("moved to {0}")]
    Moved(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// Anything else unexpected: logged with its chain of causes, never shown.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl Error {
    /// A validation error naming one field.
    #[must_use]
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), message.into());
        Self::Validation(fields)
    }

    /// An unexpected failure, with its cause (and the cause's own causes) kept for the log.
    pub fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(anyhow::Error::new(cause))
    }

    /// An unexpected failure described in words, for the log.
    pub fn internal_msg(message: impl Into<String>) -> Self {
        Self::Internal(anyhow::Error::msg(message.into()))
    }

    /// The HTTP status this error maps to.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::TokenInQuery | Self::BadSignature => {
                StatusCode::UNAUTHORIZED
            }
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Remote(_) => StatusCode::BAD_GATEWAY,
            Self::Moved(_) => StatusCode::MOVED_PERMANENTLY,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The contract's snake_case error code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized | Self::TokenInQuery => "unauthorized",
            Self::BadSignature => "bad_signature",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::Validation(_) => "validation_failed",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::TooLarge(_) => "payload_too_large",
            Self::Remote(_) => "remote_error",
            Self::Moved(_) => "moved",
            Self::Database(_) | Self::Internal(_) => "internal_error",
        }
    }

    /// The message shown to users; internal details stay in the log.
    #[must_use]
    pub fn public_message(&self) -> String {
        match self {
            Self::Database(_) | Self::Internal(_) => "internal server error".to_owned(),
            Self::Validation(fields) => {
                let names: Vec<&str> = fields.keys().map(String::as_str).collect();
                format!("validation failed: {}", names.join(", "))
            }
            other => other.to_string(),
        }
    }

    /// Seconds the client should wait before asking again, for a `Retry-After` header.
    #[must_use]
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    fn log_if_internal(&self) {
        if self.status().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
    }
}

/// "1 second", "45 seconds", "5 minutes" (rounded up): how long to wait, for messages.
#[must_use]
pub fn in_words(secs: u64) -> String {
    match secs {
        1 => "1 second".to_owned(),
        s if s < 60 => format!("{s} seconds"),
        s => match s.div_ceil(60) {
            1 => "1 minute".to_owned(),
            m => format!("{m} minutes"),
        },
    }
}

/// Adds `Retry-After` to an answer for an error that has one.
fn with_retry_after(err: &Error, mut response: Response) -> Response {
    if let Some(secs) = err.retry_after() {
        response.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(secs),
        );
    }
    response
}

/// Shorthand for service results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The contract's error body, also the one error schema of the OpenAPI document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A human message.
    #[schema(example = "repository not found")]
    pub error: String,
    /// The snake_case code: `bad_request`, `unauthorized`, `bad_signature`, `forbidden`,
    /// `not_found`, `conflict`, `validation_failed`, `too_many_requests`, `payload_too_large`,
    /// `remote_error` or `internal_error`.
    #[schema(value_type = String, example = "not_found")]
    pub code: &'static str,
    /// Field → message, only on validation errors (422).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(inline)]
    pub fields: Option<FieldErrors>,
}

/// An error answered as the contract's JSON.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl<E: Into<Error>> From<E> for ApiError {
    fn from(err: E) -> Self {
        Self(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let err = self.0;
        err.log_if_internal();
        let mut response = (
            err.status(),
            Json(ErrorBody {
                error: err.public_message(),
                code: err.code(),
                fields: match &err {
                    Error::Validation(fields) => Some(fields.clone()),
                    _ => None,
                },
            }),
        )
            .into_response();
        with_location(&err, &mut response);
        if matches!(err, Error::Unauthorized) {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"mirrorforge\""),
            );
        }
        with_retry_after(&err, response)
    }
}

/// An error answered as a small HTML page.
#[derive(Debug)]
pub struct PageError(pub Error);

impl<E: Into<Error>> From<E> for PageError {
    fn from(err: E) -> Self {
        Self(err.into())
    }
}

/// What an error page said, left on its response so the page layer
/// (`web::html::error_page`) can show it again inside the site's header and navigation.
#[derive(Debug, Clone)]
pub struct ErrorPageText {
    /// The sentence shown, unescaped.
    pub message: String,
}

/// A moved repository's answer says where it is now.
fn with_location(err: &Error, response: &mut Response) {
    if let Error::Moved(location) = err
        && let Ok(value) = axum::http::HeaderValue::from_str(location)
    {
        response
            .headers_mut()
            .insert(axum::http::header::LOCATION, value);
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let err = self.0;
        err.log_if_internal();
        let status = err.status();
        let text = ErrorPageText {
            message: err.public_message(),
        };
        let message = html_escape(&text.message);
        let body = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code} · mirrorforge</title>\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <link rel=\"stylesheet\" href=\"/static/css/app.css\"></head><body><main class=\"container\">\
             <h1>{code} {reason}</h1><p class=\"error-message\">{message}</p><p><a href=\"/\">Back to the dashboard</a></p>\
             </main></body></html>",
            code = status.as_u16(),
            reason = status.canonical_reason().unwrap_or(""),
        );
        let mut response = (status, Html(body)).into_response();
        with_location(&err, &mut response);
        response.extensions_mut().insert(text);
        with_retry_after(&err, response)
    }
}

/// Escapes text for HTML.
#[must_use]
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn waits_read_as_words() {
        assert_eq!(super::in_words(1), "1 second");
        assert_eq!(super::in_words(59), "59 seconds");
        assert_eq!(super::in_words(60), "1 minute");
        assert_eq!(super::in_words(61), "2 minutes");
        assert_eq!(super::in_words(300), "5 minutes");
    }
}
