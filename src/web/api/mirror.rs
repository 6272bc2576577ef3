//! Mirror routes: settings, "Sync now", status, run history and import.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{paging::Paging, repos::RepoJson};
use crate::{
    auth::extract::ApiUser,
    error::{ApiError, Error},
    mirror::{
        engine::{Trigger, already_running},
        import::{self, ImportRequest},
        runs::{self, RunView},
        settings::{self, MirrorSettings, SettingsPatch},
    },
    repos,
    state::AppState,
    web::extract::{ApiJson, ApiQuery, BaseUrl},
};

/// Mirror routes under `/repos`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/repos/import", post(import_repo))
        .route(
            "/repos/{owner}/{repo}/mirror",
            get(show_settings).patch(patch_settings),
        )
        .route("/repos/{owner}/{repo}/sync", post(sync_now))
        .route("/repos/{owner}/{repo}/mirror/status", get(status))
        .route("/repos/{owner}/{repo}/mirror/runs", get(list_runs))
}

async fn show_settings(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((owner, name)): Path<(String, String)>,
) -> Result<Json<MirrorSettings>, ApiError> {
    let repo = repos::find_admin(&state.db, &owner, &name, &user).await?;
    Ok(Json(MirrorSettings::from(&repo.repo)))
}

async fn patch_settings(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((owner, name)): Path<(String, String)>,
    ApiJson(patch): ApiJson<SettingsPatch>,
) -> Result<Json<MirrorSettings>, ApiError> {
    let repo = repos::find_admin(&state.db, &owner, &name, &user).await?;
    let updated = settings::apply(
        &state.db,
        &state.config,
        state.engine.secrets(),
        repo.repo,
        patch,
    )
    .await?;
    Ok(Json(MirrorSettings::from(&updated)))
}

#[derive(Serialize)]
struct SyncStarted {
    message: &'static str,
    status: &'static str,
}

async fn sync_now(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((owner, name)): Path<(String, String)>,
) -> Result<(StatusCode, Json<SyncStarted>), ApiError> {
    let repo = repos::find_admin(&state.db, &owner, &name, &user).await?;
    if !repo.repo.mirror_enabled {
        return Err(Error::field(
            "mirror_enabled",
            "mirroring is disabled for this repository; enable it first",
        )
        .into());
    }
    if !state.engine.trigger(repo.repo.id, Trigger::Manual).await? {
        return Err(already_running().into());
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(SyncStarted {
            message: "Mirror sync started",
            status: "syncing",
        }),
    ))
}

#[derive(Serialize)]
struct StatusJson {
    sync_status: String,
    last_synced_at: Option<DateTime<Utc>>,
    next_sync_at: Option<DateTime<Utc>>,
    sync_error: String,
    consecutive_failures: i32,
}

async fn status(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((owner, name)): Path<(String, String)>,
) -> Result<Json<StatusJson>, ApiError> {
    let repo = repos::find_admin(&state.db, &owner, &name, &user)
        .await?
        .repo;
    Ok(Json(StatusJson {
        sync_status: repo.sync_status,
        last_synced_at: repo.last_synced_at,
        next_sync_at: repo.next_sync_at,
        sync_error: repo.sync_error.unwrap_or_default(),
        consecutive_failures: repo.consecutive_failures,
    }))
}

async fn list_runs(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((owner, name)): Path<(String, String)>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<Vec<RunView>>, ApiError> {
    let (limit, offset) = paging.window()?;
    let repo = repos::find_admin(&state.db, &owner, &name, &user).await?;
    let list = runs::list(&state.db, repo.repo.id, limit, offset).await?;
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
    let repo = import::import(
        &state,
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
