//! `/user/settings`: the signed-in user's account — their email address, their password
//! (given the current one; every other session ends) — and the way to their tokens.

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

use crate::{
    accounts::users,
    auth::{SESSION_STAMP, session_stamp},
    entities::user,
    error::{Error, PageError},
    state::AppState,
    web::{
        extract::{ClientAddr, CsrfForm, WebUser},
        html::page::{FormErrors, Layout, flash_redirect},
    },
};

/// The account settings page and its two forms.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/user/settings", get(page))
        .route("/user/settings/email", post(change_email))
        .route("/user/settings/password", post(change_password))
}

/// The account settings page.
#[derive(Template, WebTemplate)]
#[template(path = "user/settings.html")]
struct SettingsTemplate {
    /// Header and navigation.
    layout: Layout,
    /// The user's name.
    username: String,
    /// Whether they are a site administrator (and are offered the accounts page).
    is_admin: bool,
    /// The email address in its form (typed, after a failed attempt).
    email: String,
    /// Inline messages by field, of either form.
    errors: FormErrors,
}

impl SettingsTemplate {
    /// The page for `user`, showing `email` and `errors`.
    async fn build(
        state: &AppState,
        session: &Session,
        user: &user::Model,
        email: String,
        errors: FormErrors,
    ) -> Result<Self, Error> {
        Ok(Self {
            layout: Layout::with_form(state, session, Some(user)).await?,
            username: user.username.clone(),
            is_admin: user.is_admin,
            email,
            errors,
        })
    }
}

async fn page(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
) -> Result<SettingsTemplate, PageError> {
    let email = user.email.clone();
    Ok(SettingsTemplate::build(&state, &session, &user, email, FormErrors::default()).await?)
}

/// The email form.
#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    email: String,
}

async fn change_email(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<Response, PageError> {
    match users::change_email(&state.db, &state.accounts, user.clone(), &form.email).await {
        Ok(_) => Ok(flash_redirect(&session, "Email address changed.", "/user/settings").await?),
        Err(err) => {
            let (status, errors) = FormErrors::from_service(err, &["email"], "email")?;
            let page = SettingsTemplate::build(&state, &session, &user, form.email, errors).await?;
            Ok((status, page).into_response())
        }
    }
}

/// The password form.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    session: Session,
    WebUser(user): WebUser,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let changed = users::change_password(
        &state.db,
        (&state.throttle, client),
        &state.accounts,
        user.clone(),
        &form.current_password,
        &form.new_password,
    )
    .await
    .map_err(|e| match e {
        // On the form, a wrong current password is said at its field.
        Error::Forbidden(message) => Error::field("current_password", message),
        other => other,
    });
    match changed {
        Ok(changed) => {
            // This session goes on with the new password; every other one is over.
            session
                .insert(SESSION_STAMP, session_stamp(&changed))
                .await
                .map_err(Error::internal)?;
            tracing::info!(user_id = changed.id, "password changed");
            let message = "Password changed. Every other session of your account is signed out.";
            Ok(flash_redirect(&session, message, "/user/settings").await?)
        }
        Err(err) => {
            let shown = ["current_password", "new_password"];
            let (status, errors) = FormErrors::from_service(err, &shown, "current_password")?;
            let email = user.email.clone();
            let page = SettingsTemplate::build(&state, &session, &user, email, errors).await?;
            Ok((status, page).into_response())
        }
    }
}
