//! The push mirror a route names (`/{owner}/{repo}/…/{id}`), found with its repository and
//! authorised before the handler runs: a handler that takes `PushMirrorAccess<Admin>` cannot
//! forget that the push mirror must belong to the repository it may change. An `{id}` that is
//! not a number, or names another repository's push mirror, is 404 ("push mirror not found").

use axum::{
    extract::{FromRequestParts, Path},
    http::request::Parts,
};

use super::{
    caller::WebUserRejection,
    repo_access::{ApiRepo, ApiViewer, Level, PageRepo, PageViewer},
};
use crate::{
    entities::push_mirror,
    error::{ApiError, Error, PageError},
    mirror::push_mirrors::change,
    repos::Repo,
    state::AppState,
};

/// The route's `{id}`, and the push mirror of `repo` it names.
async fn mirror_of(
    parts: &mut Parts,
    state: &AppState,
    repo: &Repo,
) -> Result<push_mirror::Model, Error> {
    let Path(params) = <Path<std::collections::HashMap<String, String>> as FromRequestParts<
        AppState,
    >>::from_request_parts(parts, state)
    .await
    .map_err(|_| Error::NotFound("push mirror"))?;
    let id = params
        .get("id")
        .and_then(|id| id.parse().ok())
        .ok_or(Error::NotFound("push mirror"))?;
    change::find(&state.db, &repo.repo, id).await
}

/// A push mirror for a page visitor (by session): [`PageRepo`] first, then the push mirror.
#[derive(Debug)]
pub struct PushMirrorAccess<L: Level> {
    /// The repository, with its owner.
    pub repo: Repo,
    /// Who asked.
    pub viewer: L::Viewer,
    /// The push mirror, which belongs to `repo`.
    pub mirror: push_mirror::Model,
}

impl<L: PageViewer> FromRequestParts<AppState> for PushMirrorAccess<L> {
    type Rejection = WebUserRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, WebUserRejection> {
        let access = PageRepo::<L>::from_request_parts(parts, state).await?;
        let mirror = mirror_of(parts, state, &access.repo)
            .await
            .map_err(|e| WebUserRejection::Error(PageError(e)))?;
        Ok(Self {
            repo: access.repo,
            viewer: access.viewer,
            mirror,
        })
    }
}

/// A push mirror for an API caller (token or Basic): [`ApiRepo`] first, then the push
/// mirror; errors in the contract's JSON shape.
#[derive(Debug)]
pub struct ApiPushMirror<L: Level> {
    /// The repository, with its owner.
    pub repo: Repo,
    /// Who asked.
    pub viewer: L::Viewer,
    /// The push mirror, which belongs to `repo`.
    pub mirror: push_mirror::Model,
}

impl<L: ApiViewer> FromRequestParts<AppState> for ApiPushMirror<L> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let access = ApiRepo::<L>::from_request_parts(parts, state).await?;
        let mirror = mirror_of(parts, state, &access.repo).await?;
        Ok(Self {
            repo: access.repo,
            viewer: access.viewer,
            mirror,
        })
    }
}
