//! `/repos`: create, read, change (rename, move, describe, hide) and delete repositories.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    entities::mirror_enums::MirrorDirection,
    error::{ApiError, ErrorBody},
    repos::{
        self, NewRepo, Repo,
        change::{self, RepoChange},
    },
    state::AppState,
    web::extract::{Admin, ApiJson, ApiRepo, ApiUser, BaseUrl, Read},
};

use super::doc::RepoPath;

/// Routes under `/repos`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(show, update, remove))
}

/// A repository as the API shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = Repository)]
pub struct RepoJson {
    id: i64,
    owner: String,
    name: String,
    description: String,
    private: bool,
    mirror_enabled: bool,
    /// The stored direction, also while mirroring is off (as the settings show it).
    mirror_direction: MirrorDirection,
    clone_url: String,
    created_at: DateTime<Utc>,
}

impl RepoJson {
    /// Builds the JSON with the clone URL under `base`.
    #[must_use]
    pub fn new(r: &Repo, base: &str) -> Self {
        Self {
            id: r.repo.id,
            owner: r.owner.username.clone(),
            name: r.repo.name.clone(),
            description: r.repo.description.clone(),
            private: r.repo.is_private,
            mirror_enabled: r.repo.mirror_enabled,
            mirror_direction: r.repo.mirror_direction,
            clone_url: format!("{base}/{}.git", r.full_name()),
            created_at: r.repo.created_at,
        }
    }
}

/// A repository to create.
#[derive(Deserialize, ToSchema)]
pub struct CreateBody {
    /// Its name (required).
    name: Option<String>,
    /// A description.
    #[serde(default)]
    description: Option<String>,
    /// Visible only to its owner and admins (default `false`).
    #[serde(default)]
    private: Option<bool>,
}

impl CreateBody {
    /// The repository asked for.
    pub fn into_new(self) -> NewRepo {
        NewRepo {
            name: self.name.unwrap_or_default(),
            description: self.description.unwrap_or_default(),
            private: self.private.unwrap_or(false),
            made_by: None,
        }
    }
}

/// Creates an empty repository owned by the caller.
#[utoipa::path(
    post,
    path = "/repos",
    tag = "repos",
    request_body = CreateBody,
    responses(
        (status = 201, description = "The repository", body = RepoJson),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "Invalid name", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    BaseUrl(base): BaseUrl,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<RepoJson>), ApiError> {
    let repo = repos::create(&state.db, &state.config, &user, body.into_new()).await?;
    Ok((StatusCode::CREATED, Json(RepoJson::new(&repo, &base))))
}

/// One repository; public ones also without credentials.
#[utoipa::path(
    get,
    path = "/repos/{owner}/{repo}",
    tag = "repos",
    params(RepoPath),
    security((), ("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The repository", body = RepoJson),
        (status = 401, description = "Invalid credentials", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn show(access: ApiRepo<Read>, BaseUrl(base): BaseUrl) -> Json<RepoJson> {
    Json(RepoJson::new(&access.repo, &base))
}

/// What `PATCH /repos/{owner}/{repo}` may change; an absent field is left as it is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// A new name: the old path answers 301 to the new one until a new repository takes it.
    name: Option<String>,
    /// A new description.
    description: Option<String>,
    /// Hide it (`true`) or show it to everyone.
    private: Option<bool>,
    /// The branch a clone checks out (it must exist).
    default_branch: Option<String>,
    /// Move it to this account or organisation (one the caller owns).
    owner: Option<String>,
}

/// Renames, moves, describes, hides or shows a repository, or picks its default branch (its
/// owner or an admin). Mirrors, runs, push mirrors and LFS objects stay with it.
#[utoipa::path(
    patch,
    path = "/repos/{owner}/{repo}",
    tag = "repos",
    params(RepoPath),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The repository as it is now", body = RepoJson),
        (status = 301, description = "Renamed or moved: `Location` is its new path"),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not its owner or an admin, or an owner the caller may not move it to", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
        (status = 409, description = "The new path is taken, or a sync is running during a rename or move", body = ErrorBody),
        (status = 422, description = "A bad name or description, or no such branch", body = ErrorBody),
    )
)]
async fn update(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
    BaseUrl(base): BaseUrl,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<RepoJson>, ApiError> {
    let change = RepoChange {
        name: body.name,
        description: body.description,
        private: body.private,
        default_branch: body.default_branch,
        owner: body.owner,
    };
    let repo = change::apply(
        &state.db,
        &state.config,
        &access.viewer,
        access.repo,
        change,
    )
    .await?;
    Ok(Json(RepoJson::new(&repo, &base)))
}

/// Deletes a repository (its owner or an admin).
#[utoipa::path(
    delete,
    path = "/repos/{owner}/{repo}",
    tag = "repos",
    params(RepoPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<StatusCode, ApiError> {
    repos::delete(&state.db, &state.config, &state.lfs, access.repo).await?;
    Ok(StatusCode::NO_CONTENT)
}
