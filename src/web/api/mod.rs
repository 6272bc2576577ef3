//! The JSON API under `/api/v1`, one file per resource. Each resource's `router()` is an
//! `OpenApiRouter`: a route is added together with its `#[utoipa::path]` description, so the
//! served routes and the OpenAPI document come from the same list and cannot drift.

mod account_mirrors;
mod admin;
mod doc;
mod gitea;
mod gitea_time;
pub mod go_duration;
mod mirror;
mod mirrors;
mod notify;
mod orgs;
pub mod paging;
mod push_mirrors;
mod query_token;
mod repos;
mod search;
mod ssh_key;
mod user;
mod users;
mod webhook;

use std::sync::Arc;

use axum::{Extension, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Where the API lives.
pub const PREFIX: &str = "/api/v1";
/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// Every API route with the OpenAPI document describing them (paths under [`PREFIX`]).
fn documented() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .merge(admin::router())
        .merge(user::router())
        .merge(users::router())
        .merge(orgs::router())
        .merge(account_mirrors::router())
        .merge(search::router())
        .merge(repos::router())
        .merge(mirror::router())
        .merge(mirrors::router())
        .merge(push_mirrors::router())
        .merge(webhook::router())
        .merge(notify::router())
        .merge(ssh_key::router())
        .merge(gitea::router())
        .merge(doc::router());
    OpenApiRouter::with_openapi(doc::ApiDoc::openapi()).nest(PREFIX, api)
}

/// The OpenAPI document of every `/api/v1` route.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = documented().into_openapi();
    doc::describe_paged_lists(&mut document);
    document
}

/// Every API route, already under [`PREFIX`], with `GET /api/v1/openapi.json` serving the
/// document made from the same routes.
pub fn router() -> Router<AppState> {
    let (router, mut document) = documented().split_for_parts();
    doc::describe_paged_lists(&mut document);
    // A document that cannot be serialised is a programming error caught by the tests; the
    // route then answers an empty object rather than taking the server down.
    let json = document.to_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "the OpenAPI document could not be serialised");
        "{}".to_owned()
    });
    router
        .layer(Extension(doc::Document(Arc::new(json))))
        .layer(axum::middleware::from_fn(query_token::refuse))
}
