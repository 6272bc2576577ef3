//! The webhook routes: the owner makes, rotates and removes the secret; a forge calls the
//! webhook with no session, token or CSRF — only the signature (or GitLab's token) made with
//! the secret counts, checked on the raw body before anything parses it.

use axum::{
    Json,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::doc::RepoPath;

use crate::{
    error::{ApiError, Error, ErrorBody},
    mirror::{
        engine::{Triggered, mirroring_off},
        webhook,
    },
    repos,
    state::AppState,
    web::{
        body::{ReadError, read_whole},
        extract::{Admin, ApiRepo, BaseUrl},
    },
};

/// The webhook secret and the webhook itself, under `/repos/{owner}/{repo}/mirror`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(rotate_secret, remove_secret))
        .routes(routes!(receive))
}

/// A new secret, shown only in this answer, and where to send the webhook.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookSecret)]
struct SecretMade {
    /// The secret to give the forge (shown only here).
    secret: String,
    /// The URL the forge calls.
    webhook_url: String,
}

/// Makes the webhook secret, or rotates it (the old one stops working).
#[utoipa::path(
    post,
    path = "/repos/{owner}/{repo}/mirror/webhook_secret",
    tag = "webhook",
    params(RepoPath),
    responses(
        (status = 201, description = "The secret, shown only here, and the webhook URL", body = SecretMade),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn rotate_secret(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    access: ApiRepo<Admin>,
) -> Result<(StatusCode, Json<SecretMade>), ApiError> {
    let repo = access.repo;
    let secret = webhook::SECRET
        .rotate(&state.db, &state.secrets, repo.repo.id)
        .await?;
    tracing::info!(repo = %repo.full_name(), "webhook secret made");
    Ok((
        StatusCode::CREATED,
        Json(SecretMade {
            secret,
            webhook_url: webhook::url(&base, &repo.owner.username, &repo.repo.name),
        }),
    ))
}

/// Removes the webhook secret: the webhook is off.
#[utoipa::path(
    delete,
    path = "/repos/{owner}/{repo}/mirror/webhook_secret",
    tag = "webhook",
    params(RepoPath),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn remove_secret(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<StatusCode, ApiError> {
    webhook::SECRET
        .remove(&state.db, access.repo.repo.id)
        .await?;
    tracing::info!(repo = %access.repo.full_name(), "webhook secret removed");
    Ok(StatusCode::NO_CONTENT)
}

/// What the webhook answers.
#[derive(Serialize, ToSchema)]
#[schema(as = WebhookAnswer)]
struct Answer {
    /// `syncing`, `queued`, or `pong` for a GitHub ping.
    #[schema(value_type = String, example = "syncing")]
    status: &'static str,
}

/// A forge's call: the repository and its secret found, then the body read whole (at most
/// 1 MiB), the signature checked against the secret, then a sync started or queued.
#[utoipa::path(
    post,
    path = "/repos/{owner}/{repo}/mirror/webhook",
    tag = "webhook",
    description = "Called by a forge, without `Authorization`: the body (at most 1 MiB, any \
                   content) is accepted when one header verifies against the repository's \
                   webhook secret, compared in constant time.",
    security(()),
    params(
        // Named here: the handler's `Path<(String, String)>` gives their types.
        ("owner", description = "The owner's username"),
        ("repo", description = "The repository's name"),
        ("X-Hub-Signature-256" = Option<String>, Header, description = "GitHub: `sha256=<hex HMAC-SHA256(secret, raw body)>`"),
        ("X-Gitea-Signature" = Option<String>, Header, description = "Gitea: `<hex HMAC-SHA256(secret, raw body)>`"),
        ("X-Forgejo-Signature" = Option<String>, Header, description = "Forgejo: `<hex HMAC-SHA256(secret, raw body)>`"),
        ("X-Gitlab-Token" = Option<String>, Header, description = "GitLab: the secret itself"),
        ("X-GitHub-Event" = Option<String>, Header, description = "GitHub's event name; `ping` answers `pong` and starts nothing"),
    ),
    request_body(content = Object, description = "The forge's event, as it sends it; only its signature is read", content_type = "application/json"),
    responses(
        (status = 200, description = "A GitHub ping: `pong`, nothing started", body = Answer),
        (status = 202, description = "A sync started (`syncing`) or one more queued after the running one (`queued`)", body = Answer),
        (status = 401, description = "No signature header verifies, on a public repository (`bad_signature`)", body = ErrorBody),
        (status = 404, description = "No such repository, it has no webhook secret, or it is private and no signature header verifies", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB", body = ErrorBody),
        (status = 422, description = "Mirroring is disabled", body = ErrorBody),
    )
)]
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
    // The repository and its secret first: a call for nothing is answered without its body.
    let no_webhook = || Error::NotFound("repository or webhook");
    let repo = repos::find(&state.db, &owner, &name)
        .await?
        .ok_or_else(no_webhook)?;
    // A caller without the secret learns nothing of a private repository: it is answered as
    // a missing one. A public one is no secret, and the refusal says why.
    let refused = || {
        if repo.repo.is_private {
            no_webhook()
        } else {
            Error::BadSignature
        }
    };
    let secret = match webhook::SECRET.open(
        &state.secrets,
        repo.repo.id,
        repo.repo.webhook_secret.as_deref(),
    ) {
        Ok(Some(secret)) => secret,
        Ok(None) => return Err(no_webhook().into()),
        Err(e) => {
            tracing::warn!(repo = %repo.full_name(), error = %e, "webhook secret unreadable");
            return Err(refused().into());
        }
    };
    let body = match read_whole(body, webhook::MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(ReadError::TooLarge(_)) => return Err(too_large().into()),
        Err(e) => return Err(Error::BadRequest(e.to_string()).into()),
    };
    if !webhook::verifies(&secret, &headers, &body) {
        tracing::info!(repo = %repo.full_name(), "webhook call refused: no signature verified");
        return Err(refused().into());
    }
    let event = headers.get("x-github-event").and_then(|v| v.to_str().ok());
    if event == Some("ping") {
        return Ok((StatusCode::OK, Json(Answer { status: "pong" })));
    }
    let status = match state.engine.webhook(&repo.repo).await? {
        Triggered::Started => "syncing",
        Triggered::Queued => "queued",
        Triggered::Ignored => {
            return Err(mirroring_off().into());
        }
    };
    tracing::info!(repo = %repo.full_name(), status, "webhook accepted");
    Ok((StatusCode::ACCEPTED, Json(Answer { status })))
}
