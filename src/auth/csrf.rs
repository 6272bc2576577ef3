//! CSRF tokens: one random token per session, required in every state-changing form (checked
//! by `web::extract::CsrfForm`).

use axum::{extract::FromRequestParts, http::request::Parts};
use rand::Rng;
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

/// Whether `submitted` is the session's token (compared with [`super::same_secret`]); a
/// session without a token matches nothing.
pub async fn verify(session: &Session, submitted: &str) -> bool {
    let Ok(Some(expected)) = session.get::<String>(SESSION_KEY).await else {
        return false;
    };
    super::same_secret(expected.as_bytes(), submitted.as_bytes())
}
