//! A url-encoded form whose CSRF token (`auth::csrf`) was checked before the handler runs: a
//! handler that takes [`CsrfForm`] cannot forget the check.

use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::{Deserialize, de::DeserializeOwned};
use tower_sessions::Session;

use crate::{
    auth::csrf,
    error::{Error, PageError},
};

/// The token field of any form.
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
        if !csrf::verify(&session, &submitted).await {
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
