//! `/user`: the caller, their password, their tokens and their repositories.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::repos::RepoJson;
use crate::{
    accounts::{members, tokens, users},
    entities::user,
    error::{ApiError, Error, ErrorBody},
    repos,
    state::AppState,
    web::extract::{
        ApiJson, ApiUser, BaseUrl, ClientAddr,
        caller::{PresentedCredentials, credentials},
    },
};

/// Routes under `/user`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me, change_me))
        .routes(routes!(create_token))
        .routes(routes!(change_password))
        .routes(routes!(my_repos))
}

/// A user as the API shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserJson {
    id: i64,
    username: String,
    email: String,
    is_admin: bool,
}

impl From<user::Model> for UserJson {
    fn from(u: user::Model) -> Self {
        Self {
            id: u.id,
            username: u.username,
            email: u.email,
            is_admin: u.is_admin,
        }
    }
}

/// The caller.
#[utoipa::path(
    get,
    path = "/user",
    tag = "user",
    responses(
        (status = 200, description = "The caller", body = UserJson),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords (Basic); see `Retry-After`", body = ErrorBody),
    )
)]
async fn me(ApiUser(user): ApiUser) -> Json<UserJson> {
    Json(user.into())
}

/// What `PATCH /user` changes; an absent field stays as it is.
#[derive(Deserialize, ToSchema)]
struct UserChanges {
    /// A new email address.
    email: Option<String>,
}

/// Changes the caller's account (their email address).
#[utoipa::path(
    patch,
    path = "/user",
    tag = "user",
    request_body = UserChanges,
    responses(
        (status = 200, description = "The caller, changed", body = UserJson),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 422, description = "Not an email address (`email`)", body = ErrorBody),
    )
)]
async fn change_me(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(changes): ApiJson<UserChanges>,
) -> Result<Json<UserJson>, ApiError> {
    let user = match changes.email {
        Some(email) => users::change_email(&state.db, &state.accounts, user, &email).await?,
        None => user,
    };
    Ok(Json(user.into()))
}

/// A password change.
#[derive(Deserialize, ToSchema)]
struct PasswordChange {
    /// The password now.
    #[serde(default)]
    current_password: String,
    /// The new one (at least as long as at sign-up).
    #[serde(default)]
    new_password: String,
}

/// Changes the caller's password, given the current one (wrong guesses throttled as at
/// login); every session of the account ends.
#[utoipa::path(
    post,
    path = "/user/password",
    tag = "user",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; every session made with the old password is over"),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "The current password is wrong", body = ErrorBody),
        (status = 422, description = "The new password is too short or too long (`new_password`)", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords; see `Retry-After`", body = ErrorBody),
    )
)]
async fn change_password(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    users::change_password(
        &state.db,
        (&state.throttle, client),
        &state.accounts,
        user,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The token to make.
#[derive(Deserialize, ToSchema)]
struct NewToken {
    /// A name to recognise it by.
    #[serde(default)]
    name: String,
    /// When it stops working (RFC 3339); absent: never.
    #[serde(default)]
    expires_at: Option<String>,
    /// `read` (clone, fetch, GET) or `write` (everything the user may do; the default).
    #[serde(default)]
    scope: Option<String>,
}

impl NewToken {
    /// The terms asked for.
    fn terms(&self) -> Result<tokens::TokenTerms, Error> {
        let expires_at = match self.expires_at.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                chrono::DateTime::parse_from_rfc3339(text)
                    .map_err(|_| {
                        Error::field(
                            "expires_at",
                            "expires_at must be an RFC 3339 time, like 2027-01-31T00:00:00Z",
                        )
                    })?
                    .with_timezone(&chrono::Utc),
            ),
        };
        let scope = match self.scope.as_deref() {
            None => tokens::TokenScope::Write,
            Some(word) => tokens::TokenScope::parse(word)?,
        };
        Ok(tokens::TokenTerms { expires_at, scope })
    }
}

/// A new token; `token` is shown only in this answer.
#[derive(Serialize, ToSchema)]
#[schema(as = Token)]
struct TokenJson {
    id: i64,
    name: String,
    token: String,
    /// `read` or `write`.
    scope: String,
    /// When it stops working; `null`: never.
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Creating a token needs the account password (Basic auth), as on Gitea.
#[utoipa::path(
    post,
    path = "/user/tokens",
    tag = "user",
    security(("basic" = [])),
    request_body = NewToken,
    responses(
        (status = 201, description = "The token, shown only here", body = TokenJson),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No Basic credentials, or wrong ones", body = ErrorBody),
        (status = 422, description = "Invalid name", body = ErrorBody),
        (status = 429, description = "Too many wrong passwords; see `Retry-After`", body = ErrorBody),
    )
)]
async fn create_token(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<TokenJson>), ApiError> {
    let Some(PresentedCredentials::Basic(username, password)) = credentials(&headers) else {
        return Err(Error::Unauthorized.into());
    };
    let user = users::authenticate(&state.db, &state.throttle, client, &username, &password)
        .await?
        .ok_or(Error::Unauthorized)?;
    let created = tokens::create_with(&state.db, user.id, &body.name, body.terms()?).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenJson {
            id: created.row.id,
            name: created.row.name,
            token: created.secret,
            scope: created.row.scope,
            expires_at: created.row.expires_at,
        }),
    ))
}

/// The caller's repositories.
#[utoipa::path(
    get,
    path = "/user/repos",
    tag = "user",
    responses(
        (status = 200, description = "The caller's repositories", body = Vec<RepoJson>),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
    )
)]
async fn my_repos(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    BaseUrl(base): BaseUrl,
) -> Result<Json<Vec<RepoJson>>, ApiError> {
    let owners = members::shared_owners(&state.db, &user).await?;
    let list = repos::list_owned(&state.db, &owners).await?;
    Ok(Json(list.iter().map(|r| RepoJson::new(r, &base)).collect()))
}
