//! Events and control: the signed webhook (each forge's signature, each tampering refused),
//! coalesced triggers, cancel, preview and schedules, through the API against `git
//! http-backend` remotes.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser,
    git_backend::{GitBackend, HungRemote, refs_of},
    hmac_sha256_hex,
    mirror::{call, import_body, patch, runs, seed, settle, start, sync_now},
    on_both_databases,
    stall::StallingProxy,
};

on_both_databases!(
    the_webhook_verifies_each_forge_and_refuses_every_tampering,
    six_webhooks_during_a_slow_sync_give_exactly_two_runs,
    a_cancelled_sync_stops_within_5_s_and_leaves_the_repository_consistent,
    the_preview_lists_exactly_what_a_sync_would_change_and_changes_nothing,
    schedules_round_trip_and_manual_syncs_only_when_asked,
    a_post_receive_hook_signing_a_webhook_makes_the_mirror_catch_up,
);

/// A call that must be refused: what was done to it, its headers, its body.
type Tampered = (&'static str, Vec<(&'static str, String)>, Vec<u8>);

/// POSTs `body` to the webhook of `owner/repo` with `headers` and no credentials.
async fn hook(s: &TestServer, repo: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, Value) {
    let mut request = s
        .http
        .post(s.url(&format!("/api/v1/repos/owner/{repo}/mirror/webhook")))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let resp = s.send(request).await;
    let json = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
    (resp.status.as_u16(), json)
}

/// POSTs only the headers of a webhook call declaring a body of 1 MiB + 1 byte to
/// `owner/repo`, on a connection of its own; the status and JSON answer.
async fn declared_too_large(s: &TestServer, repo: &str, secret: &str) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = reqwest::Url::parse(&s.url("/")).unwrap();
    let address = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/repos/owner/{repo}/mirror/webhook HTTP/1.1\r\nHost: {address}\r\n\
         X-Gitlab-Token: {secret}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        1024 * 1024 + 1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answered without the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let json = answer
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

/// Makes (or rotates) the secret of `owner/repo`: the secret and the webhook URL.
async fn make_secret(s: &TestServer, owner: &TestUser, repo: &str) -> (String, String) {
    let request = s
        .http
        .post(s.url(&format!("/api/v1/repos/owner/{repo}/mirror/webhook_secret")))
        .bearer_auth(&owner.token);
    let resp = s.send_allowing_secrets(request).await;
    resp.expect(201);
    let body = resp.json();
    (
        body["secret"].as_str().unwrap().to_owned(),
        body["webhook_url"].as_str().unwrap().to_owned(),
    )
}

/// A pull mirror `m` of a seeded repository on `remotes`, synced once.
async fn pull_mirror(s: &TestServer, owner: &TestUser, remotes: &GitBackend) -> std::path::PathBuf {
    let src = remotes.create("src").await;
    seed(&Git::new(), src.to_str().unwrap()).await;
    import_body(
        s,
        owner,
        json!({ "name": "m", "clone_url": remotes.url("src"), "mirror": true, "sync_interval": 3600 }),
    )
    .await
    .expect(201);
    assert_eq!(settle(s, owner, "m").await["sync_status"], "success");
    src
}

async fn the_webhook_verifies_each_forge_and_refuses_every_tampering(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    pull_mirror(&s, &owner, &remotes).await;
    let body = br#"{"ref":"refs/heads/main","after":"0123"}"#;

    // No secret yet: the webhook is off (404), whatever is sent.
    let (status, _) = hook(&s, "m", &[("x-gitlab-token", "guess".into())], body).await;
    assert_eq!(status, 404);

    let (secret, url) = make_secret(&s, &owner, "m").await;
    assert!(secret.len() >= 43, "{secret}");
    assert!(
        url.ends_with("/api/v1/repos/owner/m/mirror/webhook"),
        "{url}"
    );
    s.forbid_in_answers(&secret);
    let settings = call(&s, "GET", "/api/v1/repos/owner/m/mirror", &owner, None).await;
    let settings = settings.expect(200).json();
    assert_eq!(settings["webhook_secret_set"], true);
    assert_eq!(settings["webhook_url"], url);
    // Stored sealed, not as itself.
    let stored = mirrorforge::repos::find(&s.conn, "owner", "m")
        .await
        .unwrap()
        .unwrap();
    let sealed = stored.repo.webhook_secret.unwrap();
    assert!(!sealed.contains(&secret) && sealed.starts_with("v1:"));

    let signature = hmac_sha256_hex(&secret, body);
    let refused: Vec<Tampered> = vec![
        ("no header", vec![], body.to_vec()),
        (
            "another secret",
            vec![(
                "x-hub-signature-256",
                format!("sha256={}", hmac_sha256_hex("wrong", body)),
            )],
            body.to_vec(),
        ),
        (
            "one byte changed",
            vec![("x-hub-signature-256", format!("sha256={signature}"))],
            {
                let mut b = body.to_vec();
                b[5] ^= 0x20;
                b
            },
        ),
        (
            "no sha256= prefix",
            vec![("x-hub-signature-256", signature.clone())],
            body.to_vec(),
        ),
        (
            "wrong GitLab token",
            vec![("x-gitlab-token", format!("{secret}x"))],
            body.to_vec(),
        ),
        (
            "Gitea header, wrong body",
            vec![("x-gitea-signature", signature.clone())],
            b"{}".to_vec(),
        ),
        (
            "the owner's bearer token",
            vec![("authorization", format!("Bearer {}", owner.token))],
            body.to_vec(),
        ),
    ];
    for (what, headers, sent) in refused {
        let (status, answer) = hook(&s, "m", &headers, &sent).await;
        assert_eq!(status, 401, "{what}: {answer}");
        assert_eq!(answer["code"], "bad_signature", "{what}");
    }
    assert_eq!(
        runs(&s, &owner, "m").await.len(),
        1,
        "no refused call started a sync"
    );

    // GitHub's ping answers and starts nothing.
    let ping = [
        ("x-github-event", "ping".to_owned()),
        ("x-hub-signature-256", format!("sha256={signature}")),
    ];
    let (status, answer) = hook(&s, "m", &ping, body).await;
    assert_eq!((status, answer), (200, json!({"status": "pong"})));
    assert_eq!(runs(&s, &owner, "m").await.len(), 1);

    // Each forge's way is accepted and starts a sync (trigger webhook).
    let accepted = [
        ("x-hub-signature-256", format!("sha256={signature}")),
        ("x-gitea-signature", signature.clone()),
        ("x-forgejo-signature", signature.clone()),
        ("x-gitlab-token", secret.clone()),
    ];
    for (n, header) in accepted.into_iter().enumerate() {
        let (status, answer) = hook(&s, "m", std::slice::from_ref(&header), body).await;
        assert_eq!(status, 202, "{header:?}: {answer}");
        assert!(
            answer["status"] == "syncing" || answer["status"] == "queued",
            "{answer}"
        );
        settle(&s, &owner, "m").await;
        let all = runs(&s, &owner, "m").await;
        assert_eq!(all.len(), n + 2, "{header:?}");
        assert_eq!(all[0]["trigger"], "webhook");
    }

    // Over 1 MiB: 413, before anything else.
    // Only the headers are sent: the answer must come without the body (sending it whole would
    // race the server's close against the client's write).
    let (status, answer) = declared_too_large(&s, "m", &secret).await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["code"], "payload_too_large");
    // An unknown repository: 404.
    let (status, _) = hook(&s, "nope", &[("x-gitlab-token", secret.clone())], body).await;
    assert_eq!(status, 404);

    // Rotating: the old secret stops working, the new one works.
    let (rotated, _) = make_secret(&s, &owner, "m").await;
    s.forbid_in_answers(&rotated);
    assert_ne!(rotated, secret);
    let (status, _) = hook(&s, "m", &[("x-gitlab-token", secret.clone())], body).await;
    assert_eq!(status, 401);
    let (status, _) = hook(&s, "m", &[("x-gitlab-token", rotated.clone())], body).await;
    assert_eq!(status, 202);
    settle(&s, &owner, "m").await;

    // Mirroring off: 422. Removed: 404.
    patch(&s, &owner, "m", json!({"mirror_enabled": false}))
        .await
        .expect(200);
    let (status, answer) = hook(&s, "m", &[("x-gitlab-token", rotated.clone())], body).await;
    assert_eq!(status, 422, "{answer}");
    let removed = call(
        &s,
        "DELETE",
        "/api/v1/repos/owner/m/mirror/webhook_secret",
        &owner,
        None,
    )
    .await;
    removed.expect(204);
    let (status, _) = hook(&s, "m", &[("x-gitlab-token", rotated)], body).await;
    assert_eq!(status, 404);
    let settings = call(&s, "GET", "/api/v1/repos/owner/m/mirror", &owner, None).await;
    assert_eq!(settings.expect(200).json()["webhook_secret_set"], false);

    // Only the owner (or an admin) makes secrets.
    let other = s.create_user("mallory").await;
    let request = s
        .http
        .post(s.url("/api/v1/repos/owner/m/mirror/webhook_secret"))
        .bearer_auth(&other.token);
    s.send(request).await.expect(403);
}

async fn six_webhooks_during_a_slow_sync_give_exactly_two_runs(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::slow(Duration::from_millis(400)).await;
    pull_mirror(&s, &owner, &remotes).await;
    let (secret, _) = make_secret(&s, &owner, "m").await;
    let body = b"{}";
    let header = [(
        "x-hub-signature-256",
        format!("sha256={}", hmac_sha256_hex(&secret, body)),
    )];
    let mut answers = Vec::new();
    for _ in 0..6 {
        let (status, answer) = hook(&s, "m", &header, body).await;
        assert_eq!(status, 202, "{answer}");
        answers.push(answer["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(answers[0], "syncing", "{answers:?}");
    assert!(answers[1..].iter().all(|a| a == "queued"), "{answers:?}");
    // "Sync now" keeps its 409 while one runs.
    sync_now(&s, &owner, "m").await.expect(409);

    // The first ends, exactly one more runs right after it, then nothing.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = runs(&s, &owner, "m").await;
        let webhook_runs = all.iter().filter(|r| r["trigger"] == "webhook").count();
        if webhook_runs == 2 && all.iter().all(|r| r["status"] != "running") {
            break;
        }
        assert!(Instant::now() < deadline, "{all:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = runs(&s, &owner, "m").await;
    assert_eq!(
        all.iter().filter(|r| r["trigger"] == "webhook").count(),
        2,
        "{all:?}"
    );
    let status = settle(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
}

/// Waits until `owner/repo`'s sync runs and has started its transfer.
async fn until_running(s: &TestServer, owner: &TestUser, repo: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let all = runs(s, owner, repo).await;
        if all.first().is_some_and(|r| r["status"] == "running") {
            return;
        }
        assert!(Instant::now() < deadline, "no run started: {all:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Cancels `owner/repo`'s sync and waits for it to end; how long that took.
async fn cancel_and_wait(s: &TestServer, owner: &TestUser, repo: &str) -> Duration {
    let asked = Instant::now();
    let resp = call(
        s,
        "DELETE",
        &format!("/api/v1/repos/owner/{repo}/sync"),
        owner,
        None,
    )
    .await;
    resp.expect(202);
    assert_eq!(resp.json(), json!({"status": "cancelling"}));
    loop {
        let status = call(
            s,
            "GET",
            &format!("/api/v1/repos/owner/{repo}/mirror/status"),
            owner,
            None,
        )
        .await;
        if status.expect(200).json()["sync_status"] != "syncing" {
            return asked.elapsed();
        }
        assert!(
            asked.elapsed() < Duration::from_secs(20),
            "the cancel did not take"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_cancelled_sync_stops_within_5_s_and_leaves_the_repository_consistent(db: Db) {
    let (s, owner) = local_with_long_timeout(&db).await;
    // No sync runs: 409.
    s.create_repo(&owner, "idle", false).await;
    call(&s, "DELETE", "/api/v1/repos/owner/idle/sync", &owner, None)
        .await
        .expect_error(409, "conflict");

    // A remote that accepts the connection and never answers.
    let hung = HungRemote::start().await;
    import_body(
        &s,
        &owner,
        json!({ "name": "h", "clone_url": hung.url(), "mirror": true }),
    )
    .await
    .expect(201);
    until_running(&s, &owner, "h").await;
    let took = cancel_and_wait(&s, &owner, "h").await;
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let status = call(
        &s,
        "GET",
        "/api/v1/repos/owner/h/mirror/status",
        &owner,
        None,
    )
    .await;
    let status = status.expect(200).json();
    assert_eq!(status["sync_status"], "idle", "{status}");
    assert!(
        status["next_sync_at"].is_string(),
        "scheduled as usual: {status}"
    );
    assert_eq!(runs(&s, &owner, "h").await[0]["status"], "cancelled");

    // A large fetch that stalls half-way: the remote sent part of the pack and went quiet.
    let remotes = GitBackend::start().await;
    let src = remotes.create("big").await;
    let git = Git::new();
    let work = git
        .seed(
            src.to_str().unwrap(),
            &crate::support::git::Seed::ONE_COMMIT,
        )
        .await;
    let proxy = StallingProxy::start(remotes.addr).await;
    import_body(
        &s,
        &owner,
        json!({ "name": "big", "clone_url": proxy.url("/big.git"), "mirror": true, "sync_interval": 3600 }),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "big").await["sync_status"], "success");
    let mirror = s.repo_dir("owner", "big");
    let old_refs = refs_of(&mirror).await;
    for i in 0..4 {
        let name = format!("blob{i}.bin");
        git.commit_file(
            &work,
            &name,
            &crate::support::git::random_bytes(2 << 20),
            &name,
        )
        .await;
    }
    git.ok(&work, &["push", "-q", src.to_str().unwrap(), "main"])
        .await;
    let new_refs = refs_of(&src).await;
    proxy.stall_after(64 * 1024);
    sync_now(&s, &owner, "big").await.expect(202);
    until_running(&s, &owner, "big").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let took = cancel_and_wait(&s, &owner, "big").await;
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let now_refs = refs_of(&mirror).await;
    assert!(now_refs == old_refs || now_refs == new_refs, "{now_refs}");
    git.ok(&mirror, &["fsck", "--full", "--strict"]).await;
    let run = &runs(&s, &owner, "big").await[0];
    assert_eq!(run["status"], "cancelled", "{run}");
    // The claim is free again: the next sync runs and completes.
    proxy.stall_after(usize::MAX);
    sync_now(&s, &owner, "big").await.expect(202);
    assert_eq!(settle(&s, &owner, "big").await["sync_status"], "success");
    assert_eq!(refs_of(&mirror).await, new_refs);
}

/// A local server whose syncs may take a minute (a cancel must not wait for the timeout).
async fn local_with_long_timeout(db: &Db) -> (TestServer, TestUser) {
    let s = crate::support::mirror::local_server(db, |c| {
        c.min_sync_interval = 1;
        c.sync_timeout = 60;
    })
    .await;
    let owner = s.create_admin("owner").await;
    (s, owner)
}

async fn the_preview_lists_exactly_what_a_sync_would_change_and_changes_nothing(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    let src = pull_mirror(&s, &owner, &remotes).await;
    let backup = remotes.create("backup").await;
    patch(
        &s,
        &owner,
        "m",
        json!({"mirror_direction": "both", "downstream_url": remotes.url("backup")}),
    )
    .await
    .expect(200);
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");

    // Upstream: a new commit on main, feature deleted, a new tag.
    let git = Git::new();
    let (_, work) = git.clone(&remotes.url("src"), "work", &[]).await;
    git.commit_file(&work, "c.txt", b"three\n", "three").await;
    git.ok(&work, &["tag", "v2"]).await;
    git.ok(&work, &["push", "-q", "origin", "main", "v2", ":feature"])
        .await;
    let here = s.repo_dir("owner", "m");
    let (before_here, before_backup) = (refs_of(&here).await, refs_of(&backup).await);
    let runs_before = runs(&s, &owner, "m").await.len();

    let resp = call(
        &s,
        "GET",
        "/api/v1/repos/owner/m/mirror/preview",
        &owner,
        None,
    )
    .await;
    let preview = resp.expect(200).json();
    let actions = |updates: &Value| -> Vec<(String, String)> {
        let mut list: Vec<(String, String)> = updates
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["ref"].as_str().unwrap().to_owned(),
                    u["action"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        list.sort();
        list
    };
    let expected = vec![
        ("refs/heads/feature".to_owned(), "delete".to_owned()),
        ("refs/heads/main".to_owned(), "update".to_owned()),
        ("refs/tags/v2".to_owned(), "create".to_owned()),
    ];
    assert_eq!(preview["upstream"]["url"], remotes.url("src"));
    assert_eq!(
        actions(&preview["upstream"]["updates"]),
        expected,
        "{preview}"
    );
    let main = preview["upstream"]["updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["ref"] == "refs/heads/main")
        .unwrap()
        .clone();
    let upstream_main = git.ok(&src, &["rev-parse", "refs/heads/main"]).await;
    assert_eq!(main["new"], upstream_main.trim());
    // The push mirror would get the same, after the pull.
    let targets = preview["push_mirrors"].as_array().unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0]["url"], remotes.url("backup"));
    assert_eq!(actions(&targets[0]["updates"]), expected, "{preview}");

    // Nothing moved anywhere, no run was recorded.
    assert_eq!(refs_of(&here).await, before_here);
    assert_eq!(refs_of(&backup).await, before_backup);
    assert_eq!(runs(&s, &owner, "m").await.len(), runs_before);

    // A remote that cannot be read: 502 remote_error. Mirroring off: 422.
    patch(
        &s,
        &owner,
        "m",
        json!({"upstream_url": "http://127.0.0.1:9/gone.git"}),
    )
    .await
    .expect(200);
    let resp = call(
        &s,
        "GET",
        "/api/v1/repos/owner/m/mirror/preview",
        &owner,
        None,
    )
    .await;
    let error = resp.expect_error(502, "remote_error");
    assert!(
        error["error"].as_str().unwrap().contains("127.0.0.1:9"),
        "{error}"
    );
    patch(&s, &owner, "m", json!({"mirror_enabled": false}))
        .await
        .expect(200);
    call(
        &s,
        "GET",
        "/api/v1/repos/owner/m/mirror/preview",
        &owner,
        None,
    )
    .await
    .expect_error(422, "validation_failed");
}

async fn schedules_round_trip_and_manual_syncs_only_when_asked(db: Db) {
    let s = crate::support::mirror::local_server(&db, |c| c.min_sync_interval = 3600).await;
    let owner = s.create_admin("owner").await;
    let remotes = GitBackend::start().await;
    pull_mirror(&s, &owner, &remotes).await;

    let settings = patch(&s, &owner, "m", json!({"sync_schedule": "30 2 * * 1-5"})).await;
    let settings = settings.expect(200).json();
    assert_eq!(settings["sync_schedule"], "30 2 * * 1-5");
    let next: chrono::DateTime<chrono::Utc> =
        settings["next_sync_at"].as_str().unwrap().parse().unwrap();
    use chrono::{Datelike, Timelike};
    assert_eq!(
        (next.hour(), next.minute(), next.second()),
        (2, 30, 0),
        "{next}"
    );
    assert!(next.weekday().number_from_monday() <= 5, "{next}");
    assert!(next > chrono::Utc::now() && next < chrono::Utc::now() + chrono::TimeDelta::days(4));
    let read = call(&s, "GET", "/api/v1/repos/owner/m/mirror", &owner, None).await;
    assert_eq!(read.expect(200).json()["sync_schedule"], "30 2 * * 1-5");

    // Invalid, or more often than the minimum interval (3600 s here): 422 naming the field.
    for bad in [
        "61 * * * *",
        "* * *",
        "*/5 * * * *",
        "0,30 2 * * *",
        "@reboot",
    ] {
        let resp = patch(&s, &owner, "m", json!({"sync_schedule": bad})).await;
        let error = resp.expect_error(422, "validation_failed");
        assert!(
            error["fields"]["sync_schedule"].is_string(),
            "{bad}: {error}"
        );
    }

    // Manual: never scheduled, while "Sync now" and webhooks still work.
    let settings = patch(&s, &owner, "m", json!({"sync_schedule": "manual"})).await;
    let settings = settings.expect(200).json();
    assert_eq!(settings["sync_schedule"], "manual");
    assert!(settings["next_sync_at"].is_null(), "{settings}");
    sync_now(&s, &owner, "m").await.expect(202);
    let status = settle(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success");
    assert!(status["next_sync_at"].is_null(), "{status}");
    let (secret, _) = make_secret(&s, &owner, "m").await;
    let (code, _) = hook(&s, "m", &[("x-gitlab-token", secret)], b"{}").await;
    assert_eq!(code, 202);
    settle(&s, &owner, "m").await;
    // A pull mirror still refuses pushes.
    let git = Git::new();
    let (_, work) = git
        .clone(
            &s.git_url(Some(("owner", &owner.token)), "owner", "m"),
            "w",
            &[],
        )
        .await;
    git.commit_file(&work, "x.txt", b"x\n", "x").await;
    let refused = git.fails(&work, &["push", "-q", "origin", "main"]).await;
    assert!(refused.contains("mirror"), "{refused}");

    // Back to the interval.
    let settings = patch(&s, &owner, "m", json!({"sync_schedule": ""})).await;
    assert!(settings.expect(200).json()["next_sync_at"].is_string());
}

async fn a_post_receive_hook_signing_a_webhook_makes_the_mirror_catch_up(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    let src = pull_mirror(&s, &owner, &remotes).await;
    let (secret, url) = make_secret(&s, &owner, "m").await;
    // The way a self-hosted forge (or a bare repository on a server) calls the webhook.
    let hook_path = src.join("hooks/post-receive");
    let script = format!(
        "#!/bin/sh\n\
         body='{{\"ref\":\"refs/heads/main\"}}'\n\
         sig=$(printf '%s' \"$body\" | openssl dgst -sha256 -hmac '{secret}' | sed 's/^.* //')\n\
         curl -sf -X POST -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \
         -H \"X-Hub-Signature-256: sha256=$sig\" --data \"$body\" '{url}' >/dev/null\n"
    );
    std::fs::write(&hook_path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook_path, std::fs::Permissions::from_mode(0o755)).unwrap();

    let git = Git::new();
    let (_, work) = git.clone(src.to_str().unwrap(), "dev", &[]).await;
    git.commit_file(&work, "new.txt", b"new\n", "new").await;
    let pushed = Instant::now();
    git.ok(&work, &["push", "-q", "origin", "main"]).await;
    let mirror = s.repo_dir("owner", "m");
    let want = refs_of(&src).await;
    loop {
        if refs_of(&mirror).await == want {
            break;
        }
        assert!(
            pushed.elapsed() < Duration::from_secs(5),
            "the mirror did not catch up within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let run = &runs(&s, &owner, "m").await[0];
    assert_eq!(run["trigger"], "webhook", "{run}");
}
