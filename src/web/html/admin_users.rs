//! `/admin/users`: the site's accounts for its administrators, each with its buttons: make or
//! unmake an administrator, disable (with a confirmation) or enable. Refusals (the last
//! administrator who can sign in) come back as the page's notice.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Path, State},
    response::Response,
    routing::{get, post},
};
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::Session;

use super::page::{Layout, TimeView, flash_redirect};
use crate::{
    accounts::users::{self, AdminChange},
    error::{Error, PageError},
    state::AppState,
    web::extract::{CsrfForm, WebUser},
};

/// `/admin/users` and its actions.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(page))
        .route("/admin/users/{username}", post(act))
}

/// One account in the list.
struct AccountRow {
    /// Its name.
    username: String,
    /// Its email address.
    email: String,
    /// A site administrator.
    is_admin: bool,
    /// Switched off.
    disabled: bool,
    /// When it was made.
    created: TimeView,
    /// Whether it is the viewer's own.
    is_me: bool,
}

/// The accounts page.
#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
struct UsersTemplate {
    /// Header and navigation.
    layout: Layout,
    /// Every account, oldest first.
    rows: Vec<AccountRow>,
}

async fn page(
    State(state): State<AppState>,
    session: Session,
    WebUser(viewer): WebUser,
) -> Result<UsersTemplate, PageError> {
    users::require_admin(&viewer)?;
    let now = Utc::now();
    let rows = users::list_people(&state.db)
        .await?
        .into_iter()
        .map(|u| AccountRow {
            is_me: u.id == viewer.id,
            created: TimeView::new(u.created_at, now),
            username: u.username,
            email: u.email,
            is_admin: u.is_admin,
            disabled: u.disabled,
        })
        .collect();
    Ok(UsersTemplate {
        layout: Layout::with_form(&state, &session, Some(&viewer)).await?,
        rows,
    })
}

/// A button's form: which change.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ActForm {
    /// `make_admin`, `unmake_admin`, `disable` or `enable`.
    action: String,
}

async fn act(
    State(state): State<AppState>,
    session: Session,
    WebUser(viewer): WebUser,
    Path(username): Path<String>,
    CsrfForm(form): CsrfForm<ActForm>,
) -> Result<Response, PageError> {
    users::require_admin(&viewer)?;
    let change = match form.action.as_str() {
        "make_admin" => AdminChange {
            is_admin: Some(true),
            ..AdminChange::default()
        },
        "unmake_admin" => AdminChange {
            is_admin: Some(false),
            ..AdminChange::default()
        },
        "disable" => AdminChange {
            disabled: Some(true),
            ..AdminChange::default()
        },
        "enable" => AdminChange {
            disabled: Some(false),
            ..AdminChange::default()
        },
        _ => return Err(Error::BadRequest("unknown action".to_owned()).into()),
    };
    let target = users::find_person(&state.db, &username)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let message = match users::change_as_admin(&state.db, &state.accounts, target, change).await {
        Ok(changed) => {
            tracing::info!(user_id = changed.id, by = viewer.id, action = %form.action, "account changed by an administrator");
            let what = match form.action.as_str() {
                "make_admin" => "is now an administrator",
                "unmake_admin" => "is no longer an administrator",
                "disable" => {
                    "is disabled: it cannot sign in, and its tokens and sessions stop working"
                }
                _ => "is enabled again",
            };
            format!("{} {what}.", changed.username)
        }
        Err(Error::Conflict(why)) => format!("Not changed: {why}."),
        Err(other) => return Err(other.into()),
    };
    Ok(flash_redirect(&session, message, "/admin/users").await?)
}
