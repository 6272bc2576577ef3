//! The webhook routes: the owner makes, rotates and removes the secret; a forge calls the
//! webhook with no session, token or CSRF — only the signature (or GitLab's token) made with
//! the secret counts, checked on the raw body before anything parses it.

use axum::{
    Json, Router,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    routing::post,
};
use serde::Serialize;

use crate::{
    error::{ApiError, Error},
    mirror::{engine::Triggered, webhook},
    repos,
    state::AppState,
    web::extract::{Admin, ApiRepo, BaseUrl},
};

/// The webhook secret and the webhook itself, under `/repos/{owner}/{repo}/mirror`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/repos/{owner}/{repo}/mirror/webhook_secret",
            post(rotate_secret).delete(remove_secret),
        )
        .route("/repos/{owner}/{repo}/mirror/webhook", post(receive))
}

/// A new secret, shown only in this answer, and where to send the webhook.
#[derive(Serialize)]
struct SecretMade {
    secret: String,
    webhook_url: String,
}

async fn rotate_secret(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    access: ApiRepo<Admin>,
) -> Result<(StatusCode, Json<SecretMade>), ApiError> {
    let repo = access.repo;
    let secret = webhook::rotate(&state.db, &state.secrets, repo.repo.id).await?;
    tracing::info!(repo = %repo.full_name(), "webhook secret made");
    Ok((
        StatusCode::CREATED,
        Json(SecretMade {
            secret,
            webhook_url: webhook::url(&base, &repo.owner.username, &repo.repo.name),
        }),
    ))
}

async fn remove_secret(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<StatusCode, ApiError> {
    webhook::remove(&state.db, access.repo.repo.id).await?;
    tracing::info!(repo = %access.repo.full_name(), "webhook secret removed");
    Ok(StatusCode::NO_CONTENT)
}

/// What the webhook answers.
#[derive(Serialize)]
struct Answer {
    status: &'static str,
}

/// A forge's call: the body read whole (at most 1 MiB), the signature checked against the
/// repository's secret, then a sync started or queued.
async fn receive(
    State(state): State<AppState>,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Answer>), ApiError> {
    let too_large = || Error::TooLarge("the webhook body is larger than 1 MiB".to_owned());
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > webhook::MAX_BODY_BYTES as u64) {
        return Err(too_large().into());
    }
    let body = axum::body::to_bytes(body, webhook::MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large())?;
    let no_webhook = || Error::NotFound("repository or webhook");
    let repo = repos::find(&state.db, &owner, &name)
        .await?
        .ok_or_else(no_webhook)?;
    let secret = match webhook::secret_of(&state.secrets, &repo.repo) {
        Ok(Some(secret)) => secret,
        Ok(None) => return Err(no_webhook().into()),
        Err(e) => {
            tracing::warn!(repo = %repo.full_name(), error = %e, "webhook secret unreadable");
            return Err(Error::Unauthorized.into());
        }
    };
    if !webhook::verifies(&secret, &headers, &body) {
        tracing::info!(repo = %repo.full_name(), "webhook call refused: no signature verified");
        return Err(Error::Unauthorized.into());
    }
    let event = headers.get("x-github-event").and_then(|v| v.to_str().ok());
    if event == Some("ping") {
        return Ok((StatusCode::OK, Json(Answer { status: "pong" })));
    }
    let status = match state.engine.webhook(&repo.repo).await? {
        Triggered::Started => "syncing",
        Triggered::Queued => "queued",
        Triggered::Ignored => {
            return Err(Error::field(
                "mirror_enabled",
                "mirroring is disabled for this repository; enable it first",
            )
            .into());
        }
    };
    tracing::info!(repo = %repo.full_name(), status, "webhook accepted");
    Ok((StatusCode::ACCEPTED, Json(Answer { status })))
}
