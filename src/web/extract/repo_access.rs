//! The repository a route names (`/{owner}/{repo}`), found and authorised before the handler
//! runs: a handler that takes `ApiRepo<Admin>` or `PageRepo<Admin>` cannot forget the check.
//! Others get 404 for a private repository they cannot see, 403 for one they may only read.

use std::marker::PhantomData;

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts, Path},
    http::request::Parts,
};

use super::caller::{ApiUser, WebUser, WebUserRejection};
use crate::{
    entities::user,
    error::{ApiError, Error, PageError},
    repos::{self, Repo},
    state::AppState,
};

/// What a caller may do with the repository, as a type.
pub trait Level: Send + Sync + 'static {
    /// Who the caller is, as far as this level needs to know.
    type Viewer: Send + Sync;

    /// Finds the repository for `viewer`, or says why not.
    fn find(
        state: &AppState,
        owner: &str,
        name: &str,
        viewer: &Self::Viewer,
    ) -> impl Future<Output = Result<Repo, Error>> + Send;
}

/// May see it: anyone for a public repository, the owner and administrators for a private one.
#[derive(Debug)]
pub struct Read;

/// May change it: the owner or an administrator.
#[derive(Debug)]
pub struct Admin;

impl Level for Read {
    type Viewer = Option<user::Model>;

    async fn find(
        state: &AppState,
        owner: &str,
        name: &str,
        viewer: &Self::Viewer,
    ) -> Result<Repo, Error> {
        let found = state.repos.find(&state.db, owner, name).await?;
        repos::readable(found, viewer.as_ref())
    }
}

impl Level for Admin {
    type Viewer = user::Model;

    async fn find(
        state: &AppState,
        owner: &str,
        name: &str,
        viewer: &Self::Viewer,
    ) -> Result<Repo, Error> {
        let found = state.repos.find(&state.db, owner, name).await?;
        repos::administrable(found, viewer)
    }
}

/// The route's `{owner}` and `{repo}` (it may have more parameters, such as `{id}`).
async fn names(parts: &mut Parts, state: &AppState) -> Result<(String, String), Error> {
    let Path(mut params) = <Path<std::collections::HashMap<String, String>> as FromRequestParts<
        AppState,
    >>::from_request_parts(parts, state)
    .await
    .map_err(|_| Error::NotFound("repository"))?;
    match (params.remove("owner"), params.remove("repo")) {
        (Some(owner), Some(repo)) => Ok((owner, repo)),
        _ => Err(Error::NotFound("repository")),
    }
}

/// The repository for an API caller (token or Basic); errors in the contract's JSON shape.
#[derive(Debug)]
pub struct ApiRepo<L: Level> {
    /// The repository, with its owner.
    pub repo: Repo,
    /// Who asked.
    pub viewer: L::Viewer,
    level: PhantomData<L>,
}

/// Who an API caller is, for each level: `Read` lets anonymous callers in.
pub trait ApiViewer: Level {
    /// The caller, or 401.
    fn viewer(
        parts: &mut Parts,
        state: &AppState,
    ) -> impl Future<Output = Result<Self::Viewer, ApiError>> + Send;
}

impl ApiViewer for Read {
    async fn viewer(parts: &mut Parts, state: &AppState) -> Result<Self::Viewer, ApiError> {
        let user =
            <ApiUser as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
                .await?;
        Ok(user.map(|ApiUser(user)| user))
    }
}

impl ApiViewer for Admin {
    async fn viewer(parts: &mut Parts, state: &AppState) -> Result<Self::Viewer, ApiError> {
        let ApiUser(user) =
            <ApiUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        Ok(user)
    }
}

impl<L: ApiViewer> FromRequestParts<AppState> for ApiRepo<L> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let viewer = L::viewer(parts, state).await?;
        let (owner, name) = names(parts, state).await?;
        let repo = L::find(state, &owner, &name, &viewer).await?;
        Ok(Self {
            repo,
            viewer,
            level: PhantomData,
        })
    }
}

/// The repository for a page visitor (by session); a visitor who must log in is sent to the
/// login page, other refusals are error pages. `/OWNER/NAME.git` names the same repository.
#[derive(Debug)]
pub struct PageRepo<L: Level> {
    /// The repository, with its owner.
    pub repo: Repo,
    /// Who asked.
    pub viewer: L::Viewer,
    level: PhantomData<L>,
}

/// Who a page visitor is, for each level: `Read` lets anonymous visitors in.
pub trait PageViewer: Level {
    /// The visitor, or the way to the login page.
    fn viewer(
        parts: &mut Parts,
        state: &AppState,
    ) -> impl Future<Output = Result<Self::Viewer, WebUserRejection>> + Send;
}

impl PageViewer for Read {
    async fn viewer(parts: &mut Parts, state: &AppState) -> Result<Self::Viewer, WebUserRejection> {
        let user =
            <WebUser as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .map_err(WebUserRejection::Error)?;
        Ok(user.map(|WebUser(user)| user))
    }
}

impl PageViewer for Admin {
    async fn viewer(parts: &mut Parts, state: &AppState) -> Result<Self::Viewer, WebUserRejection> {
        let WebUser(user) =
            <WebUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        Ok(user)
    }
}

impl<L: PageViewer> FromRequestParts<AppState> for PageRepo<L> {
    type Rejection = WebUserRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, WebUserRejection> {
        let viewer = L::viewer(parts, state).await?;
        let found = async {
            let (owner, name) = names(parts, state).await?;
            let name = name.strip_suffix(".git").unwrap_or(&name);
            L::find(state, &owner, name, &viewer).await
        };
        let repo = found
            .await
            .map_err(|e| WebUserRejection::Error(PageError(e)))?;
        Ok(Self {
            repo,
            viewer,
            level: PhantomData,
        })
    }
}
