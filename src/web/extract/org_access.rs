//! The organisation a page route names (`/org/{org}/…`), found and authorised before the
//! handler runs: a handler that takes `PageOrg<Admin>` cannot forget that only owners (and
//! site admins) manage members. A name that is no organisation is 404; a refusal is 403.

use std::marker::PhantomData;

use axum::{
    extract::{FromRequestParts, Path},
    http::request::Parts,
};

use super::{
    caller::WebUserRejection,
    repo_access::{Level, PageViewer},
};
use crate::{
    accounts::orgs,
    entities::user,
    error::{Error, PageError},
    repos::{Permission, access},
    state::AppState,
};

/// An organisation for a page visitor (by session) whose standing in it is at least what
/// `L` needs: `Read` for members, `Admin` for owners.
#[derive(Debug)]
pub struct PageOrg<L: Level> {
    /// The organisation.
    pub org: user::Model,
    /// Who asked.
    pub viewer: L::Viewer,
    /// What they may do in it (at least what `L` needs).
    pub permission: Permission,
    level: PhantomData<L>,
}

/// The route's `{org}`, and the organisation it names as `viewer` may know it (a private
/// one is 404 to anyone but its members and site admins).
async fn org_of(
    parts: &mut Parts,
    state: &AppState,
    viewer: Option<&user::Model>,
) -> Result<user::Model, Error> {
    let Path(params) = <Path<std::collections::HashMap<String, String>> as FromRequestParts<
        AppState,
    >>::from_request_parts(parts, state)
    .await
    .map_err(|_| Error::NotFound("organisation"))?;
    let name = params.get("org").ok_or(Error::NotFound("organisation"))?;
    orgs::find_visible(&state.db, name, viewer)
        .await?
        .ok_or(Error::NotFound("organisation"))
}

impl<L: PageViewer> FromRequestParts<AppState> for PageOrg<L> {
    type Rejection = WebUserRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, WebUserRejection> {
        let viewer = L::viewer(parts, state).await?;
        let found = async {
            let org = org_of(parts, state, L::person(&viewer)).await?;
            let permission = access::standing(&state.db, &org, L::person(&viewer)).await?;
            if permission < L::NEEDED {
                return Err(access::org_refusal(&org, L::NEEDED));
            }
            Ok((org, permission))
        };
        let (org, permission) = found
            .await
            .map_err(|e| WebUserRejection::Error(PageError(e)))?;
        Ok(Self {
            org,
            viewer,
            permission,
            level: PhantomData,
        })
    }
}

/// A member of the organisation, any role (or a site admin), logged in: who may see its
/// members, and leave.
#[derive(Debug)]
pub struct Member;

impl Level for Member {
    type Viewer = user::Model;
    const NEEDED: Permission = Permission::Read;

    fn person(viewer: &Self::Viewer) -> Option<&user::Model> {
        Some(viewer)
    }
}

impl PageViewer for Member {
    async fn viewer(parts: &mut Parts, state: &AppState) -> Result<Self::Viewer, WebUserRejection> {
        let super::WebUser(user) =
            <super::WebUser as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await?;
        Ok(user)
    }
}
