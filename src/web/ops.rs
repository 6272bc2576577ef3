//! What an operator's tools call: `/healthz` (the process answers), `/readyz` (and its
//! database does), `/metrics` (Prometheus, optionally behind a bearer token), and the layer
//! that counts every HTTP request by its route template.

use std::time::{Duration, Instant};

use axum::{
    Json, Router,
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::json;

use crate::{
    auth::same_secret,
    error::{ApiError, Error},
    mirror::stats,
    state::AppState,
    web::extract::caller::{PresentedCredentials, credentials},
};

/// How long `/readyz` waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);
/// The Prometheus text format's content type.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The health and metrics routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up and serving.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers within [`READY_TIMEOUT`]: 200, else 503.
async fn readyz(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(READY_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => Json(json!({ "status": "ok" })).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database did not answer");
            unavailable()
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer within 2 s");
            unavailable()
        }
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "reason": "the database does not answer" })),
    )
        .into_response()
}

/// The scrape; with `MIRRORFORGE_METRICS_TOKEN` set, only for `Authorization: Bearer <it>`
/// (the scheme in any case, as the API reads it).
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        let given = match credentials(&headers) {
            Some(PresentedCredentials::Token(given)) => given,
            _ => String::new(),
        };
        if !same_secret(given.as_bytes(), token.as_bytes()) {
            return (
                [(header::WWW_AUTHENTICATE, "Bearer")],
                ApiError(Error::Unauthorized),
            )
                .into_response();
        }
    }
    let gauges = match stats::gauges(&state.db).await {
        Ok(gauges) => gauges,
        Err(e) => {
            tracing::error!(error = %e, "metrics: could not read the mirrors' gauges");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    (
        [(header::CONTENT_TYPE, PROMETHEUS_TEXT)],
        state.metrics.render(&gauges),
    )
        .into_response()
}

/// A route template as the contract writes it (`/repos/:owner/:repo`): braces inside a label
/// value trip some Prometheus text parsers.
fn route_label(template: &str) -> String {
    template
        .split('/')
        .map(
            |part| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => format!(":{}", name.trim_start_matches('*')),
                None => part.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Counts and times each request under its route template (`/{owner}/{repo}`), never the
/// names in its path; a request no route matched counts as `unmatched`.
pub async fn count_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| route_label(p.as_str()));
    let response = next.run(request).await;
    state.metrics.http_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::route_label;

    #[test]
    fn route_labels_use_the_contracts_colon_form() {
        assert_eq!(
            route_label("/api/v1/repos/{owner}/{repo}/mirror"),
            "/api/v1/repos/:owner/:repo/mirror"
        );
        assert_eq!(route_label("/static/{*path}"), "/static/:path");
        assert_eq!(route_label("/healthz"), "/healthz");
    }
}
