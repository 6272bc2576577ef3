//! Small request extractors shared by the API and the pages.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::{
    extract::{
        ConnectInfo, FromRequest, FromRequestParts, Query, Request,
        rejection::{JsonRejection, QueryRejection},
    },
    http::{Extensions, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::{
    error::{ApiError, Error},
    state::AppState,
};

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

/// Where absolute URLs (clone URLs) start: `MIRRORFORGE_PUBLIC_URL`, else `http://` and the
/// address bound. Never the request's `Host`, which the client writes.
#[derive(Debug, Clone)]
pub struct BaseUrl(pub String);

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(state.config.base_url()))
    }
}

/// The client's address: the TCP peer (never a forwarded-for header, which anyone can write).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// Reads the peer the server put into the request; `0.0.0.0` when served without it.
    #[must_use]
    pub fn from_extensions(extensions: &Extensions) -> Self {
        Self(
            extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(peer)| {
                    peer.ip()
                }),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_extensions(&parts.extensions))
    }
}
