//! What a row measures and prints: pairs of samples, our runs as the history records them, a
//! server state on a temporary directory, the CPU time stolen meanwhile.

use std::{path::Path, time::Duration};

use mirrorforge::{
    accounts::{tokens, users},
    config::Config,
    entities::{mirror_run, repository, user},
    mirror::{engine::SyncRequest, import::ImportRequest, settings},
    repos::{self, NewRepo},
    state::AppState,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::remote::{Lighttpd, empty_remote, time_git};

pub(crate) fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// One row: our samples, git's, paired in order.
pub(crate) struct Row {
    pub(crate) name: &'static str,
    pub(crate) ours: Vec<Duration>,
    pub(crate) theirs: Vec<Duration>,
    pub(crate) git: &'static str,
    pub(crate) goal: &'static str,
}

impl Row {
    pub(crate) fn print(&self) {
        let stats = |d: &[Duration]| {
            let ms: Vec<f64> = d.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
            let min = ms.iter().copied().fold(f64::INFINITY, f64::min);
            let max = ms.iter().copied().fold(0.0, f64::max);
            format!("{:.1} ms ({min:.1}–{max:.1})", median(ms.clone()))
        };
        let ratios: Vec<f64> = self
            .ours
            .iter()
            .zip(&self.theirs)
            .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
            .collect();
        println!(
            "| {} | {} | {} {} | **{:.2}** | {} |",
            self.name,
            stats(&self.ours),
            self.git,
            stats(&self.theirs),
            median(ratios),
            self.goal
        );
    }
}

/// Waits for the newest run of `repo_id` to end; its duration as recorded.
pub(crate) async fn newest_run(
    state: &AppState,
    repo_id: i64,
    after: i64,
) -> (mirror_run::Model, Duration) {
    // Long enough for a big repository's import.
    let deadline = std::time::Instant::now() + Duration::from_secs(900);
    while std::time::Instant::now() < deadline {
        let run = mirror_run::Entity::find()
            .filter(mirror_run::Column::RepositoryId.eq(repo_id))
            .filter(mirror_run::Column::Id.gt(after))
            .order_by_desc(mirror_run::Column::Id)
            .one(&state.db)
            .await
            .unwrap();
        if let Some(run) = run
            && let Some(end) = run.finished_at
        {
            assert!(run.error.is_none(), "run failed: {:?}", run.error);
            let took = (end - run.started_at).to_std().unwrap_or_default();
            return (run, took);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("no run of {repo_id} ended");
}

/// The id of the newest run of `repo_id` so far (0 for none).
pub(crate) async fn last_run_id(state: &AppState, repo_id: i64) -> i64 {
    mirror_run::Entity::find()
        .filter(mirror_run::Column::RepositoryId.eq(repo_id))
        .order_by_desc(mirror_run::Column::Id)
        .one(&state.db)
        .await
        .unwrap()
        .map_or(0, |r| r.id)
}

/// "Sync now" on `repo_id`; the run's recorded duration.
pub(crate) async fn sync(state: &AppState, repo_id: i64) -> Duration {
    let after = last_run_id(state, repo_id).await;
    let repo = repository::Entity::find_by_id(repo_id)
        .one(&state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        state.engine.request_sync(&repo, false).await.unwrap(),
        SyncRequest::Started
    );
    newest_run(state, repo_id, after).await.1
}

/// Starts an import of `upstream` as a mirror `name` of `owner` (hourly, every ref); the
/// repository's id.
pub(crate) async fn import_mirror(
    state: &AppState,
    owner: &user::Model,
    name: &str,
    upstream: &str,
) -> i64 {
    state
        .importer()
        .import(
            owner,
            ImportRequest {
                name: name.to_owned(),
                clone_url: upstream.to_owned(),
                mirror: true,
                sync_interval: Some(3600),
                ..ImportRequest::default()
            },
        )
        .await
        .unwrap()
        .repo
        .id
}

/// One pair of a full-push row: `pusher` (on disk at `pusher_path`) set to push to a new empty
/// remote `ours-RUN` under `served` and synced, then `git push --mirror` of the same repository
/// to `theirs-RUN`; both remotes are removed once timed. The pusher as changed, our duration,
/// git's.
pub(crate) async fn push_pair(
    state: &AppState,
    (lighttpd, served): (&Lighttpd, &Path),
    (pusher, pusher_path): (repository::Model, &Path),
    run: usize,
) -> (repository::Model, Duration, Duration) {
    let target = format!("ours-{run}");
    empty_remote(served, &target);
    let pusher = settings::apply(
        &state.db,
        &state.config,
        &state.secrets,
        pusher,
        settings::SettingsPatch {
            mirror_direction: Some("downstream".to_owned()),
            downstream_url: Some(lighttpd.url(&target)),
            ..settings::SettingsPatch::default()
        },
    )
    .await
    .unwrap();
    let ours = sync(state, pusher.id).await;
    let theirs = format!("theirs-{run}");
    empty_remote(served, &theirs);
    let git_took = time_git(&[
        "--git-dir",
        pusher_path.to_str().unwrap(),
        "push",
        "-q",
        "--mirror",
        &lighttpd.url(&theirs),
    ])
    .await;
    for remote in [target, theirs] {
        let _ = std::fs::remove_dir_all(served.join(format!("{remote}.git")));
    }
    (pusher, ours, git_took)
}

/// A configuration on `dir` for mirrors of 127.0.0.1 remotes.
pub(crate) fn config(dir: &Path, cron: &str) -> Config {
    config_on(dir, cron, None)
}

/// [`config`] with its rows in the database at `database_url` (SQLite in `dir` when `None`).
pub(crate) fn config_on(dir: &Path, cron: &str, database_url: Option<&str>) -> Config {
    let mut config = Config::for_data_dir(dir.to_path_buf());
    config.allow_local_networks = true;
    config.scheduler_cron = cron.to_owned();
    config.listen = "127.0.0.1:0".parse().unwrap();
    if let Some(url) = database_url {
        config.database_url = url.to_owned();
    }
    config
}

/// A database of its own on the machine's PostgreSQL (`MIRRORFORGE_BENCH_POSTGRES`, by default
/// `postgres://postgres@127.0.0.1:5432/test`, is where it is created), dropped by [`Self::drop_it`].
pub(crate) struct FreshPostgres {
    admin: sea_orm::DatabaseConnection,
    name: String,
    /// Its URL.
    pub(crate) url: String,
}

impl FreshPostgres {
    /// Creates it; `None` when PostgreSQL cannot be reached.
    pub(crate) async fn create() -> Option<Self> {
        use sea_orm::ConnectionTrait;
        let admin_url = std::env::var("MIRRORFORGE_BENCH_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let admin = sea_orm::Database::connect(&admin_url).await.ok()?;
        let name = format!("mf_bench_{}", std::process::id());
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .ok()?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .ok()?;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Some(Self { admin, name, url })
    }

    /// Drops it.
    pub(crate) async fn drop_it(self) {
        use sea_orm::ConnectionTrait;
        let _ = self
            .admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await;
    }
}

pub(crate) async fn new_user(state: &AppState, name: &str) -> user::Model {
    users::create(
        &state.db,
        users::NewUser {
            username: name.to_owned(),
            email: format!("{name}@example.com"),
            password: "Bench-Password-1".to_owned(),
            is_admin: true,
        },
    )
    .await
    .unwrap()
}

/// A new user `owner` on `state` with a repository `name` (private or not), and a token of
/// theirs.
pub(crate) async fn repo_with_token(
    state: &AppState,
    owner: &str,
    name: &str,
    private: bool,
) -> (user::Model, String) {
    let owner = new_user(state, owner).await;
    let repo = NewRepo {
        name: name.to_owned(),
        description: String::new(),
        private,
        made_by: None,
        ..NewRepo::default()
    };
    repos::create(&state.db, &state.config, &owner, repo)
        .await
        .unwrap();
    let token = tokens::create(&state.db, owner.id, "bench")
        .await
        .unwrap()
        .secret;
    (owner, token)
}

/// The machine's CPU time so far as `(steal, total)` jiffies, from `/proc/stat`: on a virtual
/// machine, time the hypervisor gave to others while we wanted to run.
pub(crate) fn cpu_times() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    (fields.get(7).copied().unwrap_or(0), fields.iter().sum())
}

/// The share of CPU time stolen by the hypervisor since `(steal, total)`, as a line.
pub(crate) fn steal_line((steal_before, total_before): (u64, u64)) -> String {
    let (steal_after, total_after) = cpu_times();
    format!(
        "\nCPU stolen by the hypervisor during the run: {:.0} % (noisy neighbours make every figure slower and wider)",
        (steal_after - steal_before) as f64 * 100.0 / (total_after - total_before).max(1) as f64
    )
}

/// The table's head.
pub(crate) fn print_head() {
    println!(
        "| operation | mirrorforge: median (min–max) | stock git: median (min–max) | ratio (median of pairs) | goal |"
    );
    println!("|---|---|---|---|---|");
}
