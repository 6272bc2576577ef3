//! `/`: the logged-in user's repositories, or a welcome for visitors.

use askama::Template;
use askama_web::WebTemplate;
use axum::{Router, extract::State, routing::get};
use chrono::Utc;
use tower_sessions::Session;

use super::{
    page::{Layout, TimeView},
    repo_mirror::sync_widget::status_label,
};
use crate::{error::PageError, mirror::state, repos, state::AppState, web::extract::WebUser};

/// The dashboard route.
pub fn router() -> Router<AppState> {
    Router::new().route("/", get(dashboard))
}

/// One repository in the dashboard list.
struct RepoRow {
    /// Owner's username.
    owner: String,
    /// Repository name.
    name: String,
    /// Free text; may be empty.
    description: String,
    /// Hidden from everyone but the owner and admins.
    private: bool,
    /// When the repository was created (shown for repositories that do not mirror).
    created: TimeView,
    /// Its mirror badges, last sync and error, when it mirrors.
    mirror: Option<MirrorBadge>,
}

/// A mirrored repository's badges (which way it syncs, how the last sync went), its last
/// sync and its error.
struct MirrorBadge {
    /// `upstream`, `downstream` or `both`.
    direction: &'static str,
    /// `idle`, `syncing`, `success` or `failed`.
    status: &'static str,
    /// The status in words.
    status_label: &'static str,
    /// The last error ("" when none), shown under the repository.
    error: String,
    /// End of the last successful sync; `None` before the first.
    last_synced: Option<TimeView>,
}

/// The dashboard: a list for a logged-in user, a welcome for a visitor.
#[derive(Template, WebTemplate)]
#[template(path = "dashboard/index.html")]
struct DashboardTemplate {
    /// Header and navigation; `layout.username` says whether someone is logged in.
    layout: Layout,
    /// The user's own repositories by name (empty for visitors).
    repos: Vec<RepoRow>,
}

async fn dashboard(
    State(state): State<AppState>,
    session: Session,
    viewer: Option<WebUser>,
) -> Result<DashboardTemplate, PageError> {
    let viewer = viewer.map(|WebUser(user)| user);
    let repos = match &viewer {
        Some(user) => {
            let now = Utc::now();
            repos::list_owned(&state.db, user)
                .await?
                .into_iter()
                .map(|r| RepoRow {
                    mirror: r.repo.mirror_enabled.then(|| MirrorBadge {
                        direction: r.repo.mirror_direction.as_str(),
                        status_label: if state::shows_cancelled(&r.repo) {
                            "Cancelled"
                        } else {
                            status_label(r.repo.sync_status)
                        },
                        status: if state::shows_cancelled(&r.repo) {
                            "cancelled"
                        } else {
                            r.repo.sync_status.as_str()
                        },
                        error: r.repo.sync_error.clone().unwrap_or_default(),
                        last_synced: r.repo.last_synced_at.map(|t| TimeView::new(t, now)),
                    }),
                    owner: r.owner.username,
                    name: r.repo.name,
                    description: r.repo.description,
                    private: r.repo.is_private,
                    created: TimeView::new(r.repo.created_at, now),
                })
                .collect()
        }
        None => Vec::new(),
    };
    Ok(DashboardTemplate {
        layout: Layout::new(&state, &session, viewer.as_ref()).await?,
        repos,
    })
}
