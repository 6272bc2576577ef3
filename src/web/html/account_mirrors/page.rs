//! `/account-mirrors/{id}`: an account mirror's page (its settings, never the token; its last
//! and next discovery; its repositories as the mirrors overview shows them), "Discover now"
//! and its deletion (its repositories stay, as ordinary mirrors).

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::State,
    response::Response,
    routing::{get, post},
};
use chrono::Utc;
use tower_sessions::Session;

use super::{Summary, every};
use crate::{
    error::{Error, PageError},
    mirror::{
        account_mirrors::store::{self, AccountMirror},
        overview::MirrorItem,
    },
    repos::Repo,
    state::AppState,
    web::{
        extract::{CsrfForm, PageAccountMirror},
        html::{
            mirrors::{Row, rows_of},
            page::{CsrfOnly, Layout, flash_redirect},
        },
    },
};

/// The page, "Discover now" and the deletion.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/account-mirrors/{id}", get(show))
        .route("/account-mirrors/{id}/discover", post(discover))
        .route("/account-mirrors/{id}/delete", post(delete))
}

/// An account mirror's settings in words.
struct Settings {
    /// Whether a token is stored (never the token).
    token_set: bool,
    /// Name globs included, joined.
    include: String,
    /// Name globs left out, joined ("" for none).
    exclude: String,
    /// Forks mirrored too.
    forks: bool,
    /// Archived repositories mirrored too.
    archived: bool,
    /// The mirrors fetch LFS objects.
    lfs: bool,
    /// "every 8 hours".
    sync_every: String,
    /// "every hour".
    discovery_every: String,
    /// What a repository leaving the account does here, in words.
    on_removed: &'static str,
    /// Where discoveries are announced: the host only ("" for nowhere).
    notify_host: String,
}

impl Settings {
    fn of(account: &AccountMirror) -> Self {
        let r = &account.row;
        Self {
            token_set: r.token.is_some(),
            include: store::patterns(&r.include_patterns).join(", "),
            exclude: store::patterns(&r.exclude_patterns).join(", "),
            forks: r.forks,
            archived: r.archived,
            lfs: r.lfs,
            sync_every: every(r.sync_interval),
            discovery_every: every(r.discovery_interval),
            on_removed: if r.on_removed == "keep" {
                "its mirror is kept"
            } else {
                "its mirror is paused"
            },
            notify_host: url::Url::parse(&r.notify_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default(),
        }
    }
}

/// An account mirror's page.
#[derive(Template, WebTemplate)]
#[template(path = "account_mirror/show.html")]
struct ShowTemplate {
    /// Header, navigation and the notice of the last action.
    layout: Layout,
    /// Its source, owner and discoveries.
    summary: Summary,
    /// Its settings in words.
    settings: Settings,
    /// Its repositories, as the mirrors overview shows them.
    rows: Vec<Row>,
    /// Where "Delete account mirror" posts.
    delete_action: String,
    /// What the deletion's confirmation asks.
    delete_question: String,
}

async fn show(
    State(state): State<AppState>,
    session: Session,
    access: PageAccountMirror,
) -> Result<ShowTemplate, PageError> {
    let account = access.account;
    let now = Utc::now();
    let items: Vec<MirrorItem> = store::repositories(&state.db, account.row.id)
        .await?
        .into_iter()
        .map(|repo| {
            MirrorItem::of(
                &Repo {
                    repo,
                    owner: account.owner.clone(),
                },
                now,
            )
        })
        .collect();
    let count = items.len() as u64;
    let summary = Summary::of(&account, count, now);
    Ok(ShowTemplate {
        delete_action: format!("{}/delete", summary.href()),
        delete_question: format!(
            "Delete the account mirror {}? Its repositories stay here as ordinary mirrors.",
            summary.source
        ),
        layout: Layout::new(&state, &session, Some(&access.viewer)).await?,
        summary,
        settings: Settings::of(&account),
        rows: rows_of(&state, items).await?,
    })
}

/// "Discover now": started, or the reason it is not (one runs already), said on the page.
async fn discover(
    State(state): State<AppState>,
    session: Session,
    access: PageAccountMirror,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let id = access.account.row.id;
    let notice = match state.discoverer.start(id).await {
        Ok(()) => "Discovery started.".to_owned(),
        Err(Error::Conflict(message)) => format!("Not started: {message}."),
        Err(err) => return Err(err.into()),
    };
    Ok(flash_redirect(&session, notice, &format!("/account-mirrors/{id}")).await?)
}

/// Deletes the account mirror; its repositories stay, as ordinary mirrors.
async fn delete(
    State(state): State<AppState>,
    session: Session,
    access: PageAccountMirror,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    let row = access.account.row;
    let (id, source) = (row.id, format!("{}:{}", row.provider, row.account));
    let kept = store::repository_count(&state.db, id).await?;
    store::delete(&state.db, row).await?;
    tracing::info!(
        account_mirror_id = id,
        user_id = access.viewer.id,
        "account mirror deleted"
    );
    let notice = format!(
        "Account mirror {source} deleted. Its {kept} {} stay{} here as ordinary mirrors.",
        if kept == 1 {
            "repository"
        } else {
            "repositories"
        },
        if kept == 1 { "s" } else { "" }
    );
    Ok(flash_redirect(&session, notice, "/account-mirrors").await?)
}
