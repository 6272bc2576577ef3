//! `/account_mirrors`: every repository of an account on another forge, kept here by itself.
//! Only who may change the settings of the owner the mirrors land in sees an account mirror.

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::paging::{ListUrl, LongPaging, Paged};
use crate::{
    error::{ApiError, Error, ErrorBody},
    mirror::{
        account_mirrors::{
            plan::{Plan, Skipped, ToAdd},
            spec::{self, AccountMirrorInput},
            store::{self, AccountMirror, Changes},
        },
        overview::MirrorItem,
    },
    repos::{Repo, access},
    state::AppState,
    web::extract::{ApiAccountMirror, ApiJson, ApiQuery, ApiUser},
};

/// Routes under `/account_mirrors`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(preview_new))
        .routes(routes!(show, change, remove))
        .routes(routes!(discover))
        .routes(routes!(preview))
        .routes(routes!(repositories))
}

/// An account mirror as the API shows it; never its token.
#[derive(Serialize, ToSchema)]
#[schema(as = AccountMirror)]
pub struct AccountMirrorJson {
    id: i64,
    /// `github`, `gitlab`, `gitea`, `forgejo` or `mirrorforge`.
    provider: String,
    /// The forge API's base URL.
    api_url: String,
    /// The account's name at the forge.
    account: String,
    /// `org`, `user` or `group`.
    account_kind: String,
    /// Where the mirrors land here.
    owner: String,
    /// Whether a token is stored (it is never shown).
    token_set: bool,
    /// Name globs to include.
    include: Vec<String>,
    /// Name globs to leave out.
    exclude: Vec<String>,
    /// Forks mirrored too.
    forks: bool,
    /// Archived repositories mirrored too.
    archived: bool,
    /// The mirrors fetch LFS objects.
    lfs: bool,
    /// Seconds between the mirrors' syncs.
    sync_interval: i64,
    /// Seconds between discoveries.
    discovery_interval: i64,
    /// `pause` or `keep`.
    on_removed: String,
    /// Discoveries on their schedule.
    enabled: bool,
    /// Where discoveries that change something, or fail, are announced.
    notify_url: String,
    /// When the last discovery ended.
    last_discovered_at: Option<DateTime<Utc>>,
    /// When the next one is due.
    next_discovery_at: Option<DateTime<Utc>>,
    /// `idle`, `discovering`, `success` or `failed`.
    last_status: String,
    /// The last discovery's error, or what it waits for.
    last_error: String,
    /// Repositories it made.
    repositories: u64,
    created_at: DateTime<Utc>,
}

impl AccountMirrorJson {
    /// The JSON of `account`, which made `repositories` repositories.
    #[must_use]
    pub fn of(account: &AccountMirror, repositories: u64) -> Self {
        let r = &account.row;
        Self {
            id: r.id,
            provider: r.provider.clone(),
            api_url: r.api_url.clone(),
            account: r.account.clone(),
            account_kind: r.account_kind.clone(),
            owner: account.owner.username.clone(),
            token_set: r.token.is_some(),
            include: store::patterns(&r.include_patterns),
            exclude: store::patterns(&r.exclude_patterns),
            forks: r.forks,
            archived: r.archived,
            lfs: r.lfs,
            sync_interval: r.sync_interval,
            discovery_interval: r.discovery_interval,
            on_removed: r.on_removed.clone(),
            enabled: r.enabled,
            notify_url: r.notify_url.clone(),
            last_discovered_at: r.last_discovered_at,
            next_discovery_at: r.next_discovery_at,
            last_status: r.last_status.clone(),
            last_error: r.last_error.clone(),
            repositories,
            created_at: r.created_at,
        }
    }
}

/// The fields of an account mirror as sent; every one optional (a `PATCH` sends any subset).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct AccountMirrorBody {
    /// `github`, `gitlab`, `gitea`, `forgejo` or `mirrorforge` (required on create).
    provider: Option<String>,
    /// The API's base URL (GitHub and GitLab have a default).
    api_url: Option<String>,
    /// The account's name (required on create).
    account: Option<String>,
    /// `org` or `user` (GitLab: `group` or `user`).
    account_kind: Option<String>,
    /// Where the mirrors land: the caller (default) or an organisation the caller owns.
    owner: Option<String>,
    /// The forge's token (write-only; `""` clears it).
    token: Option<String>,
    /// Name globs to include (default `["*"]`).
    include: Option<Vec<String>>,
    /// Name globs to leave out.
    exclude: Option<Vec<String>>,
    /// Mirror forks too (default false).
    forks: Option<bool>,
    /// Mirror archived repositories too (default true).
    archived: Option<bool>,
    /// Fetch LFS objects (default false).
    lfs: Option<bool>,
    /// Seconds between the mirrors' syncs (default 28800).
    sync_interval: Option<i64>,
    /// Seconds between discoveries (300–604800, default 3600).
    discovery_interval: Option<i64>,
    /// `pause` (default) or `keep`.
    on_removed: Option<String>,
    /// Discoveries on their schedule (default true).
    enabled: Option<bool>,
    /// Where discoveries that change something, or fail, are announced (`""`: nowhere).
    notify_url: Option<String>,
}

impl AccountMirrorBody {
    /// The changes it asks for.
    fn changes(self) -> Changes {
        Changes {
            fields: AccountMirrorInput {
                provider: self.provider,
                api_url: self.api_url,
                account: self.account,
                account_kind: self.account_kind,
                include: self.include,
                exclude: self.exclude,
                forks: self.forks,
                archived: self.archived,
                lfs: self.lfs,
                sync_interval: self.sync_interval,
                discovery_interval: self.discovery_interval,
                on_removed: self.on_removed,
                enabled: self.enabled,
            },
            token: self.token,
            notify_url: self.notify_url,
        }
    }
}

/// What a discovery would do.
#[derive(Serialize, ToSchema)]
#[schema(as = AccountMirrorPreview)]
pub struct PreviewJson {
    /// Repositories that would become mirrors.
    #[schema(value_type = Vec<Object>)]
    add: Vec<ToAdd>,
    /// Mirrors whose repository left the account (or is now left out).
    gone: Vec<String>,
    /// Repositories not mirrored, and why.
    #[schema(value_type = Vec<Object>)]
    skipped: Vec<Skipped>,
}

impl From<Plan> for PreviewJson {
    fn from(plan: Plan) -> Self {
        Self {
            add: plan.add,
            gone: plan.gone.into_iter().map(|(_, name)| name).collect(),
            skipped: plan.skipped,
        }
    }
}

/// `?all=`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// An admin's `true`: everyone's account mirrors.
    all: Option<bool>,
    /// Items per page, 1–1000 (default 1000).
    limit: Option<u64>,
    /// Page number, from 1.
    page: Option<u64>,
}

/// `{id}` of an account mirror.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
struct IdPath {
    /// The account mirror's id.
    id: i64,
}

/// The JSON of `account`, with its count of repositories.
async fn json_of(state: &AppState, account: &AccountMirror) -> Result<AccountMirrorJson, Error> {
    let count = store::repository_count(&state.db, account.row.id).await?;
    Ok(AccountMirrorJson::of(account, count))
}

/// Makes an account mirror; its first discovery starts at once.
#[utoipa::path(
    post,
    path = "/account_mirrors",
    tag = "account_mirrors",
    request_body = AccountMirrorBody,
    responses(
        (status = 201, description = "The account mirror", body = AccountMirrorJson),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "The owner is not the caller or an organisation they own", body = ErrorBody),
        (status = 422, description = "Bad fields, each named", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<AccountMirrorBody>,
) -> Result<(StatusCode, Json<AccountMirrorJson>), ApiError> {
    let owner = access::owner_to_administer(&state.db, &user, body.owner.as_deref()).await?;
    let row = store::create(
        &state.db,
        &state.config,
        &state.secrets,
        &owner,
        &body.changes(),
    )
    .await?;
    tracing::info!(
        account_mirror_id = row.id,
        user_id = user.id,
        "account mirror created"
    );
    if row.enabled {
        state.discoverer.start(row.id).await?;
    }
    let account = store::find(&state.db, row.id)
        .await?
        .ok_or(Error::NotFound("account mirror"))?;
    Ok((StatusCode::CREATED, Json(json_of(&state, &account).await?)))
}

/// What an account mirror of these fields would make; nothing is made.
#[utoipa::path(
    post,
    path = "/account_mirrors/preview",
    tag = "account_mirrors",
    request_body = AccountMirrorBody,
    responses(
        (status = 200, description = "What its first discovery would do", body = PreviewJson),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "The owner is not the caller or an organisation they own", body = ErrorBody),
        (status = 422, description = "Bad fields, each named", body = ErrorBody),
        (status = 502, description = "The forge's listing could not be read", body = ErrorBody),
    )
)]
async fn preview_new(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<AccountMirrorBody>,
) -> Result<Json<PreviewJson>, ApiError> {
    let owner = access::owner_to_administer(&state.db, &user, body.owner.as_deref()).await?;
    let changes = body.changes();
    let checked = spec::check(&state.config, &changes.fields)?;
    let token = changes.token.filter(|t| !t.is_empty());
    let plan = state
        .discoverer
        .preview_new(&owner, &checked, token)
        .await?;
    Ok(Json(plan.into()))
}

/// The caller's account mirrors (an admin's `?all=true`: everyone's).
#[utoipa::path(
    get,
    path = "/account_mirrors",
    tag = "account_mirrors",
    params(ListParams),
    responses(
        (status = 200, description = "The account mirrors", body = Vec<AccountMirrorJson>),
        (status = 400, description = "`limit` or `page` out of range", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(params): ApiQuery<ListParams>,
    url: ListUrl,
) -> Result<Paged<AccountMirrorJson>, ApiError> {
    let window = LongPaging {
        limit: params.limit,
        page: params.page,
    }
    .window()?;
    let accounts = window.of(store::list(&state.db, &user, params.all.unwrap_or(false)).await?);
    let ids: Vec<i64> = accounts.items.iter().map(|a| a.row.id).collect();
    let counts = store::repository_counts(&state.db, &ids).await?;
    let page = accounts.map(|account| {
        let count = counts.get(&account.row.id).copied().unwrap_or(0);
        AccountMirrorJson::of(&account, count)
    });
    Ok(Paged::new(page, window, url))
}

/// One account mirror.
#[utoipa::path(
    get,
    path = "/account_mirrors/{id}",
    tag = "account_mirrors",
    params(IdPath),
    responses(
        (status = 200, description = "The account mirror", body = AccountMirrorJson),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 404, description = "No such account mirror (or not the caller's)", body = ErrorBody),
    )
)]
async fn show(
    State(state): State<AppState>,
    access: ApiAccountMirror,
) -> Result<Json<AccountMirrorJson>, ApiError> {
    Ok(Json(json_of(&state, &access.account).await?))
}

/// Changes any subset of an account mirror's fields.
#[utoipa::path(
    patch,
    path = "/account_mirrors/{id}",
    tag = "account_mirrors",
    params(IdPath),
    request_body = AccountMirrorBody,
    responses(
        (status = 200, description = "The account mirror", body = AccountMirrorJson),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 404, description = "No such account mirror (or not the caller's)", body = ErrorBody),
        (status = 422, description = "Bad fields, each named (the owner cannot change)", body = ErrorBody),
    )
)]
async fn change(
    State(state): State<AppState>,
    access: ApiAccountMirror,
    ApiJson(body): ApiJson<AccountMirrorBody>,
) -> Result<Json<AccountMirrorJson>, ApiError> {
    let AccountMirror { row, owner } = access.account;
    if let Some(asked) = body.owner.as_deref()
        && !asked.trim().eq_ignore_ascii_case(&owner.username)
    {
        let mut fields = crate::error::FieldErrors::new();
        fields.insert(
            "owner".to_owned(),
            "cannot change: delete the account mirror and make another".to_owned(),
        );
        return Err(Error::Validation(fields).into());
    }
    let account = state
        .discoverer
        .change(AccountMirror { row, owner }, &body.changes())
        .await?;
    Ok(Json(json_of(&state, &account).await?))
}

/// Deletes an account mirror; its repositories stay, as ordinary mirrors.
#[utoipa::path(
    delete,
    path = "/account_mirrors/{id}",
    tag = "account_mirrors",
    params(IdPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 404, description = "No such account mirror (or not the caller's)", body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    access: ApiAccountMirror,
) -> Result<StatusCode, ApiError> {
    store::delete(&state.db, access.account.row).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A discovery's answer.
#[derive(Serialize, ToSchema)]
struct DiscoveringJson {
    /// `discovering`.
    status: &'static str,
}

/// Starts a discovery now.
#[utoipa::path(
    post,
    path = "/account_mirrors/{id}/discover",
    tag = "account_mirrors",
    params(IdPath),
    responses(
        (status = 202, description = "The discovery started", body = DiscoveringJson),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 404, description = "No such account mirror (or not the caller's)", body = ErrorBody),
        (status = 409, description = "A discovery is running", body = ErrorBody),
    )
)]
async fn discover(
    State(state): State<AppState>,
    access: ApiAccountMirror,
) -> Result<(StatusCode, Json<DiscoveringJson>), ApiError> {
    state.discoverer.start(access.account.row.id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(DiscoveringJson {
            status: "discovering",
        }),
    ))
}

/// What a discovery would do now; nothing is changed.
#[utoipa::path(
    get,
    path = "/account_mirrors/{id}/preview",
    tag = "account_mirrors",
    params(IdPath),
    responses(
        (status = 200, description = "What a discovery would do", body = PreviewJson),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 404, description = "No such account mirror (or not the caller's)", body = ErrorBody),
        (status = 502, description = "The forge's listing could not be read", body = ErrorBody),
    )
)]
async fn preview(
    State(state): State<AppState>,
    access: ApiAccountMirror,
) -> Result<Json<PreviewJson>, ApiError> {
    Ok(Json(
        state.discoverer.preview(&access.account).await?.into(),
    ))
}

/// The repositories it made, in the `/mirrors` shape.
#[utoipa::path(
    get,
    path = "/account_mirrors/{id}/repositories",
    tag = "account_mirrors",
    params(IdPath, LongPaging),
    responses(
        (status = 200, description = "Its repositories, by name", body = Vec<MirrorItem>),
        (status = 400, description = "`limit` or `page` out of range", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 404, description = "No such account mirror (or not the caller's)", body = ErrorBody),
    )
)]
async fn repositories(
    State(state): State<AppState>,
    access: ApiAccountMirror,
    ApiQuery(paging): ApiQuery<LongPaging>,
    url: ListUrl,
) -> Result<Paged<MirrorItem>, ApiError> {
    let window = paging.window()?;
    let owner = access.account.owner;
    let now = Utc::now();
    let repos = store::repositories(&state.db, access.account.row.id).await?;
    let page = window.of(repos).map(|repo| {
        MirrorItem::of(
            &Repo {
                repo,
                owner: owner.clone(),
            },
            now,
        )
    });
    Ok(Paged::new(page, window, url))
}
