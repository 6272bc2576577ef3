//! `/{owner}/{repo}/settings`: a repository's own settings — name, description, visibility,
//! default branch and owner — in one form, saved through the same service as the API's PATCH;
//! errors inline, nothing saved; after a rename or a move the browser follows it to its new
//! path. Deletion has a page of its own, linked from here.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use tower_sessions::Session;

use crate::{
    entities::user,
    error::{Error, PageError},
    git::browse,
    repos::{
        Repo,
        change::{self, RepoChange},
    },
    state::AppState,
    web::{
        extract::{Admin, CsrfForm, PageRepo},
        html::{
            owner_choice::{OwnerChoice, form_errors},
            page::{FormErrors, Layout, flash_redirect},
        },
    },
};

/// `/{owner}/{repo}/settings`.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/{owner}/{repo}/settings", get(page).post(save))
}

/// The settings form.
#[derive(Template, WebTemplate)]
#[template(path = "repo/settings.html")]
struct SettingsTemplate {
    /// Header and navigation.
    layout: Layout,
    /// Owner's name now.
    owner: String,
    /// Name now.
    name: String,
    /// The name in the form (typed, after a failed attempt).
    new_name: String,
    /// The description in the form.
    description: String,
    /// Whether "private" is ticked.
    private: bool,
    /// The branches to choose the default from, and the one chosen.
    branches: Vec<String>,
    /// The default branch in the form.
    default_branch: String,
    /// The owners it may move to, and the one chosen.
    owners: OwnerChoice,
    /// Inline messages by field.
    errors: FormErrors,
}

/// The form's fields; an unticked checkbox is absent.
#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsForm {
    name: String,
    description: String,
    private: Option<String>,
    default_branch: String,
    owner: String,
}

impl SettingsTemplate {
    /// The form for `repo` showing what was typed in `form`, or what is saved (`None`), for
    /// `viewer`.
    async fn load(
        state: &AppState,
        session: &Session,
        viewer: &user::Model,
        repo: &Repo,
        form: Option<SettingsForm>,
        errors: FormErrors,
    ) -> Result<Self, Error> {
        let names = browse::read(repo.repo.id, repo.path(&state.config), |git| {
            Ok(browse::ref_names(git))
        })
        .await?;
        let form = form.unwrap_or_else(|| SettingsForm {
            name: repo.repo.name.clone(),
            description: repo.repo.description.clone(),
            private: repo.repo.is_private.then(String::new),
            default_branch: names.default_branch.clone().unwrap_or_default(),
            owner: repo.owner.username.clone(),
        });
        let mut owners = OwnerChoice::administered(&state.db, viewer, &form.owner).await?;
        if !owners.names.contains(&repo.owner.username) {
            owners.names.insert(0, repo.owner.username.clone());
        }
        if !owners
            .names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(&form.owner))
        {
            owners.chosen = repo.owner.username.clone();
        }
        Ok(Self {
            layout: Layout::with_form(state, session, Some(viewer)).await?,
            owner: repo.owner.username.clone(),
            name: repo.repo.name.clone(),
            new_name: form.name,
            description: form.description,
            private: form.private.is_some(),
            branches: names.branches,
            default_branch: form.default_branch,
            owners,
            errors,
        })
    }
}

/// The form as saved.
async fn page(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
) -> Result<SettingsTemplate, PageError> {
    let (repo, viewer) = (access.repo, access.viewer);
    Ok(SettingsTemplate::load(
        &state,
        &session,
        &viewer,
        &repo,
        None,
        FormErrors::default(),
    )
    .await?)
}

/// Saves the form: to the repository's (perhaps new) settings page, or the form again with
/// its errors.
async fn save(
    State(state): State<AppState>,
    session: Session,
    access: PageRepo<Admin>,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<Response, PageError> {
    let (repo, viewer) = (access.repo, access.viewer);
    let asked = RepoChange {
        name: Some(form.name.clone()),
        description: Some(form.description.clone()),
        private: Some(form.private.is_some()),
        default_branch: Some(form.default_branch.clone()).filter(|b| !b.trim().is_empty()),
        owner: Some(form.owner.clone()).filter(|o| !o.trim().is_empty()),
    };
    match change::apply(&state.db, &state.config, &viewer, repo.clone(), asked).await {
        Ok(changed) => {
            let to = format!("/{}/settings", changed.full_name());
            Ok(flash_redirect(&session, "Settings saved.", &to).await?)
        }
        Err(err) => {
            let shown = ["owner", "name", "description", "default_branch"];
            let (status, errors) = form_errors(err, &shown, "name")?;
            let page = SettingsTemplate::load(&state, &session, &viewer, &repo, Some(form), errors)
                .await?;
            Ok((status, page).into_response())
        }
    }
}
