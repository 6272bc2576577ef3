//! The account-mirror row: one discovery of an account of 2,000 repositories listed over 20
//! pages (a GitHub-shaped listing served on 127.0.0.1, every clone URL on lighttpd), to 2,000
//! mirrors created; then the first syncs of all of them through the scheduler; then the
//! scheduler's rate for 1,000 other due mirrors beside them, in turns with the same fleet on a
//! server alone.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue},
    response::IntoResponse,
    routing::get,
};
use mirrorforge::{
    entities::{mirror_run, repository},
    mirror::account_mirrors::{
        spec::AccountMirrorInput,
        store::{self, Changes},
    },
    server,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use super::{
    measure::{config, new_user},
    scale::{Fleet, one_commit_remote, scheduled_span},
};

/// Repositories of the account.
const REPOS: usize = 2_000;
/// Repositories per page (GitHub's most).
const PER_PAGE: usize = 100;

/// What the listing serves: its own address and the clone URL every repository has.
#[derive(Clone)]
struct Listing {
    base: String,
    clone_url: String,
}

/// `GET /orgs/big/repos?per_page=100&page=N`, as GitHub answers it.
async fn page(
    State(listing): State<Listing>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> impl IntoResponse {
    let page: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let pages = REPOS.div_ceil(PER_PAGE);
    let items: Vec<_> = ((page - 1) * PER_PAGE..(page * PER_PAGE).min(REPOS))
        .map(|i| {
            json!({"id": 1_000_000 + i, "name": format!("repo-{i:04}"),
                   "clone_url": listing.clone_url, "private": false, "fork": false,
                   "archived": false})
        })
        .collect();
    let mut headers = HeaderMap::new();
    if page < pages {
        let next = format!(
            "<{}/orgs/big/repos?per_page={PER_PAGE}&page={}>; rel=\"next\"",
            listing.base,
            page + 1
        );
        headers.insert("link", HeaderValue::from_str(&next).unwrap());
    }
    (headers, Json(items))
}

/// Discovery of 2,000 repositories over 20 pages, then their first syncs by the scheduler.
pub(crate) async fn account_row(dir: &Path, served: &Path, lighttpd_url: &str) {
    one_commit_remote(&served.join("am-tiny.git"), &dir.with_extension("seed"));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/orgs/{org}/repos", get(page))
        .with_state(Listing {
            base: base.clone(),
            clone_url: lighttpd_url.to_owned(),
        });
    let api = tokio::spawn(async move { axum::serve(listener, app).await });

    // The scheduler never ticks in this state: the mirrors stay due for the server below.
    let state = server::build_state(config(dir, "0 0 0 1 1 *"))
        .await
        .unwrap();
    let owner = new_user(&state, "fleet").await;
    let row = store::create(
        &state.db,
        &state.config,
        &state.secrets,
        &owner,
        &Changes {
            fields: AccountMirrorInput {
                provider: Some("github".into()),
                api_url: Some(base),
                account: Some("big".into()),
                ..AccountMirrorInput::default()
            },
            token: None,
            notify_url: None,
        },
    )
    .await
    .unwrap();
    let started = Instant::now();
    state.discoverer.start(row.id).await.unwrap();
    let found = loop {
        let found = store::find(&state.db, row.id).await.unwrap().unwrap();
        if found.row.last_status != "discovering" {
            break found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the discovery did not end"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let discovery = found
        .row
        .last_discovered_at
        .map_or(started.elapsed().as_secs_f64(), |end| {
            (end - found.row.created_at).num_milliseconds() as f64 / 1000.0
        });
    assert_eq!(found.row.last_status, "success", "{}", found.row.last_error);
    let made = store::repository_count(&state.db, row.id).await.unwrap();
    assert_eq!(made as usize, REPOS);
    println!(
        "| account mirror discovery, {REPOS} repositories over {} pages → {made} mirrors | **{discovery:.1} s** | — | — | < 30 s |",
        REPOS.div_ceil(PER_PAGE)
    );
    drop(state);
    api.abort();

    // All 2,000 are due: the scheduler of a server on this data starts their first syncs.
    let running = server::start(config(dir, "0 * * * * *")).await.unwrap();
    let db = mirrorforge::db::connect(&config(dir, "0 0 0 1 1 *"))
        .await
        .unwrap();
    let seconds = scheduled_span(
        &db,
        mirror_run::Entity::find(),
        REPOS,
        Duration::from_secs(900),
    )
    .await;
    let failed = repository::Entity::find()
        .filter(repository::Column::LastRunStatus.is_not_null())
        .filter(
            repository::Column::SyncStatus
                .eq(mirrorforge::entities::mirror_enums::SyncStatus::Failed),
        )
        .count(&db)
        .await
        .unwrap();
    assert_eq!(failed, 0, "first syncs failed");
    println!(
        "| first syncs of those {REPOS} mirrors (one owner: 2 of the 4 slots) | {seconds:.1} s from first start to last end, **{:.0} syncs/min** | — | — | — |",
        REPOS as f64 / seconds * 60.0
    );
    mirrorforge::git::maintenance::settled().await;
    fleet_beside(dir, lighttpd_url, running).await;
}

/// Passes of the comparison below.
const PASSES: usize = 3;
/// The scheduler's tick in the comparison: often, so a pass waits little for its start (the
/// span is measured from the first start to the last end either way).
const PASS_CRON: &str = "*/5 * * * * *";

/// The scheduler beside the 2,000 account mirrors against the same scheduler alone: a fleet of
/// 1,000 due no-op mirrors of 10 other owners on this server, and one on a server of its own
/// with nothing else, synced in turns (alone, beside, alone, …); syncs per minute, medians.
async fn fleet_beside(dir: &Path, tiny_url: &str, running: server::RunningServer) {
    let beside = Fleet::make(dir, tiny_url).await;
    // The fleet alone, on a server and database of its own.
    let alone_dir = dir.with_extension("alone");
    let alone = Fleet::make(&alone_dir, tiny_url).await;
    // The imports' background repacks must not slow the syncs measured.
    mirrorforge::git::maintenance::settled().await;
    let alone_server = server::start(config(&alone_dir, PASS_CRON)).await.unwrap();
    // This server again, ticking as often as the other.
    running.stop().await.unwrap();
    let running = server::start(config(dir, PASS_CRON)).await.unwrap();
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..PASSES {
        without.push(alone.pass().await);
        with.push(beside.pass().await);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let ratios: Vec<f64> = with.iter().zip(&without).map(|(w, a)| w / a).collect();
    let (w, a) = (median(&mut with.clone()), median(&mut without.clone()));
    println!(
        "| then 1000 due no-op mirrors of 10 other owners beside those {REPOS}, against the same fleet on a server alone ({PASSES} passes in turns) | beside **{w:.0} syncs/min** ({:.0}–{:.0}) | alone {a:.0} syncs/min ({:.0}–{:.0}) | {:.2} | ≥ 0.9 of alone |",
        with.iter().copied().fold(f64::INFINITY, f64::min),
        with.iter().copied().fold(0.0, f64::max),
        without.iter().copied().fold(f64::INFINITY, f64::min),
        without.iter().copied().fold(0.0, f64::max),
        median(&mut ratios.clone()),
    );
    running.stop().await.unwrap();
    alone_server.stop().await.unwrap();
}
