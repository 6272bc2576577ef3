//! Truthful state: the pull and each push mirror keep their own result, a push-only run never
//! touches the pull's, a failing push target never moves the pull's schedule, and adding a push
//! mirror makes the repository push.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser,
    git_backend::{GitBackend, refs_of},
    mirror::{call, import_body, seed, settle, start, sync_now},
    on_both_databases,
    web::{get, logged_in_as},
};

on_both_databases!(
    a_pull_failure_survives_a_push_only_run,
    a_dead_push_target_neither_fails_nor_reschedules_the_pull,
    adding_a_push_mirror_makes_the_repository_push,
);

/// The status object of `owner`'s `repo`.
async fn status(s: &TestServer, owner: &TestUser, repo: &str) -> Value {
    let resp = call(
        s,
        "GET",
        &format!("/api/v1/repos/{}/{repo}/mirror/status", owner.username),
        owner,
        None,
    )
    .await;
    resp.expect(200);
    resp.json()
}

/// Adds a push mirror to `url` on `owner`'s `repo`; returns the 201 answer.
async fn add_push_mirror(s: &TestServer, owner: &TestUser, repo: &str, body: Value) -> Value {
    let resp = call(
        s,
        "POST",
        &format!("/api/v1/repos/{}/{repo}/push_mirrors", owner.username),
        owner,
        Some(body),
    )
    .await;
    resp.expect(201);
    resp.json()
}

/// "Sync now" next to push mirror `id`.
async fn push_now(s: &TestServer, owner: &TestUser, repo: &str, id: i64) -> crate::support::Resp {
    call(
        s,
        "POST",
        &format!(
            "/api/v1/repos/{}/{repo}/push_mirrors/{id}/sync",
            owner.username
        ),
        owner,
        None,
    )
    .await
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("a time: {v}"))
        .parse()
        .unwrap()
}

async fn a_pull_failure_survives_a_push_only_run(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    remotes.create("up").await;
    let backup = remotes.create("backup").await;
    let git = Git::new();
    let work = seed(&git, &remotes.url("up")).await;
    import_body(
        &s,
        &owner,
        json!({"name": "m", "clone_url": remotes.url("up"), "mirror": true, "sync_interval": 3600}),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");

    // A push mirror on a pull mirror makes it pull, then push: the next pull reaches it.
    let added = add_push_mirror(
        &s,
        &owner,
        "m",
        json!({"remote_url": remotes.url("backup"), "sync_on_push": true}),
    )
    .await;
    assert_eq!(added["mirror_direction"], "both", "{added}");
    assert_eq!(added["mirror_enabled"], true, "{added}");
    assert!(
        added["notice"].as_str().is_some_and(|n| n.contains("both")),
        "{added}"
    );
    let target = added["id"].as_i64().unwrap();
    git.commit_file(&work, "c.txt", "three\n", "three").await;
    git.ok(&work, &["push", "-q", &remotes.url("up"), "main"])
        .await;
    sync_now(&s, &owner, "m").await.expect(202);
    let synced = settle(&s, &owner, "m").await;
    assert_eq!(synced["sync_status"], "success", "{synced}");
    let here = refs_of(&s.repo_dir("owner", "m")).await;
    assert_eq!(refs_of(&remotes.path("up")).await, here, "pulled");
    assert_eq!(refs_of(&backup).await, here, "and pushed after the pull");

    // The upstream disappears: the pull fails.
    std::fs::remove_dir_all(remotes.path("up")).unwrap();
    sync_now(&s, &owner, "m").await.expect(202);
    let failed = settle(&s, &owner, "m").await;
    assert_eq!(failed["sync_status"], "failed", "{failed}");
    assert_eq!(failed["upstream"]["status"], "failed", "{failed}");
    assert_eq!(failed["upstream"]["consecutive_failures"], 1, "{failed}");
    let error = failed["sync_error"].as_str().unwrap().to_owned();
    assert!(error.starts_with("upstream: "), "{error}");
    let pulled_at = failed["upstream"]["last_synced_at"].clone();
    let next = failed["next_sync_at"].clone();

    // A push to the target alone succeeds, and changes nothing of the pull's.
    push_now(&s, &owner, "m", target).await.expect(202);
    let after = settle(&s, &owner, "m").await;
    assert_eq!(after["sync_status"], "failed", "{after}");
    assert_eq!(after["sync_error"], error.as_str(), "{after}");
    assert_eq!(after["consecutive_failures"], 1, "{after}");
    assert_eq!(after["upstream"]["status"], "failed", "{after}");
    assert_eq!(after["upstream"]["consecutive_failures"], 1, "{after}");
    assert_eq!(after["upstream"]["last_synced_at"], pulled_at, "{after}");
    assert_eq!(after["last_synced_at"], pulled_at, "{after}");
    assert_eq!(after["next_sync_at"], next, "the pull's schedule stays");
    let pushes = after["push_mirrors"].as_array().unwrap();
    assert_eq!(pushes.len(), 1, "{after}");
    assert_eq!(pushes[0]["id"], target);
    assert_eq!(pushes[0]["status"], "success", "{after}");
    assert_eq!(pushes[0]["url"], remotes.url("backup").as_str());
    assert!(pushes[0]["last_synced_at"].is_string(), "{after}");

    // The overview, the list page and the repository page say the same.
    let listed = call(&s, "GET", "/api/v1/mirrors", &owner, None).await;
    listed.expect(200);
    let row = listed.json()[0].clone();
    assert_eq!(row["repository"], "owner/m");
    assert_eq!(row["sync_status"], "failed", "{row}");
    assert_eq!(row["sync_error"], error.as_str(), "{row}");
    let browser = logged_in_as(&s, &owner).await;
    let page = get(&s, &browser, "/mirrors").await;
    page.expect(200);
    assert!(page.body.contains("badge-failed"), "{}", page.body);
    assert!(!page.body.contains("badge-success"), "{}", page.body);
    let repo_page = get(&s, &browser, "/owner/m").await;
    repo_page.expect(200);
    assert!(
        repo_page
            .body
            .contains(r#"id="mirror-sync-status" data-status="failed""#),
        "{}",
        repo_page.body
    );
    let settings = get(&s, &browser, "/owner/m/settings/mirror").await;
    settings.expect(200);
    let pull = settings
        .body
        .find(r#"id="mirror-pull-state""#)
        .expect("the pull's own state on the settings page");
    assert!(
        settings.body[pull..].contains("Failed"),
        "{}",
        settings.body
    );
}

async fn a_dead_push_target_neither_fails_nor_reschedules_the_pull(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    remotes.create("up").await;
    let git = Git::new();
    seed(&git, &remotes.url("up")).await;
    import_body(
        &s,
        &owner,
        json!({"name": "m", "clone_url": remotes.url("up"), "mirror": true, "sync_interval": 3600}),
    )
    .await
    .expect(201);
    settle(&s, &owner, "m").await;
    let dead = "http://127.0.0.1:9/gone.git";
    add_push_mirror(&s, &owner, "m", json!({"remote_url": dead})).await;

    sync_now(&s, &owner, "m").await.expect(202);
    let started = Utc::now();
    let after = settle(&s, &owner, "m").await;
    assert_eq!(after["sync_status"], "failed", "{after}");
    let error = after["sync_error"].as_str().unwrap();
    assert!(error.starts_with(&format!("push {dead}: ")), "{error}");
    assert!(!error.contains("upstream"), "{error}");
    assert_eq!(after["upstream"]["status"], "success", "{after}");
    assert_eq!(after["upstream"]["consecutive_failures"], 0, "{after}");
    assert_eq!(after["upstream"]["last_error"], "", "{after}");
    assert_eq!(after["push_mirrors"][0]["status"], "failed", "{after}");
    // The next pull keeps its hour; a dead target is no reason to pull again in 60 s.
    let next = time(&after["next_sync_at"]);
    assert!(
        next - started > chrono::TimeDelta::minutes(50),
        "next sync at {next}, the run started at {started}"
    );
    // The pull's last success is this run's.
    assert!(time(&after["last_synced_at"]) >= started - chrono::TimeDelta::seconds(1));
}

async fn adding_a_push_mirror_makes_the_repository_push(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    let backup = remotes.create("backup").await;
    s.create_repo(&owner, "plain", false).await;
    let git = Git::new();
    seed(
        &git,
        &s.git_url(Some(("owner", &owner.token)), "owner", "plain"),
    )
    .await;

    // A disabled push mirror changes nothing, and cannot be pushed to alone.
    let off = add_push_mirror(
        &s,
        &owner,
        "plain",
        json!({"remote_url": remotes.url("backup"), "enabled": false}),
    )
    .await;
    assert_eq!(off["mirror_enabled"], false, "{off}");
    assert!(off.get("notice").is_none(), "{off}");
    let id = off["id"].as_i64().unwrap();
    let refused = push_now(&s, &owner, "plain", id).await;
    refused.expect(422);
    assert!(
        refused.json()["fields"]["enabled"].is_string(),
        "{}",
        refused.body
    );
    push_now(&s, &owner, "plain", 999_999).await.expect(404);

    // Switching it on switches mirroring on, pushing.
    let on = call(
        &s,
        "PATCH",
        &format!("/api/v1/repos/owner/plain/push_mirrors/{id}"),
        &owner,
        Some(json!({"enabled": true})),
    )
    .await;
    on.expect(200);
    let on = on.json();
    assert_eq!(on["mirror_enabled"], true, "{on}");
    assert_eq!(on["mirror_direction"], "downstream", "{on}");
    assert!(on["notice"].is_string(), "{on}");
    let settings = call(&s, "GET", "/api/v1/repos/owner/plain/mirror", &owner, None).await;
    settings.expect(200);
    assert_eq!(settings.json()["mirror_direction"], "downstream");
    assert_eq!(settings.json()["mirror_enabled"], true);
    let before = status(&s, &owner, "plain").await;
    assert!(before["upstream"].is_null(), "{before}");
    assert_eq!(before["sync_status"], "idle", "{before}");

    push_now(&s, &owner, "plain", id).await.expect(202);
    let after = settle(&s, &owner, "plain").await;
    assert_eq!(after["sync_status"], "success", "{after}");
    assert_eq!(
        refs_of(&backup).await,
        refs_of(&s.repo_dir("owner", "plain")).await
    );
}
