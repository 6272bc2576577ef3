//! Mirror routes: settings, "Sync now", status, run history and import.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{paging::Paging, repos::RepoJson};
use crate::{
    entities::mirror_enums::SyncStatus,
    error::{ApiError, Error},
    mirror::{
        engine::{SyncRequest, already_running},
        import::ImportRequest,
        preview::{self, Preview},
        runs::{self, RunView},
        settings::{self, MirrorSettings, SettingsPatch},
        webhook,
    },
    state::AppState,
    web::extract::{Admin, ApiJson, ApiQuery, ApiRepo, ApiUser, BaseUrl},
};

/// Mirror routes under `/repos`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/repos/import", post(import_repo))
        .route(
            "/repos/{owner}/{repo}/mirror",
            get(show_settings).patch(patch_settings),
        )
        .route("/repos/{owner}/{repo}/sync", post(sync_now).delete(cancel))
        .route("/repos/{owner}/{repo}/mirror/preview", get(preview))
        .route("/repos/{owner}/{repo}/mirror/status", get(status))
        .route("/repos/{owner}/{repo}/mirror/runs", get(list_runs))
}

async fn show_settings(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    access: ApiRepo<Admin>,
) -> Result<Json<MirrorSettings>, ApiError> {
    let repo = access.repo;
    let hook = webhook::url(&base, &repo.owner.username, &repo.repo.name);
    Ok(Json(
        MirrorSettings::load(&state.db, &repo.repo, hook).await?,
    ))
}

async fn patch_settings(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    access: ApiRepo<Admin>,
    ApiJson(patch): ApiJson<SettingsPatch>,
) -> Result<Json<MirrorSettings>, ApiError> {
    let repo = access.repo;
    let hook = webhook::url(&base, &repo.owner.username, &repo.repo.name);
    let updated =
        settings::apply(&state.db, &state.config, &state.secrets, repo.repo, patch).await?;
    Ok(Json(MirrorSettings::load(&state.db, &updated, hook).await?))
}

#[derive(Serialize)]
struct SyncStarted {
    message: &'static str,
    status: SyncStatus,
}

async fn sync_now(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<(StatusCode, Json<SyncStarted>), ApiError> {
    match state.engine.request_sync(&access.repo.repo).await? {
        SyncRequest::Started => Ok((
            StatusCode::ACCEPTED,
            Json(SyncStarted {
                message: "Mirror sync started",
                status: SyncStatus::Syncing,
            }),
        )),
        SyncRequest::AlreadyRunning => Err(already_running().into()),
        SyncRequest::Disabled => Err(Error::field(
            "mirror_enabled",
            "mirroring is disabled for this repository; enable it first",
        )
        .into()),
    }
}

#[derive(Serialize)]
struct Cancelling {
    status: &'static str,
}

/// Cancels the running sync: 202, or 409 when none runs.
async fn cancel(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<(StatusCode, Json<Cancelling>), ApiError> {
    let repo = access.repo;
    if !state.engine.cancel(repo.repo.id).await? {
        return Err(Error::Conflict("no sync is running for this repository".to_owned()).into());
    }
    tracing::info!(repo = %repo.full_name(), "sync cancel asked for");
    Ok((
        StatusCode::ACCEPTED,
        Json(Cancelling {
            status: "cancelling",
        }),
    ))
}

/// What a sync would change now, read from the remotes' ref advertisements.
async fn preview(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<Json<Preview>, ApiError> {
    let repo = access.repo;
    if !repo.repo.mirror_enabled {
        return Err(Error::field(
            "mirror_enabled",
            "mirroring is disabled for this repository; enable it first",
        )
        .into());
    }
    Ok(Json(
        preview::preview(&state.db, &state.config, &state.secrets, &repo).await?,
    ))
}

#[derive(Serialize)]
struct StatusJson {
    sync_status: SyncStatus,
    last_synced_at: Option<DateTime<Utc>>,
    next_sync_at: Option<DateTime<Utc>>,
    sync_error: String,
    consecutive_failures: i32,
}

async fn status(access: ApiRepo<Admin>) -> Json<StatusJson> {
    let repo = access.repo.repo;
    Json(StatusJson {
        sync_status: repo.sync_status,
        last_synced_at: repo.last_synced_at,
        next_sync_at: repo.next_sync_at,
        sync_error: repo.sync_error.unwrap_or_default(),
        consecutive_failures: repo.consecutive_failures,
    })
}

async fn list_runs(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<Vec<RunView>>, ApiError> {
    let (limit, offset) = paging.window()?;
    let list = runs::list(&state.db, access.repo.repo.id, limit, offset).await?;
    Ok(Json(list))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportBody {
    name: Option<String>,
    clone_url: Option<String>,
    mirror: Option<bool>,
    private: Option<bool>,
    description: Option<String>,
    auth_username: Option<String>,
    auth_password: Option<String>,
    sync_interval: Option<i64>,
}

async fn import_repo(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    BaseUrl(base): BaseUrl,
    ApiJson(body): ApiJson<ImportBody>,
) -> Result<(StatusCode, Json<RepoJson>), ApiError> {
    let repo = state
        .importer()
        .import(
            &user,
            ImportRequest {
                name: body.name.unwrap_or_default(),
                clone_url: body.clone_url.unwrap_or_default(),
                mirror: body.mirror.unwrap_or(false),
                private: body.private.unwrap_or(false),
                description: body.description.unwrap_or_default(),
                auth_username: body.auth_username,
                auth_password: body.auth_password,
                sync_interval: body.sync_interval,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(RepoJson::new(&repo, &base))))
}
