//! `/user`: the caller, their password, their tokens and their repositories.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    paging::{GiteaPaging, ListUrl, Paged},
    repos::{self as repos_api, CreateBody, RepoJson},
};
use crate::{
    accounts::{tokens, users},
    entities::user,
    error::{ApiError, Error, ErrorBody},
    repos,
    state::AppState,
    web::extract::{
        ApiJson, ApiQuery, ApiUser, BaseUrl, ClientAddr,
        caller::{PresentedCredentials, credentials},
    },
};

/// Routes under `/user`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me, change_me))
        .routes(routes!(create_token))
        .routes(routes!(change_password))
        .routes(routes!(my_repos, create_my_repo))
}

/// A user (or an organisation) as the API shows it: Gitea's `User`, with our `username`.
#[derive(Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserJson {
    /// The user's id.
    id: i64,
    /// The username, as Gitea names it.
    login: String,
    /// The username.
    username: String,
    /// The display name (`""`: none given).
    full_name: String,
    /// The email address: shown to the user themselves and to site admins, `""` to others.
    email: String,
    /// Always `""`: no avatars are kept here.
    avatar_url: String,
    /// A site administrator.
    is_admin: bool,
    /// `public`, or `private` for an organisation seen by its members only.
    visibility: &'static str,
    /// When the account was made.
    #[serde(serialize_with = "super::gitea_time::serialize")]
    created: DateTime<Utc>,
}

impl UserJson {
    /// `user` as `viewer` sees it: the email address only for themselves and site admins.
    #[must_use]
    pub fn seen_by(user: &user::Model, viewer: Option<&user::Model>) -> Self {
        let shows_email = viewer.is_some_and(|v| v.id == user.id || v.is_admin);
        Self {
            id: user.id,
            login: user.username.clone(),
            username: user.username.clone(),
            full_name: user.full_name.clone(),
            email: if shows_email {
                user.email.clone()
            } else {
                String::new()
            },
            avatar_url: String::new(),
            is_admin: user.is_admin,
            visibility: if user.is_private { "private" } else { "public" },
            created: user.created_at,
        }
    }

    /// The caller themselves, email included.
    #[must_use]
    pub fn own(user: &user::Model) -> Self {
        Self::seen_by(user, Some(user))
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
    Json(UserJson::own(&user))
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
    Ok(Json(UserJson::own(&user)))
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

/// Creates a repository owned by the caller (Gitea's route; the same as `POST /repos`): empty,
/// or with a README as Gitea's `auto_init`.
#[utoipa::path(
    post,
    path = "/user/repos",
    tag = "user",
    request_body = CreateBody,
    responses(
        (status = 201, description = "The repository", body = RepoJson),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "A bad name or branch, or a template this server does not have", body = ErrorBody),
    )
)]
async fn create_my_repo(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    BaseUrl(base): BaseUrl,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<RepoJson>), ApiError> {
    repos_api::create_own(&state, &user, &base, body).await
}

/// The caller's repositories and those of every organisation they belong to, oldest first,
/// paged as Gitea pages them.
#[utoipa::path(
    get,
    path = "/user/repos",
    tag = "user",
    params(GiteaPaging),
    responses(
        (status = 200, description = "One page of the caller's repositories", body = Vec<RepoJson>),
        (status = 400, description = "`limit` or `page` out of range", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
    )
)]
async fn my_repos(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(query): ApiQuery<GiteaPaging>,
    url: ListUrl,
) -> Result<Paged<RepoJson>, ApiError> {
    let window = query.window()?;
    let page = repos::listing::shared_with(&state.db, &state.config, &user, window).await?;
    Ok(RepoJson::paged(page, window, url))
}
