//! CSRF tokens: one random token per session, required in every state-changing form.

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::request::Parts,
};
use rand::Rng;
use serde::{Deserialize, de::DeserializeOwned};
use tower_sessions::Session;

use crate::error::{Error, PageError};

const SESSION_KEY: &str = "csrf_token";

/// Name of the hidden form field (and of the `X-CSRF-Token` header for htmx requests).
pub const FORM_FIELD: &str = "csrf_token";

/// The session's CSRF token, created on first use; put it in forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| Error::internal_msg(msg))?;
        Ok(Self(token_for(&session).await?))
    }
}

/// Returns the session's token, creating and storing one if needed.
///
/// # Errors
/// The session store failed.
pub async fn token_for(session: &Session) -> Result<String, Error> {
    if let Some(token) = session
        .get::<String>(SESSION_KEY)
        .await
        .map_err(Error::internal)?
    {
        return Ok(token);
    }
    let bytes: [u8; 32] = rand::rng().random();
    let token = hex::encode(bytes);
    session
        .insert(SESSION_KEY, &token)
        .await
        .map_err(Error::internal)?;
    Ok(token)
}

/// Forgets the session's token so the next page gets a fresh one; call it when the session
/// changes hands (log in), so a token seen before cannot be replayed after.
///
/// # Errors
/// The session store failed.
pub async fn rotate(session: &Session) -> Result<(), Error> {
    session
        .remove::<String>(SESSION_KEY)
        .await
        .map_err(Error::internal)?;
    Ok(())
}

/// Constant-time comparison of the submitted token with the session's.
async fn verify(session: &Session, submitted: &str) -> bool {
    let Ok(Some(expected)) = session.get::<String>(SESSION_KEY).await else {
        return false;
    };
    expected.len() == submitted.len()
        && expected
            .bytes()
            .zip(submitted.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[derive(Deserialize)]
struct TokenField {
    #[serde(default)]
    csrf_token: String,
}

/// A url-encoded form whose CSRF token was checked; a missing or wrong token is 403.
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state)
            .await
            .map_err(|(_, msg)| Error::internal_msg(msg))?;
        let header_token = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(body, 1024 * 1024)
            .await
            .map_err(|_| Error::BadRequest("form body too large".to_owned()))?;
        let submitted = match header_token {
            Some(token) => token,
            None => serde_urlencoded::from_bytes::<TokenField>(&bytes)
                .map(|f| f.csrf_token)
                .unwrap_or_default(),
        };
        if !verify(&session, &submitted).await {
            return Err(PageError(Error::Forbidden(
                "the form has expired or did not come from this site; reload the page and try again"
                    .to_owned(),
            )));
        }
        let value = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| Error::BadRequest(format!("malformed form: {e}")))?;
        Ok(Self(value))
    }
}
