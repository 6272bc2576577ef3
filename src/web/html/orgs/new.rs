//! `/org/new`: the form for a new organisation and its submission; the creator becomes its
//! first owner.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use tower_sessions::Session;

use crate::{
    accounts::orgs::{self, NewOrg},
    error::PageError,
    state::AppState,
    web::{
        extract::{CsrfForm, WebUser},
        html::page::{FormErrors, Layout},
    },
};

/// `/org/new`.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/org/new", get(new_page).post(create))
}

/// The form for a new organisation.
#[derive(Template, WebTemplate)]
#[template(path = "org/new.html")]
struct NewOrgTemplate {
    /// Header and navigation.
    layout: Layout,
    /// The name typed, kept after a failed attempt.
    name: String,
    /// The description typed, kept after a failed attempt.
    description: String,
    /// Inline messages for `name` and `description`.
    errors: FormErrors,
}

async fn new_page(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
) -> Result<NewOrgTemplate, PageError> {
    Ok(NewOrgTemplate {
        layout: Layout::new(&state, &session, Some(&user)).await?,
        name: String::new(),
        description: String::new(),
        errors: FormErrors::default(),
    })
}

/// Fields of the new-organisation form.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NewOrgForm {
    name: String,
    description: String,
}

async fn create(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    CsrfForm(form): CsrfForm<NewOrgForm>,
) -> Result<Response, PageError> {
    let new = NewOrg {
        name: form.name.trim().to_owned(),
        description: form.description,
        ..NewOrg::default()
    };
    match orgs::create(&state.db, &user, new.clone()).await {
        Ok(org) => {
            tracing::info!(org = %org.username, user_id = user.id, "organisation created");
            // The name passed the owner-name rules (ASCII letters, digits, `.`, `_`, `-`).
            Ok(Redirect::to(&format!("/{}", org.username)).into_response())
        }
        Err(err) => {
            let (status, errors) = FormErrors::from_service(err, &["name", "description"], "name")?;
            let page = NewOrgTemplate {
                layout: Layout::new(&state, &session, Some(&user)).await?,
                name: new.name,
                description: new.description,
                errors,
            };
            Ok((status, page).into_response())
        }
    }
}
