//! `/repos`: create, read, change (rename, move, describe, hide) and delete repositories.

use std::collections::BTreeMap;

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    config::Config,
    entities::{mirror_enums::MirrorDirection, user},
    error::{ApiError, Error, ErrorBody},
    mirror::settings::{self, SettingsPatch},
    repos::{
        self, Author, NewRepo, Permission, Repo, access,
        change::{self, RepoChange},
        listing::{self, Listed, ListingPage, Window},
    },
    state::AppState,
    web::extract::{Admin, ApiJson, ApiRepo, ApiUser, BaseUrl, Read},
};

use super::{
    doc::RepoPath,
    gitea, gitea_time, go_duration,
    paging::{ListUrl, Paged},
    user::UserJson,
};

/// Routes under `/repos`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(show, update, remove))
}

/// A repository as the API shows it everywhere (one, created, changed, listed): Gitea's
/// `Repository` (the fields its clients read), with our `mirror_enabled` and
/// `mirror_direction`.
#[derive(Serialize, ToSchema)]
#[schema(as = Repository)]
pub struct RepoJson {
    /// The repository's id.
    id: i64,
    /// Its name.
    name: String,
    /// `owner/name`.
    full_name: String,
    /// Who owns it (a person or an organisation; its email address is not shown here).
    owner: UserJson,
    /// Free text.
    description: String,
    /// Visible only to its owner, its organisation's members and admins.
    private: bool,
    /// Always `false`: there are no forks here.
    fork: bool,
    /// True when it pulls from an upstream (a pull mirror, mirroring on).
    mirror: bool,
    /// Time between scheduled pulls, as Go writes a duration (`8h0m0s`); `""` when it does
    /// not pull.
    mirror_interval: String,
    /// When the pull last succeeded (a pull mirror only).
    #[serde(serialize_with = "gitea_time::option::serialize")]
    mirror_updated: Option<DateTime<Utc>>,
    /// True when it has no branch.
    empty: bool,
    /// Always `false`: repositories are not archived here.
    archived: bool,
    /// The branch `HEAD` names (or, when that one does not exist, the first branch by name).
    default_branch: String,
    /// Where to clone it over HTTP, absolute, without credentials.
    clone_url: String,
    /// Its page, absolute.
    html_url: String,
    /// Always `""`: repositories are served over HTTP only.
    ssh_url: String,
    /// When it was made.
    #[serde(serialize_with = "gitea_time::serialize")]
    created_at: DateTime<Utc>,
    /// When its row last changed.
    #[serde(serialize_with = "gitea_time::serialize")]
    updated_at: DateTime<Utc>,
    /// What the caller may do with it.
    permissions: PermissionsJson,
    /// Mirroring is switched on.
    mirror_enabled: bool,
    /// The stored direction, also while mirroring is off (as the settings show it).
    mirror_direction: MirrorDirection,
}

/// Gitea's `Permission`: what the caller may do with a repository.
#[derive(Serialize, ToSchema)]
#[schema(as = Permission)]
pub struct PermissionsJson {
    /// Change its settings, credentials and members; delete it.
    admin: bool,
    /// Push, and press "Sync now".
    push: bool,
    /// Clone and browse.
    pull: bool,
}

impl From<Permission> for PermissionsJson {
    fn from(may: Permission) -> Self {
        Self {
            admin: may >= Permission::Admin,
            push: may >= Permission::Write,
            pull: may >= Permission::Read,
        }
    }
}

impl RepoJson {
    /// One page of a repository listing, each in this shape.
    #[must_use]
    pub fn paged(page: ListingPage, window: Window, url: ListUrl) -> Paged<Self> {
        let page = page.map(|listed| Self::new(&listed, url.base()));
        Paged::new(page, window, url)
    }

    /// Builds the JSON with absolute URLs under `base` (the server's public base URL).
    #[must_use]
    pub fn new(listed: &Listed, base: &str) -> Self {
        let r = &listed.repo;
        let full_name = r.full_name();
        let pulls = r.repo.mirror_enabled
            && r.repo.mirror_direction.pulls()
            && r.repo.upstream_url.is_some();
        Self {
            id: r.repo.id,
            name: r.repo.name.clone(),
            owner: UserJson::seen_by(&r.owner, None),
            description: r.repo.description.clone(),
            private: r.repo.is_private,
            fork: false,
            mirror: pulls,
            mirror_interval: if pulls {
                go_duration::format_interval(r.repo.sync_interval)
            } else {
                String::new()
            },
            mirror_updated: if pulls {
                r.repo.upstream_synced_at
            } else {
                None
            },
            empty: listed.heads.empty,
            archived: false,
            default_branch: listed.heads.default_branch.clone(),
            clone_url: format!("{base}/{full_name}.git"),
            html_url: format!("{base}/{full_name}"),
            ssh_url: String::new(),
            created_at: r.repo.created_at,
            updated_at: r.repo.updated_at,
            permissions: listed.permission.into(),
            mirror_enabled: r.repo.mirror_enabled,
            mirror_direction: r.repo.mirror_direction,
            full_name,
        }
    }

    /// `repo` as `viewer`, who may do `permission` with it, sees it (its branches read here).
    ///
    /// # Errors
    /// The repository could not be read.
    pub async fn of(
        config: &Config,
        repo: Repo,
        permission: Permission,
        base: &str,
    ) -> Result<Self, Error> {
        let listed = listing::one(config, repo, permission).await?;
        Ok(Self::new(&listed, base))
    }

    /// `repo` as `caller` sees it, their permission looked up (after they made or changed it).
    ///
    /// # Errors
    /// The database failed, or the repository could not be read.
    pub async fn for_caller(
        state: &AppState,
        repo: Repo,
        caller: &user::Model,
        base: &str,
    ) -> Result<Self, Error> {
        let permission = access::permission(&state.db, &repo, Some(caller)).await?;
        Self::of(&state.config, repo, permission, base).await
    }
}

/// A repository to create: ours, which is also Gitea's `CreateRepoOption` (`auto_init`,
/// `default_branch`, `readme`; `gitignores`, `license` and `object_format_name` only as far
/// as this server has them; `issue_labels`, `template` and `trust_model` ignored).
#[derive(Deserialize, ToSchema)]
pub struct CreateBody {
    /// Its name (required).
    name: Option<String>,
    /// A description.
    #[serde(default)]
    description: Option<String>,
    /// Visible only to its owner and admins (default `false`).
    #[serde(default)]
    private: Option<bool>,
    /// Gitea's: start with a commit holding `README.md` (its name and description), by the
    /// caller (default `false`: empty).
    #[serde(default)]
    auto_init: Option<bool>,
    /// Gitea's: the branch HEAD names, and `auto_init` commits to (default `main`).
    #[serde(default)]
    default_branch: Option<String>,
    /// Gitea's README template: only `Default` (or empty).
    #[serde(default)]
    readme: Option<String>,
    /// Gitea's `.gitignore` templates: none here, so only empty.
    #[serde(default)]
    gitignores: Option<String>,
    /// Gitea's licence templates: none here, so only empty.
    #[serde(default)]
    license: Option<String>,
    /// Gitea's object format: `sha1` (or empty) only.
    #[serde(default)]
    object_format_name: Option<String>,
}

impl CreateBody {
    /// The repository asked for, by `caller` (the author of an `auto_init` commit).
    ///
    /// # Errors
    /// 422 naming a Gitea field asking for what this server does not have.
    pub fn into_new(self, caller: &user::Model) -> Result<NewRepo, Error> {
        let given = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
        if given(&self.gitignores) {
            return Err(Error::field(
                "gitignores",
                "gitignores: no .gitignore templates here",
            ));
        }
        if given(&self.license) {
            return Err(Error::field(
                "license",
                "license: no licence templates here",
            ));
        }
        if given(&self.readme) && self.readme.as_deref().map(str::trim) != Some("Default") {
            return Err(Error::field(
                "readme",
                "readme: only the Default README here",
            ));
        }
        if given(&self.object_format_name)
            && self.object_format_name.as_deref().map(str::trim) != Some("sha1")
        {
            return Err(Error::field(
                "object_format_name",
                "object_format_name: only sha1 repositories here",
            ));
        }
        let readme_by = self.auto_init.unwrap_or(false).then(|| Author {
            name: if caller.full_name.trim().is_empty() {
                caller.username.clone()
            } else {
                caller.full_name.clone()
            },
            email: caller.email.clone(),
        });
        Ok(NewRepo {
            name: self.name.unwrap_or_default(),
            description: self.description.unwrap_or_default(),
            private: self.private.unwrap_or(false),
            made_by: None,
            default_branch: self.default_branch.filter(|b| !b.trim().is_empty()),
            readme_by,
        })
    }
}

/// Creates a repository owned by the caller: empty, or with a README as Gitea's `auto_init`.
#[utoipa::path(
    post,
    path = "/repos",
    tag = "repos",
    request_body = CreateBody,
    responses(
        (status = 201, description = "The repository", body = RepoJson),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "Invalid name", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    BaseUrl(base): BaseUrl,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<RepoJson>), ApiError> {
    create_own(&state, &user, &base, body).await
}

/// Creates the repository `body` asks for, owned by `user`: what `POST /repos` and Gitea's
/// `POST /user/repos` do.
///
/// # Errors
/// 422 naming a bad field, 409 for a taken name, the database or the disk.
pub(super) async fn create_own(
    state: &AppState,
    user: &user::Model,
    base: &str,
    body: CreateBody,
) -> Result<(StatusCode, Json<RepoJson>), ApiError> {
    let new = body.into_new(user)?;
    let repo = repos::create(&state.db, &state.config, user, new).await?;
    let answer = RepoJson::for_caller(state, repo, user, base).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// One repository; public ones also without credentials.
#[utoipa::path(
    get,
    path = "/repos/{owner}/{repo}",
    tag = "repos",
    params(RepoPath),
    security((), ("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The repository", body = RepoJson),
        (status = 401, description = "Invalid credentials", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn show(
    State(state): State<AppState>,
    access: ApiRepo<Read>,
    BaseUrl(base): BaseUrl,
) -> Result<Json<RepoJson>, ApiError> {
    let answer = RepoJson::of(&state.config, access.repo, access.permission, &base).await?;
    Ok(Json(answer))
}

/// What `PATCH /repos/{owner}/{repo}` may change; an absent field is left as it is. Gitea's
/// `EditRepoOption` is taken too: its `mirror_interval`, and its other fields accepted and
/// ignored; any other field is refused.
#[derive(Deserialize, ToSchema)]
pub struct UpdateBody {
    /// A new name: the old path answers 301 to the new one until a new repository takes it.
    name: Option<String>,
    /// A new description.
    description: Option<String>,
    /// Hide it (`true`) or show it to everyone.
    private: Option<bool>,
    /// The branch a clone checks out (it must exist).
    default_branch: Option<String>,
    /// Move it to this account or organisation (one the caller owns).
    owner: Option<String>,
    /// Gitea's: a pull mirror's interval as a Go duration (`8h0m0s`), at least the minimum.
    mirror_interval: Option<String>,
    /// Gitea's: the username a pull mirror signs in to its remote with.
    mirror_username: Option<String>,
    /// Gitea's: the password a pull mirror signs in with (write-only, kept encrypted).
    mirror_password: Option<String>,
    /// Gitea's: a token a pull mirror signs in with, as the password (alone: as `oauth2`).
    mirror_token: Option<String>,
    /// Gitea's: `false` is what every repository here is; `true` is refused.
    archived: Option<bool>,
    /// Gitea's other `EditRepoOption` fields (issues, wiki, merge styles…), ignored.
    #[serde(flatten)]
    #[schema(ignore)]
    others: BTreeMap<String, serde_json::Value>,
}

impl UpdateBody {
    /// Gitea's pull-mirror fields as a change of `repo`'s mirror settings (`None` when the
    /// body names none of them); refuses `archived: true` and fields neither we nor Gitea
    /// know. Checked before anything changes.
    ///
    /// # Errors
    /// 400 for an unknown field; 422 naming `archived`, or the mirror field that is bad or
    /// names no pull mirror.
    fn mirror_patch(
        &mut self,
        config: &Config,
        repo: &Repo,
    ) -> Result<Option<SettingsPatch>, Error> {
        gitea::refuse_unknown_edit_fields(self.others.keys())?;
        if self.archived == Some(true) {
            return Err(Error::field(
                "archived",
                "archived: repositories cannot be archived here",
            ));
        }
        let named = [
            ("mirror_interval", self.mirror_interval.is_some()),
            ("mirror_username", self.mirror_username.is_some()),
            ("mirror_password", self.mirror_password.is_some()),
            ("mirror_token", self.mirror_token.is_some()),
        ]
        .into_iter()
        .find_map(|(field, given)| given.then_some(field));
        let Some(field) = named else {
            return Ok(None);
        };
        let pulls = repo.repo.upstream_url.is_some() && repo.repo.mirror_direction.pulls();
        if !pulls {
            return Err(Error::field(
                field,
                format!("{field}: the repository is not a pull mirror"),
            ));
        }
        let sync_interval = match self.mirror_interval.as_deref() {
            Some(text) => {
                let seconds =
                    go_duration::parse_interval("mirror_interval", text, config.min_sync_interval)?;
                settings::check_interval(config, seconds).map_err(|message| {
                    Error::field("mirror_interval", format!("mirror_interval {message}"))
                })?;
                Some(seconds)
            }
            None => None,
        };
        let (upstream_username, upstream_password) = gitea::login_of(
            self.mirror_username.take(),
            self.mirror_password.take(),
            self.mirror_token.take(),
        );
        Ok(Some(SettingsPatch {
            sync_interval,
            upstream_username,
            upstream_password,
            ..SettingsPatch::default()
        }))
    }
}

/// Renames, moves, describes, hides or shows a repository, or picks its default branch (its
/// owner or an admin). Mirrors, runs, push mirrors and LFS objects stay with it.
#[utoipa::path(
    patch,
    path = "/repos/{owner}/{repo}",
    tag = "repos",
    params(RepoPath),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The repository as it is now", body = RepoJson),
        (status = 301, description = "Renamed or moved: `Location` is its new path"),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not its owner or an admin, or an owner the caller may not move it to", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
        (status = 409, description = "The new path is taken, or a sync is running during a rename or move", body = ErrorBody),
        (status = 422, description = "A bad name or description, or no such branch", body = ErrorBody),
    )
)]
async fn update(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
    BaseUrl(base): BaseUrl,
    ApiJson(mut body): ApiJson<UpdateBody>,
) -> Result<Json<RepoJson>, ApiError> {
    let mirror_patch = body.mirror_patch(&state.config, &access.repo)?;
    let change = RepoChange {
        name: body.name,
        description: body.description,
        private: body.private,
        default_branch: body.default_branch,
        owner: body.owner,
    };
    let repo = change::apply(
        &state.db,
        &state.config,
        &access.viewer,
        access.repo,
        change,
    )
    .await?;
    let repo = match mirror_patch {
        Some(patch) => {
            let Repo { repo, owner } = repo;
            let repo = settings::apply(&state.db, &state.config, &state.secrets, repo, patch)
                .await
                .map_err(gitea::in_gitea_terms)?;
            Repo { repo, owner }
        }
        None => repo,
    };
    let answer = RepoJson::for_caller(&state, repo, &access.viewer, &base).await?;
    Ok(Json(answer))
}

/// Deletes a repository (its owner or an admin).
#[utoipa::path(
    delete,
    path = "/repos/{owner}/{repo}",
    tag = "repos",
    params(RepoPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not the owner or an admin", body = ErrorBody),
        (status = 404, description = "No such repository, or a private one the caller may not see", body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    access: ApiRepo<Admin>,
) -> Result<StatusCode, ApiError> {
    repos::delete(&state.db, &state.config, &state.lfs, access.repo).await?;
    Ok(StatusCode::NO_CONTENT)
}
