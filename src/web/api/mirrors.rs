//! `/mirrors`: the caller's mirrors in one list, and one action on many of them.

use axum::{
    Json, Router,
    extract::State,
    routing::{get, post},
};
use serde::{Deserialize, Serialize};

use super::paging::Paging;
use crate::{
    error::ApiError,
    mirror::overview::{
        self, ListQuery, MirrorItem, StatusFilter,
        batch::{self, Action, Batch, Done},
    },
    state::AppState,
    web::extract::{ApiJson, ApiQuery, ApiUser},
};

/// The overview routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mirrors", get(list))
        .route("/mirrors/batch", post(run_batch))
}

/// `?status=&all=&page=&limit=`.
#[derive(Deserialize)]
struct ListParams {
    status: Option<String>,
    all: Option<bool>,
    limit: Option<u64>,
    page: Option<u64>,
}

async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Vec<MirrorItem>>, ApiError> {
    let (limit, offset) = Paging {
        limit: params.limit,
        page: params.page,
    }
    .window()?;
    let query = ListQuery {
        all: params.all.unwrap_or(false),
        status: StatusFilter::parse(params.status.as_deref().unwrap_or(""))?,
        limit,
        offset,
    };
    Ok(Json(overview::list(&state.db, &user, query).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    action: Option<String>,
    repositories: Option<Vec<String>>,
    sync_interval: Option<i64>,
}

/// One repository's result.
#[derive(Serialize)]
struct ResultJson {
    repository: String,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct BatchJson {
    results: Vec<ResultJson>,
}

async fn run_batch(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<BatchBody>,
) -> Result<Json<BatchJson>, ApiError> {
    let action = Action::parse(body.action.as_deref().unwrap_or(""), body.sync_interval)?;
    let batch = Batch {
        db: &state.db,
        config: &state.config,
        secrets: &state.secrets,
        engine: &state.engine,
    };
    let outcomes = batch
        .run(&user, action, body.repositories.unwrap_or_default())
        .await?;
    let results = outcomes
        .into_iter()
        .map(|o| match o.result {
            Ok(Done::Started) => ResultJson {
                repository: o.repository,
                status: 202,
                error: None,
            },
            Ok(Done::Changed) => ResultJson {
                repository: o.repository,
                status: 200,
                error: None,
            },
            Err(e) => ResultJson {
                repository: o.repository,
                status: e.status().as_u16(),
                error: Some(batch::reason(&e)),
            },
        })
        .collect();
    Ok(Json(BatchJson { results }))
}
