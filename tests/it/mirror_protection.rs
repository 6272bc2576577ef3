//! Nothing lost, the pull's side: with `upstream_overwrite: "fast_forward"` a force-pushed or
//! deleted branch upstream stays as it is here (listed `diverged`, the run succeeds); the
//! mass-deletion guard stops a pull that would delete most refs, changing nothing, until
//! `allow_mass_delete` or the guard switched off. Upstreams are stock `git http-backend`.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser,
    git::Seed,
    git_backend::{GitBackend, refs_of},
    mirror::{call, import_body, patch, runs, seed, settle, start, sync_now},
    on_both_databases,
};

on_both_databases!(
    fast_forward_only_keeps_a_force_pushed_and_a_deleted_branch,
    the_guard_changes_nothing_until_allow_mass_delete,
    the_guard_switched_off_applies_a_mass_deletion,
    overwrite_and_guard_are_settings_with_validation,
);

/// The pull's ref updates of the newest run of `owner`'s `repo`, as `(ref, action)` sorted.
async fn actions(s: &TestServer, owner: &TestUser, repo: &str) -> Vec<(String, String)> {
    let newest = runs(s, owner, repo)
        .await
        .into_iter()
        .next()
        .expect("a run");
    let mut actions: Vec<(String, String)> = newest["ref_updates"]
        .as_array()
        .expect("ref updates")
        .iter()
        .filter(|u| u["side"] == "upstream")
        .map(|u| {
            (
                u["ref"].as_str().unwrap().to_owned(),
                u["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    actions.sort();
    actions
}

/// Imports `url` as mirror `m` of `owner` and waits for the first pull.
pub(crate) async fn mirror_of(s: &TestServer, owner: &TestUser, url: &str) {
    import_body(
        s,
        owner,
        json!({"name": "m", "clone_url": url, "mirror": true, "sync_interval": 3600}),
    )
    .await
    .expect(201);
    let first = settle(s, owner, "m").await;
    assert_eq!(first["sync_status"], "success", "{first}");
}

/// Rewrites the last commit of `work`'s main and force-pushes it, and deletes `feature`, on
/// `url`.
async fn force_push_and_delete(git: &Git, work: &Path, url: &str) {
    git.ok(work, &["commit", "-q", "--amend", "-m", "rewritten"])
        .await;
    git.ok(work, &["push", "-q", "--force", url, "main"]).await;
    git.ok(work, &["push", "-q", url, ":feature"]).await;
}

async fn fast_forward_only_keeps_a_force_pushed_and_a_deleted_branch(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    remotes.create("up").await;
    let git = Git::new();
    let work = seed(&git, &remotes.url("up")).await;
    mirror_of(&s, &owner, &remotes.url("up")).await;
    let set = patch(
        &s,
        &owner,
        "m",
        json!({"upstream_overwrite": "fast_forward"}),
    )
    .await;
    set.expect(200);
    assert_eq!(set.json()["upstream_overwrite"], "fast_forward");
    let here = s.repo_dir("owner", "m");
    let before = refs_of(&here).await;

    force_push_and_delete(&git, &work, &remotes.url("up")).await;
    sync_now(&s, &owner, "m").await.expect(202);
    let synced = settle(&s, &owner, "m").await;
    assert_eq!(synced["sync_status"], "success", "{synced}");
    assert_eq!(refs_of(&here).await, before, "main and feature stay here");
    assert_eq!(
        actions(&s, &owner, "m").await,
        [
            ("refs/heads/feature".to_owned(), "diverged".to_owned()),
            ("refs/heads/main".to_owned(), "diverged".to_owned()),
        ]
    );
    // The preview says the same (the rewritten commit is here now, so it can tell).
    let preview = call(
        &s,
        "GET",
        "/api/v1/repos/owner/m/mirror/preview",
        &owner,
        None,
    )
    .await;
    preview.expect(200);
    let preview = preview.json();
    let mut previewed: Vec<(String, String)> = preview["upstream"]["updates"]
        .as_array()
        .expect("updates")
        .iter()
        .map(|u| {
            (
                u["ref"].as_str().unwrap().to_owned(),
                u["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    previewed.sort();
    assert_eq!(
        previewed,
        [
            ("refs/heads/feature".to_owned(), "diverged".to_owned()),
            ("refs/heads/main".to_owned(), "diverged".to_owned()),
        ],
        "{preview}"
    );

    // An exact copy again: both are applied.
    patch(&s, &owner, "m", json!({"upstream_overwrite": "all"}))
        .await
        .expect(200);
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");
    assert_eq!(refs_of(&here).await, refs_of(&remotes.path("up")).await);
    assert_eq!(
        actions(&s, &owner, "m").await,
        [
            ("refs/heads/feature".to_owned(), "delete".to_owned()),
            ("refs/heads/main".to_owned(), "force".to_owned()),
        ]
    );
}

/// Eleven branches beside main: with main, twelve refs.
const BRANCHES: [&str; 11] = [
    "b01", "b02", "b03", "b04", "b05", "b06", "b07", "b08", "b09", "b10", "b11",
];

/// An upstream `up` with main and the eleven branches, mirrored as `m`; then, upstream, the
/// eleven deleted and main moved forward. Returns the refs here before.
pub(crate) async fn twelve_then_one(
    s: &TestServer,
    owner: &TestUser,
    remotes: &GitBackend,
) -> String {
    remotes.create("up").await;
    let git = Git::new();
    let url = remotes.url("up");
    let work = git
        .seed(
            &url,
            &Seed {
                branches: &BRANCHES,
                ..Seed::ONE_COMMIT
            },
        )
        .await;
    mirror_of(s, owner, &url).await;
    let before = refs_of(&s.repo_dir("owner", "m")).await;
    assert_eq!(before.lines().count(), 12, "{before}");
    git.commit_file(&work, "more.txt", "more\n", "more").await;
    let mut push = vec![
        "push".to_owned(),
        "-q".to_owned(),
        url.clone(),
        "main".to_owned(),
    ];
    push.extend(BRANCHES.iter().map(|b| format!(":{b}")));
    let push: Vec<&str> = push.iter().map(String::as_str).collect();
    git.ok(&work, &push).await;
    before
}

async fn the_guard_changes_nothing_until_allow_mass_delete(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    let before = twelve_then_one(&s, &owner, &remotes).await;
    let here = s.repo_dir("owner", "m");

    sync_now(&s, &owner, "m").await.expect(202);
    let failed = settle(&s, &owner, "m").await;
    assert_eq!(failed["sync_status"], "failed", "{failed}");
    let error = failed["sync_error"].as_str().unwrap();
    assert!(
        error.contains("the upstream dropped 11 of 12 refs; nothing was changed")
            && error.contains("allow_mass_delete"),
        "{error}"
    );
    assert_eq!(refs_of(&here).await, before, "not even main moved");
    let newest = runs(&s, &owner, "m").await.remove(0);
    assert_eq!(newest["status"], "failed", "{newest}");
    assert_eq!(newest["ref_updates"], json!([]), "{newest}");

    // A malformed body is refused; an empty one is a plain sync, still guarded.
    let bad = s
        .send(
            s.http
                .post(s.url("/api/v1/repos/owner/m/sync"))
                .bearer_auth(&owner.token)
                .header("content-type", "application/json")
                .body("{\"allow_mass_delete\": "),
        )
        .await;
    bad.expect_error(400, "bad_request");
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "failed");
    assert_eq!(refs_of(&here).await, before);

    let anyway = call(
        &s,
        "POST",
        "/api/v1/repos/owner/m/sync",
        &owner,
        Some(json!({"allow_mass_delete": true})),
    )
    .await;
    anyway.expect(202);
    let synced = settle(&s, &owner, "m").await;
    assert_eq!(synced["sync_status"], "success", "{synced}");
    assert_eq!(refs_of(&here).await, refs_of(&remotes.path("up")).await);
    assert_eq!(refs_of(&here).await.lines().count(), 1);
    let deleted = actions(&s, &owner, "m")
        .await
        .into_iter()
        .filter(|(_, action)| action == "delete")
        .count();
    assert_eq!(deleted, 11);
}

async fn the_guard_switched_off_applies_a_mass_deletion(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    twelve_then_one(&s, &owner, &remotes).await;
    let off = patch(&s, &owner, "m", json!({"mass_delete_guard": false})).await;
    off.expect(200);
    assert_eq!(off.json()["mass_delete_guard"], false);
    sync_now(&s, &owner, "m").await.expect(202);
    let synced = settle(&s, &owner, "m").await;
    assert_eq!(synced["sync_status"], "success", "{synced}");
    assert_eq!(
        refs_of(&s.repo_dir("owner", "m")).await,
        refs_of(&remotes.path("up")).await
    );
}

async fn overwrite_and_guard_are_settings_with_validation(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "r", false).await;
    let shown = call(&s, "GET", "/api/v1/repos/owner/r/mirror", &owner, None).await;
    shown.expect(200);
    let shown: Value = shown.json();
    assert_eq!(shown["upstream_overwrite"], "all", "{shown}");
    assert_eq!(shown["mass_delete_guard"], true, "{shown}");

    let bad = patch(
        &s,
        &owner,
        "r",
        json!({"upstream_overwrite": "some", "mass_delete_guard": false}),
    )
    .await;
    let body = bad.expect_error(422, "validation_failed");
    assert_eq!(
        body["fields"]["upstream_overwrite"], "must be one of all, fast_forward",
        "{body}"
    );
    // Nothing was saved.
    let kept = call(&s, "GET", "/api/v1/repos/owner/r/mirror", &owner, None).await;
    assert_eq!(kept.json()["mass_delete_guard"], true);

    let set = patch(
        &s,
        &owner,
        "r",
        json!({"upstream_overwrite": "fast_forward", "mass_delete_guard": false}),
    )
    .await;
    set.expect(200);
    let set = set.json();
    assert_eq!(set["upstream_overwrite"], "fast_forward", "{set}");
    assert_eq!(set["mass_delete_guard"], false, "{set}");

    // The OpenAPI document describes the optional sync body and both settings.
    let doc = s.get("/api/v1/openapi.json", None).await;
    doc.expect(200);
    let doc = doc.json();
    let sync = &doc["paths"]["/api/v1/repos/{owner}/{repo}/sync"]["post"];
    let body = &sync["requestBody"];
    assert!(
        body["content"]["application/json"].is_object(),
        "a JSON body is described: {sync}"
    );
    assert_ne!(body["required"], true, "and optional: {sync}");
    let text = doc.to_string();
    for word in [
        "allow_mass_delete",
        "upstream_overwrite",
        "mass_delete_guard",
    ] {
        assert!(text.contains(word), "{word} in the OpenAPI document");
    }
}
