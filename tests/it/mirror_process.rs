//! Mirroring with the real binary as its own process, for what only a process shows: a hung
//! remote under process-wide git timeouts, kill -9 mid-sync, SIGTERM during a sync, two
//! processes on one database, and https remotes trusted through `SSL_CERT_FILE`.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{
    Db, Git,
    git_backend::{GitBackend, HungRemote, refs_of},
    mirror::{seed, settle_process},
    on_both_databases,
    process::{Home, ServerProcess},
    tls_front::TlsFront,
};

on_both_databases!(
    a_hung_remote_times_out,
    a_process_killed_mid_sync_is_recovered_on_the_next_start,
    a_webhook_queued_before_a_kill_still_runs_after_restart,
    sigterm_lets_a_running_sync_finish,
    sigterm_lets_a_running_scheduled_sync_finish,
);

/// Imports `body` as `owner` through a server process (201), then waits up to `wait` for the
/// import's sync to end; returns its status.
async fn import_and_settle(
    server: &ServerProcess,
    token: &str,
    body: Value,
    wait: Duration,
) -> Value {
    let repo = format!("owner/{}", body["name"].as_str().expect("a name"));
    let (status, _) = server
        .call(Method::POST, "/api/v1/repos/import", token, Some(body))
        .await;
    assert_eq!(status, 201);
    settle_process(server, token, &repo, wait).await
}

/// "Sync now" on `owner/NAME` through a server process (202), then waits up to 60 s for the
/// sync to end; returns its status.
async fn sync_and_settle(server: &ServerProcess, token: &str, name: &str) -> Value {
    let (accepted, _) = server
        .call(
            Method::POST,
            &format!("/api/v1/repos/owner/{name}/sync"),
            token,
            None,
        )
        .await;
    assert_eq!(accepted, 202);
    settle_process(
        server,
        token,
        &format!("owner/{name}"),
        Duration::from_secs(60),
    )
    .await
}

/// Process-wide libgit2 timeouts: this one runs the binary as its own process.
async fn a_hung_remote_times_out(db: Db) {
    let (home, token) = Home::with_owner(&db, "Hung-Test-Pw-1").await;
    let server = home.serve(&[("MIRRORFORGE_SYNC_TIMEOUT", "3")]).await;
    let hung = HungRemote::start().await;
    let body = json!({
        "name": "hung", "clone_url": hung.url(), "mirror": true,
        "auth_username": "bob", "auth_password": "Hung-Remote-Pw-9"
    });
    let status = import_and_settle(&server, &token, body, Duration::from_secs(30)).await;
    assert_eq!(status["sync_status"], "failed");
    let error = status["sync_error"].as_str().unwrap();
    assert!(error.contains("timed out after 3 s"), "{status}");
    let log = server.log();
    assert!(
        log.contains("Mirror sync failed") && log.contains("timed out"),
        "{log}"
    );
    assert!(
        log.contains("Performing mirror sync") && log.contains("direction=upstream"),
        "{log}"
    );
    assert!(
        !log.contains("Hung-Remote-Pw-9"),
        "the password reached the log: {log}"
    );
    // Every line the sync logs names the repository, not only its id.
    let sync_lines: Vec<&str> = log.lines().filter(|l| l.contains("repo_id=")).collect();
    assert!(sync_lines.len() >= 2, "{log}");
    for line in sync_lines {
        assert!(line.contains("repo=owner/hung"), "{line}");
    }
    server.terminate().await;
}

async fn a_process_killed_mid_sync_is_recovered_on_the_next_start(db: Db) {
    let (home, token) = Home::with_owner(&db, "Kill-Test-Pw-1").await;
    let slow = GitBackend::slow(Duration::from_millis(800)).await;
    let src = slow.create("src").await;
    let git = Git::new();
    seed(&git, src.to_str().unwrap()).await;

    let first = home.serve(&[]).await;
    let body = json!({ "name": "m", "clone_url": slow.url("src"), "mirror": true });
    let (status, _) = first
        .call(Method::POST, "/api/v1/repos/import", &token, Some(body))
        .await;
    assert_eq!(status, 201);
    // Kill it once the run is recorded and the transfer is under way (the remote is slow).
    let mut running = false;
    for _ in 0..500 {
        let runs = first
            .get_json("/api/v1/repos/owner/m/mirror/runs", &token)
            .await;
        if runs[0]["status"] == "running" {
            running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(running, "the import's run was not seen running within 10 s");
    tokio::time::sleep(Duration::from_millis(200)).await;
    first.kill_hard().await;

    let second = home.serve(&[]).await;
    let runs = second
        .get_json("/api/v1/repos/owner/m/mirror/runs", &token)
        .await;
    assert_eq!(runs[0]["status"], "interrupted", "{runs}");
    // The log says which repository was recovered (the reader of the log may lag a little).
    let named = |log: &str| {
        log.lines().any(|l| {
            l.contains("recovered an interrupted mirror sync") && l.contains("repo=owner/m")
        })
    };
    for _ in 0..50 {
        if named(&second.log()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(named(&second.log()), "{}", second.log());
    assert!(runs[0]["finished_at"].is_string());
    let status = second
        .get_json("/api/v1/repos/owner/m/mirror/status", &token)
        .await;
    assert_ne!(status["sync_status"], "syncing", "{status}");

    let status = sync_and_settle(&second, &token, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    let mirror = home.path().join("repos/owner/m.git");
    assert_eq!(refs_of(&mirror).await, refs_of(&src).await);
    git.ok(&mirror, &["fsck", "--full", "--strict"]).await;
    second.terminate().await;
}

/// A webhook that came while a sync ran is kept in the database: after kill -9 and a new start,
/// its sync runs.
async fn a_webhook_queued_before_a_kill_still_runs_after_restart(db: Db) {
    let (home, token) = Home::with_owner(&db, "Queue-Kill-Pw-1").await;
    let slow = GitBackend::slow(Duration::from_millis(800)).await;
    let src = slow.create("src").await;
    let git = Git::new();
    seed(&git, src.to_str().unwrap()).await;
    let first = home.serve(&[]).await;
    let body =
        json!({ "name": "m", "clone_url": slow.url("src"), "mirror": true, "sync_interval": 3600 });
    let imported = import_and_settle(&first, &token, body, Duration::from_secs(60)).await;
    assert_eq!(imported["sync_status"], "success", "{imported}");
    let (made, secret) = first
        .call(
            Method::POST,
            "/api/v1/repos/owner/m/mirror/webhook_secret",
            &token,
            None,
        )
        .await;
    assert_eq!(made, 201);
    let secret = secret["secret"].as_str().unwrap().to_owned();
    // Something to fetch, so the webhook's sync (three slow requests) still runs at the kill.
    let (_, work) = git.clone(src.to_str().unwrap(), "more", &[]).await;
    git.commit_file(&work, "more.txt", b"more\n", "more").await;
    git.ok(&work, &["push", "-q", "origin", "main"]).await;
    let client = reqwest::Client::new();
    let webhook = |server: &ServerProcess| {
        client
            .post(server.url("/api/v1/repos/owner/m/mirror/webhook"))
            .header("x-gitlab-token", &secret)
            .body("{}")
            .send()
    };
    let started: Value = webhook(&first).await.unwrap().json().await.unwrap();
    assert_eq!(started["status"], "syncing", "{started}");
    // Killed only once its run is recorded: a claim killed before that leaves no run to mark
    // interrupted (the queued webhook still runs, but this test checks both).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let runs = first
            .get_json("/api/v1/repos/owner/m/mirror/runs", &token)
            .await;
        if runs[0]["status"] == "running" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no running run: {runs}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let queued: Value = webhook(&first).await.unwrap().json().await.unwrap();
    assert_eq!(queued["status"], "queued", "{queued}");
    first.kill_hard().await;

    let second = home.serve(&[]).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let runs = second
            .get_json("/api/v1/repos/owner/m/mirror/runs", &token)
            .await;
        let runs = runs.as_array().unwrap();
        let after_restart = runs
            .iter()
            .take_while(|r| r["status"] != "interrupted")
            .any(|r| r["trigger"] == "webhook" && r["status"] != "running");
        if after_restart {
            assert!(
                runs.iter().any(|r| r["status"] == "interrupted"),
                "{runs:?}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the queued webhook did not run after the restart: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mirror = home.path().join("repos/owner/m.git");
    assert_eq!(refs_of(&mirror).await, refs_of(&src).await);
    second.terminate().await;
}

/// Two processes on one PostgreSQL: twenty "Sync now" spread over both start exactly one sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_never_sync_one_repository_at_once() {
    crate::support::db::with_postgres(|db| async move {
        let (home, token) = Home::with_owner(&db, "Two-Procs-Pw-1").await;
        let slow = GitBackend::slow(Duration::from_millis(1000)).await;
        let src = slow.create("src").await;
        let git = Git::new();
        seed(&git, src.to_str().unwrap()).await;
        let a = home.serve(&[]).await;
        let b = home.serve(&[]).await;
        let (created, _) = a
            .call(
                Method::POST,
                "/api/v1/repos",
                &token,
                Some(json!({"name": "m"})),
            )
            .await;
        assert_eq!(created, 201);
        let settings = json!({ "mirror_enabled": true, "upstream_url": slow.url("src") });
        let (patched, _) = a
            .call(
                Method::PATCH,
                "/api/v1/repos/owner/m/mirror",
                &token,
                Some(settings),
            )
            .await;
        assert_eq!(patched, 200);
        for round in 0..3 {
            let requests = (0..20).map(|i| {
                let target = if i % 2 == 0 { &a } else { &b };
                target.call(Method::POST, "/api/v1/repos/owner/m/sync", &token, None)
            });
            let statuses: Vec<u16> = futures_util::future::join_all(requests)
                .await
                .into_iter()
                .map(|(status, _)| status)
                .collect();
            assert_eq!(
                statuses.iter().filter(|s| **s == 202).count(),
                1,
                "round {round}: {statuses:?}"
            );
            settle_process(&b, &token, "owner/m", Duration::from_secs(60)).await;
        }
        let runs = a
            .get_json("/api/v1/repos/owner/m/mirror/runs", &token)
            .await;
        let runs = runs.as_array().unwrap();
        assert_eq!(runs.len(), 3);
        // No two runs overlap in time.
        let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        let mut spans: Vec<_> = runs
            .iter()
            .map(|r| (time(&r["started_at"]), time(&r["finished_at"])))
            .collect();
        spans.sort();
        for pair in spans.windows(2) {
            assert!(pair[0].1 <= pair[1].0, "overlapping runs: {pair:?}");
        }
        a.terminate().await;
        b.terminate().await;
    })
    .await;
}

async fn sigterm_lets_a_running_sync_finish(db: Db) {
    let (home, token) = Home::with_owner(&db, "Term-Test-Pw-1").await;
    let slow = GitBackend::slow(Duration::from_millis(700)).await;
    let src = slow.create("src").await;
    let git = Git::new();
    seed(&git, src.to_str().unwrap()).await;
    let server = home.serve(&[]).await;
    let body = json!({ "name": "m", "clone_url": slow.url("src"), "mirror": true });
    let (status, _) = server
        .call(Method::POST, "/api/v1/repos/import", &token, Some(body))
        .await;
    assert_eq!(status, 201);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let exit = server.terminate().await;
    assert!(exit.success(), "{exit:?}");
    // The sync was allowed to finish before the process ended.
    assert_eq!(
        refs_of(&home.path().join("repos/owner/m.git")).await,
        refs_of(&src).await
    );
    let again = home.serve(&[]).await;
    let runs = again
        .get_json("/api/v1/repos/owner/m/mirror/runs", &token)
        .await;
    assert_eq!(runs[0]["status"], "success", "{runs}");
    again.terminate().await;
}

/// A sync the scheduler started is waited for on SIGTERM too, like an import: its refs arrive
/// and its run is recorded as a success, not interrupted.
async fn sigterm_lets_a_running_scheduled_sync_finish(db: Db) {
    let (home, token) = Home::with_owner(&db, "Term-Test-Pw-2").await;
    let slow = GitBackend::slow(Duration::from_millis(700)).await;
    let src = slow.create("src").await;
    let git = Git::new();
    seed(&git, src.to_str().unwrap()).await;
    let server = home
        .serve(&[
            ("MIRRORFORGE_SCHEDULER_CRON", "* * * * * *"),
            ("MIRRORFORGE_MIN_SYNC_INTERVAL", "1"),
        ])
        .await;
    let (created, _) = server
        .call(
            Method::POST,
            "/api/v1/repos",
            &token,
            Some(json!({ "name": "m" })),
        )
        .await;
    assert_eq!(created, 201);
    let (patched, _) = server
        .call(
            Method::PATCH,
            "/api/v1/repos/owner/m/mirror",
            &token,
            Some(json!({
                "mirror_enabled": true, "upstream_url": slow.url("src"), "sync_interval": 3600
            })),
        )
        .await;
    assert_eq!(patched, 200);
    // Wait for the scheduler's run to start.
    let mut started = false;
    for _ in 0..100 {
        let runs = server
            .get_json("/api/v1/repos/owner/m/mirror/runs", &token)
            .await;
        if runs[0]["trigger"] == "scheduled" && runs[0]["status"] == "running" {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(started, "the scheduler did not start a sync within 10 s");
    let exit = server.terminate().await;
    assert!(exit.success(), "{exit:?}");
    assert_eq!(
        refs_of(&home.path().join("repos/owner/m.git")).await,
        refs_of(&src).await,
        "the scheduled sync was not allowed to finish"
    );
    let again = home.serve(&[]).await;
    let runs = again
        .get_json("/api/v1/repos/owner/m/mirror/runs", &token)
        .await;
    assert_eq!(runs[0]["trigger"], "scheduled", "{runs}");
    assert_eq!(runs[0]["status"], "success", "{runs}");
    again.terminate().await;
}

/// An https remote, as GitHub is: the transfer speaks TLS to it and checks the certificate
/// (trusted here through `SSL_CERT_FILE`, so the server runs as its own process); pulled,
/// then pushed on to a second https remote. A certificate nobody trusts fails the sync.
/// SQLite only: this is about the transport.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_remotes_are_pulled_and_pushed_with_the_certificate_checked() {
    crate::support::db::with_sqlite(|db| async move {
        let (home, token) = Home::with_owner(&db, "Tls-Test-Pw-1").await;
        let backend = GitBackend::with_auth("bob", "Tls-Remote-Pw-2").await;
        let src = backend.create("src").await;
        backend.create("backup").await;
        let git = Git::new();
        seed(&git, src.to_str().unwrap()).await;
        let front = TlsFront::start(home.path(), backend.addr).await;
        let cert = front.cert.to_string_lossy().into_owned();
        let server = home.serve(&[("SSL_CERT_FILE", &cert)]).await;

        let body = json!({
            "name": "m", "clone_url": front.url("src"), "mirror": true,
            "auth_username": "bob", "auth_password": "Tls-Remote-Pw-2"
        });
        let status = import_and_settle(&server, &token, body, Duration::from_secs(60)).await;
        assert_eq!(status["sync_status"], "success", "{status}");
        let mirror = home.path().join("repos/owner/m.git");
        assert_eq!(refs_of(&mirror).await, refs_of(&src).await);

        let both = json!({
            "mirror_direction": "both", "downstream_url": front.url("backup"),
            "downstream_username": "bob", "downstream_password": "Tls-Remote-Pw-2"
        });
        let (patched, _) = server
            .call(
                Method::PATCH,
                "/api/v1/repos/owner/m/mirror",
                &token,
                Some(both),
            )
            .await;
        assert_eq!(patched, 200);
        let status = sync_and_settle(&server, &token, "m").await;
        assert_eq!(status["sync_status"], "success", "{status}");
        assert_eq!(refs_of(&backend.path("backup")).await, refs_of(&src).await);

        // Another certificate, trusted by nobody: the sync fails and says why.
        let other_dir = tempfile::tempdir().unwrap();
        let untrusted = TlsFront::start(other_dir.path(), backend.addr).await;
        let body = json!({ "name": "u", "clone_url": untrusted.url("src"), "mirror": true });
        let status = import_and_settle(&server, &token, body, Duration::from_secs(60)).await;
        assert_eq!(status["sync_status"], "failed", "{status}");
        let error = status["sync_error"].as_str().unwrap();
        assert!(
            error.contains("TLS certificate is not trusted here (self-signed certificate)"),
            "{error}"
        );
        assert!(!server.log().contains("Tls-Remote-Pw-2"));
        server.terminate().await;
    })
    .await;
}
