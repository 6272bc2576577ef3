//! The account mirror a route names (`…/account_mirrors/{id}`, `/account-mirrors/{id}`), found
//! and authorised before the handler runs: only who may change the settings of the owner its
//! mirrors land in (that person, an owner of that organisation, a site admin) may see or use
//! it. For anyone else, and for an `{id}` that is not a number, it does not exist (404).

use axum::{
    extract::{FromRequestParts, Path},
    http::request::Parts,
};

use super::{ApiUser, WebUser, caller::WebUserRejection};
use crate::{
    entities::user,
    error::{ApiError, Error, PageError},
    mirror::account_mirrors::store::{self, AccountMirror},
    repos::{Permission, access},
    state::AppState,
};

/// The route's `{id}`, and the account mirror it names if `viewer` manages it.
async fn managed(
    parts: &mut Parts,
    state: &AppState,
    viewer: &user::Model,
) -> Result<AccountMirror, Error> {
    const MISSING: Error = Error::NotFound("account mirror");
    let Path(params) = <Path<std::collections::HashMap<String, String>> as FromRequestParts<
        AppState,
    >>::from_request_parts(parts, state)
    .await
    .map_err(|_| MISSING)?;
    let id = params
        .get("id")
        .and_then(|id| id.parse().ok())
        .ok_or(MISSING)?;
    let found = store::find(&state.db, id).await?.ok_or(MISSING)?;
    if access::standing(&state.db, &found.owner, Some(viewer)).await? < Permission::Admin {
        return Err(MISSING);
    }
    Ok(found)
}

/// An account mirror for an API caller (token or Basic) who manages it.
#[derive(Debug)]
pub struct ApiAccountMirror {
    /// The account mirror, with its owner.
    pub account: AccountMirror,
    /// Who asked.
    pub viewer: user::Model,
}

impl FromRequestParts<AppState> for ApiAccountMirror {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ApiUser(viewer) = ApiUser::from_request_parts(parts, state).await?;
        let account = managed(parts, state, &viewer).await?;
        Ok(Self { account, viewer })
    }
}

/// An account mirror for a logged-in page visitor who manages it.
#[derive(Debug)]
pub struct PageAccountMirror {
    /// The account mirror, with its owner.
    pub account: AccountMirror,
    /// Who asked.
    pub viewer: user::Model,
}

impl FromRequestParts<AppState> for PageAccountMirror {
    type Rejection = WebUserRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, WebUserRejection> {
        let WebUser(viewer) = WebUser::from_request_parts(parts, state).await?;
        let account = managed(parts, state, &viewer)
            .await
            .map_err(|e| WebUserRejection::Error(PageError(e)))?;
        Ok(Self { account, viewer })
    }
}
