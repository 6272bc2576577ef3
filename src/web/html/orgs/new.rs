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
    /// The display name typed, kept after a failed attempt.
    full_name: String,
    /// The description typed, kept after a failed attempt.
    description: String,
    /// Whether "Private" is chosen.
    private: bool,
    /// Inline messages for `name`, `full_name`, `description` and `visibility`.
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
        full_name: String::new(),
        description: String::new(),
        private: false,
        errors: FormErrors::default(),
    })
}

/// Fields of the new-organisation form.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NewOrgForm {
    name: String,
    full_name: String,
    description: String,
    /// `public` (or absent) or `private`.
    visibility: String,
}

/// The fields the form shows an inline message under.
const FIELDS: &[&str] = &["name", "full_name", "description", "visibility"];

async fn create(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    CsrfForm(form): CsrfForm<NewOrgForm>,
) -> Result<Response, PageError> {
    let private = orgs::private_of(&form.visibility);
    let new = NewOrg {
        name: form.name.trim().to_owned(),
        full_name: form.full_name.trim().to_owned(),
        description: form.description,
        private: private.as_ref().is_ok_and(|p| *p),
    };
    let created = match private {
        Ok(_) => orgs::create(&state.db, &user, new.clone()).await,
        Err(refused) => Err(refused),
    };
    match created {
        Ok(org) => {
            tracing::info!(org = %org.username, user_id = user.id, "organisation created");
            // The name passed the owner-name rules (ASCII letters, digits, `.`, `_`, `-`).
            Ok(Redirect::to(&format!("/{}", org.username)).into_response())
        }
        Err(err) => {
            let (status, errors) = FormErrors::from_service(err, FIELDS, "name")?;
            let page = NewOrgTemplate {
                layout: Layout::new(&state, &session, Some(&user)).await?,
                name: new.name,
                full_name: new.full_name,
                description: new.description,
                private: new.private,
                errors,
            };
            Ok((status, page).into_response())
        }
    }
}
