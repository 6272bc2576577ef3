//! The push mirrors section's handlers: add (shown again inside the settings page when it does
//! not validate), the edit page and its save, remove and "Sync now". Every form works without
//! JavaScript (a plain POST, then back to the settings page) and goes through the same checks
//! as the API (`mirror::push_mirrors::change`); a push mirror named by `{id}` comes checked by
//! `PushMirrorAccess<Admin>`.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    ref_map_rows,
    section::Section,
    sections::push::{PushForm, PushValues},
    settings::{Sent, SettingsPage, back_to, page},
};
use crate::{
    entities::{push_mirror, user},
    error::{Error, PageError},
    mirror::{
        engine::SyncRequest,
        push_mirrors::change::{self, PushMirrorInput},
    },
    repos::Repo,
    state::AppState,
    web::{
        extract::{Admin, CsrfForm, PageRepo, PushMirrorAccess},
        html::page::{CsrfOnly, FormErrors, Layout},
    },
};

/// The fields of the push mirror form, each shown next to its control.
const FIELDS: &[&str] = &[
    "remote_url",
    "remote_username",
    "remote_password",
    "ref_filter",
    "ref_map",
];

/// The push mirror routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{owner}/{repo}/settings/mirror/push",
            page(Section::Push).post(add),
        )
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

/// The form's fields as sent: checkboxes are absent when unticked; an empty password keeps the
/// stored one (its "remove" box clears it); a form without the branch map's rows keeps the
/// stored map.
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
    /// Every other field: the branch map's rows (`ref_map_from_N`, `ref_map_to_N`; see
    /// `ref_map_rows`), and the CSRF token.
    #[serde(flatten)]
    other: std::collections::BTreeMap<String, String>,
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
            ref_map: ref_map_rows::rules_from(&self.other),
        }
    }

    /// The form as typed (never a password); `stored` fills what the form did not send.
    fn typed(&self, password_set: bool, stored: &PushValues) -> PushValues {
        PushValues {
            url: self.remote_url.clone(),
            username: self.remote_username.clone(),
            password_set,
            password_clear: self.remote_password_clear.is_some(),
            enabled: self.enabled.is_some(),
            sync_on_push: self.sync_on_push.is_some(),
            keep_divergent: self.keep_divergent_refs.is_some(),
            filter: self.ref_filter.clone(),
            ref_map: ref_map_rows::rules_from(&self.other)
                .unwrap_or_else(|| stored.ref_map.clone()),
        }
    }
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
            back_to(&session, &repo, Section::Push, notice).await
        }
        Err(err) => {
            let (status, errors) = FormErrors::from_service(err, FIELDS, "remote_url")?;
            let mut push_form = PushForm::adding(&repo.owner.username, &repo.repo.name);
            push_form.values = form.typed(false, &push_form.values);
            push_form.errors = errors;
            let page =
                SettingsPage::build(&state, &session, &user, &repo, Sent::Push(push_form), 1)
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
        access_user: &user::Model,
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
    access: PushMirrorAccess<Admin>,
) -> Result<EditTemplate, PageError> {
    let form = editing(&access.repo, &access.mirror);
    Ok(EditTemplate::build(&state, &session, &access.viewer, &access.repo, form).await?)
}

async fn save(
    State(state): State<AppState>,
    session: Session,
    access: PushMirrorAccess<Admin>,
    CsrfForm(form): CsrfForm<PushFormInput>,
) -> Result<Response, PageError> {
    let (repo, user, stored) = (access.repo, access.viewer, access.mirror);
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
            back_to(&session, &repo, Section::Push, notice).await
        }
        Err(err) => {
            let (status, errors) = FormErrors::from_service(err, FIELDS, "remote_url")?;
            let mut push_form = editing(&repo, &stored);
            push_form.values = form.typed(stored.remote_password.is_some(), &push_form.values);
            push_form.errors = errors;
            let page = EditTemplate::build(&state, &session, &user, &repo, push_form).await?;
            Ok((status, page).into_response())
        }
    }
}

async fn remove(
    State(state): State<AppState>,
    session: Session,
    access: PushMirrorAccess<Admin>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let (repo, id, url) = (access.repo, access.mirror.id, access.mirror.remote_url);
    let notice = match change::remove(&state.db, &repo.repo, id).await {
        Ok(()) => {
            format!("Push mirror {url} removed: syncs no longer push there (what it holds stays).")
        }
        Err(Error::Conflict(message)) => format!("Push mirror {url} was not removed: {message}."),
        Err(e) => return Err(e.into()),
    };
    back_to(&session, &repo, Section::Push, notice).await
}

async fn sync_now(
    State(state): State<AppState>,
    session: Session,
    access: PushMirrorAccess<Admin>,
    CsrfForm(CsrfOnly {}): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let (repo, mirror) = (access.repo, access.mirror);
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
    back_to(&session, &repo, Section::Push, notice).await
}
