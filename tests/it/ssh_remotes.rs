//! SSH remotes against a real OpenSSH `sshd` on 127.0.0.1: pull, push and both over
//! `ssh://` with a port, with filters; the host key pinned on first use, a changed one refused
//! until forgotten; a key the remote does not know refused with the publickey sentence; the
//! address policy and option-like URLs refused; no byte of the private key anywhere.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser, free_port,
    git_backend::{HungRemote, refs_of},
    mirror::{
        call, files_under, key_body, local_server, make_ssh_key, patch, private_ssh_key,
        repo_with_ssh_key, runs, seed, settle, settle_process, start, sync_now,
    },
    on_both_databases,
    process::{ServerProcess, cli_user_with_token},
    sshd::Sshd,
};

on_both_databases!(
    a_pull_mirror_over_ssh_pins_the_host_key_and_follows_the_upstream,
    push_mirrors_over_ssh_carry_their_refs_and_both_directions_run_in_one_sync,
    a_changed_host_key_stops_the_sync_until_the_keys_are_forgotten,
    refused_keys_missing_repositories_and_dead_hosts_read_as_sentences,
    ssh_addresses_obey_the_address_policy_and_never_look_like_options,
    a_hung_ssh_host_times_out_and_a_cancel_ends_the_sync_at_once,
    the_server_process_logs_no_byte_of_the_private_key,
);

/// The mirror settings of `owner/repo`.
async fn settings(s: &TestServer, owner: &TestUser, repo: &str) -> Value {
    let got = call(
        s,
        "GET",
        &format!("/api/v1/repos/owner/{repo}/mirror"),
        owner,
        None,
    )
    .await;
    got.expect(200);
    got.json()
}

/// Runs a sync of `repo` now and waits for its end; the status.
async fn sync(s: &TestServer, owner: &TestUser, repo: &str) -> Value {
    sync_now(s, owner, repo).await.expect(202);
    settle(s, owner, repo).await
}

async fn a_pull_mirror_over_ssh_pins_the_host_key_and_follows_the_upstream(db: Db) {
    let (s, owner) = start(&db).await;
    let (_, sshd) = repo_with_ssh_key(&s, &owner, "m").await;
    let upstream = sshd.create("up").await;
    let git = Git::new();
    let work = seed(&git, upstream.to_str().unwrap()).await;
    assert_eq!(
        settings(&s, &owner, "m").await["ssh_host_keys"],
        json!([]),
        "no host key before the first connection"
    );

    patch(
        &s,
        &owner,
        "m",
        json!({"mirror_enabled": true, "mirror_direction": "upstream",
               "upstream_url": sshd.url("up")}),
    )
    .await
    .expect(200);
    let status = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(
        refs_of(&s.repo_dir("owner", "m")).await,
        refs_of(&upstream).await
    );

    // Trust on first use: the key sshd showed is pinned, with its type and fingerprint.
    let pinned = settings(&s, &owner, "m").await["ssh_host_keys"].clone();
    assert_eq!(
        pinned,
        json!([{
            "host": format!("[127.0.0.1]:{}", sshd.port()),
            "key_type": "ssh-ed25519",
            "fingerprint_sha256": sshd.fingerprint().await,
        }]),
    );

    // A new commit and a new branch upstream arrive with the next sync, over the same pin.
    git.commit_file(&work, "c.txt", b"three\n", "three").await;
    git.ok(&work, &["branch", "later"]).await;
    let up = upstream.to_str().unwrap();
    git.ok(&work, &["push", "-q", up, "main", "later"]).await;
    assert_eq!(sync(&s, &owner, "m").await["sync_status"], "success");
    assert_eq!(
        refs_of(&s.repo_dir("owner", "m")).await,
        refs_of(&upstream).await
    );

    // An upstream filter pulls (and prunes) only what it selects.
    patch(
        &s,
        &owner,
        "m",
        json!({"upstream_ref_filter": ["refs/heads/main"]}),
    )
    .await
    .expect(200);
    git.ok(&work, &["push", "-q", up, "--delete", "later"])
        .await;
    assert_eq!(sync(&s, &owner, "m").await["sync_status"], "success");
    let here = refs_of(&s.repo_dir("owner", "m")).await;
    assert!(
        here.contains("refs/heads/later"),
        "outside the filter: kept: {here}"
    );

    // A clone of the mirror has the upstream's files.
    let (cloned, dir) = git
        .clone(&s.git_url(None, "owner", "m"), "clone", &[])
        .await;
    assert!(cloned.status.success());
    assert_eq!(std::fs::read(dir.join("c.txt")).unwrap(), b"three\n");

    // No byte of the private key in a response, a run, or the data directory.
    let body = key_body(&private_ssh_key(&s, "m").await);
    s.forbid_in_answers(&body);
    let all_runs = runs(&s, &owner, "m").await;
    assert!(!all_runs.is_empty());
    assert_no_key_in_files(s.data_dir(), &body);
}

/// Fails when any file under `dir` holds a piece of `key_body`.
fn assert_no_key_in_files(dir: &std::path::Path, key_body: &str) {
    let needles: Vec<&[u8]> = key_body
        .as_bytes()
        .chunks(32)
        .filter(|c| c.len() == 32)
        .collect();
    for (path, bytes) in files_under(dir) {
        for needle in &needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == *needle),
                "{} holds part of the private key",
                path.display()
            );
        }
    }
}

async fn push_mirrors_over_ssh_carry_their_refs_and_both_directions_run_in_one_sync(db: Db) {
    let (s, owner) = start(&db).await;
    let (_, sshd) = repo_with_ssh_key(&s, &owner, "app").await;
    let all = sshd.create("all").await;
    let some = sshd.create("some").await;
    let git = Git::new();
    let app = s.git_url(Some(("owner", &owner.token)), "owner", "app");
    let work = seed(&git, &app).await;

    patch(
        &s,
        &owner,
        "app",
        json!({"mirror_enabled": true, "mirror_direction": "downstream",
               "downstream_url": sshd.url("all")}),
    )
    .await
    .expect(200);
    call(
        &s,
        "POST",
        "/api/v1/repos/owner/app/push_mirrors",
        &owner,
        Some(json!({"remote_url": sshd.url("some"),
                    "ref_filter": ["refs/heads/main"]})),
    )
    .await
    .expect(201);
    let status = sync(&s, &owner, "app").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    let here = refs_of(&s.repo_dir("owner", "app")).await;
    assert_eq!(refs_of(&all).await, here, "every ref pushed");
    let filtered = refs_of(&some).await;
    assert!(filtered.contains("refs/heads/main"), "{filtered}");
    assert!(
        !filtered.contains("refs/heads/feature") && !filtered.contains("refs/tags/v1"),
        "only what the filter selects: {filtered}"
    );

    // A new commit, a deleted branch: the next push mirrors both.
    git.commit_file(&work, "c.txt", b"three\n", "three").await;
    git.ok(&work, &["push", "-q", &app, "main", ":feature"])
        .await;
    assert_eq!(sync(&s, &owner, "app").await["sync_status"], "success");
    let here = refs_of(&s.repo_dir("owner", "app")).await;
    assert!(!here.contains("refs/heads/feature"));
    assert_eq!(refs_of(&all).await, here);

    // Both ways in one sync: pull from one SSH remote, push to the others.
    let source = sshd.create("source").await;
    let git2 = Git::new();
    seed(&git2, source.to_str().unwrap()).await;
    patch(
        &s,
        &owner,
        "app",
        json!({"mirror_direction": "both", "upstream_url": sshd.url("source")}),
    )
    .await
    .expect(200);
    let status = sync(&s, &owner, "app").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    let here = refs_of(&s.repo_dir("owner", "app")).await;
    assert_eq!(here, refs_of(&source).await, "pulled");
    assert_eq!(refs_of(&all).await, here, "and pushed on");
    // One host, one pin, however many remotes live there.
    let pinned = settings(&s, &owner, "app").await["ssh_host_keys"].clone();
    assert_eq!(pinned.as_array().map(Vec::len), Some(1), "{pinned}");
}

async fn a_changed_host_key_stops_the_sync_until_the_keys_are_forgotten(db: Db) {
    let (s, owner) = start(&db).await;
    let (_, mut sshd) = repo_with_ssh_key(&s, &owner, "m").await;
    let upstream = sshd.create("up").await;
    let git = Git::new();
    let work = seed(&git, upstream.to_str().unwrap()).await;
    patch(
        &s,
        &owner,
        "m",
        json!({"mirror_enabled": true, "mirror_direction": "upstream",
               "upstream_url": sshd.url("up")}),
    )
    .await
    .expect(200);
    assert_eq!(sync(&s, &owner, "m").await["sync_status"], "success");
    let first = sshd.fingerprint().await;

    // The host now shows another key: the sync stops before anything moves.
    sshd.replace_host_key().await;
    let second = sshd.fingerprint().await;
    assert_ne!(first, second);
    let before = refs_of(&s.repo_dir("owner", "m")).await;
    let signed_in = sshd.log().matches("Accepted publickey").count();
    git.commit_file(&work, "c.txt", b"three\n", "three").await;
    git.ok(&work, &["push", "-q", upstream.to_str().unwrap(), "main"])
        .await;
    let status = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(
        error.contains("the remote's SSH host key changed"),
        "{error}"
    );
    assert!(error.contains(&second), "the new key is named: {error}");
    assert_eq!(refs_of(&s.repo_dir("owner", "m")).await, before);
    assert_eq!(
        sshd.log().matches("Accepted publickey").count(),
        signed_in,
        "it did not even sign in: {}",
        sshd.log()
    );
    let pinned = settings(&s, &owner, "m").await["ssh_host_keys"].clone();
    assert_eq!(pinned[0]["fingerprint_sha256"], first, "the old pin stays");

    // Forgetting the pins trusts the next key seen.
    call(
        &s,
        "DELETE",
        "/api/v1/repos/owner/m/mirror/ssh_host_keys",
        &owner,
        None,
    )
    .await
    .expect(204);
    assert_eq!(settings(&s, &owner, "m").await["ssh_host_keys"], json!([]));
    let status = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(
        refs_of(&s.repo_dir("owner", "m")).await,
        refs_of(&upstream).await
    );
    let pinned = settings(&s, &owner, "m").await["ssh_host_keys"].clone();
    assert_eq!(pinned[0]["fingerprint_sha256"], second);
}

async fn refused_keys_missing_repositories_and_dead_hosts_read_as_sentences(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "m", false).await;
    // Another key in authorized_keys: ours is refused.
    let (_, stranger) = mirrorforge::mirror::ssh_key::generate("someone", "else").unwrap();
    let sshd = Sshd::start(&stranger).await;
    sshd.create("up").await;
    let set_upstream = |url: String| {
        let (s, owner) = (&s, &owner);
        async move {
            patch(
                s,
                owner,
                "m",
                json!({"mirror_enabled": true, "mirror_direction": "upstream",
                       "upstream_url": url}),
            )
            .await
            .expect(200);
        }
    };
    set_upstream(sshd.url("up")).await;

    // No key yet: the sync says how to make one.
    let status = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed");
    let error = status["sync_error"].as_str().unwrap();
    assert!(error.contains("has no SSH key"), "{error}");

    let public = make_ssh_key(&s, &owner, "m").await;
    let status = sync(&s, &owner, "m").await;
    let error = status["sync_error"].as_str().unwrap();
    assert!(error.contains("permission denied (publickey)"), "{error}");
    assert!(error.contains("deploy key"), "{error}");

    // Let in, but no such repository there.
    sshd.authorize(&public);
    set_upstream(sshd.url("missing")).await;
    let status = sync(&s, &owner, "m").await;
    let error = status["sync_error"].as_str().unwrap();
    assert!(error.contains("repository not found"), "{error}");

    // Nothing listens there.
    let dead = format!("ssh://git@127.0.0.1:{}/r.git", free_port());
    set_upstream(dead.clone()).await;
    let status = sync(&s, &owner, "m").await;
    let error = status["sync_error"].as_str().unwrap();
    assert!(error.contains("could not connect"), "{error}");
    assert!(error.contains(&dead), "{error}");
    s.forbid_in_answers(&key_body(&private_ssh_key(&s, "m").await));
    let _ = runs(&s, &owner, "m").await;
}

async fn ssh_addresses_obey_the_address_policy_and_never_look_like_options(db: Db) {
    // A server that keeps to public addresses.
    let mut s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "m", false).await;
    let refused = [
        ("ssh://git@127.0.0.1:2222/r.git", "not allowed"),
        ("git@127.0.0.1:r.git", "not allowed"),
        ("ssh://git@[::1]/r.git", "not allowed"),
        ("ssh://git@localhost:2222/r.git", "not allowed"),
        (
            "ssh://-oProxyCommand=touch%20/tmp/x@example.com/r.git",
            "option",
        ),
        ("ssh://git@-oProxyCommand=x/r.git", "option"),
        ("git@example.com:-r.git", "option"),
        ("ssh://git:pw@example.com/r.git", "password"),
        ("ext::sh -c touch /tmp/pwned", ""),
    ];
    for (url, expected) in refused {
        let answer = patch(
            &s,
            &owner,
            "m",
            json!({"mirror_enabled": true, "mirror_direction": "upstream", "upstream_url": url}),
        )
        .await;
        let error = answer.expect_error(422, "validation_failed");
        let message = error["fields"]["upstream_url"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{url}: {error}");
        let pushed = call(
            &s,
            "POST",
            "/api/v1/repos/owner/m/push_mirrors",
            &owner,
            Some(json!({"remote_url": url})),
        )
        .await;
        pushed.expect_error(422, "validation_failed");
    }
    let after = settings(&s, &owner, "m").await;
    assert_eq!(after["upstream_url"], "", "nothing saved: {after}");
    assert_eq!(after["mirror_enabled"], false, "nothing saved: {after}");

    // Saved while local networks were allowed, refused at the connection once they are not.
    let public = make_ssh_key(&s, &owner, "m").await;
    let sshd = Sshd::start(&public).await;
    sshd.create("up").await;
    s.config.allow_local_networks = true;
    s.restart().await;
    patch(
        &s,
        &owner,
        "m",
        json!({"mirror_enabled": true, "mirror_direction": "upstream",
               "upstream_url": sshd.url("up").replace("127.0.0.1", "localhost")}),
    )
    .await
    .expect(200);
    s.config.allow_local_networks = false;
    s.restart().await;
    let connections = sshd.log().matches("Connection from").count();
    let status = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(error.contains("not allowed"), "{error}");
    assert_eq!(
        sshd.log().matches("Connection from").count(),
        connections,
        "nothing reached sshd: {}",
        sshd.log()
    );
}

async fn a_hung_ssh_host_times_out_and_a_cancel_ends_the_sync_at_once(db: Db) {
    // A host that takes the connection and never sends its SSH banner.
    let hung = HungRemote::start().await;
    let url = format!("ssh://git@127.0.0.1:{}/r.git", hung.addr.port());
    let mut s = local_server(&db, |c| {
        c.min_sync_interval = 1;
        c.sync_timeout = 2;
    })
    .await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "h", false).await;
    make_ssh_key(&s, &owner, "h").await;
    patch(
        &s,
        &owner,
        "h",
        json!({"mirror_enabled": true, "mirror_direction": "upstream", "upstream_url": url}),
    )
    .await
    .expect(200);

    // Out of time: the deadline cuts the connection.
    let started = Instant::now();
    let status = sync(&s, &owner, "h").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    assert_eq!(
        status["sync_error"], "upstream: timed out after 2 s",
        "{status}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    // With time to spare, a cancel ends the sync at once.
    s.config.sync_timeout = 60;
    s.restart().await;
    sync_now(&s, &owner, "h").await.expect(202);
    let started = Instant::now();
    while runs(&s, &owner, "h")
        .await
        .first()
        .map(|r| r["status"].clone())
        != Some(json!("running"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no run started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let asked = Instant::now();
    call(&s, "DELETE", "/api/v1/repos/owner/h/sync", &owner, None)
        .await
        .expect(202);
    let status = settle(&s, &owner, "h").await;
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    // A cancel is no attempt: the pull's last attempt (the timeout) still rules the status.
    assert_eq!(status["sync_status"], "failed", "{status}");
    assert_eq!(status["upstream"]["consecutive_failures"], 1, "{status}");
    assert_eq!(runs(&s, &owner, "h").await[0]["status"], "cancelled");
}

/// The real binary, logging at debug level, through a whole SSH sync: its output holds no byte
/// of the repository's private key, and neither does the data directory.
async fn the_server_process_logs_no_byte_of_the_private_key(db: Db) {
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let url = db.database_url(dir.path());
    let token = cli_user_with_token(dir.path(), &url, "owner", "Ssh-Process-Pw-1").await;
    let server = ServerProcess::start(
        dir.path(),
        &url,
        &[
            ("MIRRORFORGE_ALLOW_LOCAL_NETWORKS", "true"),
            ("RUST_LOG", "debug"),
        ],
    )
    .await;
    let (status, _) = server
        .call(
            Method::POST,
            "/api/v1/repos",
            &token,
            Some(json!({"name": "m", "private": true})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, made) = server
        .call(
            Method::POST,
            "/api/v1/repos/owner/m/mirror/ssh_key",
            &token,
            None,
        )
        .await;
    assert_eq!(status, 201);
    let sshd = Sshd::start(made["public_key"].as_str().unwrap()).await;
    let upstream = sshd.create("up").await;
    let git = Git::new();
    seed(&git, upstream.to_str().unwrap()).await;
    let (status, _) = server
        .call(
            Method::PATCH,
            "/api/v1/repos/owner/m/mirror",
            &token,
            Some(
                json!({"mirror_enabled": true, "mirror_direction": "upstream",
                        "upstream_url": sshd.url("up")}),
            ),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .call(Method::POST, "/api/v1/repos/owner/m/sync", &token, None)
        .await;
    assert_eq!(status, 202);
    let settled = settle_process(&server, &token, "owner/m", Duration::from_secs(30)).await;
    assert_eq!(settled["sync_status"], "success", "{settled}");

    // The key as the server holds it, opened with the server's own secret key.
    let mut config = mirrorforge::config::Config::for_data_dir(dir.path().to_path_buf());
    config.database_url = url.clone();
    let conn = mirrorforge::db::connect(&config).await.unwrap();
    let stored = mirrorforge::repos::find(&conn, "owner", "m")
        .await
        .unwrap()
        .unwrap();
    let secrets = mirrorforge::mirror::secrets::SecretBox::load(&config).unwrap();
    let private = mirrorforge::mirror::ssh_key::private_key_of(&secrets, &stored.repo)
        .unwrap()
        .unwrap();
    let body: String = private
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let log = server.log();
    assert!(log.contains("Pinned the SSH host key"), "{log}");
    for chunk in body.as_bytes().chunks(24).filter(|c| c.len() == 24) {
        let chunk = std::str::from_utf8(chunk).unwrap();
        assert!(!log.contains(chunk), "part of the private key in the log");
    }
    assert!(!log.contains("PRIVATE KEY"));
    assert_no_key_in_files(dir.path(), &body);
    server.terminate().await;
}
