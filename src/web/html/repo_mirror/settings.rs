//! `/{owner}/{repo}/settings/mirror`: the mirror settings page, composed of its sections
//! ([`super::sections`]: pull, push targets, events, SSH, history) under the sync widget. The
//! handlers of each section's forms build the page here again when a form comes back with
//! errors ([`Sent`]).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use tower_sessions::Session;

use super::{
    history::{PageQuery, RunHistory},
    run_chart::{self, RunChart, RunPoint},
    sections::{
        events::EventsSection,
        pull::{FormValues, PullSection},
        push::{self, PushForm, PushSection},
        runs::HistorySection,
        ssh_keys::SshSection,
    },
    sync_widget::{SyncWidget, WidgetPlace},
};
use crate::{
    entities::user,
    error::{Error, PageError},
    mirror::{host_keys, runs, schedule::Schedule, settings::MirrorSettings, webhook},
    repos::Repo,
    state::AppState,
    web::{
        extract::{Admin, PageRepo},
        html::page::{FormErrors, Layout, flash_redirect},
    },
};

/// The mirror settings page.
#[derive(Template, WebTemplate)]
#[template(path = "mirror/settings.html")]
pub struct SettingsPage {
    /// Header and navigation.
    layout: Layout,
    /// Owner's username.
    owner: String,
    /// Repository name.
    name: String,
    /// The sync widget.
    widget: SyncWidget,
    /// The settings form.
    pull: PullSection,
    /// The push mirrors and the "Add push mirror" form.
    push: PushSection,
    /// The webhook and the notification key.
    events: EventsSection,
    /// The SSH key and the known host keys.
    ssh: SshSection,
    /// The chart and the run history.
    history: HistorySection,
}

/// A form that came back with errors, shown again as it was typed, or a secret just made.
pub enum Sent {
    /// None: the page as stored.
    Nothing,
    /// The settings form.
    Settings(FormValues, FormErrors),
    /// The "Add push mirror" form.
    Push(PushForm),
    /// A webhook secret just made, to show once.
    WebhookSecret(String),
    /// A notification key just made, to show once.
    NotifyKey(String),
}

/// Back to `repo`'s settings page at `section` (an element id), `notice` shown there once.
///
/// # Errors
/// The session store failed.
pub async fn back_to(
    session: &Session,
    repo: &Repo,
    section: &str,
    notice: impl Into<String>,
) -> Result<axum::response::Response, PageError> {
    let page = WidgetPlace::Settings.path(&repo.owner.username, &repo.repo.name);
    Ok(flash_redirect(session, notice, &format!("{page}#{section}")).await?)
}

impl SettingsPage {
    /// The page for `repo`, showing `sent` back when a form came back with errors, and page
    /// `page` of the history.
    ///
    /// # Errors
    /// The database or the session store failed.
    pub async fn build(
        state: &AppState,
        session: &Session,
        user: &user::Model,
        repo: &Repo,
        sent: Sent,
        page: u64,
    ) -> Result<Self, Error> {
        let (mut webhook_secret, mut notify_key) = (None, None);
        let (form, errors, push_form) = match sent {
            Sent::Nothing => (None, FormErrors::default(), None),
            Sent::Settings(typed, errors) => (Some(typed), errors, None),
            Sent::Push(push_form) => (None, FormErrors::default(), Some(push_form)),
            Sent::WebhookSecret(secret) => {
                webhook_secret = Some(secret);
                (None, FormErrors::default(), None)
            }
            Sent::NotifyKey(key) => {
                notify_key = Some(key);
                (None, FormErrors::default(), None)
            }
        };
        let layout = Layout::new(state, session, Some(user)).await?;
        let csrf_token = layout.csrf_token.clone();
        let widget = SyncWidget::new(state, repo, csrf_token.clone(), WidgetPlace::Settings);
        let (owner, name) = (repo.owner.username.clone(), repo.repo.name.clone());
        let r = &repo.repo;
        let webhook_url = webhook::url(&state.config.base_url(), &owner, &name);
        let form = match form {
            Some(typed) => typed,
            None => {
                FormValues::stored(&MirrorSettings::load(&state.db, r, webhook_url.clone()).await?)
            }
        };
        let pull = PullSection {
            owner: owner.clone(),
            name: name.clone(),
            csrf_token: csrf_token.clone(),
            form,
            errors,
            min_interval: state.config.min_sync_interval,
            schedule_reading: Schedule::stored(&r.sync_schedule).describe(r.sync_interval),
            next_sync: widget.next_sync.clone().filter(|_| widget.enabled),
        };
        let push = PushSection {
            owner: owner.clone(),
            name: name.clone(),
            csrf_token: csrf_token.clone(),
            push_rows: push::rows(state, r.id).await?,
            push_form: push_form.unwrap_or_else(|| PushForm::adding(&owner, &name)),
        };
        let events = EventsSection {
            owner: owner.clone(),
            name: name.clone(),
            csrf_token: csrf_token.clone(),
            webhook_set: r.webhook_secret.is_some(),
            webhook_url,
            webhook_secret,
            notify_key_set: r.notify_secret.is_some(),
            notify_key,
        };
        let ssh = SshSection {
            owner: owner.clone(),
            name: name.clone(),
            csrf_token,
            ssh_public_key: r.ssh_public_key.clone(),
            ssh_host_keys: host_keys::pinned(&state.db, r.id).await?,
        };
        let history = HistorySection {
            chart: RunChart::new(&last_runs(state, r.id).await?),
            history: RunHistory::load(&state.db, &owner, &name, r.id, page).await?,
        };
        Ok(Self {
            layout,
            owner,
            name,
            widget,
            pull,
            push,
            events,
            ssh,
            history,
        })
    }
}

/// The last runs of `repo_id`, as the chart draws them (a run still going counts until now).
async fn last_runs(state: &AppState, repo_id: i64) -> Result<Vec<RunPoint>, Error> {
    let now = chrono::Utc::now();
    Ok(runs::latest(&state.db, repo_id, run_chart::MAX_RUNS as u64)
        .await?
        .into_iter()
        .map(|run| RunPoint {
            status: run.status,
            duration_ms: (run.finished_at.unwrap_or(now) - run.started_at).num_milliseconds(),
            bytes: run.bytes_transferred,
        })
        .collect())
}

/// GET: the page as stored, at page `?page=N` of the history.
pub(super) async fn show(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    Query(query): Query<PageQuery>,
) -> Result<SettingsPage, PageError> {
    Ok(SettingsPage::build(
        &state,
        &session,
        &access.viewer,
        &access.repo,
        Sent::Nothing,
        query.page(),
    )
    .await?)
}
