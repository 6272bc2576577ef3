//! `PATCH /api/v1/repos/{owner}/{repo}`: rename, move, describe, hide and pick the default
//! branch. A renamed or moved repository keeps its mirror, runs and push mirrors, and its old
//! path answers 301 to the new one — for pages, the API and git — until a new repository
//! takes it; a private repository's old path tells nobody who may not read it where it went.

use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser,
    mirror::{call, local_server, seed, settle},
    on_both_databases,
};

on_both_databases!(
    a_renamed_mirror_answers_at_its_old_path_and_still_syncs,
    a_move_into_an_organisation_keeps_push_mirrors_and_runs,
    bad_changes_are_refused_and_change_nothing,
    the_default_branch_and_visibility_change,
    a_private_repository_s_old_path_says_nothing_to_strangers,
);

async fn patch_repo(
    s: &TestServer,
    user: &TestUser,
    repo: &str,
    body: Value,
) -> crate::support::Resp {
    call(
        s,
        "PATCH",
        &format!("/api/v1/repos/{repo}"),
        user,
        Some(body),
    )
    .await
}

async fn a_renamed_mirror_answers_at_its_old_path_and_still_syncs(db: Db) {
    let s = local_server(&db, |c| c.min_sync_interval = 1).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "up", false).await;
    let git = Git::new();
    let work = seed(
        &git,
        &s.git_url(Some(("owner", &owner.token)), "owner", "up"),
    )
    .await;
    let imported = call(
        &s,
        "POST",
        "/api/v1/repos/import",
        &owner,
        Some(json!({"name": "m", "clone_url": s.git_url(None, "owner", "up"), "mirror": true})),
    )
    .await;
    imported.expect(201);
    settle(&s, &owner, "m").await;
    let renamed = patch_repo(
        &s,
        &owner,
        "owner/m",
        json!({"name": "renamed", "description": "the upstream, kept"}),
    )
    .await;
    renamed.expect(200);
    let body = renamed.json();
    assert_eq!(
        (body["name"].as_str(), body["description"].as_str()),
        (Some("renamed"), Some("the upstream, kept"))
    );
    assert!(
        body["clone_url"]
            .as_str()
            .unwrap()
            .ends_with("/owner/renamed.git"),
        "{body}"
    );
    // The old path: the API, the pages and git all lead to the new one.
    let api = call(
        &s,
        "GET",
        "/api/v1/repos/owner/m/mirror/runs?limit=5",
        &owner,
        None,
    )
    .await;
    api.expect(301);
    assert_eq!(
        api.header("location"),
        Some("/api/v1/repos/owner/renamed/mirror/runs?limit=5")
    );
    let page = s.get("/owner/m/tree/main", None).await;
    page.expect(301);
    assert_eq!(page.header("location"), Some("/owner/renamed/tree/main"));
    let (cloned, dir) = git
        .clone(&s.git_url(None, "owner", "m"), "old-path-clone", &[])
        .await;
    assert!(cloned.status.success(), "{cloned:?}");
    assert!(dir.join("a.txt").exists());
    // Its history stayed, and it still syncs under the new name.
    let runs = call(
        &s,
        "GET",
        "/api/v1/repos/owner/renamed/mirror/runs",
        &owner,
        None,
    )
    .await;
    runs.expect(200);
    assert_eq!(runs.json().as_array().unwrap().len(), 1);
    let tip = git.commit_file(&work, "c.txt", "three\n", "three").await;
    git.ok(
        &work,
        &[
            "push",
            "-q",
            &s.git_url(Some(("owner", &owner.token)), "owner", "up"),
            "main",
        ],
    )
    .await;
    call(&s, "POST", "/api/v1/repos/owner/renamed/sync", &owner, None)
        .await
        .expect(202);
    let status = settle(&s, &owner, "renamed").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    let refs = git.ls_remote(&s.git_url(None, "owner", "renamed")).await;
    assert!(refs.contains(&format!("{tip}\trefs/heads/main")), "{refs}");
    // A new repository may take the old path; then it is that repository's.
    s.create_repo(&owner, "m", false).await;
    let taken = call(&s, "GET", "/api/v1/repos/owner/m", &owner, None).await;
    taken.expect(200);
    assert_eq!(taken.json()["description"], "");
}

async fn a_move_into_an_organisation_keeps_push_mirrors_and_runs(db: Db) {
    let s = local_server(&db, |c| c.min_sync_interval = 1).await;
    let owner = s.create_admin("owner").await;
    let writer = s.create_user("writer").await;
    s.create_org(&owner, "acme").await;
    s.set_role(&owner, "acme", &writer, "write").await;
    s.create_repo(&owner, "app", false).await;
    s.create_repo(&owner, "backup", false).await;
    let git = Git::new();
    seed(
        &git,
        &s.git_url(Some(("owner", &owner.token)), "owner", "app"),
    )
    .await;
    let added = call(
        &s,
        "POST",
        "/api/v1/repos/owner/app/push_mirrors",
        &owner,
        Some(json!({"remote_url": s.git_url(None, "owner", "backup"), "remote_username": "owner", "remote_password": owner.token})),
    )
    .await;
    added.expect(201);
    call(&s, "POST", "/api/v1/repos/owner/app/sync", &owner, None)
        .await
        .expect(202);
    settle(&s, &owner, "app").await;
    // Someone who may only write in acme cannot move their own repository there.
    s.create_repo(&writer, "tool", false).await;
    let refused = patch_repo(&s, &writer, "writer/tool", json!({"owner": "acme"})).await;
    refused.expect_error(403, "forbidden");
    let moved = patch_repo(&s, &owner, "owner/app", json!({"owner": "acme"})).await;
    moved.expect(200);
    assert_eq!(moved.json()["owner"]["login"], "acme");
    let mirrors = call(
        &s,
        "GET",
        "/api/v1/repos/acme/app/push_mirrors",
        &owner,
        None,
    )
    .await;
    mirrors.expect(200);
    let mirrors = mirrors.json();
    assert_eq!(mirrors.as_array().unwrap().len(), 1, "{mirrors}");
    assert_eq!(mirrors[0]["remote_url"], s.git_url(None, "owner", "backup"));
    let runs = call(
        &s,
        "GET",
        "/api/v1/repos/acme/app/mirror/runs",
        &owner,
        None,
    )
    .await;
    assert_eq!(runs.json().as_array().unwrap().len(), 1);
    let old = call(&s, "GET", "/api/v1/repos/owner/app", &owner, None).await;
    old.expect(301);
    assert_eq!(old.header("location"), Some("/api/v1/repos/acme/app"));
    // The writer of acme now pushes to it at its new path.
    let (cloned, _) = git
        .clone(&s.git_url(None, "acme", "app"), "acme-clone", &[])
        .await;
    assert!(cloned.status.success(), "{cloned:?}");
    assert!(s.repo_dir("acme", "app").join("HEAD").exists());
    assert!(!s.repo_dir("owner", "app").exists());
}

async fn bad_changes_are_refused_and_change_nothing(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    let other = s.create_user("other").await;
    s.create_repo(&owner, "one", false).await;
    s.create_repo(&owner, "two", false).await;
    let bad = patch_repo(
        &s,
        &owner,
        "owner/one",
        json!({"name": "bad name!", "description": "x"}),
    )
    .await;
    let body = bad.expect_error(422, "validation_failed");
    assert!(body["fields"]["name"].is_string(), "{body}");
    let bad = patch_repo(&s, &owner, "owner/one", json!({"default_branch": "nope"})).await;
    let body = bad.expect_error(422, "validation_failed");
    assert_eq!(
        body["fields"]["default_branch"],
        "there is no branch 'nope' in this repository"
    );
    patch_repo(&s, &owner, "owner/one", json!({"name": "Two"}))
        .await
        .expect_error(409, "conflict");
    patch_repo(&s, &owner, "owner/one", json!({"owner": "nobody-here"}))
        .await
        .expect_error(403, "forbidden");
    patch_repo(&s, &other, "owner/one", json!({"name": "mine"}))
        .await
        .expect_error(403, "forbidden");
    let one = call(&s, "GET", "/api/v1/repos/owner/one", &owner, None).await;
    one.expect(200);
    assert_eq!(
        one.json()["description"],
        "",
        "a refused change changed something"
    );
    assert!(s.repo_dir("owner", "one").exists());
}

async fn the_default_branch_and_visibility_change(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "r", false).await;
    let git = Git::new();
    let work = git.init("work").await;
    git.commit_file(&work, "a.txt", "main\n", "on main").await;
    git.ok(&work, &["checkout", "-q", "-b", "release"]).await;
    git.commit_file(&work, "a.txt", "release\n", "on release")
        .await;
    let url = s.git_url(Some(("owner", &owner.token)), "owner", "r");
    git.ok(&work, &["push", "-q", &url, "main", "release"])
        .await;
    let changed = patch_repo(
        &s,
        &owner,
        "owner/r",
        json!({"default_branch": "release", "private": true}),
    )
    .await;
    changed.expect(200);
    assert_eq!(changed.json()["private"], true);
    let (cloned, dir) = git.clone(&url, "clone", &[]).await;
    assert!(cloned.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.join("a.txt")).unwrap(),
        "release\n"
    );
    assert_eq!(s.get("/owner/r", None).await.status.as_u16(), 404);
    assert_eq!(
        s.get("/api/v1/repos/owner/r", None).await.status.as_u16(),
        404
    );
}

async fn a_private_repository_s_old_path_says_nothing_to_strangers(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    let stranger = s.create_user("stranger").await;
    s.create_repo(&owner, "secret", true).await;
    patch_repo(&s, &owner, "owner/secret", json!({"name": "sunk-treasure"}))
        .await
        .expect(200);
    for user in [None, Some(&stranger)] {
        let api = s.get("/api/v1/repos/owner/secret", user).await;
        assert_eq!(api.status.as_u16(), 404, "{:?}", api.header("location"));
        let page = s.get("/owner/secret", user).await;
        assert_eq!(page.status.as_u16(), 404);
        assert!(!page.body.contains("sunk-treasure"));
    }
    let git = Git::new();
    let url = s.git_url(Some(("stranger", &stranger.token)), "owner", "secret");
    let (cloned, _) = git.clone(&url, "c", &[]).await;
    assert!(!cloned.status.success());
    assert!(!String::from_utf8_lossy(&cloned.stderr).contains("sunk-treasure"));
    let seen = s.get("/api/v1/repos/owner/secret", Some(&owner)).await;
    seen.expect(301);
    assert_eq!(
        seen.header("location"),
        Some("/api/v1/repos/owner/sunk-treasure")
    );
}
