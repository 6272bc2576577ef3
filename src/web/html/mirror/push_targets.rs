//! The push mirrors of the mirror settings page: the list (URL, last result, what a sync does
//! there, "Sync now", edit, remove), the "Add push mirror" form, and the edit page. Every form
//! works without JavaScript (a plain POST, then back to the settings page) and goes through
//! the same checks as the API (`mirror::push_mirrors::change`).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::Utc;
use serde::Deserialize;
use std::collections::HashMap;
use tower_sessions::Session;

use super::settings::{Sent, SettingsTemplate};
use crate::{
    auth::csrf::CsrfForm,
    entities::{mirror_enums::SyncStatus, push_mirror},
    error::{Error, PageError},
    git::mirror::filter::RefFilter,
    mirror::{
        engine::SyncRequest,
        push_mirrors::{
            self,
            change::{self, PushMirrorInput},
        },
    },
    repos::Repo,
    state::AppState,
    web::{
        extract::{Admin, PageRepo},
        html::page::{CsrfOnly, FormErrors, Layout, TimeView, set_flash},
    },
};

/// The fields of the push mirror form, each shown next to its control.
const FIELDS: &[&str] = &[
    "remote_url",
    "remote_username",
    "remote_password",
    "ref_filter",
];

/// The push mirror routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{owner}/{repo}/settings/mirror/push", post(add))
        .route(
            "/{owner}/{repo}/settings/mirror/push/{id}",
            get(edit_page).post(save),
        )
        .route(
            "/{owner}/{repo}/settings/mirror/push/{id}/delete",
            post(remove),
        )
        .route(
            "/{owner}/{repo}/settings/mirror/push/{id}/sync",
            post(sync_now),
        )
}

/// One push mirror in the list.
pub struct PushRow {
    /// Its id.
    pub id: i64,
    /// Where it pushes.
    pub url: String,
    /// `idle`, `success` or `failed` (a class name).
    pub status: &'static str,
    /// Readable status.
    pub status_label: &'static str,
    /// When it was last pushed to successfully.
    pub last_synced: Option<TimeView>,
    /// Why its last push failed ("" when it did not).
    pub last_error: String,
    /// Pushed by syncs.
    pub enabled: bool,
    /// Pushed after every `git push`.
    pub sync_on_push: bool,
    /// Which refs it carries, in words.
    pub refs: String,
    /// What a sync does there, in plain words.
    pub effect: &'static str,
}

impl PushRow {
    fn new(m: &push_mirror::Model) -> Self {
        let filter = RefFilter::from_json(&m.ref_filter);
        let (status, status_label) = match m.last_status {
            SyncStatus::Success => ("success", "Pushed"),
            SyncStatus::Failed => ("failed", "Failed"),
            SyncStatus::Syncing => ("syncing", "Syncing"),
            SyncStatus::Idle => ("idle", "Not pushed yet"),
        };
        Self {
            id: m.id,
            url: m.remote_url.clone(),
            status,
            status_label,
            last_synced: m.last_synced_at.map(|t| TimeView::new(t, Utc::now())),
            last_error: m.last_error.clone().unwrap_or_default(),
            enabled: m.enabled,
            sync_on_push: m.sync_on_push,
            refs: if filter.is_empty() {
                "every branch and tag".to_owned()
            } else {
                filter.patterns().join(", ")
            },
            effect: if m.keep_divergent_refs {
                "Keeps divergent refs: a sync only adds and fast-forwards there. A ref changed \
                 there in another way, or deleted here, is left as it is there."
            } else {
                "A sync overwrites every ref it carries there with this repository's (even \
                 commits made only there are lost) and deletes there what was deleted here."
            },
        }
    }
}

/// What the push mirror form shows: stored or typed values, never a password.
#[derive(Debug, Clone)]
pub struct PushValues {
    /// The URL.
    pub url: String,
    /// The username.
    pub username: String,
    /// Whether a password is stored (editing).
    pub password_set: bool,
    /// Whether "remove the stored password" was ticked.
    pub password_clear: bool,
    /// Pushed by syncs.
    pub enabled: bool,
    /// Pushed after every `git push`.
    pub sync_on_push: bool,
    /// Divergent refs kept there.
    pub keep_divergent: bool,
    /// The ref filter, one pattern a line.
    pub filter: String,
}

impl Default for PushValues {
    fn default() -> Self {
        Self {
            url: String::new(),
            username: String::new(),
            password_set: false,
            password_clear: false,
            enabled: true,
            sync_on_push: false,
            keep_divergent: false,
            filter: String::new(),
        }
    }
}

impl PushValues {
    fn stored(m: &push_mirror::Model) -> Self {
        Self {
            url: m.remote_url.clone(),
            username: m.remote_username.clone().unwrap_or_default(),
            password_set: m.remote_password.is_some(),
            password_clear: false,
            enabled: m.enabled,
            sync_on_push: m.sync_on_push,
            keep_divergent: m.keep_divergent_refs,
            filter: RefFilter::from_json(&m.ref_filter).patterns().join("\n"),
        }
    }
}

/// The push mirror form: to add one (on the settings page) or to edit one (its own page).
pub struct PushForm {
    /// Where it is sent.
    pub action: String,
    /// The submit button's words.
    pub submit: &'static str,
    /// What it shows.
    pub values: PushValues,
    /// Inline messages.
    pub errors: FormErrors,
}

impl PushForm {
    /// The empty "Add push mirror" form of `owner/name`.
    #[must_use]
    pub fn adding(owner: &str, name: &str) -> Self {
        Self {
            action: format!("/{owner}/{name}/settings/mirror/push"),
            submit: "Add push mirror",
            values: PushValues::default(),
            errors: FormErrors::default(),
        }
    }
}

/// The list of `repo_id`'s push mirrors, oldest first.
///
/// # Errors
/// The database failed.
pub async fn rows(state: &AppState, repo_id: i64) -> Result<Vec<PushRow>, Error> {
    Ok(push_mirrors::list(&state.db, repo_id)
        .await?
        .iter()
        .map(PushRow::new)
        .collect())
}

/// The form's fields as sent: checkboxes are absent when unticked; an empty password keeps the
/// stored one (its "remove" box clears it).
#[derive(Deserialize, Default)]
#[serde(default)]
struct PushFormInput {
    remote_url: String,
    remote_username: String,
    remote_password: String,
    remote_password_clear: Option<String>,
    enabled: Option<String>,
    sync_on_push: Option<String>,
    keep_divergent_refs: Option<String>,
    ref_filter: String,
}

impl PushFormInput {
    fn input(&self) -> PushMirrorInput {
        let password = if self.remote_password_clear.is_some() {
            Some(String::new())
        } else {
            Some(self.remote_password.clone()).filter(|p| !p.is_empty())
        };
        PushMirrorInput {
            remote_url: Some(self.remote_url.clone()),
            remote_username: Some(self.remote_username.clone()),
            remote_password: password,
            enabled: Some(self.enabled.is_some()),
            sync_on_push: Some(self.sync_on_push.is_some()),
            keep_divergent_refs: Some(self.keep_divergent_refs.is_some()),
            ref_filter: Some(
                self.ref_filter
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
        }
    }

    fn typed(&self, password_set: bool) -> PushValues {
        PushValues {
            url: self.remote_url.clone(),
            username: self.remote_username.clone(),
            password_set,
            password_clear: self.remote_password_clear.is_some(),
            enabled: self.enabled.is_some(),
            sync_on_push: self.sync_on_push.is_some(),
            keep_divergent: self.keep_divergent_refs.is_some(),
            filter: self.ref_filter.clone(),
        }
    }
}

/// The `{id}` of the route; one that is not a number names no push mirror.
fn id_of(params: &HashMap<String, String>) -> Result<i64, Error> {
    params
        .get("id")
        .and_then(|id| id.parse().ok())
        .ok_or(Error::NotFound("push mirror"))
}

/// The settings page, where every push mirror action returns.
fn settings_page(repo: &Repo) -> Redirect {
    Redirect::to(&format!(
        "/{}/{}/settings/mirror#push-mirrors",
        repo.owner.username, repo.repo.name
    ))
}

async fn add(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(form): CsrfForm<PushFormInput>,
) -> Result<Response, PageError> {
    let (repo, user) = (access.repo, access.viewer);
    match change::add(
        &state.db,
        &state.config,
        &state.secrets,
        &repo.repo,
        form.input(),
    )
    .await
    {
        Ok((added, now_pushes)) => {
            tracing::info!(
                repo_id = repo.repo.id,
                push_mirror_id = added.id,
                "push mirror added"
            );
            let mut notice = format!("Push mirror {} added.", added.remote_url);
            if let Some(change) = now_pushes {
                notice.push(' ');
                notice.push_str(change.sentence());
            }
            set_flash(&session, notice).await?;
            Ok(settings_page(&repo).into_response())
        }
        Err(err) => {
            let (status, errors) = FormErrors::from_service(err, FIELDS, "remote_url")?;
            let mut push_form = PushForm::adding(&repo.owner.username, &repo.repo.name);
            push_form.values = form.typed(false);
            push_form.errors = errors;
            let page =
                SettingsTemplate::build(&state, &session, &user, &repo, Sent::Push(push_form), 1)
                    .await?;
            Ok((status, page).into_response())
        }
    }
}

/// The page of one push mirror's form.
#[derive(Template, WebTemplate)]
#[template(path = "mirror/push_edit.html")]
struct EditTemplate {
    /// Header and navigation.
    layout: Layout,
    /// Owner's username.
    owner: String,
    /// Repository name.
    name: String,
    /// The push mirror's form.
    push_form: PushForm,
}

impl EditTemplate {
    async fn build(
        state: &AppState,
        session: &Session,
        access_user: &crate::entities::user::Model,
        repo: &Repo,
        push_form: PushForm,
    ) -> Result<Self, Error> {
        Ok(Self {
            layout: Layout::new(state, session, Some(access_user)).await?,
            owner: repo.owner.username.clone(),
            name: repo.repo.name.clone(),
            push_form,
        })
    }
}

/// The form of push mirror `id`, filled in from what is stored.
fn editing(repo: &Repo, mirror: &push_mirror::Model) -> PushForm {
    PushForm {
        action: format!(
            "/{}/{}/settings/mirror/push/{}",
            repo.owner.username, repo.repo.name, mirror.id
        ),
        submit: "Save push mirror",
        values: PushValues::stored(mirror),
        errors: FormErrors::default(),
    }
}

async fn edit_page(
    State(state): State<AppState>,
    session: Session,
    Path(params): Path<HashMap<String, String>>,
    access: PageRepo<Admin>,
) -> Result<EditTemplate, PageError> {
    let mirror = change::find(&state.db, &access.repo.repo, id_of(&params)?).await?;
    let form = editing(&access.repo, &mirror);
    Ok(EditTemplate::build(&state, &session, &access.viewer, &access.repo, form).await?)
}

async fn save(
    State(state): State<AppState>,
    session: Session,
    Path(params): Path<HashMap<String, String>>,
    access: PageRepo<Admin>,
    CsrfForm(form): CsrfForm<PushFormInput>,
) -> Result<Response, PageError> {
    let (repo, user) = (access.repo, access.viewer);
    let stored = change::find(&state.db, &repo.repo, id_of(&params)?).await?;
    let id = stored.id;
    match change::change(
        &state.db,
        &state.config,
        &state.secrets,
        &repo.repo,
        id,
        form.input(),
    )
    .await
    {
        Ok((saved, now_pushes)) => {
            let mut notice = if stored.remote_password.is_some()
                && saved.remote_password.is_none()
                && form.remote_password_clear.is_none()
            {
                format!(
                    "Push mirror {} saved. Its stored password was removed because the URL now \
                     points to another host, port or scheme: enter it again if it is meant for \
                     the new one.",
                    saved.remote_url
                )
            } else {
                format!("Push mirror {} saved.", saved.remote_url)
            };
            if let Some(change) = now_pushes {
                notice.push(' ');
                notice.push_str(change.sentence());
            }
            set_flash(&session, notice).await?;
            Ok(settings_page(&repo).into_response())
        }
        Err(err) => {
            let (status, errors) = FormErrors::from_service(err, FIELDS, "remote_url")?;
            let mut push_form = editing(&repo, &stored);
            push_form.values = form.typed(stored.remote_password.is_some());
            push_form.errors = errors;
            let page = EditTemplate::build(&state, &session, &user, &repo, push_form).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn remove(
    State(state): State<AppState>,
    session: Session,
    Path(params): Path<HashMap<String, String>>,
    access: PageRepo<Admin>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let repo = access.repo;
    let id = id_of(&params)?;
    let url = change::find(&state.db, &repo.repo, id).await?.remote_url;
    let notice = match change::remove(&state.db, &repo.repo, id).await {
        Ok(()) => format!("Push mirror {url} removed."),
        Err(Error::Conflict(message)) => format!("Push mirror {url} was not removed: {message}."),
        Err(e) => return Err(e.into()),
    };
    set_flash(&session, notice).await?;
    Ok(settings_page(&repo).into_response())
}

async fn sync_now(
    State(state): State<AppState>,
    session: Session,
    Path(params): Path<HashMap<String, String>>,
    access: PageRepo<Admin>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let repo = access.repo;
    let mirror = change::find(&state.db, &repo.repo, id_of(&params)?).await?;
    let notice = match state.engine.request_push_to(&repo.repo, &mirror).await? {
        SyncRequest::Started => format!("Push to {} started.", mirror.remote_url),
        SyncRequest::AlreadyRunning => {
            "A sync of this repository is already running; try again when it ends.".to_owned()
        }
        SyncRequest::Disabled if !mirror.enabled => format!(
            "Push mirror {} is disabled: enable it to push to it.",
            mirror.remote_url
        ),
        SyncRequest::Disabled => {
            "Mirroring is off for this repository: switch it on to push.".to_owned()
        }
    };
    set_flash(&session, notice).await?;
    Ok(settings_page(&repo).into_response())
}
