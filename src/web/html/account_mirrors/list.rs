//! `/account-mirrors`: the account mirrors the user manages (an administrator may show
//! everyone's), each with its source, owner, last discovery and count of repositories.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    routing::get,
};
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::Session;

use super::Summary;
use crate::{
    error::PageError,
    mirror::account_mirrors::store,
    state::AppState,
    web::{extract::WebUser, html::page::Layout},
};

/// `/account-mirrors`.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/account-mirrors", get(page))
}

/// The list of account mirrors.
#[derive(Template, WebTemplate)]
#[template(path = "account_mirror/list.html")]
struct ListTemplate {
    /// Header and navigation.
    layout: Layout,
    /// The account mirrors, oldest first.
    accounts: Vec<Summary>,
    /// Whether everyone's are shown (administrators only).
    all: bool,
    /// Whether the viewer is an administrator (offered the "everyone's" toggle).
    is_admin: bool,
}

/// `?all=`: an administrator's `true` shows everyone's.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    all: bool,
}

async fn page(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    Query(query): Query<ListQuery>,
) -> Result<ListTemplate, PageError> {
    let all = query.all && user.is_admin;
    let now = Utc::now();
    let listed = store::list(&state.db, &user, all).await?;
    let ids: Vec<i64> = listed.iter().map(|a| a.row.id).collect();
    let counts = store::repository_counts(&state.db, &ids).await?;
    let accounts = listed
        .iter()
        .map(|account| {
            let count = counts.get(&account.row.id).copied().unwrap_or(0);
            Summary::of(account, count, now)
        })
        .collect();
    Ok(ListTemplate {
        layout: Layout::new(&state, &session, Some(&user)).await?,
        accounts,
        all,
        is_admin: user.is_admin,
    })
}
