//! `/{owner}/{repo}/settings/mirror[/section]`: the mirror settings pages, one per section
//! ([`Section`]: pull, push mirrors, schedule, events, SSH, history), each under the sync widget
//! and the section navigation. The handlers of each section's forms build the section's page
//! here again when a form comes back with errors ([`Sent`]).

use std::fmt;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    routing::{MethodRouter, get},
};
use chrono::Utc;
use tower_sessions::Session;

use super::{
    history::RunHistory,
    run_chart::{self, RunChart, RunPoint},
    section::{NavLink, Section, nav},
    sections::{
        events::EventsSection,
        pull::{FormValues, PullSection},
        push::{self, PushForm, PushSection},
        runs::{HistorySection, KeptRow},
        schedule::{Saved, ScheduleReading, ScheduleSection},
        ssh_keys::SshSection,
    },
    sync_widget::{SyncWidget, WidgetPlace},
};
use crate::{
    entities::user,
    error::{Error, PageError},
    mirror::{host_keys, kept, restore, runs, settings::MirrorSettings, webhook},
    repos::Repo,
    state::AppState,
    web::{
        extract::{Admin, PageRepo},
        html::page::{FormErrors, Layout, flash_redirect},
    },
};

/// One section of the mirror settings page: the title, the repository navigation, the sync
/// widget, the section navigation, then that section alone.
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
    /// The section shown.
    section: Section,
    /// The section navigation, the shown one marked.
    nav: Vec<NavLink>,
    /// The section itself.
    shown: Shown,
    /// The restore run that paused mirroring, while the last run is that restore and
    /// mirroring is still off.
    paused_by: Option<restore::PausedBy>,
}

impl SettingsPage {
    /// Whether the pull section is shown (the preview is offered there).
    fn is_pull(&self) -> bool {
        self.section == Section::Pull
    }
}

/// The section a page shows, built from the data it needs.
enum Shown {
    /// Enable, direction, upstream and downstream, LFS.
    Pull(PullSection),
    /// The push mirrors and "Add push mirror".
    Push(PushSection),
    /// Interval and schedule.
    Schedule(ScheduleSection),
    /// Webhook, notify URL, notification key.
    Events(EventsSection),
    /// SSH key and host keys.
    Ssh(SshSection),
    /// Chart and history.
    History(HistorySection),
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pull(s) => s.fmt(f),
            Self::Push(s) => s.fmt(f),
            Self::Schedule(s) => s.fmt(f),
            Self::Events(s) => s.fmt(f),
            Self::Ssh(s) => s.fmt(f),
            Self::History(s) => s.fmt(f),
        }
    }
}

/// A form that came back with errors, shown again as it was typed, or a secret just made.
pub enum Sent {
    /// None: the section as stored.
    Nothing(Section),
    /// A part of the settings form (pull, schedule or notify URL, shown in its section); the
    /// values of the other parts are the stored ones (boxed: the form is large).
    Settings(Section, Box<FormValues>, FormErrors),
    /// The "Add push mirror" form.
    Push(PushForm),
    /// A webhook secret just made, to show once.
    WebhookSecret(String),
    /// A notification key just made, to show once.
    NotifyKey(String),
}

impl Sent {
    /// The section that shows it.
    #[must_use]
    pub fn section(&self) -> Section {
        match self {
            Self::Nothing(section) | Self::Settings(section, ..) => *section,
            Self::Push(_) => Section::Push,
            Self::WebhookSecret(_) | Self::NotifyKey(_) => Section::Events,
        }
    }
}

/// Back to `repo`'s mirror settings at `section`, `notice` shown there once.
///
/// # Errors
/// The session store failed.
pub async fn back_to(
    session: &Session,
    repo: &Repo,
    section: Section,
    notice: impl Into<String>,
) -> Result<axum::response::Response, PageError> {
    let page = section.path(&repo.owner.username, &repo.repo.name);
    Ok(flash_redirect(session, notice, &page).await?)
}

impl SettingsPage {
    /// The page of `repo` showing the section of `sent` (with what came back, when a form came
    /// back with errors), at page `page` of the history.
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
        let section = sent.section();
        let layout = Layout::new(state, session, Some(user)).await?;
        let csrf_token = layout.csrf_token.clone();
        let (owner, name) = (repo.owner.username.clone(), repo.repo.name.clone());
        let mut widget =
            SyncWidget::load(state, repo, csrf_token.clone(), WidgetPlace::Settings).await?;
        widget.here = section.path(&owner, &name);
        let parts = Parts {
            state,
            repo,
            owner: owner.clone(),
            name: name.clone(),
            csrf_token,
        };
        let shown = match sent {
            Sent::Nothing(section) => parts.stored(section, page).await?,
            Sent::Settings(section, typed, errors) => match (section, *typed) {
                (Section::Pull, typed) => Shown::Pull(parts.pull(Some(typed), errors).await?),
                (Section::Schedule, typed) => {
                    Shown::Schedule(parts.schedule(Some(typed), errors).await?)
                }
                (Section::Events, typed) => {
                    Shown::Events(parts.events(None, None, Some(typed), errors).await?)
                }
                (other, _) => parts.stored(other, page).await?,
            },
            Sent::Push(form) => Shown::Push(parts.push(Some(form)).await?),
            Sent::WebhookSecret(secret) => Shown::Events(
                parts
                    .events(Some(secret), None, None, FormErrors::default())
                    .await?,
            ),
            Sent::NotifyKey(key) => Shown::Events(
                parts
                    .events(None, Some(key), None, FormErrors::default())
                    .await?,
            ),
        };
        let last = runs::latest(&state.db, repo.repo.id, 1).await?;
        let paused_by = restore::paused_because(last.first(), repo.repo.mirror_enabled);
        Ok(Self {
            paused_by,
            nav: nav(&owner, &name, section),
            layout,
            owner,
            name,
            widget,
            section,
            shown,
        })
    }
}

/// What every section is built from.
struct Parts<'a> {
    /// The server.
    state: &'a AppState,
    /// The repository, with its owner.
    repo: &'a Repo,
    /// Owner's username.
    owner: String,
    /// Repository name.
    name: String,
    /// The session's CSRF token.
    csrf_token: String,
}

impl Parts<'_> {
    /// Where forges send the webhook.
    fn webhook_url(&self) -> String {
        webhook::url(&self.state.config.base_url(), &self.owner, &self.name)
    }

    /// The settings form's values: `typed` when a part came back, else as stored.
    async fn values(&self, typed: Option<FormValues>) -> Result<FormValues, Error> {
        Ok(match typed {
            Some(typed) => typed,
            None => FormValues::stored(
                &MirrorSettings::load(&self.state.db, &self.repo.repo, self.webhook_url()).await?,
            ),
        })
    }

    /// `section` as stored, at page `page` of the history.
    async fn stored(&self, section: Section, page: u64) -> Result<Shown, Error> {
        let none = FormErrors::default;
        Ok(match section {
            Section::Pull => Shown::Pull(self.pull(None, none()).await?),
            Section::Push => Shown::Push(self.push(None).await?),
            Section::Schedule => Shown::Schedule(self.schedule(None, none()).await?),
            Section::Events => Shown::Events(self.events(None, None, None, none()).await?),
            Section::Ssh => Shown::Ssh(self.ssh().await?),
            Section::History => Shown::History(self.history(page).await?),
        })
    }

    /// The pull section: the settings form's pull part.
    async fn pull(
        &self,
        typed: Option<FormValues>,
        errors: FormErrors,
    ) -> Result<PullSection, Error> {
        Ok(PullSection {
            owner: self.owner.clone(),
            name: self.name.clone(),
            csrf_token: self.csrf_token.clone(),
            form: self.values(typed).await?,
            errors,
        })
    }

    /// The push mirrors, with `form` as the "Add push mirror" form when it came back.
    async fn push(&self, form: Option<PushForm>) -> Result<PushSection, Error> {
        Ok(PushSection {
            owner: self.owner.clone(),
            name: self.name.clone(),
            csrf_token: self.csrf_token.clone(),
            push_rows: push::rows(self.state, self.repo.repo.id).await?,
            push_form: form.unwrap_or_else(|| PushForm::adding(&self.owner, &self.name)),
            shallow_depth: Some(self.repo.repo.upstream_depth).filter(|d| *d > 0),
        })
    }

    /// The interval and the schedule, with their reading (of what was typed, when it came
    /// back).
    async fn schedule(
        &self,
        typed: Option<FormValues>,
        errors: FormErrors,
    ) -> Result<ScheduleSection, Error> {
        let (r, now) = (&self.repo.repo, Utc::now());
        let reading = match &typed {
            Some(typed) => ScheduleReading::typed(
                &self.state.config,
                &typed.interval,
                &typed.schedule,
                Saved::of(r),
                now,
            ),
            None => ScheduleReading::stored(r, now),
        };
        let form = self.values(typed).await?;
        Ok(ScheduleSection {
            owner: self.owner.clone(),
            name: self.name.clone(),
            csrf_token: self.csrf_token.clone(),
            interval: form.interval,
            schedule: form.schedule,
            errors,
            min_interval: self.state.config.min_sync_interval,
            reading,
        })
    }

    /// The webhook, the notify URL (as typed, when it came back) and the notification key;
    /// a secret or key just made is shown this once.
    async fn events(
        &self,
        webhook_secret: Option<String>,
        notify_key: Option<String>,
        typed: Option<FormValues>,
        errors: FormErrors,
    ) -> Result<EventsSection, Error> {
        let r = &self.repo.repo;
        let notify_url = match typed {
            Some(typed) => typed.notify_url,
            None => r.notify_url.clone(),
        };
        Ok(EventsSection {
            owner: self.owner.clone(),
            name: self.name.clone(),
            csrf_token: self.csrf_token.clone(),
            webhook_set: r.webhook_secret.is_some(),
            webhook_url: self.webhook_url(),
            webhook_secret,
            notify_url,
            errors,
            notify_key_set: r.notify_secret.is_some(),
            notify_key,
        })
    }

    /// The SSH key and the known host keys.
    async fn ssh(&self) -> Result<SshSection, Error> {
        let r = &self.repo.repo;
        Ok(SshSection {
            owner: self.owner.clone(),
            name: self.name.clone(),
            csrf_token: self.csrf_token.clone(),
            ssh_public_key: r.ssh_public_key.clone(),
            ssh_host_keys: host_keys::pinned(&self.state.db, r.id).await?,
        })
    }

    /// The chart and page `page` of the history.
    async fn history(&self, page: u64) -> Result<HistorySection, Error> {
        let (state, id) = (self.state, self.repo.repo.id);
        Ok(HistorySection {
            chart: RunChart::new(&last_runs(state, id).await?),
            history: RunHistory::load(&state.db, &self.owner, &self.name, id, page).await?,
            kept: {
                let listed = kept::list(&state.db, &state.config, self.repo).await?;
                let commits = kept::commits(&state.config, self.repo, &listed).await?;
                KeptRow::all(listed, &commits)
            },
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

/// A section's page of the repository in `access`, as stored (the history at page `page`).
///
/// # Errors
/// The database or the session store failed.
pub(super) async fn show(
    state: &AppState,
    session: &Session,
    access: PageRepo<Admin>,
    section: Section,
    page: u64,
) -> Result<SettingsPage, PageError> {
    Ok(SettingsPage::build(
        state,
        session,
        &access.viewer,
        &access.repo,
        Sent::Nothing(section),
        page,
    )
    .await?)
}

/// GET of `section`'s page, as stored (for the owner or an admin, as every section).
pub(super) fn page(section: Section) -> MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>, session: Session, access: PageRepo<Admin>| async move {
            show(&state, &session, access, section, 1).await
        },
    )
}
