//! `/mirrors`: every mirror of the user (an administrator may show everyone's) with its state,
//! last error and freshness, and "Sync now", "Pause", "Resume" on the rows ticked — a plain
//! form that works without JavaScript.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    forms::{from_htmx, no_store},
    page::{Layout, TimeView, set_flash},
    repo_mirror::sync_widget::status_label,
};
use crate::{
    error::{Error, PageError},
    mirror::{
        overview::{
            self, ListQuery, MirrorItem, StatusFilter,
            bulk::{self, BulkAction, BulkRequest},
        },
        schedule::Schedule,
        state as mirror_state,
    },
    state::AppState,
    web::extract::CsrfForm,
    web::extract::{PageRepo, Read, WebUser, caller::urlencode},
};

/// Mirrors shown on one page.
const PAGE_SIZE: u64 = 100;

/// The overview page and its bulk form.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/mirrors", get(page))
        .route("/mirrors/batch", post(run_batch))
        .route("/mirrors/row/{owner}/{repo}", get(row))
}

/// One row of the overview alone.
#[derive(Template, WebTemplate)]
#[template(path = "mirrors/partials/row.html")]
struct RowFragment {
    /// The row.
    row: Row,
}

/// A mirror's row, for htmx: polled every second while it syncs, the first copy that no
/// longer syncs stops the polling. A plain visit goes to the overview.
async fn row(
    State(state): State<AppState>,
    access: PageRepo<Read>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if !from_htmx(&headers) {
        return Ok(Redirect::to("/mirrors").into_response());
    }
    let item = MirrorItem::of(&access.repo, Utc::now());
    let row = rows_of(&state, vec![item])
        .await?
        .pop()
        .ok_or(Error::NotFound("repository"))?;
    let mut response = RowFragment { row }.into_response();
    no_store(&mut response);
    Ok(response)
}

/// One mirror's row; also the fragment htmx polls while it syncs (and, with its template,
/// the rows of an account mirror's page).
pub(super) struct Row {
    /// `owner/name`, also the checkbox's value and the link's path.
    pub(super) repository: String,
    /// `upstream`, `downstream` or `both`.
    pub(super) direction: &'static str,
    /// The badge's class word: `idle`, `syncing`, `success`, `failed`, `cancelled` or `paused`.
    pub(super) status: &'static str,
    /// The badge's words.
    pub(super) status_label: &'static str,
    /// When the last run was cancelled, when the badge says "Cancelled".
    pub(super) cancelled_at: Option<TimeView>,
    /// End of the last successful sync.
    pub(super) last_synced: Option<TimeView>,
    /// When the scheduler syncs next.
    pub(super) next_sync: Option<TimeView>,
    /// What the next-sync cell says when there is no time: "manual", "paused" or "—".
    pub(super) no_next_sync: &'static str,
    /// Failed syncs in a row.
    pub(super) failures: i32,
    /// The last failure's message, shown in the row ("" when none).
    pub(super) error: String,
    /// `fresh`, `late` or `stale`.
    pub(super) freshness: &'static str,
    /// Its place in line while it waits for a free slot (1: the next to start).
    pub(super) queue_position: Option<usize>,
    /// Its repository left the account mirror's account (or is newly left out): mirroring
    /// was paused, nothing deleted.
    pub(super) gone: bool,
}

impl Row {
    fn of(
        item: MirrorItem,
        cancelled_at: Option<chrono::DateTime<Utc>>,
        queue_position: Option<usize>,
        now: chrono::DateTime<Utc>,
    ) -> Self {
        let (status, label) = if !item.mirror_enabled {
            ("paused", "Paused")
        } else if queue_position.is_some() {
            ("waiting", "Waiting")
        } else if item.cancelled {
            ("cancelled", "Cancelled")
        } else {
            (item.sync_status.as_str(), status_label(item.sync_status))
        };
        let no_next_sync = if !item.mirror_enabled {
            "paused"
        } else if matches!(Schedule::stored(&item.sync_schedule), Schedule::Manual) {
            "manual"
        } else {
            "—"
        };
        Self {
            repository: item.repository,
            direction: item.mirror_direction.as_str(),
            status,
            status_label: label,
            cancelled_at: cancelled_at
                .filter(|_| item.cancelled)
                .map(|t| TimeView::new(t, now)),
            last_synced: item.last_synced_at.map(|t| TimeView::new(t, now)),
            next_sync: item.next_sync_at.map(|t| TimeView::upcoming(t, now)),
            no_next_sync,
            failures: item.consecutive_failures,
            error: item.sync_error,
            freshness: item.freshness.as_str(),
            queue_position,
            gone: item.gone_from_source,
        }
    }

    /// A sync runs or waits for a slot: the row polls its fragment until it ends.
    pub(super) fn syncing(&self) -> bool {
        matches!(self.status, "syncing" | "waiting")
    }

    /// The checkbox's id: the same in every copy of the row, so htmx keeps the ticked box
    /// (`hx-preserve`) when the row is swapped.
    pub(super) fn select_id(&self) -> String {
        format!("select-{}", self.repository.replace('/', "--"))
    }

    /// Where htmx fetches the row again.
    pub(super) fn fragment_url(&self) -> String {
        format!("/mirrors/row/{}", self.repository)
    }
}

/// `items` as rows, each cancelled one with the time of its cancel.
///
/// # Errors
/// The database failed.
pub(super) async fn rows_of(state: &AppState, items: Vec<MirrorItem>) -> Result<Vec<Row>, Error> {
    let cancelled: Vec<i64> = items.iter().filter(|i| i.cancelled).map(|i| i.id).collect();
    let times = mirror_state::cancelled_at(&state.db, &cancelled).await?;
    let now = Utc::now();
    Ok(items
        .into_iter()
        .map(|item| {
            let at = times.get(&item.id).copied();
            let place = state.engine.queue_position(item.id);
            Row::of(item, at, place, now)
        })
        .collect())
}

/// A status filter link.
struct FilterLink {
    /// What it says.
    label: &'static str,
    /// Where it goes.
    href: String,
    /// The filter shown now.
    current: bool,
}

/// The overview page.
#[derive(Template, WebTemplate)]
#[template(path = "mirrors/index.html")]
struct MirrorsTemplate {
    /// Header, navigation, the summary of the last bulk action.
    layout: Layout,
    /// The mirrors, failing first.
    rows: Vec<Row>,
    /// The status filter links.
    filters: Vec<FilterLink>,
    /// The filter shown (`""`: all), sent back by the form.
    status: &'static str,
    /// Whether everyone's mirrors are shown (administrators only).
    all: bool,
    /// Whether the viewer is an administrator (offered the "everyone's" toggle).
    is_admin: bool,
    /// The link to the other scope ("Only mine" / "Everyone's").
    scope_href: String,
    /// The previous and next page links, when there are such pages.
    prev_href: Option<String>,
    /// See `prev_href`.
    next_href: Option<String>,
}

/// `?status=&all=&page=`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    status: String,
    all: bool,
    page: u64,
}

/// The overview's address for a filter, a scope and a page.
fn href(status: &str, all: bool, page: u64) -> String {
    let mut params = Vec::new();
    if !status.is_empty() {
        params.push(format!("status={}", urlencode(status)));
    }
    if all {
        params.push("all=true".to_owned());
    }
    if page > 1 {
        params.push(format!("page={page}"));
    }
    if params.is_empty() {
        "/mirrors".to_owned()
    } else {
        format!("/mirrors?{}", params.join("&"))
    }
}

async fn page(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    Query(query): Query<PageQuery>,
) -> Result<MirrorsTemplate, PageError> {
    let filter = StatusFilter::parse(&query.status)?;
    let status = filter.map_or("", StatusFilter::as_str);
    let all = query.all && user.is_admin;
    let page = query.page.clamp(1, 100_000);
    let items = overview::list(
        &state.db,
        &user,
        ListQuery {
            all,
            status: filter,
            limit: PAGE_SIZE + 1,
            offset: (page - 1) * PAGE_SIZE,
        },
    )
    .await?;
    let more = items.len() as u64 > PAGE_SIZE;
    let rows = rows_of(
        &state,
        items
            .into_iter()
            .take(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX))
            .collect(),
    )
    .await?;
    let filters = [
        ("All", ""),
        ("Failing", "failed"),
        ("Syncing", "syncing"),
        ("Success", "success"),
        ("Paused", "paused"),
    ]
    .into_iter()
    .map(|(label, word)| FilterLink {
        label,
        href: href(word, all, 1),
        current: word == status,
    })
    .collect();
    Ok(MirrorsTemplate {
        layout: Layout::new(&state, &session, Some(&user)).await?,
        rows,
        filters,
        status,
        all,
        is_admin: user.is_admin,
        scope_href: href(status, !all, 1),
        prev_href: (page > 1).then(|| href(status, all, page - 1)),
        next_href: more.then(|| href(status, all, page + 1)),
    })
}

/// The bulk form: the action pressed, the rows ticked, and the view to return to.
async fn run_batch(
    State(state): State<AppState>,
    session: Session,
    WebUser(user): WebUser,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Redirect, PageError> {
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let back_status = StatusFilter::parse(value("status"))
        .ok()
        .flatten()
        .map_or("", StatusFilter::as_str);
    // An account mirror's page sends its own rows here and wants them back.
    let back = match value("back").strip_prefix("/account-mirrors/") {
        Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
            format!("/account-mirrors/{id}")
        }
        _ => href(back_status, value("all") == "true" && user.is_admin, 1),
    };
    let action = match value("action") {
        "sync" => BulkAction::Sync,
        "disable" => BulkAction::Disable,
        "enable" => BulkAction::Enable,
        _ => return Err(Error::field("action", "must be sync, disable or enable").into()),
    };
    let names: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "repositories")
        .map(|(_, v)| v.clone())
        .collect();
    if names.is_empty() {
        set_flash(&session, "Select at least one mirror first.").await?;
        return Ok(Redirect::to(&back));
    }
    let outcomes = BulkRequest {
        db: &state.db,
        config: &state.config,
        secrets: &state.secrets,
        engine: &state.engine,
    }
    .run(&user, action, names)
    .await?;
    set_flash(&session, format!("{}.", bulk::summary(action, &outcomes))).await?;
    Ok(Redirect::to(&back))
}
