//! `/orgs`: organisations, their members and their repositories; `/user/orgs`: the caller's.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    paging::{GiteaPaging, ListUrl, Paged},
    repos::{CreateBody, RepoJson},
};
use crate::{
    accounts::{
        members::{self, Member},
        orgs::{self, NewOrg},
        users,
    },
    entities::{org_member::Role, user},
    error::{ApiError, Error, ErrorBody},
    repos::{self, Permission, access, listing::owned_readable},
    state::AppState,
    web::extract::{ApiJson, ApiQuery, ApiUser, BaseUrl},
};

/// Routes under `/orgs` and `/user/orgs`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(show, remove))
        .routes(routes!(my_orgs))
        .routes(routes!(list_members))
        .routes(routes!(put_member, remove_member))
        .routes(routes!(create_repo, org_repos))
}

/// An organisation as the API shows it: Gitea's `Organization`, with when it was made.
#[derive(Serialize, ToSchema)]
#[schema(as = Organization)]
pub struct OrgJson {
    /// Its id (ids are shared with users).
    id: i64,
    /// Its name.
    name: String,
    /// Its name again, as Gitea's older clients read it.
    username: String,
    /// Its display name (`""`: none given).
    full_name: String,
    /// What it is about.
    description: String,
    /// `public`, or `private` (seen by its members only).
    visibility: &'static str,
    /// Always `""`: no avatars are kept here.
    avatar_url: String,
    /// When it was made.
    #[serde(serialize_with = "super::gitea_time::serialize")]
    created_at: DateTime<Utc>,
}

impl From<&user::Model> for OrgJson {
    fn from(org: &user::Model) -> Self {
        Self {
            id: org.id,
            name: org.username.clone(),
            username: org.username.clone(),
            full_name: org.full_name.clone(),
            description: org.description.clone(),
            visibility: if org.is_private { "private" } else { "public" },
            avatar_url: String::new(),
            created_at: org.created_at,
        }
    }
}

/// An organisation the caller belongs to, with their role.
#[derive(Serialize, ToSchema)]
#[schema(as = OrganizationMembership)]
struct MyOrgJson {
    #[serde(flatten)]
    org: OrgJson,
    /// The caller's role: `owner`, `write` or `read`.
    role: Role,
}

/// A member of an organisation.
#[derive(Serialize, ToSchema)]
#[schema(as = OrganizationMember)]
struct MemberJson {
    /// The person.
    username: String,
    /// Their role: `owner`, `write` or `read`.
    role: Role,
}

impl From<Member> for MemberJson {
    fn from(m: Member) -> Self {
        Self {
            username: m.user.username,
            role: m.role,
        }
    }
}

/// An organisation to create; Gitea's `CreateOrgOption` is taken as well (`username` for the
/// name; its `email`, `location`, `website` and `repo_admin_change_team_access` are ignored).
#[derive(Deserialize, ToSchema)]
struct CreateOrgBody {
    /// Its name (required): the rules and the namespace of user names.
    name: Option<String>,
    /// Its name, as Gitea's `CreateOrgOption` gives it (when `name` is absent).
    username: Option<String>,
    /// Its display name.
    full_name: Option<String>,
    /// What it is about.
    description: Option<String>,
    /// `public` (the default) or `private`: seen by its members only.
    visibility: Option<String>,
}

impl CreateOrgBody {
    /// The organisation asked for.
    ///
    /// # Errors
    /// 422 naming `visibility` when it is neither `public` nor `private`.
    fn into_new(self) -> Result<NewOrg, Error> {
        let private = orgs::private_of(self.visibility.as_deref().unwrap_or("").trim())?;
        Ok(NewOrg {
            name: self.name.or(self.username).unwrap_or_default(),
            description: self.description.unwrap_or_default(),
            full_name: self.full_name.unwrap_or_default(),
            private,
        })
    }
}

/// A member's role to set.
#[derive(Deserialize, ToSchema)]
struct RoleBody {
    /// `owner`, `write` or `read` (required).
    role: Option<String>,
}

/// `{org}` of the routes under `/orgs`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct OrgPath {
    /// The organisation's name (any case).
    org: String,
}

/// `{org}` and `{username}` of a membership.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct MemberPath {
    /// The organisation's name (any case).
    org: String,
    /// The member's username (any case).
    username: String,
}

/// The organisation named in the path as `viewer` may know it, or 404 (also for a private
/// organisation the viewer is not a member of).
async fn find_org(
    state: &AppState,
    name: &str,
    viewer: Option<&user::Model>,
) -> Result<user::Model, Error> {
    orgs::find_visible(&state.db, name, viewer)
        .await?
        .ok_or(Error::NotFound("organisation"))
}

/// What `caller` may do in `org` (site admins: everything), or 403 below `needed`.
async fn require(
    state: &AppState,
    org: &user::Model,
    caller: &user::Model,
    needed: Permission,
) -> Result<Permission, Error> {
    let may = access::standing(&state.db, org, Some(caller)).await?;
    if may >= needed {
        Ok(may)
    } else {
        Err(access::org_refusal(org, needed))
    }
}

/// Creates an organisation; the caller becomes its owner.
#[utoipa::path(
    post,
    path = "/orgs",
    tag = "orgs",
    request_body = CreateOrgBody,
    responses(
        (status = 201, description = "The organisation", body = OrgJson),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 409, description = "A user or an organisation has the name", body = ErrorBody),
        (status = 422, description = "Invalid name or description", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiJson(body): ApiJson<CreateOrgBody>,
) -> Result<(StatusCode, Json<OrgJson>), ApiError> {
    let org = orgs::create(&state.db, &user, body.into_new()?).await?;
    tracing::info!(org = %org.username, user_id = user.id, "organisation created");
    Ok((StatusCode::CREATED, Json(OrgJson::from(&org))))
}

/// An organisation; anyone may see a public one (its private repositories are another
/// matter), members only a private one.
#[utoipa::path(
    get,
    path = "/orgs/{org}",
    tag = "orgs",
    params(OrgPath),
    security((), ("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "The organisation", body = OrgJson),
        (status = 404, description = "No such organisation", body = ErrorBody),
    )
)]
async fn show(
    State(state): State<AppState>,
    viewer: Option<ApiUser>,
    Path(path): Path<OrgPath>,
) -> Result<Json<OrgJson>, ApiError> {
    let viewer = viewer.map(|ApiUser(u)| u);
    let org = find_org(&state, &path.org, viewer.as_ref()).await?;
    Ok(Json(OrgJson::from(&org)))
}

/// Deletes an organisation: owners only, and only once it owns no repository.
#[utoipa::path(
    delete,
    path = "/orgs/{org}",
    tag = "orgs",
    params(OrgPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not an owner", body = ErrorBody),
        (status = 404, description = "No such organisation", body = ErrorBody),
        (status = 409, description = "It still owns repositories", body = ErrorBody),
    )
)]
async fn remove(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(path): Path<OrgPath>,
) -> Result<StatusCode, ApiError> {
    let org = find_org(&state, &path.org, Some(&user)).await?;
    require(&state, &org, &user, Permission::Admin).await?;
    orgs::delete(&state.db, &org).await?;
    tracing::info!(org = %org.username, user_id = user.id, "organisation deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// The organisations the caller belongs to, by name, with their role in each.
#[utoipa::path(
    get,
    path = "/user/orgs",
    tag = "orgs",
    params(GiteaPaging),
    responses(
        (status = 200, description = "The caller's organisations", body = Vec<MyOrgJson>),
        (status = 400, description = "`limit` or `page` out of range", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
    )
)]
async fn my_orgs(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    ApiQuery(paging): ApiQuery<GiteaPaging>,
    url: ListUrl,
) -> Result<Paged<MyOrgJson>, ApiError> {
    let window = paging.window()?;
    let list = members::memberships(&state.db, &user).await?;
    let page = window.of(list).map(|m| MyOrgJson {
        org: OrgJson::from(&m.org),
        role: m.role,
    });
    Ok(Paged::new(page, window, url))
}

/// An organisation's members, by name: members (and site admins) only.
#[utoipa::path(
    get,
    path = "/orgs/{org}/members",
    tag = "orgs",
    params(OrgPath, GiteaPaging),
    responses(
        (status = 200, description = "The members", body = Vec<MemberJson>),
        (status = 400, description = "`limit` or `page` out of range", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not a member", body = ErrorBody),
        (status = 404, description = "No such organisation", body = ErrorBody),
    )
)]
async fn list_members(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(path): Path<OrgPath>,
    ApiQuery(paging): ApiQuery<GiteaPaging>,
    url: ListUrl,
) -> Result<Paged<MemberJson>, ApiError> {
    let window = paging.window()?;
    let org = find_org(&state, &path.org, Some(&user)).await?;
    require(&state, &org, &user, Permission::Read).await?;
    let list = members::list(&state.db, &org).await?;
    Ok(Paged::new(
        window.of(list).map(MemberJson::from),
        window,
        url,
    ))
}

/// Adds a member or changes their role: owners only. The last owner cannot be made less.
#[utoipa::path(
    put,
    path = "/orgs/{org}/members/{username}",
    tag = "orgs",
    params(MemberPath),
    request_body = RoleBody,
    responses(
        (status = 200, description = "The membership", body = MemberJson),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Not an owner", body = ErrorBody),
        (status = 404, description = "No such organisation or user", body = ErrorBody),
        (status = 409, description = "The last owner cannot stop being one", body = ErrorBody),
        (status = 422, description = "`role` missing or not `owner`, `write` or `read`", body = ErrorBody),
    )
)]
async fn put_member(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(path): Path<MemberPath>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<MemberJson>, ApiError> {
    let org = find_org(&state, &path.org, Some(&user)).await?;
    require(&state, &org, &user, Permission::Admin).await?;
    let role = body
        .role
        .as_deref()
        .and_then(Role::parse)
        .ok_or_else(|| Error::field("role", "role must be 'owner', 'write' or 'read'"))?;
    let member = users::find_person(&state.db, &path.username)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let member = members::put(&state.db, &org, &member, role).await?;
    tracing::info!(org = %org.username, member = %member.user.username, role = role.as_str(), user_id = user.id, "membership set");
    Ok(Json(member.into()))
}

/// Removes a member: owners, or the member leaving. The last owner cannot leave.
#[utoipa::path(
    delete,
    path = "/orgs/{org}/members/{username}",
    tag = "orgs",
    params(MemberPath),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "Neither an owner nor the member", body = ErrorBody),
        (status = 404, description = "No such organisation, or no such member", body = ErrorBody),
        (status = 409, description = "The last owner cannot leave", body = ErrorBody),
    )
)]
async fn remove_member(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(path): Path<MemberPath>,
) -> Result<StatusCode, ApiError> {
    let org = find_org(&state, &path.org, Some(&user)).await?;
    let leaving = path.username.eq_ignore_ascii_case(&user.username);
    if !leaving {
        require(&state, &org, &user, Permission::Admin).await?;
    }
    let member = users::find_person(&state.db, &path.username)
        .await?
        .ok_or(Error::NotFound("member"))?;
    members::remove(&state.db, &org, &member).await?;
    tracing::info!(org = %org.username, member = %member.username, user_id = user.id, "member removed");
    Ok(StatusCode::NO_CONTENT)
}

/// Creates a repository owned by the organisation: members with write access and owners.
#[utoipa::path(
    post,
    path = "/orgs/{org}/repos",
    tag = "orgs",
    params(OrgPath),
    request_body = CreateBody,
    responses(
        (status = 201, description = "The repository", body = RepoJson),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "No or invalid credentials", body = ErrorBody),
        (status = 403, description = "No write access in the organisation", body = ErrorBody),
        (status = 404, description = "No such organisation", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "Invalid name", body = ErrorBody),
    )
)]
async fn create_repo(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(path): Path<OrgPath>,
    BaseUrl(base): BaseUrl,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<RepoJson>), ApiError> {
    let org = find_org(&state, &path.org, Some(&user)).await?;
    require(&state, &org, &user, Permission::Write).await?;
    let new = body.into_new(&user)?;
    let repo = repos::create(&state.db, &state.config, &org, new).await?;
    let answer = RepoJson::for_caller(&state, repo, &user, &base).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// The organisation's repositories the caller may read (public ones for anyone, anonymous
/// callers included; private ones too for members and site admins), oldest first, as Gitea
/// lists them.
#[utoipa::path(
    get,
    path = "/orgs/{org}/repos",
    tag = "orgs",
    params(OrgPath, GiteaPaging),
    security((), ("bearer" = []), ("basic" = [])),
    responses(
        (status = 200, description = "One page of the repositories", body = Vec<RepoJson>),
        (status = 400, description = "`limit` or `page` out of range", body = ErrorBody),
        (status = 401, description = "Invalid credentials", body = ErrorBody),
        (status = 404, description = "No such organisation", body = ErrorBody),
    )
)]
async fn org_repos(
    State(state): State<AppState>,
    viewer: Option<ApiUser>,
    Path(path): Path<OrgPath>,
    ApiQuery(query): ApiQuery<GiteaPaging>,
    url: ListUrl,
) -> Result<Paged<RepoJson>, ApiError> {
    let window = query.window()?;
    let viewer = viewer.map(|ApiUser(u)| u);
    let org = find_org(&state, &path.org, viewer.as_ref()).await?;
    let page = owned_readable(&state.db, &state.config, &org, viewer.as_ref(), window).await?;
    Ok(RepoJson::paged(page, window, url))
}
