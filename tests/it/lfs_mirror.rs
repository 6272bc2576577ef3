//! LFS in mirrors: a pull mirror with `lfs_enabled` fetches every LFS object its new commits
//! point to from the upstream's LFS server (here this server's own, spoken to over HTTP like
//! any remote), counts them in the run, and its clone checks the files out; a missing object
//! fails the run naming it and leaves the refs where they were; a push mirror gets the objects
//! its refs need before the refs.

use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser,
    lfs::{oid_of, pseudo_random},
    mirror::{call, import_body, patch, runs, settle, start, sync_now},
    on_both_databases,
};

on_both_databases!(
    a_pull_mirror_with_lfs_carries_every_object_and_stops_at_a_missing_one,
    a_push_mirror_gets_the_lfs_objects_its_refs_need,
    an_import_with_lfs_brings_the_objects_and_keeps_lfs_on,
    more_objects_than_one_batch_go_both_ways,
);

/// A work tree tracking `*.bin` with LFS, holding `files`, committed and pushed to `url`.
async fn push_lfs_files(git: &Git, url: &str, work: &str, files: &[(&str, &[u8])]) {
    let dir = git.path(work);
    if !dir.exists() {
        git.init(work).await;
        git.ok(&dir, &["lfs", "install", "--local"]).await;
        git.ok(&dir, &["lfs", "track", "*.bin"]).await;
    }
    for (name, content) in files {
        std::fs::write(dir.join(name), content).unwrap();
    }
    git.ok(&dir, &["add", "-A"]).await;
    git.ok(&dir, &["commit", "-q", "-m", "files"]).await;
    git.ok(&dir, &["push", "-q", url, "main"]).await;
}

/// Runs a sync of `owner/repo` and waits for it; the status and the newest run.
async fn sync(s: &TestServer, owner: &TestUser, repo: &str) -> (Value, Value) {
    sync_now(s, owner, repo).await.expect(202);
    let status = settle(s, owner, repo).await;
    (status, runs(s, owner, repo).await[0].clone())
}

/// A clone of `owner/repo` with the LFS filters on; the work tree.
async fn clone(
    s: &TestServer,
    owner: &TestUser,
    git: &Git,
    repo: &str,
    into: &str,
) -> std::path::PathBuf {
    let url = s.git_url(Some(("owner", &owner.token)), "owner", repo);
    let (out, dir) = git.clone(&url, into, &[]).await;
    assert!(
        out.status.success(),
        "clone: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

async fn a_pull_mirror_with_lfs_carries_every_object_and_stops_at_a_missing_one(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "up", true).await;
    s.create_repo(&owner, "m", false).await;
    let up = s.git_url(Some(("owner", &owner.token)), "owner", "up");
    let git = Git::new();
    git.lfs_install().await;
    let (one, two) = (pseudo_random(200 * 1024, 11), pseudo_random(500 * 1024, 12));
    push_lfs_files(&git, &up, "work", &[("one.bin", &one), ("two.bin", &two)]).await;

    patch(
        &s,
        &owner,
        "m",
        json!({"mirror_enabled": true, "mirror_direction": "upstream",
               "upstream_url": s.git_url(None, "owner", "up"),
               "upstream_username": "owner", "upstream_password": owner.token,
               "lfs_enabled": true}),
    )
    .await
    .expect(200);
    let settings = call(&s, "GET", "/api/v1/repos/owner/m/mirror", &owner, None).await;
    assert_eq!(settings.json()["lfs_enabled"], true);
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(run["lfs_objects_transferred"], 2, "{run}");
    assert_eq!(
        run["lfs_bytes_transferred"],
        (one.len() + two.len()) as u64,
        "{run}"
    );
    let dir = clone(&s, &owner, &git, "m", "clone1").await;
    assert!(std::fs::read(dir.join("one.bin")).unwrap() == one);
    // The repository page marks the LFS files.
    let page = s.get("/owner/m", None).await;
    assert!(page.body.contains("LFS files"), "{}", page.body);
    assert!(page.body.contains("two.bin"));
    assert!(std::fs::read(dir.join("two.bin")).unwrap() == two);

    // A new object upstream: only it comes with the next sync.
    let three = pseudo_random(100 * 1024, 13);
    push_lfs_files(&git, &up, "work", &[("three.bin", &three)]).await;
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(run["lfs_objects_transferred"], 1, "{run}");

    // A pointer to an object the upstream does not have: the run fails naming it, and the
    // mirror's refs stay where they were.
    let before = git
        .ok(&s.repo_dir("owner", "m"), &["rev-parse", "main"])
        .await;
    let ghost = oid_of(b"never uploaded anywhere");
    let work = git.path("work");
    std::fs::write(
        work.join("ghost.dat"),
        format!("version https://git-lfs.github.com/spec/v1\noid sha256:{ghost}\nsize 23\n"),
    )
    .unwrap();
    git.ok(&work, &["add", "ghost.dat"]).await;
    git.ok(
        &work,
        &["commit", "-q", "-m", "a pointer without its object"],
    )
    .await;
    // (--no-verify: git lfs's pre-push hook would refuse the object it does not have either.)
    git.ok(&work, &["push", "-q", "--no-verify", &up, "main"])
        .await;
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(error.contains(&ghost), "the object is named: {error}");
    assert_eq!(run["status"], "failed");
    let after = git
        .ok(&s.repo_dir("owner", "m"), &["rev-parse", "main"])
        .await;
    assert_eq!(before, after, "the refs did not move");
    s.forbid_in_answers(&owner.token);
}

async fn a_push_mirror_gets_the_lfs_objects_its_refs_need(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "app", false).await;
    s.create_repo(&owner, "backup", true).await;
    let git = Git::new();
    git.lfs_install().await;
    let big = pseudo_random(300 * 1024, 21);
    let app = s.git_url(Some(("owner", &owner.token)), "owner", "app");
    push_lfs_files(&git, &app, "work", &[("big.bin", &big)]).await;

    patch(
        &s,
        &owner,
        "app",
        json!({"mirror_enabled": true, "mirror_direction": "downstream",
               "downstream_url": s.git_url(None, "owner", "backup"),
               "downstream_username": "owner", "downstream_password": owner.token,
               "lfs_enabled": true}),
    )
    .await
    .expect(200);
    let (status, run) = sync(&s, &owner, "app").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(run["lfs_objects_transferred"], 1, "{run}");
    let dir = clone(&s, &owner, &git, "backup", "backup-clone").await;
    assert!(std::fs::read(dir.join("big.bin")).unwrap() == big);

    // Nothing new: nothing uploaded again.
    let (_, run) = sync(&s, &owner, "app").await;
    assert_eq!(run["lfs_objects_transferred"], 0, "{run}");
}

async fn an_import_with_lfs_brings_the_objects_and_keeps_lfs_on(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "up", true).await;
    let git = Git::new();
    git.lfs_install().await;
    let big = pseudo_random(250 * 1024, 31);
    let up = s.git_url(Some(("owner", &owner.token)), "owner", "up");
    push_lfs_files(&git, &up, "work", &[("big.bin", &big)]).await;

    import_body(
        &s,
        &owner,
        json!({"name": "copy", "clone_url": s.git_url(None, "owner", "up"), "mirror": true,
               "auth_username": "owner", "auth_password": owner.token, "lfs": true}),
    )
    .await
    .expect(201);
    let status = settle(&s, &owner, "copy").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(
        runs(&s, &owner, "copy").await[0]["lfs_objects_transferred"],
        1
    );
    let settings = call(&s, "GET", "/api/v1/repos/owner/copy/mirror", &owner, None).await;
    assert_eq!(settings.json()["lfs_enabled"], true);
    let dir = clone(&s, &owner, &git, "copy", "copy-clone").await;
    assert!(std::fs::read(dir.join("big.bin")).unwrap() == big);
}

/// 101 objects: more than one batch request of 100 (each answered with several transfers at
/// once), pulled into a mirror and pushed to a push mirror, every one counted and checked out.
async fn more_objects_than_one_batch_go_both_ways(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "app", true).await;
    s.create_repo(&owner, "m", false).await;
    s.create_repo(&owner, "backup", true).await;
    let git = Git::new();
    git.lfs_install().await;
    let contents: Vec<(String, Vec<u8>)> = (0..101u64)
        .map(|i| (format!("f{i:03}.bin"), pseudo_random(64, 100 + i)))
        .collect();
    let files: Vec<(&str, &[u8])> = contents
        .iter()
        .map(|(name, content)| (name.as_str(), content.as_slice()))
        .collect();
    let app = s.git_url(Some(("owner", &owner.token)), "owner", "app");
    push_lfs_files(&git, &app, "work", &files).await;

    patch(
        &s,
        &owner,
        "m",
        json!({"mirror_enabled": true, "mirror_direction": "upstream",
               "upstream_url": s.git_url(None, "owner", "app"),
               "upstream_username": "owner", "upstream_password": owner.token,
               "lfs_enabled": true}),
    )
    .await
    .expect(200);
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(run["lfs_objects_transferred"], 101, "{run}");
    assert_eq!(run["lfs_bytes_transferred"], 101 * 64, "{run}");
    let dir = clone(&s, &owner, &git, "m", "pulled").await;
    for (name, content) in &contents {
        assert!(std::fs::read(dir.join(name)).unwrap() == *content, "{name}");
    }

    patch(
        &s,
        &owner,
        "m",
        json!({"mirror_direction": "downstream",
               "downstream_url": s.git_url(None, "owner", "backup"),
               "downstream_username": "owner", "downstream_password": owner.token}),
    )
    .await
    .expect(200);
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(run["lfs_objects_transferred"], 101, "{run}");
    assert_eq!(run["lfs_bytes_transferred"], 101 * 64, "{run}");
    let dir = clone(&s, &owner, &git, "backup", "pushed").await;
    for (name, content) in &contents {
        assert!(std::fs::read(dir.join(name)).unwrap() == *content, "{name}");
    }
}
