//! A request's body and query string, with rejections in the contract's error shape.

use axum::{
    extract::{
        FromRequest, FromRequestParts, Query, Request,
        rejection::{JsonRejection, QueryRejection},
    },
    http::request::Parts,
};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Error};

/// A JSON body whose rejections use the contract's error shape (400 for malformed bodies).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError(Error::BadRequest(match rejection {
                JsonRejection::MissingJsonContentType(_) => {
                    "expected a JSON body with Content-Type: application/json".to_owned()
                }
                JsonRejection::JsonSyntaxError(e) => format!("malformed JSON: {}", e.body_text()),
                JsonRejection::JsonDataError(e) => format!("invalid JSON body: {}", e.body_text()),
                other => other.body_text(),
            }))),
        }
    }
}

/// An optional JSON body: none at all (no bytes) reads as `T::default()`; any other body
/// must be JSON as for [`ApiJson`].
#[derive(Debug)]
pub struct OptionalApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes =
            axum::body::Bytes::from_request(Request::from_parts(parts.clone(), body), state)
                .await
                .map_err(|rejection| ApiError(Error::BadRequest(rejection.body_text())))?;
        if bytes.is_empty() {
            return Ok(Self(T::default()));
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        ApiJson::<T>::from_request(req, state)
            .await
            .map(|ApiJson(value)| Self(value))
    }
}

/// A query string whose rejections use the contract's error shape (400, the parameter named).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // "Failed to deserialize query string: page: invalid digit found in string".
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection: QueryRejection| ApiError(Error::BadRequest(rejection.body_text())))
    }
}
