//! `/user`: the caller, their tokens and their repositories.

use axum::{Json, Router, extract::State, http::StatusCode, routing::get, routing::post};
use serde::{Deserialize, Serialize};

use super::repos::RepoJson;
use crate::{
    accounts::{tokens, users},
    entities::user,
    error::{ApiError, Error},
    repos,
    state::AppState,
    web::extract::{
        ApiJson, ApiUser, BaseUrl, ClientAddr,
        caller::{Credentials, credentials},
    },
};

/// Routes under `/user`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/user", get(me))
        .route("/user/tokens", post(create_token))
        .route("/user/repos", get(my_repos))
}

/// A user as the API shows it.
#[derive(Serialize)]
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

async fn me(ApiUser(user): ApiUser) -> Json<UserJson> {
    Json(user.into())
}

#[derive(Deserialize)]
struct NewToken {
    #[serde(default)]
    name: String,
}

#[derive(Serialize)]
struct TokenJson {
    id: i64,
    name: String,
    token: String,
}

/// Creating a token needs the account password (Basic auth), as on Gitea.
async fn create_token(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<TokenJson>), ApiError> {
    let Some(Credentials::Basic(username, password)) = credentials(&headers) else {
        return Err(Error::Unauthorized.into());
    };
    let user = users::authenticate(&state.db, &state.throttle, client, &username, &password)
        .await?
        .ok_or(Error::Unauthorized)?;
    let created = tokens::create(&state.db, user.id, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenJson {
            id: created.row.id,
            name: created.row.name,
            token: created.secret,
        }),
    ))
}

async fn my_repos(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    BaseUrl(base): BaseUrl,
) -> Result<Json<Vec<RepoJson>>, ApiError> {
    let list = repos::list_owned(&state.db, &user).await?;
    Ok(Json(list.iter().map(|r| RepoJson::new(r, &base)).collect()))
}
