//! `/repos`: create, read and delete repositories.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    entities::mirror_enums::MirrorDirection,
    error::ApiError,
    repos::{self, NewRepo, Repo},
    state::AppState,
    web::extract::{Admin, ApiJson, ApiRepo, ApiUser, BaseUrl, Read},
};

/// Routes under `/repos`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/repos", post(create))
        .route("/repos/{owner}/{repo}", get(show).delete(remove))
}

/// A repository as the API shows it.
#[derive(Serialize)]
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

#[derive(Deserialize)]
struct CreateBody {
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    private: Option<bool>,
}

async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    BaseUrl(base): BaseUrl,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<RepoJson>), ApiError> {
    let new = NewRepo {
        name: body.name.unwrap_or_default(),
        description: body.description.unwrap_or_default(),
        private: body.private.unwrap_or(false),
    };
    let repo = repos::create(&state.db, &state.config, &user, new).await?;
    Ok((StatusCode::CREATED, Json(RepoJson::new(&repo, &base))))
}

async fn show(access: ApiRepo<Read>, BaseUrl(base): BaseUrl) -> Json<RepoJson> {
    Json(RepoJson::new(&access.repo, &base))
}

async fn remove(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<StatusCode, ApiError> {
    repos::delete(&state.db, &state.config, access.repo).await?;
    Ok(StatusCode::NO_CONTENT)
}
