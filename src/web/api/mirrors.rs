//! `/mirrors`: the caller's mirrors in one list, and one action on many of them.

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::paging::{ListUrl, Paged, Paging};
use crate::{
    error::{ApiError, ErrorBody},
    mirror::overview::{
        self, ListQuery, MirrorItem, StatusFilter,
        bulk::{self, BulkAction, BulkRequest, Done},
    },
    paging::Page,
    state::AppState,
    web::extract::{ApiJson, ApiQuery, ApiUser},
};

/// The overview routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(run_batch))
}

/// `?status=&all=&page=&limit=`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// Only mirrors in this state: `idle`, `syncing`, `success`, `failed` or `paused`.
    status: Option<String>,
    /// An admin's `true`: everyone's mirrors (ignored for others).
    all: Option<bool>,
    /// Items per page, 1–100 (default 20).
    limit: Option<u64>,
    /// Page number, from 1.
    page: Option<u64>,
}

/// The caller's mirrors (an admin's `?all=true`: everyone's), failing first.
#[utoipa::path(
    get,
    path = "/mirrors",
    tag = "mirrors",
    params(ListParams),
    responses(
        (status = 200, description = "The mirrors, failing first", body = Vec<MirrorItem>),
        (status = 400, description = "Paging out of range", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 422, description = "Unknown status", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(params): ApiQuery<ListParams>,
    url: ListUrl,
) -> Result<Paged<MirrorItem>, ApiError> {
    let window = Paging {
        limit: params.limit,
        page: params.page,
    }
    .window()?;
    let query = ListQuery {
        all: params.all.unwrap_or(false),
        status: StatusFilter::parse(params.status.as_deref().unwrap_or(""))?,
        limit: window.limit,
        offset: window.offset,
    };
    let page = Page {
        items: overview::list(&state.db, &user, query).await?,
        total: overview::count(&state.db, &user, query).await?,
    };
    Ok(Paged::new(page, window, url))
}

/// One action on many repositories.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    /// `sync`, `enable`, `disable` or `set_interval`.
    action: Option<String>,
    /// `owner/name` of each repository, at most 500.
    repositories: Option<Vec<String>>,
    /// Seconds, for `set_interval`.
    sync_interval: Option<i64>,
}

/// One repository's result.
#[derive(Serialize, ToSchema)]
struct ResultJson {
    /// `owner/name` as asked.
    repository: String,
    /// 202 started, 200 changed, 403, 404, 409 already running, 422 invalid.
    status: u16,
    /// Why not, when it did not happen.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Each repository's result, in the order asked.
#[derive(Serialize, ToSchema)]
struct BatchJson {
    results: Vec<ResultJson>,
}

/// Syncs, pauses, resumes or sets the interval of many mirrors, each authorised and validated
/// on its own.
#[utoipa::path(
    post,
    path = "/mirrors/batch",
    tag = "mirrors",
    request_body = BatchBody,
    responses(
        (status = 200, description = "Each repository's result", body = BatchJson),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 422, description = "Unknown action, more than 500 repositories, or set_interval without sync_interval", body = ErrorBody),
    )
)]
async fn run_batch(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<BatchBody>,
) -> Result<Json<BatchJson>, ApiError> {
    let action = BulkAction::parse(body.action.as_deref().unwrap_or(""), body.sync_interval)?;
    let batch = BulkRequest {
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
                error: Some(bulk::reason(&e)),
            },
        })
        .collect();
    Ok(Json(BatchJson { results }))
}
