//! `/{owner}/{repo}/settings/mirror`: the mirror settings form (saved through
//! `mirror::settings::apply`, the same validated path as the API), with the sync widget and
//! the run history ([`super::history`]) and its chart ([`super::run_chart`]).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    history::{PageQuery, RunHistory},
    push_targets::{self, PushForm, PushRow},
    run_chart::{self, RunChart, RunPoint},
    sync_widget::{Place, SyncWidget},
};
use crate::{
    auth::csrf::CsrfForm,
    entities::user,
    error::{Error, PageError},
    mirror::{
        host_keys, runs,
        schedule::Schedule,
        settings::{self, MirrorSettings, SettingsPatch},
        webhook,
    },
    net::ssh_host_key::HostKey,
    repos::Repo,
    state::AppState,
    web::{
        extract::{Admin, PageRepo},
        html::{
            forms::IntervalChoice,
            page::{FormErrors, Layout, set_flash},
        },
    },
};

/// The fields `settings::apply` may name, all shown next to their control on this form.
const FIELDS: &[&str] = &[
    "mirror_enabled",
    "mirror_direction",
    "upstream_url",
    "upstream_username",
    "upstream_password",
    "downstream_url",
    "downstream_username",
    "downstream_password",
    "sync_interval",
    "sync_schedule",
    "notify_url",
    "lfs_endpoint",
    "lfs_username",
    "lfs_password",
];

/// The settings routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/{owner}/{repo}/settings/mirror", get(show).post(save))
}

/// One side of the mirror (or the LFS server) as the form shows it; the password itself never.
#[derive(Debug, Clone, Default)]
struct SideValues {
    /// The URL as stored or typed.
    url: String,
    /// The username as stored or typed.
    username: String,
    /// Whether a password is stored.
    password_set: bool,
    /// Whether "remove the stored password" was ticked.
    password_clear: bool,
}

/// What the form shows: the stored settings, or what the user just typed (never a password).
#[derive(Debug, Clone)]
pub(super) struct FormValues {
    enabled: bool,
    direction: String,
    upstream: SideValues,
    downstream: SideValues,
    interval: IntervalChoice,
    schedule: String,
    /// Where failures and recoveries are announced.
    notify_url: String,
    /// Whether syncs carry LFS objects.
    lfs_enabled: bool,
    /// The upstream's LFS server (its URL: the endpoint, when not derived) and its own login.
    lfs: SideValues,
}

impl FormValues {
    fn stored(s: &MirrorSettings) -> Self {
        Self {
            enabled: s.mirror_enabled,
            direction: s.mirror_direction.as_str().to_owned(),
            upstream: SideValues {
                url: s.upstream_url.clone(),
                username: s.upstream_username.clone(),
                password_set: s.upstream_password_set,
                password_clear: false,
            },
            downstream: SideValues {
                url: s.downstream_url.clone(),
                username: s.downstream_username.clone(),
                password_set: s.downstream_password_set,
                password_clear: false,
            },
            interval: IntervalChoice::of(s.sync_interval),
            schedule: s.sync_schedule.clone(),
            notify_url: s.notify_url.clone(),
            lfs_enabled: s.lfs_enabled,
            lfs: SideValues {
                url: s.lfs_endpoint.clone(),
                username: s.lfs_username.clone(),
                password_set: s.lfs_password_set,
                password_clear: false,
            },
        }
    }
}

/// One side's fieldset, ready for the template: names, words and inline errors.
struct SideView<'a> {
    /// `upstream` or `downstream`: the prefix of the field names, and `data-side`.
    key: &'static str,
    /// The fieldset's legend.
    title: &'static str,
    /// What this side does.
    help: &'static str,
    /// The example placeholder of the URL field.
    placeholder: &'static str,
    /// Stored or typed values.
    values: &'a SideValues,
    /// Inline messages.
    url_error: &'a str,
    /// Inline message for the username.
    username_error: &'a str,
    /// Inline message for the password.
    password_error: &'a str,
}

/// The mirror settings page.
#[derive(Template, WebTemplate)]
#[template(path = "mirror/settings.html")]
pub(super) struct SettingsTemplate {
    /// Header and navigation.
    layout: Layout,
    /// Owner's username.
    owner: String,
    /// Repository name.
    name: String,
    /// The sync widget.
    widget: SyncWidget,
    /// What the form shows.
    form: FormValues,
    /// Inline messages next to the fields.
    errors: FormErrors,
    /// The smallest interval the server accepts, for the custom field's hint.
    min_interval: i64,
    /// One page of the run history.
    history: RunHistory,
    /// The last runs as a chart.
    chart: RunChart,
    /// The push mirrors, oldest first.
    push_rows: Vec<PushRow>,
    /// The "Add push mirror" form.
    push_form: PushForm,
    /// The stored schedule in words ("At 02:30 on Monday through Friday (UTC)").
    schedule_reading: String,
    /// Whether a webhook secret is set.
    webhook_set: bool,
    /// Where a forge sends the webhook.
    webhook_url: String,
    /// A secret just made, shown this once.
    webhook_secret: Option<String>,
    /// Whether a notification key is set.
    notify_key_set: bool,
    /// A notification key just made, shown this once.
    notify_key: Option<String>,
    /// The public half of the mirrors' SSH key, if one was made.
    ssh_public_key: Option<String>,
    /// The SSH host keys the mirrors trust, by host and key type.
    ssh_host_keys: Vec<HostKey>,
}

/// A form that came back with errors, shown again as it was typed.
pub(super) enum Sent {
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

impl SettingsTemplate {
    /// The two sides of the form, upstream first.
    fn sides(&self) -> [SideView<'_>; 2] {
        [
            SideView {
                key: "upstream",
                title: "Upstream: pull from",
                help: "Branches, tags and notes are fetched from here; this repository then refuses pushes.",
                placeholder: "https://github.com/user/repo.git",
                values: &self.form.upstream,
                url_error: self.errors.of("upstream_url"),
                username_error: self.errors.of("upstream_username"),
                password_error: self.errors.of("upstream_password"),
            },
            SideView {
                key: "downstream",
                title: "Downstream: push to",
                help: "The first push mirror: branches and tags are pushed here, and refs deleted here are deleted there. More targets, filters and divergent refs: Push mirrors below.",
                placeholder: "https://github.com/user/backup.git",
                values: &self.form.downstream,
                url_error: self.errors.of("downstream_url"),
                username_error: self.errors.of("downstream_username"),
                password_error: self.errors.of("downstream_password"),
            },
        ]
    }

    /// The page for `repo`, showing `sent` back when a form came back with errors, and page
    /// `page` of the history.
    pub(super) async fn build(
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
        let widget = SyncWidget::new(state, repo, layout.csrf_token.clone(), Place::Settings);
        let history = RunHistory::load(
            &state.db,
            &repo.owner.username,
            &repo.repo.name,
            repo.repo.id,
            page,
        )
        .await?;
        let webhook_url = webhook::url(
            &state.config.base_url(),
            &repo.owner.username,
            &repo.repo.name,
        );
        let form = match form {
            Some(typed) => typed,
            None => FormValues::stored(
                &MirrorSettings::load(&state.db, &repo.repo, webhook_url.clone()).await?,
            ),
        };
        let now = chrono::Utc::now();
        let points: Vec<RunPoint> =
            runs::latest(&state.db, repo.repo.id, run_chart::MAX_RUNS as u64)
                .await?
                .into_iter()
                .map(|run| RunPoint {
                    status: run.status,
                    duration_ms: (run.finished_at.unwrap_or(now) - run.started_at)
                        .num_milliseconds(),
                    bytes: run.bytes_transferred,
                })
                .collect();
        let r = &repo.repo;
        let schedule_reading = Schedule::stored(&r.sync_schedule).describe(r.sync_interval);
        Ok(Self {
            layout,
            owner: repo.owner.username.clone(),
            name: repo.repo.name.clone(),
            widget,
            form,
            errors,
            min_interval: state.config.min_sync_interval,
            history,
            chart: RunChart::new(&points),
            push_rows: push_targets::rows(state, repo.repo.id).await?,
            push_form: push_form
                .unwrap_or_else(|| PushForm::adding(&repo.owner.username, &repo.repo.name)),
            schedule_reading,
            webhook_set: r.webhook_secret.is_some(),
            webhook_url,
            webhook_secret,
            notify_key_set: r.notify_secret.is_some(),
            notify_key,
            ssh_public_key: r.ssh_public_key.clone(),
            ssh_host_keys: host_keys::pinned(&state.db, r.id).await?,
        })
    }
}

async fn show(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    Query(query): Query<PageQuery>,
) -> Result<SettingsTemplate, PageError> {
    Ok(SettingsTemplate::build(
        &state,
        &session,
        &access.viewer,
        &access.repo,
        Sent::Nothing,
        query.page(),
    )
    .await?)
}

/// The form's fields. Checkboxes are absent when unticked; an empty password keeps the stored
/// one, its "clear" box removes it.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsForm {
    mirror_enabled: Option<String>,
    mirror_direction: String,
    upstream_url: String,
    upstream_username: String,
    upstream_password: String,
    upstream_password_clear: Option<String>,
    downstream_url: String,
    downstream_username: String,
    downstream_password: String,
    downstream_password_clear: Option<String>,
    sync_interval: String,
    sync_interval_custom: String,
    sync_schedule: String,
    /// Absent (an older form): the stored URL stays.
    notify_url: Option<String>,
    /// The "LFS" checkbox.
    lfs_enabled: Option<String>,
    /// Absent (an older form): the stored endpoint stays.
    lfs_endpoint: Option<String>,
    /// Absent (an older form): the stored username stays.
    lfs_username: Option<String>,
    lfs_password: String,
    lfs_password_clear: Option<String>,
}

/// The password part of the patch: clear, replace, or keep.
fn password_patch(clear: bool, typed: &str) -> Option<String> {
    if clear {
        Some(String::new())
    } else if typed.is_empty() {
        None
    } else {
        Some(typed.to_owned())
    }
}

async fn save(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<Response, PageError> {
    let (repo, user) = (access.repo, access.viewer);
    let interval = IntervalChoice {
        preset: form.sync_interval,
        custom: form.sync_interval_custom,
    };
    let upstream_clear = form.upstream_password_clear.is_some();
    let downstream_clear = form.downstream_password_clear.is_some();
    let lfs_clear = form.lfs_password_clear.is_some();
    let patch = SettingsPatch {
        mirror_enabled: Some(form.mirror_enabled.is_some()),
        mirror_direction: Some(form.mirror_direction.clone()),
        upstream_url: Some(form.upstream_url.clone()),
        upstream_username: Some(form.upstream_username.clone()),
        upstream_password: password_patch(upstream_clear, &form.upstream_password),
        upstream_ref_filter: None,
        downstream_url: Some(form.downstream_url.clone()),
        downstream_username: Some(form.downstream_username.clone()),
        downstream_password: password_patch(downstream_clear, &form.downstream_password),
        sync_interval: Some(interval.seconds()),
        sync_schedule: Some(form.sync_schedule.clone()),
        notify_url: form.notify_url.clone(),
        lfs_enabled: Some(form.lfs_enabled.is_some()),
        lfs_endpoint: form.lfs_endpoint.clone(),
        lfs_username: form.lfs_username.clone(),
        lfs_password: password_patch(lfs_clear, &form.lfs_password),
    };
    let webhook_url = webhook::url(
        &state.config.base_url(),
        &repo.owner.username,
        &repo.repo.name,
    );
    let stored = MirrorSettings::load(&state.db, &repo.repo, webhook_url.clone()).await?;
    match settings::apply(
        &state.db,
        &state.config,
        &state.secrets,
        repo.repo.clone(),
        patch,
    )
    .await
    {
        Ok(saved) => {
            let saved = MirrorSettings::load(&state.db, &saved, webhook_url).await?;
            tracing::info!(
                repo_id = repo.repo.id,
                user_id = user.id,
                "mirror settings saved"
            );
            // Passwords the user did not ask to remove, dropped because their URL (for LFS:
            // the endpoint, or the upstream's when none is set) moved.
            let dropped: Vec<&str> = [
                (
                    "upstream",
                    stored.upstream_password_set,
                    saved.upstream_password_set,
                    upstream_clear,
                ),
                (
                    "downstream",
                    stored.downstream_password_set,
                    saved.downstream_password_set,
                    downstream_clear,
                ),
                (
                    "LFS",
                    stored.lfs_password_set,
                    saved.lfs_password_set,
                    lfs_clear,
                ),
            ]
            .into_iter()
            .filter(|(_, before, after, cleared)| *before && !*after && !*cleared)
            .map(|(side, ..)| side)
            .collect();
            let notice = match dropped.as_slice() {
                [] => "Mirror settings saved.".to_owned(),
                sides => format!(
                    "Mirror settings saved. The stored {} password was removed because its URL \
                     now points to another host, port or scheme: enter it again if it is meant \
                     for the new one.",
                    sides.join(" and ")
                ),
            };
            set_flash(&session, notice).await?;
            let page = Place::Settings.path(&repo.owner.username, &repo.repo.name);
            Ok(Redirect::to(&page).into_response())
        }
        Err(err) => {
            let (status, errors) = FormErrors::from_service(err, FIELDS, "mirror_enabled")?;
            let typed = FormValues {
                enabled: form.mirror_enabled.is_some(),
                direction: form.mirror_direction,
                upstream: SideValues {
                    url: form.upstream_url,
                    username: form.upstream_username,
                    password_set: stored.upstream_password_set,
                    password_clear: upstream_clear,
                },
                downstream: SideValues {
                    url: form.downstream_url,
                    username: form.downstream_username,
                    password_set: stored.downstream_password_set,
                    password_clear: downstream_clear,
                },
                interval,
                schedule: form.sync_schedule,
                notify_url: form.notify_url.unwrap_or(stored.notify_url),
                lfs_enabled: form.lfs_enabled.is_some(),
                lfs: SideValues {
                    url: form.lfs_endpoint.unwrap_or(stored.lfs_endpoint),
                    username: form.lfs_username.unwrap_or(stored.lfs_username),
                    password_set: stored.lfs_password_set,
                    password_clear: lfs_clear,
                },
            };
            let page = SettingsTemplate::build(
                &state,
                &session,
                &user,
                &repo,
                Sent::Settings(typed, errors),
                1,
            )
            .await?;
            Ok((status, page).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_keep_replace_or_clear() {
        assert_eq!(password_patch(false, ""), None);
        assert_eq!(password_patch(false, "pw"), Some("pw".to_owned()));
        assert_eq!(password_patch(true, "pw"), Some(String::new()));
    }
}
