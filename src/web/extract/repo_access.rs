//! The repository a route names (`/{owner}/{repo}`), found and authorised before the handler
//! runs: a handler that takes `ApiRepo<Admin>` or `PageRepo<Write>` cannot forget the check,
//! which is [`repos::access`]'s one decision. Others get 404 for a private repository they
//! cannot see, 403 for one they may see but not change so.

use std::marker::PhantomData;

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts, Path},
    http::request::Parts,
};

use super::caller::{ApiUser, WebUser, WebUserRejection};
use crate::{
    entities::user,
    error::{ApiError, Error, PageError},
    repos::{self, Permission, Repo},
    state::AppState,
};

/// What a caller must be allowed to do with the repository, as a type.
pub trait Level: Send + Sync + 'static {
    /// Who the caller is, as far as this level needs to know.
    type Viewer: Send + Sync;

    /// The least permission the level takes.
    const NEEDED: Permission;

    /// The caller as the access decision takes them.
    fn person(viewer: &Self::Viewer) -> Option<&user::Model>;

    /// Finds the repository for `viewer` with what they may do with it, or says why not.
    fn find(
        state: &AppState,
        owner: &str,
        name: &str,
        viewer: &Self::Viewer,
    ) -> impl Future<Output = Result<(Repo, Permission), Error>> + Send {
        async move {
            let found = state.repos.find(&state.db, owner, name).await?;
            if found.is_none()
                && let Some(moved) = repos::redirects::follow(&state.db, owner, name).await?
            {
                // Only someone who may read it learns where it went; others get 404.
                let person = Self::person(viewer);
                let (repo, _) =
                    repos::permitted(&state.db, Some(moved), person, Permission::Read).await?;
                return Err(Error::Moved(repo.full_name()));
            }
            repos::permitted(&state.db, found, Self::person(viewer), Self::NEEDED).await
        }
    }
}

/// May see it: anyone for a public repository; for a private one its owner, the members of
/// the organisation that owns it, and administrators.
#[derive(Debug)]
pub struct Read;

/// May push to it and press "Sync now": its owner, members with `write` or `owner`, and
/// administrators.
#[derive(Debug)]
pub struct Write;

/// May change it: its owner, an organisation's `owner` members, and administrators.
#[derive(Debug)]
pub struct Admin;

impl Level for Read {
    type Viewer = Option<user::Model>;
    const NEEDED: Permission = Permission::Read;

    fn person(viewer: &Self::Viewer) -> Option<&user::Model> {
        viewer.as_ref()
    }
}

impl Level for Write {
    type Viewer = user::Model;
    const NEEDED: Permission = Permission::Write;

    fn person(viewer: &Self::Viewer) -> Option<&user::Model> {
        Some(viewer)
    }
}

impl Level for Admin {
    type Viewer = user::Model;
    const NEEDED: Permission = Permission::Admin;

    fn person(viewer: &Self::Viewer) -> Option<&user::Model> {
        Some(viewer)
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

/// The URI the client asked for (a nested router sees only the rest of it).
fn original_uri(parts: &Parts) -> &axum::http::Uri {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(&parts.uri, |original| &original.0)
}

/// `err` with a move's new `OWNER/NAME` made into the whole new location of `uri`: its
/// `old_owner/old_name` segments replaced (a `.git` suffix kept), its query kept.
#[must_use]
pub fn located(err: Error, uri: &axum::http::Uri, old_owner: &str, old_name: &str) -> Error {
    match err {
        Error::Moved(new) => Error::Moved(moved_location(uri, old_owner, old_name, &new)),
        other => other,
    }
}

/// `uri`'s path and query with the first `old_owner/old_name` (or `old_name.git`) segments
/// replaced by `new` (`OWNER/NAME`); the bare `/{new}` when they are not found.
#[must_use]
pub fn moved_location(uri: &axum::http::Uri, old_owner: &str, old_name: &str, new: &str) -> String {
    let (new_owner, new_name) = new.split_once('/').unwrap_or((new, ""));
    let old_name = old_name.strip_suffix(".git").unwrap_or(old_name);
    let mut segments: Vec<String> = uri.path().split('/').map(str::to_owned).collect();
    let at = segments.windows(2).position(|pair| {
        let decoded = |s: &str| percent_decode(s);
        decoded(&pair[0]).eq_ignore_ascii_case(old_owner) && {
            let name = decoded(&pair[1]);
            let name = name.strip_suffix(".git").unwrap_or(&name).to_owned();
            name.eq_ignore_ascii_case(old_name)
        }
    });
    let Some(at) = at else {
        return format!("/{new}");
    };
    let suffix = if segments[at + 1].ends_with(".git") {
        ".git"
    } else {
        ""
    };
    segments[at] = new_owner.to_owned();
    segments[at + 1] = format!("{new_name}{suffix}");
    let mut location = segments.join("/");
    if let Some(query) = uri.query() {
        location.push('?');
        location.push_str(query);
    }
    location
}

/// A path segment with its `%XX` escapes decoded (names are ASCII; anything else is lossy).
fn percent_decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// The repository for an API caller (token or Basic); errors in the contract's JSON shape.
#[derive(Debug)]
pub struct ApiRepo<L: Level> {
    /// The repository, with its owner.
    pub repo: Repo,
    /// Who asked.
    pub viewer: L::Viewer,
    /// What they may do with it (at least what `L` needs).
    pub permission: Permission,
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

impl ApiViewer for Write {
    async fn viewer(parts: &mut Parts, state: &AppState) -> Result<Self::Viewer, ApiError> {
        let ApiUser(user) =
            <ApiUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        Ok(user)
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
        let (repo, permission) = L::find(state, &owner, &name, &viewer)
            .await
            .map_err(|e| located(e, original_uri(parts), &owner, &name))?;
        Ok(Self {
            repo,
            viewer,
            permission,
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
    /// What they may do with it (at least what `L` needs).
    pub permission: Permission,
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

impl PageViewer for Write {
    async fn viewer(parts: &mut Parts, state: &AppState) -> Result<Self::Viewer, WebUserRejection> {
        let WebUser(user) =
            <WebUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await?;
        Ok(user)
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
            let bare = name.strip_suffix(".git").unwrap_or(&name);
            L::find(state, &owner, bare, &viewer)
                .await
                .map_err(|e| located(e, original_uri(parts), &owner, &name))
        };
        let (repo, permission) = found
            .await
            .map_err(|e| WebUserRejection::Error(PageError(e)))?;
        Ok(Self {
            repo,
            viewer,
            permission,
            level: PhantomData,
        })
    }
}
