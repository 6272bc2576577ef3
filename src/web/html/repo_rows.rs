//! A repository as the lists of the dashboard and of an organisation's page show it: its
//! `owner/name`, private badge, mirror badges, last sync and error (`macros.html` `repo_item`).

use chrono::{DateTime, Utc};

use super::{page::TimeView, repo_mirror::sync_widget::status_label};
use crate::{mirror::state, repos::Repo};

/// One repository in a list.
pub struct RepoRow {
    /// Owner's username.
    pub owner: String,
    /// Repository name.
    pub name: String,
    /// Free text; may be empty.
    pub description: String,
    /// Hidden from everyone but those who may read it.
    pub private: bool,
    /// When the repository was created (shown for repositories that do not mirror).
    pub created: TimeView,
    /// Its mirror badges, last sync and error, when it mirrors.
    pub mirror: Option<MirrorBadge>,
}

/// A mirrored repository's badges (which way it syncs, how the last sync went), its last
/// sync and its error.
pub struct MirrorBadge {
    /// `upstream`, `downstream` or `both`.
    pub direction: &'static str,
    /// `idle`, `syncing`, `success` or `failed`.
    pub status: &'static str,
    /// The status in words.
    pub status_label: &'static str,
    /// The last error ("" when none), shown under the repository.
    pub error: String,
    /// End of the last successful sync; `None` before the first.
    pub last_synced: Option<TimeView>,
}

impl RepoRow {
    /// `r` as a list shows it at `now`.
    #[must_use]
    pub fn of(r: Repo, now: DateTime<Utc>) -> Self {
        let cancelled = state::shows_cancelled(&r.repo);
        Self {
            mirror: r.repo.mirror_enabled.then(|| MirrorBadge {
                direction: r.repo.mirror_direction.as_str(),
                status_label: if cancelled {
                    "Cancelled"
                } else {
                    status_label(r.repo.sync_status)
                },
                status: if cancelled {
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
        }
    }
}
