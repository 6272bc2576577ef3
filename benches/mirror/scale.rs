//! The rows at scale: 1,000 due no-op mirrors through the scheduler, and one scheduler tick
//! over 100,000 mirror rows.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use chrono::Utc;
use mirrorforge::{
    entities::{mirror_enums::Trigger, mirror_run, repository, session, user},
    mirror::settings,
    repos::{self, NewRepo},
    server,
    state::AppState,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Select,
    sea_query::Expr,
};

use super::{
    MIRRORS,
    measure::{config, config_on, import_mirror, median, new_user},
    remote::{Lighttpd, git},
};

/// 1,000 mirrors due at once, each a no-op, with the default scheduler and slots: syncs per
/// minute from the first scheduled run's start to the last one's end.
pub(crate) async fn scheduler_row(
    dir: &Path,
    lighttpd: &Lighttpd,
    served: &Path,
    database: Option<&str>,
) {
    if !served.join("tiny.git").exists() {
        one_commit_remote(&served.join("tiny.git"), &dir.with_extension("seed"));
    }
    // Defaults: cron every minute, 4 slots, 2 per owner; ten owners of 100 mirrors each. The
    // imports run first, on an engine of their own; then all are made due and the server
    // (with its scheduler) starts.
    let fleet = Fleet::make_on(dir, &lighttpd.url("tiny"), database).await;
    repository::Entity::update_many()
        .col_expr(repository::Column::NextSyncAt, Expr::value(Utc::now()))
        .exec(&fleet.db)
        .await
        .unwrap();
    let running = server::start(config_on(dir, "0 * * * * *", database))
        .await
        .unwrap();
    let seconds = scheduled_span(
        &fleet.db,
        mirror_run::Entity::find(),
        MIRRORS,
        Duration::from_secs(600),
    )
    .await;
    // A mirror synced twice in the pass would be a duplicate: a second later, still none.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let runs = mirror_run::Entity::find()
        .filter(mirror_run::Column::Trigger.eq(Trigger::Scheduled))
        .all(&fleet.db)
        .await
        .unwrap();
    let synced: std::collections::HashSet<i64> = runs.iter().map(|r| r.repository_id).collect();
    let duplicates = runs.len() - synced.len();
    println!(
        "| {MIRRORS} due no-op mirrors, defaults (10 owners), {} | {seconds:.1} s from first start to last end, **{:.0} syncs/min**, {duplicates} duplicates | — | — | ≥ 10,000 syncs/min, no duplicate |",
        if database.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        MIRRORS as f64 / seconds * 60.0
    );
    running.stop().await.unwrap();
}

/// Makes the bare repository `remote` with one empty commit on `main`, committed in a work
/// tree made at `seed`.
pub(crate) fn one_commit_remote(remote: &Path, seed: &Path) {
    let (remote, seed) = (remote.to_str().unwrap(), seed.to_str().unwrap());
    git(&["init", "-q", "--bare", "-b", "main", remote]);
    git(&["init", "-q", "-b", "main", seed]);
    git(&[
        "-C",
        seed,
        "-c",
        "user.name=B",
        "-c",
        "user.email=b@example.com",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "one",
    ]);
    git(&["-C", seed, "push", "-q", remote, "main"]);
}

/// [`MIRRORS`] no-op mirrors of 10 owners, made once and made due again on every pass (a
/// running server's scheduler syncs them).
pub(crate) struct Fleet {
    /// The fleet's database.
    pub(crate) db: DatabaseConnection,
    ids: Vec<i64>,
}

impl Fleet {
    /// Imports the fleet of `tiny_url` into the data in `dir` (its own state, whose scheduler
    /// never ticks, runs the imports) and waits until their first syncs are over.
    pub(crate) async fn make(dir: &Path, tiny_url: &str) -> Self {
        Self::make_on(dir, tiny_url, None).await
    }

    /// [`Self::make`] with its rows in the database at `database_url` (SQLite when `None`).
    pub(crate) async fn make_on(dir: &Path, tiny_url: &str, database_url: Option<&str>) -> Self {
        let state = server::build_state(config_on(dir, "0 0 0 1 1 *", database_url))
            .await
            .unwrap();
        let mut owners = Vec::new();
        for o in 0..10 {
            owners.push(new_user(&state, &format!("owner{o}")).await);
        }
        let mut ids = Vec::new();
        for i in 0..MIRRORS {
            ids.push(
                import_mirror(
                    &state,
                    &owners[i % owners.len()],
                    &format!("m{i}"),
                    tiny_url,
                )
                .await,
            );
        }
        until_unclaimed(&state.db).await;
        Self {
            db: state.db.clone(),
            ids,
        }
    }

    /// Makes every mirror of the fleet due; the running server's scheduler syncs them: syncs
    /// per minute from the first start to the last end.
    pub(crate) async fn pass(&self) -> f64 {
        let mark = Utc::now();
        repository::Entity::update_many()
            .col_expr(repository::Column::NextSyncAt, Expr::value(Utc::now()))
            .filter(repository::Column::Id.is_in(self.ids.clone()))
            .exec(&self.db)
            .await
            .unwrap();
        let seconds = scheduled_span(
            &self.db,
            mirror_run::Entity::find()
                .filter(mirror_run::Column::StartedAt.gt(mark))
                .filter(mirror_run::Column::RepositoryId.is_in(self.ids.clone())),
            self.ids.len(),
            Duration::from_secs(600),
        )
        .await;
        until_unclaimed(&self.db).await;
        self.ids.len() as f64 / seconds * 60.0
    }
}

/// Waits until no repository is claimed (the imports' first syncs have ended).
pub(crate) async fn until_unclaimed(db: &DatabaseConnection) {
    loop {
        let pending = repository::Entity::find()
            .filter(repository::Column::SyncClaimedBy.is_not_null())
            .count(db)
            .await
            .unwrap();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (`within` at most) until `count` of the scheduled runs `runs` selects have finished;
/// the seconds from the first one's start to the last one's end.
pub(crate) async fn scheduled_span(
    db: &DatabaseConnection,
    runs: Select<mirror_run::Entity>,
    count: usize,
    within: Duration,
) -> f64 {
    let runs = runs.filter(mirror_run::Column::Trigger.eq(Trigger::Scheduled));
    let started = Instant::now();
    loop {
        let done = runs
            .clone()
            .filter(mirror_run::Column::FinishedAt.is_not_null())
            .count(db)
            .await
            .unwrap();
        if done as usize >= count {
            break;
        }
        assert!(
            started.elapsed() < within,
            "the scheduler did not sync them"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let runs = runs.all(db).await.unwrap();
    let first = runs.iter().map(|r| r.started_at).min().unwrap();
    let last = runs.iter().filter_map(|r| r.finished_at).max().unwrap();
    (last - first).num_milliseconds() as f64 / 1000.0
}

/// Mirror rows in the tick row.
pub(crate) const TICK_ROWS: usize = 100_000;

/// What a scheduler tick asks of the database with [`TICK_ROWS`] mirrors, 1 % of them due:
/// recovering dead claims, then the due list one look reads (free slots plus the margin, eight
/// candidates each). Median, min and max of 7 ticks.
pub(crate) async fn tick_row(dir: &Path) {
    let state = server::build_state(config(dir, "0 0 0 1 1 *"))
        .await
        .unwrap();
    let owner = new_user(&state, "fleet").await;
    let template = repos::create(
        &state.db,
        &state.config,
        &owner,
        NewRepo {
            name: "template".to_owned(),
            description: String::new(),
            private: false,
            made_by: None,
            ..NewRepo::default()
        },
    )
    .await
    .unwrap()
    .repo;
    super::seed::seed_mirror_rows(&state.db, &template, TICK_ROWS, Utc::now()).await;
    let mut ticks = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        state.engine.recover().await.unwrap();
        let due = state.engine.due(40).await.unwrap();
        ticks.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(due.len(), 40);
    }
    let min = ticks.iter().copied().fold(f64::INFINITY, f64::min);
    let max = ticks.iter().copied().fold(0.0, f64::max);
    println!(
        "| scheduler tick at {TICK_ROWS} mirror rows (recover + due list), SQLite | {:.1} ms ({min:.1}–{max:.1}) | — | — | < 50 ms |",
        median(ticks)
    );
}

/// `wrk -t2 -c50 -d10s --latency` against `path`; requests per second and the 99th percentile.
pub(crate) async fn wrk(url: &str, headers: &[String]) -> (f64, String) {
    let mut command = tokio::process::Command::new("wrk");
    command.args(["-t2", "-c50", "-d10s", "--latency"]);
    for header in headers {
        command.arg("-H").arg(header);
    }
    let output = command
        .arg(url)
        .output()
        .await
        .expect("wrk (make deps installs it)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map_or_else(|| "?".to_owned(), |v| v.trim().to_owned());
    assert!(
        !text.contains("Non-2xx"),
        "wrk saw errors against {url}:\n{text}"
    );
    (rate, p99)
}

pub(crate) async fn http_rows(
    running: &server::RunningServer,
    state: &AppState,
    owner: &user::Model,
    token: &str,
) {
    let base = format!("http://{}", running.addr);
    settings::apply(
        &state.db,
        &state.config,
        &state.secrets,
        repos::find(&state.db, &owner.username, "src")
            .await
            .unwrap()
            .unwrap()
            .repo,
        settings::SettingsPatch {
            mirror_enabled: Some(true),
            mirror_direction: Some("downstream".to_owned()),
            downstream_url: Some("http://127.0.0.1:9/unused.git".to_owned()),
            ..settings::SettingsPatch::default()
        },
    )
    .await
    .unwrap();
    let (rate, p99) = wrk(
        &format!("{base}/api/v1/repos/alice/src/mirror/status"),
        &[format!("Authorization: Bearer {token}")],
    )
    .await;
    println!(
        "| status JSON, `wrk -c50` | {rate:.0} req/s, p99 {p99} | — | — | ≥ 8,000 req/s, p99 < 10 ms |"
    );
    let cookie = log_in(&base).await;
    let (rate, p99) = wrk(
        &format!("{base}/alice/src/mirror/widget"),
        &[format!("Cookie: {cookie}"), "HX-Request: true".to_owned()],
    )
    .await;
    println!(
        "| sync widget fragment, `wrk -c50` | {rate:.0} req/s, p99 {p99} | — | — | ≥ 8,000 req/s, p99 < 10 ms |"
    );
    let before = session::Entity::find().count(&state.db).await.unwrap();
    let (rate, p99) = wrk(&format!("{base}/"), &[]).await;
    let after = session::Entity::find().count(&state.db).await.unwrap();
    println!(
        "| anonymous `GET /`, `wrk -c50` | {rate:.0} req/s, p99 {p99}, {} session rows written | — | — | no rows written |",
        after - before
    );
}

/// Logs alice in through the form; the session cookie.
pub(crate) async fn log_in(base: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    let cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let done = client
        .post(format!("{base}/login"))
        .header("Cookie", &cookie)
        .form(&[
            ("username", "alice"),
            ("password", "Bench-Password-1"),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    done.headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map_or(cookie, str::to_owned)
}

/// The release binary's resident memory after start-up, idle.
pub(crate) fn idle_rss(dir: &PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mirrorforge"))
        .arg("serve")
        .env("MIRRORFORGE_DATA_DIR", dir)
        .env("MIRRORFORGE_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .map_or_else(|| "?".to_owned(), |v| v.trim().to_owned());
    let _ = child.kill();
    let _ = child.wait();
    println!("| idle server, resident memory | {rss} | — | — | < 30 MB |");
}
