//! `/admin/users`: the site's accounts for its administrators — list them, make or unmake an
//! administrator, disable an account (it cannot sign in; its tokens and sessions stop working)
//! or enable it again.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::paging::{GiteaPaging, ListUrl, Paged};
use crate::{
    accounts::users::{self, AdminChange},
    entities::user,
    error::{ApiError, Error, ErrorBody},
    state::AppState,
    web::extract::{ApiJson, ApiQuery, ApiUser},
};

/// Routes under `/admin`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(change))
}

/// An account as administrators see it.
#[derive(Serialize, ToSchema)]
#[schema(as = AdminUser)]
pub struct AdminUserJson {
    id: i64,
    username: String,
    email: String,
    is_admin: bool,
    disabled: bool,
    created_at: DateTime<Utc>,
}

impl From<user::Model> for AdminUserJson {
    fn from(u: user::Model) -> Self {
        Self {
            id: u.id,
            username: u.username,
            email: u.email,
            is_admin: u.is_admin,
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

/// Every account (not organisations), oldest first.
#[utoipa::path(
    get,
    path = "/admin/users",
    tag = "admin",
    params(GiteaPaging),
    responses(
        (status = 200, description = "One page of the accounts", body = [AdminUserJson]),
        (status = 400, description = "`limit` or `page` out of range", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not a site administrator", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    ApiQuery(paging): ApiQuery<GiteaPaging>,
    url: ListUrl,
) -> Result<Paged<AdminUserJson>, ApiError> {
    users::require_admin(&caller)?;
    let window = paging.window()?;
    let people = users::list_people(&state.db).await?;
    Ok(Paged::new(window.of(people).map(Into::into), window, url))
}

/// What an administrator changes of an account; an absent field stays.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AccountChange {
    /// Make (`true`) or unmake an administrator.
    is_admin: Option<bool>,
    /// Disable (`true`: no sign-in, tokens and sessions refused) or enable.
    disabled: Option<bool>,
}

/// Makes or unmakes an administrator, disables or enables an account.
#[utoipa::path(
    patch,
    path = "/admin/users/{username}",
    tag = "admin",
    params(("username" = String, Path, description = "The account's name")),
    request_body = AccountChange,
    responses(
        (status = 200, description = "The account as it is now", body = AdminUserJson),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not a site administrator", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "The change would leave the site without an administrator who can sign in", body = ErrorBody),
    )
)]
async fn change(
    State(state): State<AppState>,
    ApiUser(caller): ApiUser,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<AccountChange>,
) -> Result<Json<AdminUserJson>, ApiError> {
    users::require_admin(&caller)?;
    let target = users::find_person(&state.db, &username)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let changed = users::change_as_admin(
        &state.db,
        &state.accounts,
        target,
        AdminChange {
            is_admin: body.is_admin,
            disabled: body.disabled,
        },
    )
    .await?;
    Ok(Json(changed.into()))
}
