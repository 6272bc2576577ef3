//! `/repos`: create, read and delete repositories.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    auth::extract::ApiUser,
    error::ApiError,
    repos::{self, NewRepo, Repo},
    state::AppState,
    web::extract::{ApiJson, BaseUrl},
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
    mirror_direction: Option<String>,
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
            mirror_direction: r
                .repo
                .mirror_enabled
                .then(|| r.repo.mirror_direction.clone()),
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

async fn show(
    State(state): State<AppState>,
    user: Option<ApiUser>,
    BaseUrl(base): BaseUrl,
    Path((owner, name)): Path<(String, String)>,
) -> Result<Json<RepoJson>, ApiError> {
    let viewer = user.map(|u| u.0);
    let repo = repos::find_readable(&state.db, &owner, &name, viewer.as_ref()).await?;
    Ok(Json(RepoJson::new(&repo, &base)))
}

async fn remove(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((owner, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let repo = repos::find_admin(&state.db, &owner, &name, &user).await?;
    repos::delete(&state.db, &state.config, repo).await?;
    Ok(StatusCode::NO_CONTENT)
}
