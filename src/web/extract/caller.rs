//! Extractors that say who is calling: API callers by token (or Basic), web users by session.

use std::net::IpAddr;

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::{HeaderMap, header::AUTHORIZATION, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use base64::Engine;
use tower_sessions::Session;

use super::origin::ClientAddr;
use crate::{
    accounts::{
        tokens::{READ_ONLY, TokenScope, TokenTerms},
        users,
    },
    auth::{SESSION_STAMP, SESSION_USER_ID, session_stamp},
    entities::user,
    error::{ApiError, Error, PageError},
    state::AppState,
};

/// Credentials found in an `Authorization` header.
#[derive(Debug, PartialEq, Eq)]
pub enum PresentedCredentials {
    /// `Bearer <token>` or `token <token>`.
    Token(String),
    /// `Basic base64(user:password)`.
    Basic(String, String),
}

/// Reads the `Authorization` header, its scheme name in any case; `None` when absent or
/// unreadable.
#[must_use]
pub fn credentials(headers: &HeaderMap) -> Option<PresentedCredentials> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    match scheme.to_ascii_lowercase().as_str() {
        "bearer" | "token" if !rest.is_empty() => {
            Some(PresentedCredentials::Token(rest.to_owned()))
        }
        "basic" => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest)
                .ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (user, password) = text.split_once(':')?;
            Some(PresentedCredentials::Basic(
                user.to_owned(),
                password.to_owned(),
            ))
        }
        _ => None,
    }
}

/// Resolves credentials from `client` to a user and what the credentials let them do (a
/// password: everything); `Ok(None)` when they are wrong (an expired token, a disabled
/// account's token).
///
/// # Errors
/// [`Error::TooManyRequests`] when a password is throttled, [`Error::Forbidden`] for a
/// disabled account's password, or the database failed.
pub async fn resolve_with_terms(
    state: &AppState,
    creds: &PresentedCredentials,
    client: IpAddr,
) -> Result<Option<(user::Model, TokenTerms)>, Error> {
    match creds {
        PresentedCredentials::Token(token) => state.accounts.by_token(&state.db, token).await,
        PresentedCredentials::Basic(name, password) => {
            users::authenticate_basic(&state.db, &state.throttle, client, name, password).await
        }
    }
}

/// Resolves credentials from `client` to a user, for a request that `writes` (changes
/// something) or only reads; `Ok(None)` when they are wrong (as [`resolve_with_terms`]).
///
/// # Errors
/// As [`resolve_with_terms`], and [`Error::Forbidden`] for a read-only token's write.
pub async fn resolve(
    state: &AppState,
    creds: &PresentedCredentials,
    client: IpAddr,
    writes: bool,
) -> Result<Option<user::Model>, Error> {
    match resolve_with_terms(state, creds, client).await? {
        Some((_, terms)) if writes && terms.scope == TokenScope::Read => {
            Err(Error::Forbidden(READ_ONLY.to_owned()))
        }
        found => Ok(found.map(|(user, _)| user)),
    }
}

/// Whether a request with `method` changes something (anything but `GET`, `HEAD`, `OPTIONS`).
#[must_use]
pub fn writes(method: &axum::http::Method) -> bool {
    !matches!(
        *method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    )
}

/// An API caller authenticated by token (or Basic); otherwise 401.
#[derive(Debug, Clone)]
pub struct ApiUser(pub user::Model);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let creds = credentials(&parts.headers).ok_or(Error::Unauthorized)?;
        let ClientAddr(client) = ClientAddr::from_extensions(&parts.extensions);
        let user = resolve(state, &creds, client, writes(&parts.method))
            .await?
            .ok_or(Error::Unauthorized)?;
        Ok(Self(user))
    }
}

impl OptionalFromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    /// No header: anonymous. A header with wrong credentials: 401, never silently anonymous.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        if parts.headers.get(AUTHORIZATION).is_none() {
            return Ok(None);
        }
        <Self as FromRequestParts<AppState>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

/// Reads the logged-in user from the session.
async fn session_user(parts: &mut Parts, state: &AppState) -> Result<Option<user::Model>, Error> {
    let session = Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, msg)| Error::internal_msg(msg))?;
    user_of_session(&session, state).await
}

/// The user logged in on `session`, if any (a deleted account is forgotten).
///
/// # Errors
/// The session store or the database failed.
pub async fn user_of_session(
    session: &Session,
    state: &AppState,
) -> Result<Option<user::Model>, Error> {
    let Some(id) = session
        .get::<i64>(SESSION_USER_ID)
        .await
        .map_err(Error::internal)?
    else {
        return Ok(None);
    };
    let user = state.accounts.by_id(&state.db, id).await?;
    let stamp = session
        .get::<String>(SESSION_STAMP)
        .await
        .map_err(Error::internal)?;
    let user = match user {
        // A disabled account is signed out everywhere.
        Some(user) if user.disabled => None,
        // A session made before the password last changed is over.
        Some(user) if stamp.as_deref().is_some_and(|s| s != session_stamp(&user)) => None,
        Some(user) => {
            if stamp.is_none() {
                // A session older than stamps takes the password it was made with.
                let _ = session.insert(SESSION_STAMP, session_stamp(&user)).await;
            }
            Some(user)
        }
        None => None,
    };
    if user.is_none() {
        // The account was deleted, disabled, or its password changed: forget it.
        let _ = session.remove::<i64>(SESSION_USER_ID).await;
    }
    Ok(user)
}

/// A logged-in web user; anonymous visitors are sent to the login page and back.
#[derive(Debug, Clone)]
pub struct WebUser(pub user::Model);

/// What happens to an anonymous visitor of a page that needs a login.
pub enum WebUserRejection {
    /// Send them to log in, then back here.
    Login(String),
    /// An htmx request without a session (it expired): 401 with a sentence, because a
    /// redirect would be followed silently and the login page swapped into the widget.
    HtmxLogin,
    /// Something failed.
    Error(PageError),
}

impl IntoResponse for WebUserRejection {
    fn into_response(self) -> Response {
        match self {
            Self::Login(next) => {
                let target = format!("/login?next={}", urlencode(&next));
                Redirect::to(&target).into_response()
            }
            Self::HtmxLogin => (
                axum::http::StatusCode::UNAUTHORIZED,
                "Your session has expired: reload the page and log in again.",
            )
                .into_response(),
            Self::Error(err) => err.into_response(),
        }
    }
}

/// Percent-encodes a value for a query string.
#[must_use]
pub fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = WebUserRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, WebUserRejection> {
        match session_user(parts, state).await {
            Ok(Some(user)) => Ok(Self(user)),
            Ok(None) if parts.headers.contains_key("hx-request") => {
                Err(WebUserRejection::HtmxLogin)
            }
            Ok(None) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map_or("/", axum::http::uri::PathAndQuery::as_str);
                Err(WebUserRejection::Login(next.to_owned()))
            }
            Err(e) => Err(WebUserRejection::Error(PageError(e))),
        }
    }
}

impl OptionalFromRequestParts<AppState> for WebUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, PageError> {
        Ok(session_user(parts, state).await?.map(Self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn reads_each_scheme() {
        assert_eq!(
            credentials(&header("Bearer abc")),
            Some(PresentedCredentials::Token("abc".into()))
        );
        assert_eq!(
            credentials(&header("token abc")),
            Some(PresentedCredentials::Token("abc".into()))
        );
        assert_eq!(
            credentials(&header("Basic YWxpY2U6czNjcjN0")),
            Some(PresentedCredentials::Basic("alice".into(), "s3cr3t".into()))
        );
        // Scheme names are case-insensitive (RFC 9110 §11.1).
        for scheme in ["bearer", "BEARER", "Token", "TOKEN"] {
            assert_eq!(
                credentials(&header(&format!("{scheme} abc"))),
                Some(PresentedCredentials::Token("abc".into())),
                "{scheme}"
            );
        }
        for scheme in ["basic", "BASIC", "bAsIc"] {
            assert_eq!(
                credentials(&header(&format!("{scheme} YWxpY2U6czNjcjN0"))),
                Some(PresentedCredentials::Basic("alice".into(), "s3cr3t".into())),
                "{scheme}"
            );
        }
        assert_eq!(credentials(&header("Basic !!!")), None);
        assert_eq!(credentials(&header("Bearer")), None);
        assert_eq!(credentials(&HeaderMap::new()), None);
    }
}
