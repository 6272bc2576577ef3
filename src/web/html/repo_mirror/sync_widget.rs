//! The mirror sync widget: status, last and next sync, the last error, live transfer progress
//! and "Sync now". One partial, `mirror/partials/sync_widget.html`, is rendered inside the
//! repository and settings pages and alone, as an htmx fragment, while a sync runs.

use askama::Template;
use askama_web::WebTemplate;
use std::sync::atomic::Ordering;

use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::Session;

use super::section::Section;
use crate::web::extract::caller::urlencode;
use crate::{
    auth::csrf,
    entities::mirror_enums::{MirrorDirection, RunStatus, SyncStatus},
    error::{Error, PageError},
    mirror::{engine::SyncRequest, schedule::Schedule, state},
    repos::{self, Permission, Repo},
    state::AppState,
    web::extract::CsrfForm,
    web::{
        extract::{PageRepo, Write},
        html::{
            forms::{from_htmx, no_store},
            page::{TimeView, set_flash},
        },
    },
};

/// The widget routes: the fragment htmx polls, and "Sync now".
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{owner}/{repo}/mirror/widget", get(fragment))
        .route("/{owner}/{repo}/mirror/sync", post(sync_now))
        .route("/{owner}/{repo}/mirror/cancel", post(cancel))
}

/// Which page the widget sits on, so a plain (JavaScript-free) "Sync now" returns there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WidgetPlace {
    /// The repository page.
    #[default]
    Repo,
    /// The mirror settings page.
    Settings,
}

impl WidgetPlace {
    /// The word used in the `on` query parameter and form field.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Repo => "repo",
            Self::Settings => "settings",
        }
    }

    /// The path of that page for `owner/name`.
    #[must_use]
    pub fn path(self, owner: &str, name: &str) -> String {
        match self {
            Self::Repo => format!("/{owner}/{name}"),
            Self::Settings => format!("/{owner}/{name}/settings/mirror"),
        }
    }
}

/// Transfer counters of the running sync, as the progress bar shows them.
#[derive(Debug, Clone)]
pub struct ProgressView {
    /// Objects received or written so far.
    pub done: u64,
    /// Objects expected; 0 while git has not said yet (the bar is then indeterminate).
    pub total: u64,
    /// Whole percent, 0–100.
    pub percent: u64,
    /// Bytes moved, readable ("1.4 MiB").
    pub bytes: String,
}

/// The pull's own state, shown beside the repository's (which the pushes share).
#[derive(Debug, Clone)]
pub struct PullView {
    /// Its own last result.
    pub status: SyncStatus,
    /// The badge's words.
    pub label: &'static str,
    /// End of its last success.
    pub last: Option<TimeView>,
    /// Failed pulls in a row.
    pub failures: i32,
}

impl PullView {
    /// The pull of `repo`, `None` when it does not pull.
    fn of(repo: &crate::entities::repository::Model, now: chrono::DateTime<Utc>) -> Option<Self> {
        let pull = state::pull_state(repo)?;
        Some(Self {
            status: pull.status,
            label: match pull.status {
                SyncStatus::Success => "Pulled",
                SyncStatus::Failed => "Failed",
                SyncStatus::Idle | SyncStatus::Syncing => "Not pulled yet",
            },
            last: pull.last_synced_at.map(|t| TimeView::new(t, now)),
            failures: pull.consecutive_failures,
        })
    }
}

/// Everything the widget shows; never a credential.
#[derive(Debug, Clone)]
pub struct SyncWidget {
    /// Owner's username.
    pub owner: String,
    /// Repository name.
    pub name: String,
    /// Mirroring switched on (else no "Sync now", and a link to the settings).
    pub enabled: bool,
    /// Which way it syncs.
    pub direction: MirrorDirection,
    /// Where it stands.
    pub status: SyncStatus,
    /// End of the last successful sync.
    pub last_synced: Option<TimeView>,
    /// When the scheduler syncs next.
    pub next_sync: Option<TimeView>,
    /// The last failure's message ("" when none).
    pub error: String,
    /// Live counters while a sync runs in this process.
    pub progress: Option<ProgressView>,
    /// For the JavaScript-free "Sync now" form (htmx sends the header instead).
    pub csrf_token: String,
    /// The page it sits on.
    pub on: WidgetPlace,
    /// A one-off line about the last press of "Sync now" ("A sync is already running.").
    pub notice: Option<String>,
    /// The last sync found nothing to change.
    pub up_to_date: bool,
    /// The last run was cancelled.
    pub cancelled: bool,
    /// When it was cancelled, once [`SyncWidget::load`] has read it.
    pub cancelled_at: Option<TimeView>,
    /// Synced only on demand (schedule `manual`): the next sync says so.
    pub manual: bool,
    /// An upstream URL is kept (a paused mirror, rather than one never set up).
    pub configured: bool,
    /// The path of the page it is shown on, so it never links to that page: the page of `on`
    /// unless a page that shows it elsewhere (a section of the mirror settings) sets it.
    pub here: String,
    /// The pull's own state, when the repository pulls.
    pub pull: Option<PullView>,
    /// The pull was last stopped by the mass-deletion guard ("Sync anyway" is offered).
    pub held: bool,
    /// The viewer may change the settings (owners and admins; a member with write access may
    /// only sync): links to the settings and "Sync anyway" are shown.
    pub administers: bool,
}

impl SyncWidget {
    /// The widget for `repo` as it stands now.
    #[must_use]
    pub fn new(state: &AppState, repo: &Repo, csrf_token: String, on: WidgetPlace) -> Self {
        let now = Utc::now();
        let r = &repo.repo;
        let syncing = r.sync_status == SyncStatus::Syncing;
        let progress = if syncing {
            state.engine.progress(r.id).map(|p| {
                let done = p.objects_done.load(Ordering::Relaxed);
                let total = p.objects_total.load(Ordering::Relaxed);
                ProgressView {
                    done,
                    total,
                    percent: (done.saturating_mul(100))
                        .checked_div(total)
                        .unwrap_or(0)
                        .min(100),
                    bytes: human_bytes(p.bytes.load(Ordering::Relaxed)),
                }
            })
        } else {
            None
        };
        Self {
            owner: repo.owner.username.clone(),
            name: r.name.clone(),
            enabled: r.mirror_enabled,
            direction: r.mirror_direction,
            status: r.sync_status,
            last_synced: r.last_synced_at.map(|t| TimeView::new(t, now)),
            next_sync: r
                .next_sync_at
                .filter(|_| r.mirror_enabled)
                .map(|t| TimeView::upcoming(t, now)),
            error: r.sync_error.clone().unwrap_or_default(),
            progress,
            csrf_token,
            on,
            notice: None,
            up_to_date: r.sync_status == SyncStatus::Success
                && r.last_run_status == Some(RunStatus::UpToDate),
            // A cancel is no result of its own: the badge says so unless a part failed.
            cancelled: state::shows_cancelled(r),
            cancelled_at: None,
            manual: matches!(Schedule::stored(&r.sync_schedule), Schedule::Manual),
            configured: r.upstream_url.is_some(),
            here: on.path(&repo.owner.username, &r.name),
            pull: PullView::of(r, now),
            held: r.upstream_held && r.mirror_direction.pulls(),
            administers: true,
        }
    }

    /// The widget for `repo` as it stands now, with the time of its last cancel when the
    /// badge says "Cancelled".
    ///
    /// # Errors
    /// The database failed.
    pub async fn load(
        app: &AppState,
        repo: &Repo,
        csrf_token: String,
        on: WidgetPlace,
    ) -> Result<Self, Error> {
        let mut widget = Self::new(app, repo, csrf_token, on);
        if widget.cancelled {
            widget.cancelled_at = state::cancelled_at(&app.db, &[repo.repo.id])
                .await?
                .get(&repo.repo.id)
                .map(|t| TimeView::new(*t, Utc::now()));
        }
        Ok(widget)
    }

    /// Where a pull is set up: the mirror settings' first section.
    #[must_use]
    pub fn pull_setup_url(&self) -> String {
        format!("/{}/{}/settings/mirror", self.owner, self.name)
    }

    /// Where a push mirror is added: the push mirrors section.
    #[must_use]
    pub fn push_setup_url(&self) -> String {
        format!("/{}/{}/settings/mirror/push", self.owner, self.name)
    }

    /// Mirroring is off and no sync runs: the widget offers the ways to start instead.
    #[must_use]
    pub fn off(&self) -> bool {
        !self.enabled && !self.syncing()
    }

    /// A sync runs: the widget polls and the button is disabled.
    #[must_use]
    pub fn syncing(&self) -> bool {
        self.status == SyncStatus::Syncing
    }

    /// The last sync failed.
    #[must_use]
    pub fn failed(&self) -> bool {
        self.status == SyncStatus::Failed
    }

    /// Shown on the repository page (which links to the settings).
    #[must_use]
    pub fn on_repo_page(&self) -> bool {
        self.on == WidgetPlace::Repo
    }

    /// What the mirror does, in words for the heading.
    #[must_use]
    pub fn direction_words(&self) -> &'static str {
        match self.direction {
            MirrorDirection::Downstream => "pushes downstream",
            MirrorDirection::Both => "pulls, then pushes",
            MirrorDirection::Upstream => "pulls from upstream",
        }
    }

    /// The badge's words ("Cancelled" after a cancel rather than "Not synced yet").
    #[must_use]
    pub fn status_label(&self) -> &'static str {
        if self.off() {
            "Mirroring is off"
        } else if self.cancelled {
            "Cancelled"
        } else {
            status_label(self.status)
        }
    }

    /// Where htmx fetches the fragment from.
    #[must_use]
    pub fn fragment_url(&self) -> String {
        format!(
            "/{}/{}/mirror/widget?on={}&back={}",
            self.owner,
            self.name,
            self.on.as_str(),
            urlencode(&self.here)
        )
    }
}

/// The badge's words for a repository's `sync_status`.
#[must_use]
pub fn status_label(status: SyncStatus) -> &'static str {
    match status {
        SyncStatus::Syncing => "Syncing",
        SyncStatus::Success => "Synced",
        SyncStatus::Failed => "Failed",
        SyncStatus::Idle => "Not synced yet",
    }
}

/// "512 B", "3.2 KiB", "1.4 MiB".
#[must_use]
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

/// The widget alone, for htmx.
#[derive(Template, WebTemplate)]
#[template(path = "mirror/partials/sync_widget.html")]
pub struct SyncWidgetFragment {
    /// The widget's data.
    pub widget: SyncWidget,
}

/// The fragment: only for htmx (a plain visit goes to the page it belongs to). When the sync
/// is over it also fires `mirror-sync-done`, so the page refreshes what the sync changed.
async fn fragment(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Write>,
    headers: HeaderMap,
    Query(place): Query<SyncForm>,
) -> Result<Response, PageError> {
    let (repo, may) = (access.repo, access.permission);
    if !from_htmx(&headers) {
        return Ok(Redirect::to(&place.page(&repo)).into_response());
    }
    let mut widget =
        SyncWidget::load(&state, &repo, csrf::token_for(&session).await?, place.on).await?;
    widget.here = place.page(&repo);
    widget.administers = may == Permission::Admin;
    let done = !widget.syncing();
    let mut response = SyncWidgetFragment { widget }.into_response();
    if done {
        response.headers_mut().insert(
            "hx-trigger",
            axum::http::HeaderValue::from_static("mirror-sync-done"),
        );
    }
    no_store(&mut response);
    Ok(response)
}

/// The "Sync now" and "Cancel" forms (and the fragment's query): the page the widget is on.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SyncForm {
    on: WidgetPlace,
    /// The section of the mirror settings the widget was on (its path), to come back to.
    back: String,
    /// "Sync anyway": the pull goes once without the mass-deletion guard.
    allow_mass_delete: Option<String>,
}

impl SyncForm {
    /// The page to return to: the section the form came from when it is one of `repo`'s
    /// mirror settings sections, else the page of `on` (never anywhere else).
    fn page(&self, repo: &Repo) -> String {
        let (owner, name) = (&repo.owner.username, &repo.repo.name);
        if self.on == WidgetPlace::Settings
            && let Some(section) = Section::ALL
                .into_iter()
                .find(|section| section.path(owner, name) == self.back)
        {
            return section.path(owner, name);
        }
        self.on.path(owner, name)
    }
}

/// "Sync now", and "Sync anyway" (`allow_mass_delete`). For htmx: 202 with the widget syncing,
/// 409 when a sync already runs, 422 when mirroring is off — each with the widget, which says
/// so. Without JavaScript: a notice and back to the page (303).
async fn sync_now(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Write>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<SyncForm>,
) -> Result<Response, PageError> {
    let (repo, user, may) = (access.repo, access.viewer, access.permission);
    let on = form.on;
    let allow = form.allow_mass_delete.is_some() && may == Permission::Admin;
    let (status, notice) = match state.engine.request_sync(&repo.repo, allow).await? {
        SyncRequest::Started => {
            tracing::info!(
                repo = %repo.full_name(),
                user_id = user.id,
                "sync started from the page"
            );
            (StatusCode::ACCEPTED, "Sync started.")
        }
        SyncRequest::AlreadyRunning => (StatusCode::CONFLICT, "A sync is already running."),
        SyncRequest::Disabled => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Mirroring is disabled for this repository; enable it in the mirror settings first.",
        ),
    };
    if !from_htmx(&headers) {
        set_flash(&session, notice).await?;
        return Ok(Redirect::to(&form.page(&repo)).into_response());
    }
    // Read the row again: the claim has just set `syncing`.
    let repo = repos::find(&state.db, &repo.owner.username, &repo.repo.name)
        .await?
        .ok_or(Error::NotFound("repository"))?;
    let mut widget = SyncWidget::load(&state, &repo, csrf::token_for(&session).await?, on).await?;
    widget.here = form.page(&repo);
    widget.administers = may == Permission::Admin;
    if status != StatusCode::ACCEPTED {
        widget.notice = Some(notice.to_owned());
    }
    let mut response = (status, SyncWidgetFragment { widget }).into_response();
    no_store(&mut response);
    Ok(response)
}

/// "Cancel" next to a running sync. For htmx: 202 with the widget saying it stops, 409 when
/// no sync runs. Without JavaScript: a notice and back to the page (303).
async fn cancel(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Write>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<SyncForm>,
) -> Result<Response, PageError> {
    let (repo, user, may) = (access.repo, access.viewer, access.permission);
    let on = form.on;
    let (status, notice) = if state.engine.cancel(repo.repo.id).await? {
        tracing::info!(
            repo = %repo.full_name(),
            user_id = user.id,
            "sync cancel asked for from the page"
        );
        (StatusCode::ACCEPTED, "Cancelling the sync…")
    } else {
        (StatusCode::CONFLICT, "No sync is running.")
    };
    if !from_htmx(&headers) {
        set_flash(&session, notice).await?;
        return Ok(Redirect::to(&form.page(&repo)).into_response());
    }
    let mut widget = SyncWidget::new(&state, &repo, csrf::token_for(&session).await?, on);
    widget.here = form.page(&repo);
    widget.administers = may == Permission::Admin;
    widget.notice = Some(notice.to_owned());
    let mut response = (status, SyncWidgetFragment { widget }).into_response();
    no_store(&mut response);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_like_a_file_manager() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
