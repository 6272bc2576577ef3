//! Mirror routes: settings, "Sync now", status, run history and import.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    doc::RepoPath,
    paging::{ListUrl, LongPaging, Paged, Paging},
    repos::RepoJson,
};
use crate::{
    entities::mirror_enums::SyncStatus,
    error::{ApiError, Error, ErrorBody},
    mirror::{
        engine::{SyncRequest, already_running, mirroring_off},
        import::ImportRequest,
        kept::{self, KeptView},
        preview::{self, Preview},
        push_mirrors,
        runs::{self, RunView},
        settings::{self, MirrorSettings, SettingsPatch},
        state::{self as mirror_state, PullState, PushState},
        webhook,
    },
    paging::Page,
    repos::{Permission, access},
    state::AppState,
    web::extract::{Admin, ApiJson, ApiQuery, ApiRepo, ApiUser, BaseUrl, OptionalApiJson, Write},
};

/// Mirror routes under `/repos`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_repo))
        .routes(routes!(show_settings, patch_settings))
        .routes(routes!(sync_now, cancel))
        .routes(routes!(preview))
        .routes(routes!(status))
        .routes(routes!(list_runs))
        .routes(routes!(list_kept))
        .routes(routes!(restore_run))
}

/// The mirror settings (never a password).
#[utoipa::path(
    get,
    path = "/repos/{owner}/{repo}/mirror",
    tag = "mirror",
    params(RepoPath),
    responses(
        (status = 200, description = "The settings", body = MirrorSettings),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
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

/// Changes the settings: a field left out keeps its value, `""` clears a text one.
#[utoipa::path(
    patch,
    path = "/repos/{owner}/{repo}/mirror",
    tag = "mirror",
    params(RepoPath),
    request_body = SettingsPatch,
    responses(
        (status = 200, description = "The settings after the change", body = MirrorSettings),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
        (status = 422, description = "Validation failed; `fields` names each bad field", body = ErrorBody),
    )
)]
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

/// A sync was started.
#[derive(Serialize, ToSchema)]
struct SyncStarted {
    /// "Mirror sync started".
    #[schema(value_type = String, example = "Mirror sync started")]
    message: &'static str,
    /// `syncing`.
    status: SyncStatus,
}

/// What "Sync now" may be asked beyond a plain sync (the body is optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SyncBody {
    /// Run the pull once without the mass-deletion guard ("Sync anyway").
    #[serde(default)]
    allow_mass_delete: bool,
}

/// "Sync now"; with `{"allow_mass_delete": true}` the pull runs once without the
/// mass-deletion guard.
#[utoipa::path(
    post,
    path = "/repos/{owner}/{repo}/sync",
    tag = "mirror",
    params(RepoPath),
    request_body(content = Option<SyncBody>, description = "Optional; no body is a plain sync", content_type = "application/json"),
    responses(
        (status = 202, description = "Started", body = SyncStarted),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
        (status = 409, description = "A sync is already running", body = ErrorBody),
        (status = 422, description = "Mirroring is disabled", body = ErrorBody),
    )
)]
async fn sync_now(
    State(state): State<AppState>,
    access: ApiRepo<Write>,
    OptionalApiJson(body): OptionalApiJson<SyncBody>,
) -> Result<(StatusCode, Json<SyncStarted>), ApiError> {
    let allow = body.allow_mass_delete;
    if allow && access.permission < Permission::Admin {
        return Err(Error::Forbidden(
            "only the owner or an administrator may sync past the mass-deletion guard".to_owned(),
        )
        .into());
    }
    match state.engine.request_sync(&access.repo.repo, allow).await? {
        SyncRequest::Started => Ok((
            StatusCode::ACCEPTED,
            Json(SyncStarted {
                message: "Mirror sync started",
                status: SyncStatus::Syncing,
            }),
        )),
        SyncRequest::AlreadyRunning => Err(already_running().into()),
        SyncRequest::Disabled => Err(mirroring_off().into()),
    }
}

/// The running sync is being cancelled.
#[derive(Serialize, ToSchema)]
struct Cancelling {
    /// `cancelling`.
    #[schema(value_type = String, example = "cancelling")]
    status: &'static str,
}

/// Cancels the running sync: 202, or 409 when none runs.
#[utoipa::path(
    delete,
    path = "/repos/{owner}/{repo}/sync",
    tag = "mirror",
    params(RepoPath),
    responses(
        (status = 202, description = "Cancelling; the run ends as `cancelled`", body = Cancelling),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
        (status = 409, description = "No sync is running", body = ErrorBody),
    )
)]
async fn cancel(
    State(state): State<AppState>,
    access: ApiRepo<Write>,
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
#[utoipa::path(
    get,
    path = "/repos/{owner}/{repo}/mirror/preview",
    tag = "mirror",
    params(RepoPath),
    responses(
        (status = 200, description = "What would change; nothing is transferred or written", body = Preview),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
        (status = 422, description = "Mirroring is disabled", body = ErrorBody),
        (status = 502, description = "A remote could not be read (`remote_error`)", body = ErrorBody),
    )
)]
async fn preview(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<Json<Preview>, ApiError> {
    let repo = access.repo;
    if !repo.repo.mirror_enabled {
        return Err(mirroring_off().into());
    }
    Ok(Json(
        preview::preview(&state.db, &state.config, &state.secrets, &repo).await?,
    ))
}

/// Where the mirror stands.
#[derive(Serialize, ToSchema)]
#[schema(as = MirrorStatus)]
struct StatusJson {
    /// `idle`, `syncing`, `success` or `failed`.
    sync_status: SyncStatus,
    /// End of the last successful sync.
    last_synced_at: Option<DateTime<Utc>>,
    /// When the scheduler will sync next.
    next_sync_at: Option<DateTime<Utc>>,
    /// The last failure's message ("" when none).
    sync_error: String,
    /// Failed syncs in a row.
    consecutive_failures: i32,
    /// The pull's own state (`null` when the repository does not pull).
    upstream: Option<PullState>,
    /// Each enabled push mirror's own state, oldest first.
    push_mirrors: Vec<PushState>,
    /// The sync's place in line while it waits for a free slot (1: the next to start);
    /// `null` unless it waits.
    queue_position: Option<usize>,
}

/// The mirror's status.
#[utoipa::path(
    get,
    path = "/repos/{owner}/{repo}/mirror/status",
    tag = "mirror",
    params(RepoPath),
    responses(
        (status = 200, description = "The status", body = StatusJson),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn status(
    State(state): State<AppState>,
    access: ApiRepo<Write>,
) -> Result<Json<StatusJson>, ApiError> {
    let repo = access.repo.repo;
    let targets = push_mirrors::list(&state.db, repo.id).await?;
    Ok(Json(StatusJson {
        upstream: mirror_state::pull_state(&repo),
        push_mirrors: mirror_state::push_states(&targets),
        sync_status: repo.sync_status,
        last_synced_at: repo.last_synced_at,
        next_sync_at: repo.next_sync_at,
        sync_error: repo.sync_error.unwrap_or_default(),
        consecutive_failures: repo.consecutive_failures,
        queue_position: state.engine.queue_position(repo.id),
    }))
}

/// The mirror's runs, newest first.
#[utoipa::path(
    get,
    path = "/repos/{owner}/{repo}/mirror/runs",
    tag = "mirror",
    params(RepoPath, Paging),
    responses(
        (status = 200, description = "Runs, newest first", body = Vec<RunView>),
        (status = 400, description = "`page` or `limit` out of range", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn list_runs(
    State(state): State<AppState>,
    access: ApiRepo<Write>,
    ApiQuery(paging): ApiQuery<Paging>,
    url: ListUrl,
) -> Result<Paged<RunView>, ApiError> {
    let window = paging.window()?;
    let repo_id = access.repo.repo.id;
    let page = Page {
        items: runs::list(&state.db, repo_id, window.limit, window.offset).await?,
        total: runs::count(&state.db, repo_id).await?,
    };
    Ok(Paged::new(page, window, url))
}

/// The old values of refs syncs overwrote or deleted here, kept (hidden from clients) until
/// they expire; newest first.
#[utoipa::path(
    get,
    path = "/repos/{owner}/{repo}/mirror/kept",
    tag = "mirror",
    params(RepoPath, LongPaging),
    responses(
        (status = 200, description = "Kept refs, newest first", body = Vec<KeptView>),
        (status = 400, description = "`page` or `limit` out of range", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn list_kept(
    State(state): State<AppState>,
    access: ApiRepo<Write>,
    ApiQuery(paging): ApiQuery<LongPaging>,
    url: ListUrl,
) -> Result<Paged<KeptView>, ApiError> {
    let window = paging.window()?;
    let all = kept::list(&state.db, &state.config, &access.repo).await?;
    Ok(Paged::new(window.of(all), window, url))
}

/// The path of one run.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct RunPath {
    /// The owner's username.
    #[allow(dead_code)] // Read by the `ApiRepo` extractor.
    owner: String,
    /// The repository's name.
    #[allow(dead_code)] // Read by the `ApiRepo` extractor.
    repo: String,
    /// The run's id.
    #[param(value_type = i64)]
    id: String,
}

/// The run a restore started.
#[derive(Serialize, ToSchema)]
struct RestoreStarted {
    /// The new run (trigger `restore`), already finished.
    run_id: i64,
}

/// Puts back every ref run `id` changed here (refs it created are deleted, refs it deleted
/// come back) as one new run with trigger `restore`, and pauses the pull
/// (`mirror_enabled: false`) so the next sync does not undo it.
#[utoipa::path(
    post,
    path = "/repos/{owner}/{repo}/mirror/runs/{id}/restore",
    tag = "mirror",
    params(RunPath),
    responses(
        (status = 202, description = "Restored by the new run", body = RestoreStarted),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository or run", body = ErrorBody),
        (status = 409, description = "A sync is running", body = ErrorBody),
        (status = 422, description = "The run changed nothing here, or what it overwrote is no longer kept", body = ErrorBody),
    )
)]
async fn restore_run(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
    Path(path): Path<RunPath>,
) -> Result<(StatusCode, Json<RestoreStarted>), ApiError> {
    let id: i64 = path.id.parse().map_err(|_| Error::NotFound("run"))?;
    let run_id = state.engine.restore(&access.repo, id).await?;
    Ok((StatusCode::ACCEPTED, Json(RestoreStarted { run_id })))
}

/// A repository to import, once or as an upstream mirror.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ImportBody {
    /// The new repository's name (required).
    name: Option<String>,
    /// Where to clone from (required; `http`/`https`/SSH, no credentials in it).
    clone_url: Option<String>,
    /// Keep it as an upstream mirror of `clone_url` (default `false`).
    mirror: Option<bool>,
    /// Visible only to its owner and admins (default `false`).
    private: Option<bool>,
    /// A description.
    description: Option<String>,
    /// Username for `clone_url`.
    auth_username: Option<String>,
    /// Password or token for `clone_url` (write-only).
    auth_password: Option<String>,
    /// Seconds between syncs of a mirror.
    sync_interval: Option<i64>,
    /// Fetch the Git LFS objects too (and keep doing so, for a mirror).
    lfs: Option<bool>,
    /// The LFS server, when it is not at `<clone_url>/info/lfs`.
    lfs_endpoint: Option<String>,
    /// Commits of each ref's history to fetch, as `git clone --depth` does (`0`, the
    /// default: the full history; 1–100000). A shallow repository cannot have push mirrors.
    depth: Option<i64>,
    /// Who owns the new repository: the caller (the default) or an organisation where the
    /// caller has write access.
    owner: Option<String>,
}

/// Imports a repository from a URL; with `mirror: true` it stays an upstream mirror.
#[utoipa::path(
    post,
    path = "/repos/import",
    tag = "mirror",
    request_body = ImportBody,
    responses(
        (status = 201, description = "The repository", body = RepoJson),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "`owner` is neither the caller nor an organisation where they may write", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "Validation failed; `fields` names each bad field", body = ErrorBody),
    )
)]
async fn import_repo(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    BaseUrl(base): BaseUrl,
    ApiJson(body): ApiJson<ImportBody>,
) -> Result<(StatusCode, Json<RepoJson>), ApiError> {
    let owner = access::owner_to_create_in(&state.db, &user, body.owner.as_deref()).await?;
    let repo = state
        .importer()
        .import(
            &owner,
            ImportRequest {
                name: body.name.unwrap_or_default(),
                clone_url: body.clone_url.unwrap_or_default(),
                mirror: body.mirror.unwrap_or(false),
                private: body.private.unwrap_or(false),
                description: body.description.unwrap_or_default(),
                auth_username: body.auth_username,
                auth_password: body.auth_password,
                sync_interval: body.sync_interval,
                lfs: body.lfs.unwrap_or(false),
                lfs_endpoint: body.lfs_endpoint,
                depth: body.depth,
            },
        )
        .await?;
    let answer = RepoJson::for_caller(&state, repo, &user, &base).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}
