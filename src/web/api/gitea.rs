//! The routes only Gitea's clients call, in Gitea's names and shapes (its API reference,
//! 1.22): the version, `repos/migrate`, `mirror-sync` and `push_mirrors-sync`. Each is a thin
//! layer over the same services as our own routes: the import, "Sync now" and the push runs.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{doc::RepoPath, go_duration, repos::RepoJson};
use crate::{
    accounts::users,
    error::{ApiError, Error, ErrorBody, FieldErrors},
    mirror::{
        engine::{SyncRequest, Triggered, already_running, mirroring_off},
        import::ImportRequest,
    },
    repos::access,
    state::AppState,
    web::extract::{ApiJson, ApiRepo, ApiUser, BaseUrl, Write},
};

/// The Gitea release whose API this surface matches.
pub const GITEA_VERSION: &str = "1.22.0";

/// Gitea's routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(version))
        .routes(routes!(migrate))
        .routes(routes!(mirror_sync))
        .routes(routes!(push_mirrors_sync))
}

/// Gitea's `ServerVersion`.
#[derive(Serialize, ToSchema)]
#[schema(as = ServerVersion)]
struct VersionJson {
    /// The Gitea version this API matches, then ours: `1.22.0+mirrorforge.<ours>`.
    version: String,
}

/// The version, as Gitea's clients read it to know what they may call.
#[utoipa::path(
    get,
    path = "/version",
    tag = "gitea",
    security(()),
    responses((status = 200, description = "The version", body = VersionJson))
)]
async fn version() -> Json<VersionJson> {
    Json(VersionJson {
        version: format!("{GITEA_VERSION}+mirrorforge.{}", env!("CARGO_PKG_VERSION")),
    })
}

/// The services Gitea's migration knows (`service`); each is mirrored over git here.
const SERVICES: [&str; 8] = [
    "git",
    "github",
    "gitea",
    "gitlab",
    "gogs",
    "onedev",
    "gitbucket",
    "codebase",
];

/// Gitea's `MigrateRepoOptions`. `wiki`, `issues`, `labels`, `milestones`, `pull_requests`,
/// `releases` and the AWS keys are accepted and ignored: only git (and LFS) is mirrored.
#[derive(Deserialize, ToSchema)]
#[schema(as = MigrateRepoOptions)]
#[allow(dead_code)] // The ignored fields are read only to be accepted.
struct MigrateBody {
    /// Where to clone from (required).
    clone_addr: Option<String>,
    /// The new repository's name (required).
    repo_name: Option<String>,
    /// Who owns it: the caller (the default) or an organisation where they may write.
    repo_owner: Option<String>,
    /// Deprecated: the owner's id, when `repo_owner` is absent.
    uid: Option<i64>,
    /// Keep it as an upstream mirror of `clone_addr` (default `false`).
    mirror: Option<bool>,
    /// Time between pulls of a mirror, a Go duration (`8h0m0s`, `10m`).
    mirror_interval: Option<String>,
    /// Visible only to its owner (and its organisation's members) and admins.
    private: Option<bool>,
    /// A description.
    description: Option<String>,
    /// Username for `clone_addr`.
    auth_username: Option<String>,
    /// Password for `clone_addr` (write-only).
    auth_password: Option<String>,
    /// A token for `clone_addr`, used as the password (write-only).
    auth_token: Option<String>,
    /// Fetch the Git LFS objects too (and keep doing so, for a mirror).
    lfs: Option<bool>,
    /// The LFS server, when it is not at `<clone_addr>/info/lfs`.
    lfs_endpoint: Option<String>,
    /// The forge it comes from (`git`, `github`, `gitea`, `gitlab`, …); git is mirrored
    /// whatever it is.
    service: Option<String>,
    /// Ignored.
    wiki: Option<bool>,
    /// Ignored.
    issues: Option<bool>,
    /// Ignored.
    labels: Option<bool>,
    /// Ignored.
    milestones: Option<bool>,
    /// Ignored.
    pull_requests: Option<bool>,
    /// Ignored.
    releases: Option<bool>,
    /// Ignored.
    aws_access_key_id: Option<String>,
    /// Ignored.
    aws_secret_access_key: Option<String>,
}

/// Our import's field names as Gitea's migration names them.
fn gitea_field(ours: String) -> String {
    match ours.as_str() {
        "name" => "repo_name".to_owned(),
        "clone_url" => "clone_addr".to_owned(),
        "sync_interval" => "mirror_interval".to_owned(),
        "upstream_username" => "mirror_username".to_owned(),
        "upstream_password" => "mirror_password".to_owned(),
        "owner" => "repo_owner".to_owned(),
        _ => ours,
    }
}

/// The username and password a remote is signed in to with, from Gitea's three fields (empty
/// ones absent): a token is the password, and a token alone signs in as Gitea does, as
/// `oauth2` (any name will do for GitHub; GitLab wants that one).
pub(super) fn login_of(
    username: Option<String>,
    password: Option<String>,
    token: Option<String>,
) -> (Option<String>, Option<String>) {
    let username = username.filter(|u| !u.is_empty());
    let password = password.filter(|p| !p.is_empty());
    let token = token.filter(|t| !t.is_empty());
    let username = match (&username, &password, &token) {
        (None, None, Some(_)) => Some("oauth2".to_owned()),
        _ => username,
    };
    (username, password.or(token))
}

/// The fields of Gitea's `EditRepoOption` that `PATCH /repos/{owner}/{repo}` accepts and
/// ignores (issues, wiki, merge styles: things this server does not have).
const EDIT_REPO_IGNORED: &[&str] = &[
    "allow_fast_forward_only_merge",
    "allow_manual_merge",
    "allow_merge_commits",
    "allow_merge_update",
    "allow_rebase",
    "allow_rebase_explicit",
    "allow_rebase_update",
    "allow_squash_merge",
    "autodetect_manual_merge",
    "default_allow_maintainer_edit",
    "default_delete_branch_after_merge",
    "default_merge_style",
    "default_update_style",
    "enable_prune",
    "external_tracker",
    "external_wiki",
    "has_actions",
    "has_code",
    "has_issues",
    "has_packages",
    "has_projects",
    "has_pull_requests",
    "has_releases",
    "has_wiki",
    "ignore_whitespace_conflicts",
    "internal_tracker",
    "projects_mode",
    "template",
    "website",
];

/// Refuses a field of a repository change that neither we nor Gitea's `EditRepoOption` have.
///
/// # Errors
/// 400 naming the first unknown field.
pub(super) fn refuse_unknown_edit_fields<'a>(
    mut fields: impl Iterator<Item = &'a String>,
) -> Result<(), Error> {
    match fields.find(|field| !EDIT_REPO_IGNORED.contains(&field.as_str())) {
        Some(field) => Err(Error::BadRequest(format!("unknown field `{field}`"))),
        None => Ok(()),
    }
}

/// A validation error of the import or the settings with Gitea's field names.
pub(super) fn in_gitea_terms(error: Error) -> Error {
    match error {
        Error::Validation(fields) => Error::Validation(
            fields
                .into_iter()
                .map(|(field, message)| (gitea_field(field), message))
                .collect::<FieldErrors>(),
        ),
        other => other,
    }
}

impl MigrateBody {
    /// `mirror_interval` in seconds, checked against `min_interval`.
    fn interval(&self, min_interval: i64) -> Result<Option<i64>, Error> {
        let Some(text) = self
            .mirror_interval
            .as_deref()
            .filter(|t| !t.trim().is_empty())
        else {
            return Ok(None);
        };
        go_duration::parse_interval("mirror_interval", text, min_interval).map(Some)
    }

    /// `service`, checked.
    fn check_service(&self) -> Result<(), Error> {
        match self.service.as_deref().map(str::trim) {
            None | Some("") => Ok(()),
            Some(service) if SERVICES.contains(&service.to_ascii_lowercase().as_str()) => Ok(()),
            Some(_) => Err(Error::field(
                "service",
                format!("service must be one of {}", SERVICES.join(", ")),
            )),
        }
    }
}

/// Gitea's migration: imports a repository from a URL, once or (`mirror: true`) as an
/// upstream mirror, with the import's rules (address policy, validation, 409 when taken).
#[utoipa::path(
    post,
    path = "/repos/migrate",
    tag = "gitea",
    request_body = MigrateBody,
    responses(
        (status = 201, description = "The repository (empty until its first sync ends)", body = RepoJson),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "`repo_owner` is neither the caller nor an organisation where they may write", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "Validation failed; `fields` names each bad field in Gitea's names", body = ErrorBody),
    )
)]
async fn migrate(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    BaseUrl(base): BaseUrl,
    ApiJson(body): ApiJson<MigrateBody>,
) -> Result<(StatusCode, Json<RepoJson>), ApiError> {
    body.check_service()?;
    let sync_interval = body.interval(state.config.min_sync_interval)?;
    let owner_name = match (&body.repo_owner, body.uid) {
        (Some(name), _) => Some(name.clone()),
        (None, Some(uid)) if uid > 0 => Some(
            users::find_by_id(&state.db, uid)
                .await?
                .map(|u| u.username)
                .ok_or_else(|| Error::field("uid", "no user or organisation has this id"))?,
        ),
        _ => None,
    };
    let owner = access::owner_to_create_in(&state.db, &user, owner_name.as_deref()).await?;
    let (username, password) = login_of(body.auth_username, body.auth_password, body.auth_token);
    let repo = state
        .importer()
        .import(
            &owner,
            ImportRequest {
                name: body.repo_name.unwrap_or_default(),
                clone_url: body.clone_addr.unwrap_or_default(),
                mirror: body.mirror.unwrap_or(false),
                private: body.private.unwrap_or(false),
                description: body.description.unwrap_or_default(),
                auth_username: username,
                auth_password: password,
                sync_interval,
                lfs: body.lfs.unwrap_or(false),
                lfs_endpoint: body.lfs_endpoint,
                depth: None,
            },
        )
        .await
        .map_err(in_gitea_terms)?;
    let answer = RepoJson::for_caller(&state, repo, &user, &base).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Gitea's "sync the mirror now": a sync starts, or (while one runs) one more is queued
/// after it, as a webhook does; 200 with an empty body either way, as Gitea answers.
#[utoipa::path(
    post,
    path = "/repos/{owner}/{repo}/mirror-sync",
    tag = "gitea",
    params(RepoPath),
    responses(
        (status = 200, description = "A sync started or is queued after the running one"),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "No write access", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
        (status = 422, description = "Mirroring is off for this repository", body = ErrorBody),
    )
)]
async fn mirror_sync(
    State(state): State<AppState>,
    access: ApiRepo<Write>,
) -> Result<StatusCode, ApiError> {
    match state.engine.sync_or_queue(&access.repo.repo).await? {
        Triggered::Started | Triggered::Queued => Ok(StatusCode::OK),
        Triggered::Ignored => Err(mirroring_off().into()),
    }
}

/// Gitea's "push to every push mirror now": a run that pushes to each enabled push mirror
/// and does not pull (while a sync runs, one more whole sync is queued after it, which
/// pushes to them too); 200 with an empty body, as Gitea answers.
#[utoipa::path(
    post,
    path = "/repos/{owner}/{repo}/push_mirrors-sync",
    tag = "gitea",
    params(RepoPath),
    responses(
        (status = 200, description = "The push started"),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "No write access", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
        (status = 422, description = "The repository does not push (mirroring off, or no push mirror)", body = ErrorBody),
    )
)]
async fn push_mirrors_sync(
    State(state): State<AppState>,
    access: ApiRepo<Write>,
) -> Result<StatusCode, ApiError> {
    let repo = &access.repo.repo;
    match state.engine.request_push_all(repo).await? {
        SyncRequest::Started => Ok(StatusCode::OK),
        SyncRequest::AlreadyRunning => match state.engine.sync_or_queue(repo).await? {
            Triggered::Ignored => Err(already_running().into()),
            Triggered::Started | Triggered::Queued => Ok(StatusCode::OK),
        },
        SyncRequest::Disabled => Err(Error::field(
            "mirror_enabled",
            "this repository pushes nowhere: mirroring is off or it has no push mirror",
        )
        .into()),
    }
}
