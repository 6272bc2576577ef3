//! Push mirrors: several targets per repository, each with its own result, and the upgrade
//! that moves each repository's downstream into the first of them.

use base64::Engine;
use mirrorforge::{
    entities::{mirror_enums::SealedFor, push_mirror},
    mirror::{
        push_mirrors::{self, NewPushMirror},
        secrets::SecretBox,
    },
};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use serde_json::json;

use crate::support::{
    Db, Git,
    git_backend::{GitBackend, refs_of},
    mirror::{call, import_body, local_server, patch, runs, seed, settle, start, sync_now},
    on_both_databases,
};

on_both_databases!(
    push_mirrors_are_listed_added_changed_and_removed_per_contract,
    every_push_mirror_is_pushed_and_a_dead_one_fails_the_run_alone,
    filters_select_refs_per_target_and_divergent_refs_are_kept,
    an_upstream_filter_pulls_and_prunes_only_what_it_selects,
    a_git_push_reaches_sync_on_push_targets_and_pushes_in_a_row_coalesce,
    the_upgrade_moves_a_downstream_and_its_password_into_a_push_mirror,
);

async fn every_push_mirror_is_pushed_and_a_dead_one_fails_the_run_alone(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::with_auth("carol", "push-Pw-31").await;
    s.forbid_in_answers("push-Pw-31");
    let first = remotes.create("first").await;
    let third = remotes.create("third").await;
    s.create_repo(&owner, "app", false).await;
    let git = Git::new();
    seed(
        &git,
        &s.git_url(Some(("owner", &owner.token)), "owner", "app"),
    )
    .await;

    // The first through the settings' downstream fields, two more beside it.
    patch(
        &s,
        &owner,
        "app",
        json!({
            "mirror_enabled": true, "mirror_direction": "downstream",
            "downstream_url": remotes.url("first"), "downstream_username": "carol",
            "downstream_password": "push-Pw-31"
        }),
    )
    .await
    .expect(200);
    let secrets = SecretBox::load(&s.config).unwrap();
    let repo_id = mirrorforge::repos::find(&s.conn, "owner", "app")
        .await
        .unwrap()
        .unwrap()
        .repo
        .id;
    let dead_url = "http://127.0.0.1:9/gone.git";
    let dead = push_mirrors::create(
        &s.conn,
        &secrets,
        repo_id,
        NewPushMirror {
            remote_url: dead_url.to_owned(),
            ..NewPushMirror::default()
        },
    )
    .await
    .unwrap();
    let live = push_mirrors::create(
        &s.conn,
        &secrets,
        repo_id,
        NewPushMirror {
            remote_url: remotes.url("third"),
            remote_username: Some("carol".to_owned()),
            remote_password: Some("push-Pw-31".to_owned()),
        },
    )
    .await
    .unwrap();

    sync_now(&s, &owner, "app").await.expect(202);
    let status = settle(&s, &owner, "app").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(
        error.contains(dead_url),
        "the dead target is named: {error}"
    );
    assert!(
        !error.contains(&remotes.url("first")) && !error.contains(&remotes.url("third")),
        "only the dead target is named: {error}"
    );
    // The live targets received everything all the same.
    let here = refs_of(&s.repo_dir("owner", "app")).await;
    assert_eq!(refs_of(&first).await, here);
    assert_eq!(refs_of(&third).await, here);

    // Each target keeps its own result.
    let rows = push_mirror::Entity::find()
        .order_by_asc(push_mirror::Column::Id)
        .all(&s.conn)
        .await
        .unwrap();
    let results: Vec<(&str, bool)> = rows
        .iter()
        .map(|r| (r.last_status.as_str(), r.last_synced_at.is_some()))
        .collect();
    assert_eq!(
        results,
        [("success", true), ("failed", false), ("success", true)]
    );
    assert!(rows[1].last_error.as_deref().is_some_and(|e| !e.is_empty()));

    // The run says which target each ref went to, and what happened to it.
    let run = &runs(&s, &owner, "app").await[0];
    assert_eq!(run["status"], "failed");
    let updates = run["ref_updates"].as_array().unwrap();
    for id in [rows[0].id, live.id] {
        assert!(
            updates
                .iter()
                .any(|u| u["push_mirror_id"] == id && u["action"] == "create"),
            "push mirror {id} in {updates:?}"
        );
    }
    assert!(updates.iter().all(|u| u["push_mirror_id"] != dead.id));
}

/// An instance from before push mirrors, with a downstream and its password: after the
/// upgrade the downstream is the first push mirror, its password sealed for it, and it pushes.
async fn the_upgrade_moves_a_downstream_and_its_password_into_a_push_mirror(db: Db) {
    let (dir, conn) =
        crate::support::db::migrated_before(&db, "m20261202_000001_create_push_mirrors").await;
    let remote = GitBackend::with_auth("dora", "old-Pw-58").await;
    let backup = remote.create("backup").await;
    let key = [42u8; 32];
    let sealed = SecretBox::from_key(&key).encrypt(1, "downstream_password", "old-Pw-58");
    conn.execute_unprepared(
        "INSERT INTO users (id, username, lower_name, email, password_hash, is_admin, created_at) \
         VALUES (1, 'owner', 'owner', 'o@example.com', 'x', TRUE, '2026-11-30T00:00:00Z')",
    )
    .await
    .unwrap();
    conn.execute_unprepared(&format!(
        "INSERT INTO repositories (id, owner_id, name, lower_name, description, is_private, \
         created_at, updated_at, mirror_enabled, mirror_direction, downstream_url, \
         downstream_username, downstream_password, sync_interval, sync_status, \
         consecutive_failures) VALUES (1, 1, 'app', 'app', '', FALSE, \
         '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z', TRUE, 'downstream', '{}', 'dora', \
         '{sealed}', 3600, 'idle', 0)",
        remote.url("backup")
    ))
    .await
    .unwrap();
    if let Db::Postgres { .. } = db {
        // Rows inserted with their ids leave the sequences behind.
        for table in ["users", "repositories"] {
            conn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)"
            ))
            .await
            .unwrap();
        }
    }
    drop(conn);
    let url = db.database_url(dir.path());
    let s = local_server(&db, |c| {
        c.database_url = url;
        c.secret_key = Some(base64::engine::general_purpose::STANDARD.encode(key));
    })
    .await;
    s.forbid_in_answers("old-Pw-58");
    let token = mirrorforge::accounts::tokens::create(&s.conn, 1, "upgrade")
        .await
        .unwrap()
        .secret;
    let owner = crate::support::TestUser {
        id: 1,
        username: "owner".to_owned(),
        password: String::new(),
        token,
    };
    // The repository on disk, with something to push.
    let git = Git::new();
    let path = s.repo_dir("owner", "app");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    git.ok(
        path.parent().unwrap(),
        &["init", "-q", "--bare", path.to_str().unwrap()],
    )
    .await;
    seed(&git, path.to_str().unwrap()).await;

    let row = push_mirror::Entity::find()
        .one(&s.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.remote_url, remote.url("backup"));
    assert_eq!(row.remote_username.as_deref(), Some("dora"));
    assert_eq!(
        row.password_sealed_for,
        SealedFor::PushMirror,
        "re-sealed at start-up"
    );
    let settings =
        crate::support::mirror::call(&s, "GET", "/api/v1/repos/owner/app/mirror", &owner, None)
            .await
            .json();
    assert_eq!(settings["downstream_url"], remote.url("backup"));
    assert_eq!(settings["downstream_username"], "dora");
    assert_eq!(settings["downstream_password_set"], true);

    sync_now(&s, &owner, "app").await.expect(202);
    let status = settle(&s, &owner, "app").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(refs_of(&backup).await, refs_of(&path).await);
}

async fn push_mirrors_are_listed_added_changed_and_removed_per_contract(db: Db) {
    let (s, owner) = start(&db).await;
    let bob = s.create_user("bob").await;
    s.forbid_in_answers("pm-Secret-9");
    s.create_repo(&owner, "app", false).await;
    let list = "/api/v1/repos/owner/app/push_mirrors";

    // Every bad field is named, and nothing is saved.
    let bad = call(
        &s,
        "POST",
        list,
        &owner,
        Some(json!({ "ref_filter": ["heads/main", ""] })),
    )
    .await;
    let err = bad.expect_error(422, "validation_failed");
    assert!(err["fields"]["remote_url"].is_string(), "{err}");
    assert!(err["fields"]["ref_filter"].is_string(), "{err}");
    let bad = call(
        &s,
        "POST",
        list,
        &owner,
        Some(json!({ "remote_url": "ftp://127.0.0.1/x.git" })),
    )
    .await;
    bad.expect_error(422, "validation_failed");
    assert_eq!(call(&s, "GET", list, &owner, None).await.json(), json!([]));

    let added = call(
        &s,
        "POST",
        list,
        &owner,
        Some(json!({
            "remote_url": "http://127.0.0.1:9/team/app.git", "remote_username": "ci",
            "remote_password": "pm-Secret-9", "sync_on_push": true,
            "ref_filter": ["refs/heads/main", "refs/tags/v*", "!refs/tags/v*-rc*"]
        })),
    )
    .await;
    added.expect(201);
    let added = added.json();
    assert_eq!(added["remote_url"], "http://127.0.0.1:9/team/app.git");
    assert_eq!(added["remote_username"], "ci");
    assert_eq!(added["password_set"], true);
    assert_eq!(added["enabled"], true);
    assert_eq!(added["sync_on_push"], true);
    assert_eq!(added["keep_divergent_refs"], false);
    assert_eq!(added["last_status"], "idle");
    assert_eq!(added["last_error"], "");
    assert_eq!(
        added["ref_filter"],
        json!(["refs/heads/main", "refs/tags/v*", "!refs/tags/v*-rc*"])
    );
    let id = added["id"].as_i64().unwrap();
    // It is the settings' downstream too.
    let settings = call(&s, "GET", "/api/v1/repos/owner/app/mirror", &owner, None)
        .await
        .json();
    assert_eq!(
        settings["downstream_url"],
        "http://127.0.0.1:9/team/app.git"
    );
    assert_eq!(settings["downstream_password_set"], true);

    let one = format!("{list}/{id}");
    let changed = call(
        &s,
        "PATCH",
        &one,
        &owner,
        Some(json!({ "keep_divergent_refs": true, "ref_filter": [] })),
    )
    .await;
    changed.expect(200);
    let changed = changed.json();
    assert_eq!(changed["keep_divergent_refs"], true);
    assert_eq!(changed["ref_filter"], json!([]));
    assert_eq!(changed["password_set"], true, "left out keeps");
    // Another host without a new password: the credentials stay with the old one.
    let moved = call(
        &s,
        "PATCH",
        &one,
        &owner,
        Some(json!({ "remote_url": "http://127.0.0.2:9/app.git" })),
    )
    .await
    .json();
    assert_eq!(moved["password_set"], false);
    assert_eq!(moved["remote_username"], "");

    // Up to ten.
    for i in 2..=10 {
        call(
            &s,
            "POST",
            list,
            &owner,
            Some(json!({ "remote_url": format!("http://127.0.0.1:9/b{i}.git") })),
        )
        .await
        .expect(201);
    }
    let listed = call(&s, "GET", list, &owner, None).await.json();
    let ids: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 10);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first: {ids:?}");
    let eleventh = call(
        &s,
        "POST",
        list,
        &owner,
        Some(json!({ "remote_url": "http://127.0.0.1:9/c.git" })),
    )
    .await;
    let err = eleventh.expect_error(422, "validation_failed");
    assert!(
        err["fields"]["remote_url"]
            .as_str()
            .unwrap()
            .contains("at most 10"),
        "{err}"
    );

    // Only the owner or an admin; others get 403 on a repository they can see.
    call(&s, "GET", list, &bob, None).await.expect(403);
    call(&s, "PATCH", &one, &bob, Some(json!({ "enabled": false })))
        .await
        .expect(403);
    call(&s, "DELETE", &one, &owner, None).await.expect(204);
    call(&s, "DELETE", &one, &owner, None)
        .await
        .expect_error(404, "not_found");
    call(&s, "PATCH", &format!("{list}/x"), &owner, Some(json!({})))
        .await
        .expect(404);

    // The last one of a repository that pushes stays until the direction changes.
    for other in &ids[1..9] {
        call(&s, "DELETE", &format!("{list}/{other}"), &owner, None)
            .await
            .expect(204);
    }
    let last = format!("{list}/{}", ids[9]);
    patch(
        &s,
        &owner,
        "app",
        json!({ "mirror_enabled": true, "mirror_direction": "downstream" }),
    )
    .await
    .expect(200);
    call(&s, "DELETE", &last, &owner, None)
        .await
        .expect_error(409, "conflict");
    patch(&s, &owner, "app", json!({ "mirror_enabled": false }))
        .await
        .expect(200);
    call(&s, "DELETE", &last, &owner, None).await.expect(204);
}

/// The refs of `repo` (heads and tags), one `name` per entry.
async fn names_of(repo: &std::path::Path) -> Vec<String> {
    refs_of(repo)
        .await
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
        .collect()
}

async fn filters_select_refs_per_target_and_divergent_refs_are_kept(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::with_auth("filt", "filter-Pw-12").await;
    s.forbid_in_answers("filter-Pw-12");
    let tags_and_main = remotes.create("tags-and-main").await;
    let releases = remotes.create("releases").await;
    let keeper = remotes.create("keeper").await;
    s.create_repo(&owner, "app", false).await;
    let git = Git::new();
    let push_url = s.git_url(Some(("owner", &owner.token)), "owner", "app");
    let work = seed(&git, &push_url).await;
    for tag in ["v2.0", "v2.1-rc1"] {
        git.ok(&work, &["tag", tag]).await;
    }
    git.ok(&work, &["branch", "release/1.0"]).await;
    git.ok(&work, &["push", "-q", &push_url, "--tags", "release/1.0"])
        .await;
    // Things only the remotes have: one outside the filter, and for the keeper a branch of
    // its own and a main that went its own way.
    git.ok(
        &work,
        &[
            "push",
            "-q",
            tags_and_main.to_str().unwrap(),
            "main:refs/heads/theirs",
        ],
    )
    .await;
    let other = git.init("other").await;
    git.commit_file(&other, "o.txt", "o\n", "their own main")
        .await;
    git.ok(
        &other,
        &[
            "push",
            "-q",
            keeper.to_str().unwrap(),
            "main",
            "main:refs/heads/only-there",
        ],
    )
    .await;
    let their_main = git
        .ok(&other, &["rev-parse", "main"])
        .await
        .trim()
        .to_owned();

    let list = "/api/v1/repos/owner/app/push_mirrors";
    for mut body in [
        json!({ "remote_url": remotes.url("tags-and-main"),
                "ref_filter": ["refs/heads/main", "refs/tags/v*", "!refs/tags/v*-rc*"] }),
        json!({ "remote_url": remotes.url("releases"), "ref_filter": ["refs/heads/release/*"] }),
        json!({ "remote_url": remotes.url("keeper"), "keep_divergent_refs": true }),
    ] {
        body["remote_username"] = json!("filt");
        body["remote_password"] = json!("filter-Pw-12");
        call(&s, "POST", list, &owner, Some(body)).await.expect(201);
    }
    patch(
        &s,
        &owner,
        "app",
        json!({ "mirror_enabled": true, "mirror_direction": "downstream" }),
    )
    .await
    .expect(200);
    sync_now(&s, &owner, "app").await.expect(202);
    let status = settle(&s, &owner, "app").await;
    assert_eq!(status["sync_status"], "success", "{status}");

    assert_eq!(
        names_of(&tags_and_main).await,
        [
            "refs/heads/main",
            "refs/heads/theirs",
            "refs/tags/v1",
            "refs/tags/v2.0"
        ],
        "the selected refs, and the one outside the filter left alone"
    );
    assert_eq!(names_of(&releases).await, ["refs/heads/release/1.0"]);
    let kept = refs_of(&keeper).await;
    assert!(
        kept.contains(&format!("{their_main} refs/heads/main")),
        "main kept: {kept}"
    );
    assert!(kept.contains("refs/heads/only-there"), "{kept}");
    assert!(
        kept.contains("refs/heads/feature") && kept.contains("refs/tags/v2.1-rc1"),
        "{kept}"
    );

    let run = &runs(&s, &owner, "app").await[0];
    let diverged: Vec<&str> = run["ref_updates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["action"] == "diverged")
        .map(|u| u["ref"].as_str().unwrap())
        .collect();
    assert_eq!(diverged, ["refs/heads/main", "refs/heads/only-there"]);
}

async fn an_upstream_filter_pulls_and_prunes_only_what_it_selects(db: Db) {
    let (s, owner) = start(&db).await;
    let upstream = GitBackend::start().await;
    let src = upstream.create("src").await;
    let git = Git::new();
    let work = seed(&git, src.to_str().unwrap()).await;
    import_body(
        &s,
        &owner,
        json!({ "name": "m", "clone_url": upstream.url("src"), "mirror": true }),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");
    let before = refs_of(&s.repo_dir("owner", "m")).await;

    let bad = patch(&s, &owner, "m", json!({ "upstream_ref_filter": ["main"] })).await;
    let err = bad.expect_error(422, "validation_failed");
    assert!(err["fields"]["upstream_ref_filter"].is_string(), "{err}");
    let saved = patch(
        &s,
        &owner,
        "m",
        json!({ "upstream_ref_filter": ["refs/heads/main"] }),
    )
    .await;
    saved.expect(200);
    assert_eq!(
        saved.json()["upstream_ref_filter"],
        json!(["refs/heads/main"])
    );

    // Upstream: main and feature move on, the tag goes.
    git.commit_file(&work, "c.txt", "c\n", "three").await;
    git.ok(
        &work,
        &["push", "-q", src.to_str().unwrap(), "main", "main:feature"],
    )
    .await;
    git.ok(
        &work,
        &["push", "-q", src.to_str().unwrap(), ":refs/tags/v1"],
    )
    .await;
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");

    let after = refs_of(&s.repo_dir("owner", "m")).await;
    let line = |refs: &str, name: &str| {
        refs.lines()
            .find(|l| l.ends_with(&format!(" {name}")))
            .map(str::to_owned)
    };
    let upstream_refs = refs_of(&src).await;
    assert_eq!(
        line(&after, "refs/heads/main"),
        line(&upstream_refs, "refs/heads/main")
    );
    assert_eq!(
        line(&after, "refs/heads/feature"),
        line(&before, "refs/heads/feature"),
        "outside the filter: not pulled"
    );
    assert!(
        line(&after, "refs/tags/v1").is_some(),
        "outside the filter: not pruned"
    );
}

/// A repository `name` of `owner` with one commit, pushing to `url` (as `login`, if given) on
/// push only (mirroring on, its first sync done so the scheduler leaves it alone); returns the
/// work tree and push URL.
async fn pushing_on_push(
    s: &crate::support::TestServer,
    owner: &crate::support::TestUser,
    git: &Git,
    name: &str,
    url: &str,
    login: Option<(&str, &str)>,
) -> (std::path::PathBuf, String) {
    s.create_repo(owner, name, false).await;
    let push_url = s.git_url(Some(("owner", &owner.token)), "owner", name);
    let work = git.init(&format!("work-{name}")).await;
    git.commit_file(&work, "a.txt", "a\n", "one").await;
    git.ok(&work, &["push", "-q", &push_url, "main"]).await;
    let list = format!("/api/v1/repos/owner/{name}/push_mirrors");
    let mut body = json!({ "remote_url": url, "sync_on_push": true });
    if let Some((user, password)) = login {
        body["remote_username"] = json!(user);
        body["remote_password"] = json!(password);
    }
    call(s, "POST", &list, owner, Some(body)).await.expect(201);
    patch(
        s,
        owner,
        name,
        json!({ "mirror_enabled": true, "mirror_direction": "downstream" }),
    )
    .await
    .expect(200);
    sync_now(s, owner, name).await.expect(202);
    assert_eq!(settle(s, owner, name).await["sync_status"], "success");
    (work, push_url)
}

/// The runs of `name` a push started.
async fn push_runs(
    s: &crate::support::TestServer,
    owner: &crate::support::TestUser,
    name: &str,
) -> usize {
    runs(s, owner, name)
        .await
        .iter()
        .filter(|r| r["trigger"] == "push")
        .count()
}

async fn a_git_push_reaches_sync_on_push_targets_and_pushes_in_a_row_coalesce(db: Db) {
    let (s, owner) = start(&db).await;
    let git = Git::new();

    // One push: the target has it within 5 seconds, with no "Sync now".
    let fast = GitBackend::with_auth("hook", "on-push-Pw-7").await;
    s.forbid_in_answers("on-push-Pw-7");
    let quick = fast.create("quick").await;
    let other = fast.create("other").await;
    let (work, push_url) = pushing_on_push(
        &s,
        &owner,
        &git,
        "app",
        &fast.url("quick"),
        Some(("hook", "on-push-Pw-7")),
    )
    .await;
    call(
        &s,
        "POST",
        "/api/v1/repos/owner/app/push_mirrors",
        &owner,
        Some(
            json!({ "remote_url": fast.url("other"), "remote_username": "hook",
                     "remote_password": "on-push-Pw-7" }),
        ),
    )
    .await
    .expect(201);
    let before_other = refs_of(&other).await;
    git.commit_file(&work, "b.txt", "b\n", "two").await;
    let pushed_at = std::time::Instant::now();
    git.ok(&work, &["push", "-q", &push_url, "main"]).await;
    let here = s.repo_dir("owner", "app");
    loop {
        if refs_of(&quick).await == refs_of(&here).await {
            break;
        }
        assert!(
            pushed_at.elapsed() < std::time::Duration::from_secs(5),
            "the push did not reach the sync-on-push target within 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    settle(&s, &owner, "app").await;
    assert_eq!(push_runs(&s, &owner, "app").await, 1);
    let run = &runs(&s, &owner, "app").await[0];
    assert_eq!(run["trigger"], "push");
    assert_eq!(run["direction"], "downstream");
    assert_eq!(
        refs_of(&other).await,
        before_other,
        "not a sync-on-push target"
    );

    // Ten pushes in a row while the target is slow: one sync runs, one waits, no more.
    let slow = GitBackend::slow(std::time::Duration::from_millis(1500)).await;
    let backup = slow.create("backup").await;
    let (work, push_url) =
        pushing_on_push(&s, &owner, &git, "busy", &slow.url("backup"), None).await;
    for i in 0..10 {
        git.commit_file(&work, "n.txt", &format!("{i}\n"), &format!("push {i}"))
            .await;
        git.ok(&work, &["push", "-q", &push_url, "main"]).await;
    }
    let here = s.repo_dir("owner", "busy");
    let started = std::time::Instant::now();
    // Done when the backup has the last push and no further sync starts for 3 seconds (a
    // waiting one would claim within a quarter of a second).
    let mut seen = usize::MAX;
    let syncs = loop {
        settle(&s, &owner, "busy").await;
        let count = push_runs(&s, &owner, "busy").await;
        if count == seen && refs_of(&backup).await == refs_of(&here).await {
            break count;
        }
        seen = count;
        assert!(
            started.elapsed() < std::time::Duration::from_secs(90),
            "the pushes never settled"
        );
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    };
    assert!((1..=2).contains(&syncs), "{syncs} syncs for ten pushes");
}
