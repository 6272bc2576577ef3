//! Several processes on one database: migrations run one process at a time, so every process
//! comes up.

use std::{path::Path, process::Stdio, time::Duration};

use sea_orm::{ConnectOptions, ConnectionTrait, Database};
use tokio::io::AsyncWriteExt;

use crate::support::{Db, on_both_databases, process::ServerProcess};

on_both_databases!(
    simultaneous_migrations_all_succeed_on_a_fresh_database,
    create_user_while_serve_starts_on_a_fresh_database_succeeds,
);

/// Rounds of the start-up races: one round does not lose every time without the lock.
const ROUNDS: usize = 4;

/// A fresh database for one round: a new data directory (and so a new SQLite file); on
/// PostgreSQL the test's database emptied of every table.
async fn fresh(db: &Db) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("mf-race-")
        .tempdir()
        .expect("temp dir");
    if let Db::Postgres { url } = db {
        let mut options = ConnectOptions::new(url.clone());
        options.max_connections(1).sqlx_logging(false);
        let conn = Database::connect(options).await.expect("connect");
        conn.execute_unprepared("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
            .await
            .expect("an empty schema");
        let _ = conn.close().await;
    }
    dir
}

/// What a finished `mirrorforge …` process left behind.
struct Ran {
    success: bool,
    stderr: String,
}

/// Runs `mirrorforge ARGS` on `data_dir` and `db` with `stdin`, within 90 s.
async fn run(db: &Db, data_dir: &Path, args: &[&str], stdin: &str) -> Ran {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mirrorforge"))
        .args(args)
        .current_dir(data_dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", data_dir)
        .env("MIRRORFORGE_DATA_DIR", data_dir)
        .env("DATABASE_URL", db.database_url(data_dir))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).await.expect("stdin");
    drop(input);
    let out = tokio::time::timeout(Duration::from_secs(90), child.wait_with_output())
        .await
        .expect("the command finishes")
        .expect("output");
    Ran {
        success: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Four `mirrorforge migrate` at the same moment on one fresh database: all exit 0, and the
/// schema they leave works.
async fn simultaneous_migrations_all_succeed_on_a_fresh_database(db: Db) {
    for round in 0..ROUNDS {
        let dir = fresh(&db).await;
        let runs = (0..4).map(|_| run(&db, dir.path(), &["migrate"], ""));
        let ran = futures_util::future::join_all(runs).await;
        for (i, r) in ran.iter().enumerate() {
            assert!(
                r.success,
                "round {round}: migrate #{i} failed:\n{}",
                r.stderr
            );
        }
        let made = run(
            &db,
            dir.path(),
            &[
                "admin",
                "create-user",
                "--username",
                "alice",
                "--email",
                "alice@example.com",
                "--password-stdin",
            ],
            "race-password-Correct-1\n",
        )
        .await;
        assert!(made.success, "round {round}: {}", made.stderr);
    }
}

/// `admin create-user` typed while `serve` starts on a fresh database: both come up.
async fn create_user_while_serve_starts_on_a_fresh_database_succeeds(db: Db) {
    for round in 0..ROUNDS {
        let dir = fresh(&db).await;
        let url = db.database_url(dir.path());
        let (server, made) = tokio::join!(
            ServerProcess::start(dir.path(), &url, &[]),
            run(
                &db,
                dir.path(),
                &[
                    "admin",
                    "create-user",
                    "--username",
                    "alice",
                    "--email",
                    "alice@example.com",
                    "--password-stdin",
                ],
                "race-password-Correct-1\n",
            )
        );
        assert!(
            made.success,
            "round {round}: create-user failed:\n{}",
            made.stderr
        );
        // The server that started beside it knows the account.
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let me = http
            .get(server.url("/api/v1/user"))
            .basic_auth("alice", Some("race-password-Correct-1"))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(me.status().as_u16(), 200, "round {round}");
        let status = server.terminate().await;
        assert!(status.success(), "round {round}: {status}");
    }
}
