//! `/`: the logged-in user's repositories and those of their organisations, the
//! organisations themselves, or a welcome for visitors.

use askama::Template;
use askama_web::WebTemplate;
use axum::{Router, extract::State, routing::get};
use chrono::Utc;
use tower_sessions::Session;

use super::{page::Layout, repo_rows::RepoRow};
use crate::{
    accounts::members, entities::org_member::Role, error::PageError, repos, state::AppState,
    web::extract::WebUser,
};

/// The dashboard route.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(dashboard))
}

/// An organisation the user belongs to, as the dashboard lists it.
struct OrgRow {
    /// Its name, also its page's path.
    name: String,
    /// The user's role in it: `owner`, `write` or `read`.
    role: &'static str,
    /// Seen by its members only.
    private: bool,
}

/// The dashboard: a list for a logged-in user, a welcome for a visitor.
#[derive(Template, WebTemplate)]
#[template(path = "dashboard/index.html")]
struct DashboardTemplate {
    /// Header and navigation; `layout.username` says whether someone is logged in.
    layout: Layout,
    /// The user's own repositories by name, then their organisations' (empty for visitors).
    repos: Vec<RepoRow>,
    /// The organisations the user belongs to, by name.
    orgs: Vec<OrgRow>,
}

async fn dashboard(
    State(state): State<AppState>,
    session: Session,
    viewer: Option<WebUser>,
) -> Result<DashboardTemplate, PageError> {
    let viewer = viewer.map(|WebUser(user)| user);
    let (repos, orgs) = match &viewer {
        Some(user) => {
            let now = Utc::now();
            let memberships = members::memberships(&state.db, user).await?;
            let owners = members::owners_among(user, &memberships, Role::Read);
            let repos = repos::list_owned(&state.db, &owners)
                .await?
                .into_iter()
                .map(|r| RepoRow::of(r, now))
                .collect();
            let orgs = memberships
                .into_iter()
                .map(|m| OrgRow {
                    private: m.org.is_private,
                    name: m.org.username,
                    role: m.role.as_str(),
                })
                .collect();
            (repos, orgs)
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(DashboardTemplate {
        layout: Layout::new(&state, &session, viewer.as_ref()).await?,
        repos,
        orgs,
    })
}
