//! `/repos/{owner}/{repo}/push_mirrors`: a repository's push targets, listed, added, changed
//! and removed by its owner or an administrator.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    super::extract::{Admin, ApiJson, ApiPushMirror, ApiQuery, ApiRepo, Write},
    doc::RepoPath,
    go_duration,
    paging::{GiteaPaging, ListUrl, Paged},
};
use crate::{
    entities::{
        mirror_enums::{MirrorDirection, SyncStatus},
        push_mirror, repository,
    },
    error::{ApiError, Error, ErrorBody},
    mirror::{
        engine::{SyncRequest, already_running, mirroring_off},
        push_mirrors::{
            self, NowPushes,
            change::{PushMirrorInput, PushMirrorView},
        },
    },
    state::AppState,
};

/// The push mirror routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(change, remove))
        .routes(routes!(sync_one))
}

/// A push mirror as the API shows it: ours, and Gitea's `PushMirror` fields beside.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PushMirror)]
struct PushMirrorJson {
    /// Ours.
    #[serde(flatten)]
    view: PushMirrorView,
    /// Gitea's name for it: `remote_mirror_<id>`.
    remote_name: String,
    /// Where it pushes, without credentials (our `remote_url`).
    remote_address: String,
    /// The repository's name.
    repo_name: String,
    /// When it was added (our `created_at`).
    #[serde(serialize_with = "super::gitea_time::serialize")]
    created: DateTime<Utc>,
    /// End of its last successful push (our `last_synced_at`).
    #[serde(serialize_with = "super::gitea_time::option::serialize")]
    last_update: Option<DateTime<Utc>>,
    /// How often it is pushed: with every scheduled sync of the repository, as Go writes a
    /// duration (`8h0m0s`).
    interval: String,
    /// Pushed after every `git push` into the repository (our `sync_on_push`).
    sync_on_commit: bool,
}

impl PushMirrorJson {
    /// `mirror` of `repo`.
    fn new(mirror: &push_mirror::Model, repo: &repository::Model) -> Self {
        let view = PushMirrorView::from(mirror);
        Self {
            remote_name: format!("remote_mirror_{}", mirror.id),
            remote_address: view.remote_url.clone(),
            repo_name: repo.name.clone(),
            created: view.created_at,
            last_update: view.last_synced_at,
            interval: go_duration::format_interval(repo.sync_interval),
            sync_on_commit: view.sync_on_push,
            view,
        }
    }
}

/// A push mirror to add: ours, or Gitea's `CreatePushMirrorOption` (`remote_address`,
/// `remote_username`, `remote_password`, `interval`, `sync_on_commit`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AddBody {
    /// Where to push (required to add one).
    remote_url: Option<String>,
    /// Where to push, as Gitea names it (when `remote_url` is absent).
    remote_address: Option<String>,
    /// Login name.
    remote_username: Option<String>,
    /// Password or token (write-only).
    remote_password: Option<String>,
    /// Pushed by syncs (default `true`).
    enabled: Option<bool>,
    /// Pushed after every `git push` into the repository.
    sync_on_push: Option<bool>,
    /// Gitea's name for `sync_on_push` (when that is absent).
    sync_on_commit: Option<bool>,
    /// Gitea's push interval, a Go duration (`8h0m0s`): checked, not kept — push mirrors are
    /// pushed with every scheduled sync of the repository, whose interval the answer shows.
    interval: Option<String>,
    /// Patterns of the refs it carries.
    ref_filter: Option<Vec<String>>,
    /// Its branch map.
    ref_map: Option<Vec<crate::git::fetch_push::ref_map::MapRule>>,
    /// Leave diverged refs there as they are.
    keep_divergent_refs: Option<bool>,
}

impl AddBody {
    /// The push mirror asked for, `interval` checked against `min_interval` seconds.
    fn into_input(self, min_interval: i64) -> Result<PushMirrorInput, Error> {
        if let Some(interval) = &self.interval {
            go_duration::parse_interval("interval", interval, min_interval)?;
        }
        Ok(PushMirrorInput {
            remote_url: self.remote_url.or(self.remote_address),
            remote_username: self.remote_username,
            remote_password: self.remote_password,
            enabled: self.enabled,
            sync_on_push: self.sync_on_push.or(self.sync_on_commit),
            ref_filter: self.ref_filter,
            ref_map: self.ref_map,
            keep_divergent_refs: self.keep_divergent_refs,
        })
    }
}

/// A push mirror as added or changed, with what it did to its repository.
#[derive(Serialize, utoipa::ToSchema)]
struct SavedPushMirror {
    /// The push mirror.
    #[serde(flatten)]
    mirror: PushMirrorJson,
    /// Said when the repository now pushes because of it (mirroring switched on, or
    /// `upstream` made `both`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<&'static str>,
    /// The repository's `mirror_direction` now.
    mirror_direction: MirrorDirection,
    /// The repository's `mirror_enabled` now.
    mirror_enabled: bool,
}

impl SavedPushMirror {
    /// `mirror` saved on `repo`, which `now_pushes` changed.
    fn new(
        mirror: &push_mirror::Model,
        repo: &repository::Model,
        now_pushes: Option<NowPushes>,
    ) -> Self {
        let (mirror_enabled, mirror_direction) = match now_pushes {
            Some(NowPushes::SwitchedOn) => (true, MirrorDirection::Downstream),
            Some(NowPushes::AlsoPushes) => (true, MirrorDirection::Both),
            None => (repo.mirror_enabled, repo.mirror_direction),
        };
        Self {
            mirror: PushMirrorJson::new(mirror, repo),
            notice: now_pushes.map(NowPushes::sentence),
            mirror_direction,
            mirror_enabled,
        }
    }
}

/// A push to this one target started.
#[derive(Serialize, utoipa::ToSchema)]
struct PushStarted {
    /// `syncing`.
    status: SyncStatus,
}

/// "Sync now" next to one push mirror: a run that pushes to this target only.
#[utoipa::path(
    post,
    path = "/repos/{owner}/{repo}/push_mirrors/{id}/sync",
    tag = "push_mirrors",
    params(PushMirrorPath),
    responses(
        (status = 202, description = "The push started", body = PushStarted),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository or push mirror, or a private one the caller may not see", body = ErrorBody),
        (status = 409, description = "A sync of the repository is running", body = ErrorBody),
        (status = 422, description = "The push mirror (or mirroring) is disabled", body = ErrorBody),
    )
)]
async fn sync_one(
    State(state): State<AppState>,
    access: ApiPushMirror<Write>,
) -> Result<(StatusCode, Json<PushStarted>), ApiError> {
    let target = access.mirror;
    match state
        .engine
        .request_push_to(&access.repo.repo, &target)
        .await?
    {
        SyncRequest::Started => Ok((
            StatusCode::ACCEPTED,
            Json(PushStarted {
                status: SyncStatus::Syncing,
            }),
        )),
        SyncRequest::AlreadyRunning => Err(already_running().into()),
        SyncRequest::Disabled if !target.enabled => {
            Err(Error::field("enabled", "this push mirror is disabled; enable it first").into())
        }
        SyncRequest::Disabled => Err(mirroring_off().into()),
    }
}

/// The path of one push mirror.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct PushMirrorPath {
    /// The owner's username.
    #[allow(dead_code)] // Read by the `ApiRepo` and `ApiPushMirror` extractors.
    owner: String,
    /// The repository's name.
    #[allow(dead_code)] // Read by the `ApiRepo` and `ApiPushMirror` extractors.
    repo: String,
    /// The push mirror's id.
    #[param(value_type = i64)]
    id: String,
}

impl PushMirrorPath {
    /// The `{id}` of the route; an id that is not a number names no push mirror.
    fn id(&self) -> Result<i64, ApiError> {
        self.id
            .parse()
            .map_err(|_| ApiError(Error::NotFound("push mirror")))
    }
}

/// The repository's push mirrors, oldest first.
#[utoipa::path(
    get,
    path = "/repos/{owner}/{repo}/push_mirrors",
    tag = "push_mirrors",
    params(RepoPath, GiteaPaging),
    responses(
        (status = 200, description = "Push mirrors, oldest first", body = Vec<PushMirrorJson>),
        (status = 400, description = "`limit` or `page` out of range", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
    ApiQuery(paging): ApiQuery<GiteaPaging>,
    url: ListUrl,
) -> Result<Paged<PushMirrorJson>, ApiError> {
    let window = paging.window()?;
    let mirrors = push_mirrors::list(&state.db, access.repo.repo.id).await?;
    let repo = &access.repo.repo;
    let page = window.of(mirrors).map(|m| PushMirrorJson::new(&m, repo));
    Ok(Paged::new(page, window, url))
}

/// Adds a push mirror (at most 10 per repository).
#[utoipa::path(
    post,
    path = "/repos/{owner}/{repo}/push_mirrors",
    tag = "push_mirrors",
    params(RepoPath),
    request_body = AddBody,
    responses(
        (status = 201, description = "The push mirror, and what it did to the repository", body = SavedPushMirror),
        (status = 200, description = "The same, for a body in Gitea's shape (`remote_address`), as Gitea answers", body = SavedPushMirror),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
        (status = 422, description = "Validation failed (or already 10); `fields` names each bad field", body = ErrorBody),
    )
)]
async fn add(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
    ApiJson(body): ApiJson<AddBody>,
) -> Result<(StatusCode, Json<SavedPushMirror>), ApiError> {
    // Gitea answers its own shape with 200; its generated clients read nothing from a 201.
    let status = if body.remote_url.is_none() && body.remote_address.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let input = body.into_input(state.config.min_sync_interval)?;
    let (added, now_pushes) = push_mirrors::change::add(
        &state.db,
        &state.config,
        &state.secrets,
        &access.repo.repo,
        input,
    )
    .await?;
    tracing::info!(
        repo_id = access.repo.repo.id,
        push_mirror_id = added.id,
        "push mirror added"
    );
    Ok((
        status,
        Json(SavedPushMirror::new(&added, &access.repo.repo, now_pushes)),
    ))
}

/// Changes a push mirror: a field left out keeps its value, `""` clears a text one.
#[utoipa::path(
    patch,
    path = "/repos/{owner}/{repo}/push_mirrors/{id}",
    tag = "push_mirrors",
    params(PushMirrorPath),
    request_body = PushMirrorInput,
    responses(
        (status = 200, description = "The push mirror after the change, and what it did to the repository", body = SavedPushMirror),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository or push mirror, or a private one the caller may not see", body = ErrorBody),
        (status = 422, description = "Validation failed; `fields` names each bad field", body = ErrorBody),
    )
)]
async fn change(
    State(state): State<AppState>,
    Path(path): Path<PushMirrorPath>,
    access: ApiRepo<Admin>,
    ApiJson(input): ApiJson<PushMirrorInput>,
) -> Result<Json<SavedPushMirror>, ApiError> {
    let id = path.id()?;
    let (changed, now_pushes) = push_mirrors::change::change(
        &state.db,
        &state.config,
        &state.secrets,
        &access.repo.repo,
        id,
        input,
    )
    .await?;
    Ok(Json(SavedPushMirror::new(
        &changed,
        &access.repo.repo,
        now_pushes,
    )))
}

/// Removes a push mirror.
#[utoipa::path(
    delete,
    path = "/repos/{owner}/{repo}/push_mirrors/{id}",
    tag = "push_mirrors",
    params(PushMirrorPath),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository or push mirror, or a private one the caller may not see", body = ErrorBody),
        (status = 409, description = "The last one, while the repository pushes", body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    Path(path): Path<PushMirrorPath>,
    access: ApiRepo<Admin>,
) -> Result<StatusCode, ApiError> {
    let id = path.id()?;
    push_mirrors::change::remove(&state.db, &access.repo.repo, id).await?;
    tracing::info!(
        repo_id = access.repo.repo.id,
        push_mirror_id = id,
        "push mirror removed"
    );
    Ok(StatusCode::NO_CONTENT)
}
