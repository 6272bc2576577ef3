//! `/{org}`: an organisation's page. Its repositories the visitor may read, 30 a page; for
//! members (and site admins) its members with their roles; for owners the forms that add,
//! change and remove members and delete the organisation. A person's name is not an
//! organisation: 404.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, Query, State},
    routing::get,
};
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::Session;

use crate::{
    accounts::{members, orgs},
    entities::user,
    error::{Error, PageError},
    repos::{
        Permission, access,
        listing::{self, Window},
    },
    state::AppState,
    web::{
        extract::WebUser,
        html::{
            page::{FormErrors, Layout},
            repo_rows::RepoRow,
        },
    },
};

/// Repositories on one page of the list.
const PER_PAGE: u64 = 30;

/// The roles a member may have, least first, as the role selects offer them.
const ROLES: &[&str] = &["read", "write", "owner"];

/// `/{owner}`.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/{owner}", get(show))
}

/// A member as the members section shows them.
struct MemberRow {
    /// Their username.
    username: String,
    /// Their role: `owner`, `write` or `read`.
    role: &'static str,
    /// Whether this is the visitor (who may leave).
    is_viewer: bool,
}

/// What a refused action of the members section or the danger zone left to say, shown
/// inline where it happened; nothing by default.
#[derive(Debug, Default)]
pub(super) struct Problems {
    /// About changing or removing a member (the last owner), above the members list.
    pub members: Option<String>,
    /// Inline messages of the add-member form (`username`, `role`).
    pub add: FormErrors,
    /// The username typed in the add-member form, kept after a refusal.
    pub add_username: String,
    /// The role chosen in the add-member form.
    pub add_role: String,
    /// Why the organisation was not deleted (it owns repositories).
    pub delete: Option<String>,
}

/// An organisation's page.
#[derive(Template, WebTemplate)]
#[template(path = "org/show.html")]
pub(super) struct OrgTemplate {
    /// Header and navigation.
    layout: Layout,
    /// The organisation's name.
    name: String,
    /// Its display name; may be empty.
    full_name: String,
    /// Seen by its members only.
    private: bool,
    /// What it is about; may be empty.
    description: String,
    /// Its repositories the visitor may read, on this page.
    repos: Vec<RepoRow>,
    /// How many repositories the visitor may read in all.
    total: u64,
    /// This page's number, from 1.
    page: u64,
    /// How many pages there are (at least 1).
    pages: u64,
    /// Whether the visitor may create repositories in it (write, owner, site admin).
    may_create: bool,
    /// Whether the visitor sees the members (members of any role, site admins).
    sees_members: bool,
    /// Whether the visitor manages members and may delete it (owners, site admins).
    manages: bool,
    /// The members, by name (empty unless `sees_members`).
    members: Vec<MemberRow>,
    /// The roles the selects offer.
    roles: &'static [&'static str],
    /// What a refused action left to say.
    problems: Problems,
}

/// `?page=`: which page of repositories; anything but a whole number from 1 is the first.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    page: String,
}

async fn show(
    State(state): State<AppState>,
    session: Session,
    viewer: Option<WebUser>,
    Path(owner): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<OrgTemplate, PageError> {
    let viewer = viewer.map(|WebUser(user)| user);
    let org = orgs::find_visible(&state.db, &owner, viewer.as_ref())
        .await?
        .ok_or(Error::NotFound("organisation"))?;
    let page = query.page.trim().parse::<u64>().unwrap_or(1).max(1);
    render(
        &state,
        &session,
        org,
        viewer.as_ref(),
        page,
        Problems::default(),
    )
    .await
}

/// The page of `org` as `viewer` sees it, its `page`th page of repositories, with what a
/// refused action left to say.
///
/// # Errors
/// The database or the session store failed.
pub(super) async fn render(
    state: &AppState,
    session: &Session,
    org: user::Model,
    viewer: Option<&user::Model>,
    page: u64,
    problems: Problems,
) -> Result<OrgTemplate, PageError> {
    let standing = access::standing(&state.db, &org, viewer).await?;
    let window = Window {
        limit: PER_PAGE,
        offset: (page - 1).saturating_mul(PER_PAGE),
    };
    let listed = listing::owned_readable(&state.db, &state.config, &org, viewer, window).await?;
    let now = Utc::now();
    let sees_members = standing >= Permission::Read;
    let members = if sees_members {
        members::list(&state.db, &org)
            .await?
            .into_iter()
            .map(|m| MemberRow {
                is_viewer: viewer.is_some_and(|v| v.id == m.user.id),
                username: m.user.username,
                role: m.role.as_str(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(OrgTemplate {
        layout: Layout::new(state, session, viewer).await?,
        name: org.username,
        full_name: org.full_name,
        private: org.is_private,
        description: org.description,
        repos: listed
            .items
            .into_iter()
            .map(|l| RepoRow::of(l.repo, now))
            .collect(),
        total: listed.total,
        page,
        pages: listed.total.div_ceil(PER_PAGE).max(1),
        may_create: standing >= Permission::Write,
        sees_members,
        manages: standing >= Permission::Admin,
        members,
        roles: ROLES,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(sees_members: bool, manages: bool) -> OrgTemplate {
        OrgTemplate {
            layout: Layout {
                username: Some("olga".to_owned()),
                csrf_token: "t0k3n".to_owned(),
                registration_open: false,
                flash: None,
            },
            name: "acme".to_owned(),
            full_name: "<b>Acme</b>".to_owned(),
            private: true,
            description: "<script>x</script>".to_owned(),
            repos: Vec::new(),
            total: 0,
            page: 1,
            pages: 1,
            may_create: false,
            sees_members,
            manages,
            members: vec![MemberRow {
                username: "olga".to_owned(),
                role: "owner",
                is_viewer: true,
            }],
            roles: ROLES,
            problems: Problems {
                members: Some("the last owner".to_owned()),
                ..Problems::default()
            },
        }
    }

    #[test]
    fn members_and_their_forms_show_to_whom_they_belong() {
        let stranger = template(false, false).render().unwrap();
        assert!(!stranger.contains(r#"id="members""#));
        assert!(
            !stranger.contains("<script>x"),
            "the description is escaped"
        );
        assert!(
            stranger.contains("Acme") && !stranger.contains("<b>Acme"),
            "the display name, escaped"
        );
        assert!(stranger.contains(r#"<span class="org-name">acme</span>"#));
        assert!(stranger.contains(r#"<span class="badge badge-private">Private</span>"#));
        let reader = template(true, false).render().unwrap();
        assert!(reader.contains(r#"<span class="badge badge-role">owner</span>"#));
        assert!(reader.contains(r#"action="/org/acme/leave""#));
        assert!(reader.contains("the last owner"));
        assert!(!reader.contains(r#"action="/org/acme/delete""#));
        let owner = template(true, true).render().unwrap();
        assert!(owner.contains(r#"<option value="owner" selected>owner</option>"#));
        assert!(owner.contains(r#"action="/org/acme/delete""#));
        assert!(owner.contains(r#"name="csrf_token" value="t0k3n""#));
    }
}
