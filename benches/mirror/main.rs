//! `make bench`: mirrorforge's mirror transfers and HTTP side by side with stock git, every row
//! of the table in BENCHMARKS.md. The remote is lighttpd with git's own `git http-backend` on
//! 127.0.0.1; each pair runs ours then git's (interleaved), and a row prints the median, min
//! and max of each side and the median of the pairwise ratios. Our figures are run durations
//! as the runs table records them (what a user sees in the history), git's whole commands.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

mod account_row;
mod big_rows;
mod code_row;
mod lfs_row;
mod measure;
mod remote;
mod scale;
mod seed;
mod shallow_row;

use std::{path::Path, process::Command};

use mirrorforge::{entities::repository, server};
use sea_orm::EntityTrait;

use self::{
    account_row::*, big_rows::*, code_row::*, lfs_row::*, measure::*, remote::*, scale::*,
    shallow_row::*,
};

/// Pairs per row.
pub(crate) const RUNS: usize = 7;
/// Commits in the synthetic source.
pub(crate) const COMMITS: usize = 3000;
/// Files in the synthetic source.
pub(crate) const FILES: usize = 300;
/// Mirrors in the scheduler row.
pub(crate) const MIRRORS: usize = 1000;

#[tokio::main]
async fn main() {
    let started = cpu_times();
    let work = tempfile::tempdir().unwrap();
    let w = |p: &str| work.path().join(p);
    // `MIRRORFORGE_BENCH_ONLY=lfs`: the Git LFS row alone.
    if std::env::var("MIRRORFORGE_BENCH_ONLY").as_deref() == Ok("lfs") {
        println!("{RUNS} pairs per row, ours then git's\n");
        print_head();
        lfs_row(&w("lfs")).await.print();
        println!("{}", steal_line(started));
        return;
    }
    // `MIRRORFORGE_BENCH_ONLY=account`: the account-mirror rows alone.
    if std::env::var("MIRRORFORGE_BENCH_ONLY").as_deref() == Ok("account") {
        let served = w("served");
        std::fs::create_dir_all(&served).unwrap();
        let lighttpd = Lighttpd::start(work.path(), &served);
        println!("account mirrors; remote: lighttpd + git http-backend on 127.0.0.1\n");
        print_head();
        account_row(&w("accounts"), &served, &lighttpd.url("am-tiny")).await;
        println!("{}", steal_line(started));
        return;
    }
    // `MIRRORFORGE_BENCH_ONLY=code`: the code pages' rows alone, on the bench's source.
    if std::env::var("MIRRORFORGE_BENCH_ONLY").as_deref() == Ok("code") {
        code_only(&w("code")).await;
        println!("{}", steal_line(started));
        return;
    }
    // `MIRRORFORGE_BENCH_ONLY=shallow`: the shallow row alone, on the big history.
    if std::env::var("MIRRORFORGE_BENCH_ONLY").as_deref() == Ok("shallow") {
        let big = big_source();
        println!("{SHALLOW_RUNS} pairs, ours then git's; source {big:?}\n");
        print_head();
        shallow_row(&big, &w("shallow")).await.print();
        println!("{}", steal_line(started));
        return;
    }
    // `MIRRORFORGE_BENCH_ONLY=big`: the big history's rows alone.
    if std::env::var("MIRRORFORGE_BENCH_ONLY").as_deref() == Ok("big") {
        let big = big_source();
        println!("{BIG_RUNS} pairs per row, ours then git's; source {big:?}\n");
        print_head();
        big_rows(&big, &w("big")).await;
        println!("{}", steal_line(started));
        return;
    }
    // `MIRRORFORGE_BENCH_ONLY=fleet`: the 1,000 no-op mirrors on SQLite and on PostgreSQL.
    if std::env::var("MIRRORFORGE_BENCH_ONLY").as_deref() == Ok("fleet") {
        let served = w("served");
        std::fs::create_dir_all(&served).unwrap();
        let lighttpd = Lighttpd::start(work.path(), &served);
        print_head();
        fleet_rows(&w("fleet"), &lighttpd, &served).await;
        println!("{}", steal_line(started));
        return;
    }
    let served = w("served");
    std::fs::create_dir_all(&served).unwrap();
    match std::env::var_os("MIRRORFORGE_BENCH_SOURCE") {
        Some(source) => copy_source(Path::new(&source), &served.join("src.git")),
        None => make_source(&served.join("src.git")),
    }
    let count = Command::new("git")
        .arg("--git-dir")
        .arg(served.join("src.git"))
        .args(["count-objects", "-v"])
        .output()
        .unwrap();
    let refs = Command::new("git")
        .arg("--git-dir")
        .arg(served.join("src.git"))
        .arg("for-each-ref")
        .output()
        .unwrap()
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    let lighttpd = Lighttpd::start(work.path(), &served);
    let upstream = lighttpd.url("src");
    println!(
        "source: {}, {refs} refs (branches and tags), packed with `git gc`; {}",
        std::env::var("MIRRORFORGE_BENCH_SOURCE")
            .unwrap_or_else(|_| format!("synthetic, {COMMITS} commits")),
        String::from_utf8_lossy(&count.stdout).replace('\n', " ")
    );
    println!(
        "remote: lighttpd + git http-backend on 127.0.0.1; {RUNS} pairs per row, ours then git's\n"
    );
    print_head();

    let state = server::build_state(config(&w("data"), "0 0 0 1 1 *"))
        .await
        .unwrap();
    let owner = new_user(&state, "bench").await;

    // Import (full fetch) vs `git clone --mirror`.
    let mut import = Row {
        name: "import, full fetch",
        ours: Vec::new(),
        theirs: Vec::new(),
        git: "`git clone --mirror`",
        goal: "≤ 1.2",
    };
    let mut imported = Vec::new();
    for run in 0..RUNS {
        let id = import_mirror(&state, &owner, &format!("import-{run}"), &upstream).await;
        import.ours.push(newest_run(&state, id, 0).await.1);
        imported.push(id);
        // The import's background repack must not slow git's turn.
        mirrorforge::git::maintenance::settled().await;
        let clone = w(&format!("clone-{run}.git"));
        import.theirs.push(
            time_git(&[
                "clone",
                "-q",
                "--mirror",
                &upstream,
                clone.to_str().unwrap(),
            ])
            .await,
        );
    }
    mirrorforge::git::maintenance::settled().await;
    let mirror = imported[0];
    let git_mirror = w("clone-0.git");

    // No-op sync vs `git fetch` that brings nothing.
    let mut noop = Row {
        name: "no-op sync",
        ours: Vec::new(),
        theirs: Vec::new(),
        git: "`git fetch`",
        goal: "≤ 0.5",
    };
    for _ in 0..RUNS {
        noop.ours.push(sync(&state, mirror).await);
        noop.theirs
            .push(time_git(&["--git-dir", git_mirror.to_str().unwrap(), "fetch", "-q"]).await);
    }

    // Incremental pull of one new commit vs `git fetch` of it.
    let mut incremental = Row {
        name: "incremental pull, 1 new commit",
        ours: Vec::new(),
        theirs: Vec::new(),
        git: "`git fetch`",
        goal: "≤ 1.0",
    };
    let author = w("author");
    git(&[
        "clone",
        "-q",
        served.join("src.git").to_str().unwrap(),
        author.to_str().unwrap(),
    ]);
    let author_git = |args: &[&str]| {
        let mut all = vec![
            "-C",
            author.to_str().unwrap(),
            "-c",
            "user.name=B",
            "-c",
            "user.email=b@example.com",
        ];
        all.extend_from_slice(args);
        git(&all);
    };
    for run in 0..RUNS {
        std::fs::write(author.join("new.txt"), format!("change {run}\n")).unwrap();
        author_git(&["add", "new.txt"]);
        author_git(&["commit", "-q", "-m", &format!("new {run}")]);
        author_git(&["push", "-q", "origin", "HEAD"]);
        incremental.ours.push(sync(&state, mirror).await);
        mirrorforge::git::maintenance::settled().await;
        incremental
            .theirs
            .push(time_git(&["--git-dir", git_mirror.to_str().unwrap(), "fetch", "-q"]).await);
    }

    // A force-push of one branch upstream (its last commit rewritten) vs `git fetch` with a
    // `+` refspec: our pull keeps the old value as a kept ref in the same transaction.
    let mut forced = Row {
        name: "pull of a force-pushed branch (old value kept)",
        ours: Vec::new(),
        theirs: Vec::new(),
        git: "`git fetch +refs/heads/*:refs/heads/*`",
        goal: "≤ 1.0",
    };
    for run in 0..RUNS {
        author_git(&["commit", "-q", "--amend", "-m", &format!("rewritten {run}")]);
        author_git(&["push", "-q", "--force", "origin", "HEAD"]);
        forced.ours.push(sync(&state, mirror).await);
        mirrorforge::git::maintenance::settled().await;
        forced.theirs.push(
            time_git(&[
                "--git-dir",
                git_mirror.to_str().unwrap(),
                "fetch",
                "-q",
                "origin",
                "+refs/heads/*:refs/heads/*",
            ])
            .await,
        );
    }

    // Full push to an empty remote vs `git push --mirror`, of the same repository (the
    // second import, as a fetch left it).
    let mut push = Row {
        name: "full push to an empty remote",
        ours: Vec::new(),
        theirs: Vec::new(),
        git: "`git push --mirror`",
        goal: "≤ 1.2",
    };
    let mut pusher = repository::Entity::find_by_id(imported[1])
        .one(&state.db)
        .await
        .unwrap()
        .unwrap();
    let pusher_path = w("data/repos/bench/import-1.git");
    for run in 0..RUNS {
        let (ours, theirs);
        (pusher, ours, theirs) =
            push_pair(&state, (&lighttpd, &served), (pusher, &pusher_path), run).await;
        push.ours.push(ours);
        push.theirs.push(theirs);
    }

    // Clone through our smart HTTP vs lighttpd's git http-backend.
    let running = server::start(config(&w("served-data"), "0 0 0 1 1 *"))
        .await
        .unwrap();
    let ours_state = server::build_state(config(&w("served-data"), "0 0 0 1 1 *"))
        .await
        .unwrap();
    let (served_owner, token) = repo_with_token(&ours_state, "alice", "src", false).await;
    let ours_url = format!("http://alice:{token}@{}/alice/src.git", running.addr);
    git(&[
        "--git-dir",
        served.join("src.git").to_str().unwrap(),
        "push",
        "-q",
        "--mirror",
        &ours_url,
    ]);
    // Our server repacks what was pushed (with a bitmap), as it does after every push.
    mirrorforge::git::maintenance::settled().await;
    let mut clone = Row {
        name: "clone through our smart HTTP",
        ours: Vec::new(),
        theirs: Vec::new(),
        git: "lighttpd + http-backend",
        goal: "≤ 1.1",
    };
    let public = format!("http://{}/alice/src.git", running.addr);
    for run in 0..RUNS {
        let a = w(&format!("ours-clone-{run}"));
        clone
            .ours
            .push(time_git(&["clone", "-q", "--bare", &public, a.to_str().unwrap()]).await);
        let b = w(&format!("theirs-clone-{run}"));
        clone
            .theirs
            .push(time_git(&["clone", "-q", "--bare", &upstream, b.to_str().unwrap()]).await);
    }

    for row in [&incremental, &noop, &forced, &import, &push, &clone] {
        row.print();
    }

    fleet_rows(&w("fleet"), &lighttpd, &served).await;
    tick_row(&w("tick")).await;
    account_row(&w("accounts"), &served, &lighttpd.url("am-tiny")).await;
    http_rows(&running, &ours_state, &served_owner, &token).await;
    code_rows(&format!("http://{}", running.addr), &served.join("src.git")).await;
    lfs_row(&w("lfs")).await.print();
    // The big history (git's own, or the synthetic one): the same work, and a depth-1 import.
    let big = big_source();
    println!("\nthe big history: {big:?}, {BIG_RUNS} pairs per row\n");
    print_head();
    big_rows(&big, &w("big")).await;
    shallow_row(&big, &w("shallow")).await.print();
    idle_rss(&w("idle"));
    println!("{}", steal_line(started));
}

/// The 1,000 due no-op mirrors on SQLite, then on a fresh PostgreSQL database.
async fn fleet_rows(dir: &Path, lighttpd: &Lighttpd, served: &Path) {
    scheduler_row(dir, lighttpd, served, None).await;
    match FreshPostgres::create().await {
        Some(postgres) => {
            let on_postgres = dir.with_extension("postgres");
            scheduler_row(&on_postgres, lighttpd, served, Some(&postgres.url)).await;
            postgres.drop_it().await;
        }
        None => println!(
            "| {MIRRORS} due no-op mirrors, PostgreSQL | not run: PostgreSQL not reachable | — | — | |"
        ),
    }
}
