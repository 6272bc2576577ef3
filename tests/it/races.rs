//! Several processes and parallel requests on one database: migrations run one process at a
//! time (every process comes up), the push-mirror limit holds under parallel adds, and parallel
//! writes on SQLite wait for each other instead of failing with `database is locked`.

use std::{path::Path, process::Stdio, time::Duration};

use sea_orm::{ConnectOptions, ConnectionTrait, Database};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use reqwest::Method;

use crate::support::{
    Db,
    mirror::{call, start},
    on_both_databases,
    process::{ServerProcess, cli_user_with_token},
};

on_both_databases!(
    simultaneous_migrations_all_succeed_on_a_fresh_database,
    create_user_while_serve_starts_on_a_fresh_database_succeeds,
    parallel_push_mirror_adds_stop_at_ten,
    parallel_adds_to_different_repositories_all_succeed,
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

/// 40 parallel adds to one repository of a server process, three times over: exactly 10 are
/// made each time, the other 30 are refused with the limit named.
async fn parallel_push_mirror_adds_stop_at_ten(db: Db) {
    let dir = fresh(&db).await;
    let url = db.database_url(dir.path());
    let server = ServerProcess::start(
        dir.path(),
        &url,
        &[("MIRRORFORGE_ALLOW_LOCAL_NETWORKS", "true")],
    )
    .await;
    let token = cli_user_with_token(dir.path(), &url, "owner", "race-password-Correct-1").await;
    for round in 0..3 {
        let name = format!("app-{round}");
        let (status, body) = server
            .call(
                Method::POST,
                "/api/v1/repos",
                &token,
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let path = format!("/api/v1/repos/owner/{name}/push_mirrors");
        let adds = (0..40).map(|i| {
            let body = json!({ "remote_url": format!("http://127.0.0.1:9/target-{i}.git") });
            server.call(Method::POST, &path, &token, Some(body))
        });
        let answers = futures_util::future::join_all(adds).await;
        let made = answers.iter().filter(|(status, _)| *status == 201).count();
        for (status, body) in answers.iter().filter(|(status, _)| *status != 201) {
            assert_eq!(*status, 422, "round {round}: {body}");
            assert_eq!(
                body["fields"]["remote_url"], "at most 10 push mirrors",
                "round {round}: {body}"
            );
        }
        assert_eq!(made, 10, "round {round}: adds that succeeded");
        let listed = server.get_json(&path, &token).await;
        assert_eq!(
            listed.as_array().expect("a list").len(),
            10,
            "round {round}"
        );
    }
}

/// Parallel adds to 20 repositories (two each): every one is made; on SQLite none answers 500
/// `database is locked`.
async fn parallel_adds_to_different_repositories_all_succeed(db: Db) {
    let (s, owner) = start(&db).await;
    for r in 0..20 {
        s.create_repo(&owner, &format!("repo-{r}"), false).await;
    }
    let adds = (0..40).map(|i| {
        let path = format!("/api/v1/repos/owner/repo-{}/push_mirrors", i % 20);
        let body = json!({ "remote_url": format!("http://127.0.0.1:9/target-{i}.git") });
        let s = &s;
        let owner = &owner;
        async move { call(s, "POST", &path, owner, Some(body)).await }
    });
    let answers = futures_util::future::join_all(adds).await;
    for answer in &answers {
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    for r in 0..20 {
        let listed = call(
            &s,
            "GET",
            &format!("/api/v1/repos/owner/repo-{r}/push_mirrors"),
            &owner,
            None,
        )
        .await;
        assert_eq!(
            listed.json().as_array().expect("a list").len(),
            2,
            "repo-{r}"
        );
    }
}
