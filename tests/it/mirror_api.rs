//! Mirroring through the in-process server against real remotes (stock `git http-backend` on
//! 127.0.0.1, with Basic auth, as the stand-in for GitHub): the mirror API, the scheduler,
//! claims, redirects and secrets.

use std::{path::Path, time::Duration};

use serde_json::json;

use crate::support::{
    Db, Git, Resp, TestServer,
    git_backend::{GitBackend, RedirectingRemote, refs_of},
    mirror::{call, import_body, local_server, patch, runs, seed, settle, start, sync_now},
    on_both_databases,
    process::files_below,
};

on_both_databases!(
    import_as_mirror_then_every_upstream_change_is_mirrored_exactly,
    downstream_push_mirrors_branches_tags_and_deletions,
    both_pulls_then_pushes_and_a_failed_pull_skips_the_push,
    wrong_password_fails_clearly_and_leaks_nothing,
    protected_branch_rejection_names_the_ref,
    redirects_are_not_followed,
    settings_patch_semantics_and_validation,
    every_rejected_url_form_is_a_422_naming_the_field,
    only_owner_or_admin_may_touch_mirror_settings,
    twenty_concurrent_sync_now_give_one_202_and_nineteen_409,
    the_scheduler_syncs_due_mirrors,
    import_without_mirror_clones_once_and_keeps_no_credentials,
    a_changed_secret_key_fails_the_sync_with_a_sentence,
    a_remote_no_longer_allowed_is_refused_when_the_sync_connects,
);

async fn import_as_mirror_then_every_upstream_change_is_mirrored_exactly(db: Db) {
    let (s, owner) = start(&db).await;
    let upstream = GitBackend::with_auth("bob", "upstream-S3cret").await;
    s.forbid_in_answers("upstream-S3cret");
    let bare = upstream.create("src").await;
    let git = Git::new();
    let work = seed(&git, bare.to_str().unwrap()).await;

    let resp = import_body(
        &s,
        &owner,
        json!({
            "name": "src", "clone_url": upstream.url("src"), "mirror": true,
            "auth_username": "bob", "auth_password": "upstream-S3cret", "sync_interval": 3600
        }),
    )
    .await;
    resp.expect(201);
    assert_eq!(resp.json()["mirror_enabled"], true);
    assert_eq!(resp.json()["mirror_direction"], "upstream");
    let status = settle(&s, &owner, "src").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(
        refs_of(&s.repo_dir("owner", "src")).await,
        refs_of(&bare).await
    );
    let first = runs(&s, &owner, "src").await;
    assert_eq!(first[0]["trigger"], "import");
    // No error reads "" here, as sync_error does in the settings (never null).
    assert_eq!(first[0]["error"], "");

    // New commit, deleted branch, force-pushed branch, new tag — and a host-internal ref.
    git.commit_file(&work, "c.txt", "three\n", "three").await;
    let bare_path = bare.to_str().unwrap();
    git.ok(&work, &["push", "-q", bare_path, "main"]).await;
    git.ok(&work, &["push", "-q", bare_path, ":feature"]).await;
    git.ok(&work, &["checkout", "-q", "-b", "rewritten", "HEAD~2"])
        .await;
    git.commit_file(&work, "d.txt", "other\n", "rewritten")
        .await;
    git.ok(&work, &["push", "-q", "-f", bare_path, "rewritten:main"])
        .await;
    git.ok(&work, &["tag", "v2"]).await;
    git.ok(
        &work,
        &["push", "-q", bare_path, "v2", "HEAD:refs/pull/1/head"],
    )
    .await;

    sync_now(&s, &owner, "src").await.expect(202);
    let status = settle(&s, &owner, "src").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    let mirrored = refs_of(&s.repo_dir("owner", "src")).await;
    assert_eq!(mirrored, refs_of(&bare).await);
    assert!(
        !mirrored.contains("refs/pull/"),
        "host-internal refs are not mirrored"
    );
    assert!(!mirrored.contains("refs/heads/feature"));

    // The run lists every change, the pruned branch with its old id so it can be restored.
    let latest = &runs(&s, &owner, "src").await[0];
    assert_eq!(latest["trigger"], "manual");
    let updates = latest["ref_updates"].as_array().unwrap();
    let find = |name: &str| {
        updates
            .iter()
            .find(|u| u["ref"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {latest}"))
    };
    assert!(find("refs/heads/feature")["new"].is_null());
    assert!(find("refs/heads/feature")["old"].is_string());
    assert!(find("refs/tags/v2")["old"].is_null());
    assert_ne!(
        find("refs/heads/main")["old"],
        find("refs/heads/main")["new"]
    );

    // Nothing changed: recorded as up to date, nothing transferred.
    sync_now(&s, &owner, "src").await.expect(202);
    settle(&s, &owner, "src").await;
    let noop = &runs(&s, &owner, "src").await[0];
    assert_eq!(noop["status"], "up_to_date", "{noop}");
    assert_eq!(noop["ref_updates"].as_array().unwrap().len(), 0);

    // A clone of the mirror is whole, and pushing to it is refused with the reason.
    let (out, clone) = git
        .clone(&s.git_url(None, "owner", "src"), "clone", &[])
        .await;
    assert!(out.status.success());
    git.ok(&clone, &["fsck", "--full"]).await;
    let refused = git
        .fails(
            &clone,
            &[
                "push",
                &s.git_url(Some(("owner", &owner.token)), "owner", "src"),
                "HEAD:refs/heads/new",
            ],
        )
        .await;
    assert!(
        refused.contains("is a mirror of") && refused.contains(&upstream.url("src")),
        "{refused}"
    );
    assert!(!refused.contains("S3cret"));
}

async fn downstream_push_mirrors_branches_tags_and_deletions(db: Db) {
    let (s, owner) = start(&db).await;
    let downstream = GitBackend::with_auth("carol", "down-Pw-77").await;
    s.forbid_in_answers("down-Pw-77");
    let backup = downstream.create("backup").await;
    s.create_repo(&owner, "app", false).await;
    let git = Git::new();
    let push_url = s.git_url(Some(("owner", &owner.token)), "owner", "app");
    let work = seed(&git, &push_url).await;
    // Something on the remote that does not exist here must go.
    git.ok(
        &work,
        &[
            "push",
            "-q",
            backup.to_str().unwrap(),
            "main:refs/heads/stale",
        ],
    )
    .await;

    patch(
        &s,
        &owner,
        "app",
        json!({
            "mirror_enabled": true, "mirror_direction": "downstream",
            "downstream_url": downstream.url("backup"), "downstream_username": "carol",
            "downstream_password": "down-Pw-77"
        }),
    )
    .await
    .expect(200);
    sync_now(&s, &owner, "app").await.expect(202);
    let status = settle(&s, &owner, "app").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(
        refs_of(&backup).await,
        refs_of(&s.repo_dir("owner", "app")).await
    );

    // Delete a branch and force-move main here; the next push mirrors both.
    git.ok(&work, &["push", "-q", &push_url, ":feature"]).await;
    git.ok(&work, &["reset", "-q", "--hard", "HEAD~1"]).await;
    git.commit_file(&work, "x.txt", "x\n", "diverged").await;
    git.ok(&work, &["push", "-q", "-f", &push_url, "main"])
        .await;
    sync_now(&s, &owner, "app").await.expect(202);
    assert_eq!(settle(&s, &owner, "app").await["sync_status"], "success");
    let remote = refs_of(&backup).await;
    assert_eq!(remote, refs_of(&s.repo_dir("owner", "app")).await);
    assert!(!remote.contains("refs/heads/feature") && !remote.contains("stale"));
    let latest = &runs(&s, &owner, "app").await[0];
    assert_eq!(latest["direction"], "downstream");
    assert!(
        latest["ref_updates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["ref"] == "refs/heads/feature" && u["new"].is_null())
    );
    git.ok(&backup, &["fsck", "--full"]).await;
}

async fn both_pulls_then_pushes_and_a_failed_pull_skips_the_push(db: Db) {
    let (s, owner) = start(&db).await;
    let upstream = GitBackend::start().await;
    let downstream = GitBackend::start().await;
    let src = upstream.create("src").await;
    let dst = downstream.create("dst").await;
    let git = Git::new();
    seed(&git, src.to_str().unwrap()).await;
    s.create_repo(&owner, "both", false).await;
    patch(
        &s,
        &owner,
        "both",
        json!({
            "mirror_enabled": true, "mirror_direction": "both",
            "upstream_url": upstream.url("src"), "downstream_url": downstream.url("dst")
        }),
    )
    .await
    .expect(200);
    sync_now(&s, &owner, "both").await.expect(202);
    assert_eq!(settle(&s, &owner, "both").await["sync_status"], "success");
    assert_eq!(refs_of(&dst).await, refs_of(&src).await);
    assert_eq!(
        refs_of(&s.repo_dir("owner", "both")).await,
        refs_of(&src).await
    );

    // The upstream disappears: the pull fails and the push must not run.
    patch(
        &s,
        &owner,
        "both",
        json!({ "upstream_url": upstream.url("missing") }),
    )
    .await
    .expect(200);
    let before = refs_of(&dst).await;
    sync_now(&s, &owner, "both").await.expect(202);
    let status = settle(&s, &owner, "both").await;
    assert_eq!(status["sync_status"], "failed");
    // The pull's error is the status's; the run says the push was skipped.
    let error = status["sync_error"].as_str().unwrap();
    assert!(
        error.starts_with("upstream: ") && error.contains("not found"),
        "{error}"
    );
    let run = &runs(&s, &owner, "both").await[0];
    assert!(run["error"].as_str().unwrap().contains("skipped"), "{run}");
    assert_eq!(refs_of(&dst).await, before);
    assert_eq!(status["consecutive_failures"], 1);
}

async fn wrong_password_fails_clearly_and_leaks_nothing(db: Db) {
    let (s, owner) = start(&db).await;
    let upstream = GitBackend::with_auth("bob", "right-Password-1").await;
    upstream.create("src").await;
    s.forbid_in_answers("Wrong-Password-2");
    let resp = import_body(
        &s,
        &owner,
        json!({
            "name": "src", "clone_url": upstream.url("src"), "mirror": true,
            "auth_username": "bob", "auth_password": "Wrong-Password-2"
        }),
    )
    .await;
    resp.expect(201);
    let status = settle(&s, &owner, "src").await;
    assert_eq!(status["sync_status"], "failed");
    let error = status["sync_error"].as_str().unwrap();
    assert!(error.contains("authentication failed"), "{error}");
    // Authentication failures are permanent: the retry waits the whole interval.
    let next =
        chrono::DateTime::parse_from_rfc3339(status["next_sync_at"].as_str().unwrap()).unwrap();
    assert!(
        next > chrono::Utc::now() + chrono::TimeDelta::seconds(3000),
        "{status}"
    );
    let settings = call(&s, "GET", "/api/v1/repos/owner/src/mirror", &owner, None).await;
    assert_eq!(settings.json()["upstream_password_set"], true);
    // Not in the data directory in plain text (database, WAL, repository config), nor in git config.
    for file in files_below(s.data_dir()) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(16).any(|w| w == b"Wrong-Password-2"),
            "the password is readable in {}",
            file.display()
        );
    }
    let config = std::fs::read_to_string(s.repo_dir("owner", "src").join("config")).unwrap();
    assert!(
        !config.contains("Wrong") && !config.contains("remote"),
        "{config}"
    );
}

async fn protected_branch_rejection_names_the_ref(db: Db) {
    let (s, owner) = start(&db).await;
    let downstream = GitBackend::start().await;
    let backup = downstream.create("backup").await;
    s.create_repo(&owner, "app", false).await;
    let git = Git::new();
    let push_url = s.git_url(Some(("owner", &owner.token)), "owner", "app");
    let work = seed(&git, &push_url).await;
    git.ok(&work, &["push", "-q", backup.to_str().unwrap(), "main"])
        .await;
    downstream.protect("backup", "refs/heads/main");
    git.commit_file(&work, "new.txt", "n\n", "moves main").await;
    git.ok(&work, &["push", "-q", &push_url, "main"]).await;
    patch(&s, &owner, "app", json!({
        "mirror_enabled": true, "mirror_direction": "downstream", "downstream_url": downstream.url("backup")
    })).await.expect(200);
    sync_now(&s, &owner, "app").await.expect(202);
    let status = settle(&s, &owner, "app").await;
    assert_eq!(status["sync_status"], "failed");
    let error = status["sync_error"].as_str().unwrap();
    assert!(
        error.contains("rejected") && error.contains("refs/heads/main"),
        "{error}"
    );
}

async fn redirects_are_not_followed(db: Db) {
    let (s, owner) = start(&db).await;
    let real = GitBackend::start().await;
    let src = real.create("src").await;
    let git = Git::new();
    seed(&git, src.to_str().unwrap()).await;
    // The same host on another port (libgit2 alone would follow this one), and another host.
    for (name, target) in [
        (
            "same-host",
            format!("http://127.0.0.1:{}", real.addr.port()),
        ),
        (
            "other-host",
            format!("http://localhost:{}", real.addr.port()),
        ),
    ] {
        let mover = RedirectingRemote::start(target.clone()).await;
        import_body(
            &s,
            &owner,
            json!({ "name": name, "clone_url": mover.url("src"), "mirror": true }),
        )
        .await
        .expect(201);
        let status = settle(&s, &owner, name).await;
        assert_eq!(status["sync_status"], "failed", "{name}");
        let error = status["sync_error"].as_str().unwrap();
        assert!(
            error.contains(&format!("redirected to {target}/src.git"))
                && error.contains("update the URL"),
            "{name}: {error}"
        );
        assert_eq!(
            refs_of(&s.repo_dir("owner", name)).await,
            "",
            "{name}: nothing fetched"
        );
        // The same holds for a downstream push.
        patch(
            &s,
            &owner,
            name,
            json!({ "mirror_direction": "downstream", "downstream_url": mover.url("src") }),
        )
        .await
        .expect(200);
        sync_now(&s, &owner, name).await.expect(202);
        let error = settle(&s, &owner, name).await["sync_error"].clone();
        assert!(
            error.as_str().unwrap().contains("redirected to"),
            "{name}: {error}"
        );
    }
}

async fn settings_patch_semantics_and_validation(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "r", false).await;
    let initial = call(&s, "GET", "/api/v1/repos/owner/r/mirror", &owner, None).await;
    initial.expect(200);
    let body = initial.json();
    assert_eq!(body["mirror_enabled"], false);
    assert_eq!(body["sync_interval"], 3600);
    assert_eq!(body["sync_status"], "idle");
    s.forbid_in_answers("Keep-Me-Secret");

    let set = patch(&s, &owner, "r", json!({
        "upstream_url": "http://127.0.0.1:9/x.git", "upstream_username": "u", "upstream_password": "Keep-Me-Secret",
        "sync_interval": 120
    })).await;
    set.expect(200);
    assert_eq!(set.json()["upstream_password_set"], true);
    // Left out keeps.
    let kept = patch(&s, &owner, "r", json!({ "sync_interval": 600 }))
        .await
        .json();
    assert_eq!(kept["upstream_username"], "u");
    assert_eq!(kept["upstream_password_set"], true);
    assert_eq!(kept["upstream_url"], "http://127.0.0.1:9/x.git");
    // "" clears.
    let cleared = patch(
        &s,
        &owner,
        "r",
        json!({ "upstream_password": "", "upstream_username": "" }),
    )
    .await
    .json();
    assert_eq!(cleared["upstream_password_set"], false);
    assert_eq!(cleared["upstream_username"], "");

    // Each bad field is named, and nothing is saved.
    let bad = patch(
        &s,
        &owner,
        "r",
        json!({
            "mirror_direction": "sideways", "sync_interval": 0, "upstream_username": "x".repeat(256)
        }),
    )
    .await;
    let err = bad.expect_error(422, "validation_failed");
    for field in ["mirror_direction", "sync_interval", "upstream_username"] {
        assert!(err["fields"][field].is_string(), "{field} in {err}");
    }
    let too_long = patch(&s, &owner, "r", json!({ "sync_interval": 31_536_001 })).await;
    too_long.expect_error(422, "validation_failed");
    let enable_without_url = patch(
        &s,
        &owner,
        "r",
        json!({ "mirror_enabled": true, "mirror_direction": "downstream" }),
    )
    .await;
    let err = enable_without_url.expect_error(422, "validation_failed");
    assert!(err["fields"]["downstream_url"].is_string(), "{err}");
    let unchanged = call(&s, "GET", "/api/v1/repos/owner/r/mirror", &owner, None)
        .await
        .json();
    assert_eq!(unchanged["mirror_enabled"], false);
    assert_eq!(unchanged["mirror_direction"], "upstream");
    assert_eq!(unchanged["sync_interval"], 600);

    // Sync of a disabled mirror is 422; malformed JSON 400.
    sync_now(&s, &owner, "r")
        .await
        .expect_error(422, "validation_failed");
    let raw = s
        .send(
            s.http
                .patch(s.url("/api/v1/repos/owner/r/mirror"))
                .bearer_auth(&owner.token)
                .header("content-type", "application/json")
                .body("{\"sync_interval\":"),
        )
        .await;
    raw.expect_error(400, "bad_request");
}

async fn every_rejected_url_form_is_a_422_naming_the_field(db: Db) {
    let s = TestServer::start(&db).await; // local networks NOT allowed
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "r", false).await;
    let long = format!("https://example.com/{}", "a".repeat(500));
    let bad = [
        "ftp://example.com/r.git",
        "file:///etc/passwd",
        "ssh://git@127.0.0.1/r.git",
        "https://user:pw@example.com/r.git",
        "https://token@example.com/r.git",
        "http://127.0.0.1/r.git",
        "http://localhost/r.git",
        "http://2130706433/r.git",
        "http://0x7f000001/r.git",
        "http://0177.0.0.1/r.git",
        "http://10.0.0.1/r.git",
        "http://172.16.5.4/r.git",
        "http://192.168.0.1/r.git",
        "http://169.254.169.254/r.git",
        "http://0.0.0.0/r.git",
        "http://224.0.0.1/r.git",
        "http://[::1]/r.git",
        "http://[::]/r.git",
        "http://[fd00::1]/r.git",
        "http://[fe80::1]/r.git",
        "http://[ff02::1]/r.git",
        "http://[::ffff:127.0.0.1]/r.git",
        "http://[::ffff:7f00:1]/r.git",
        "not a url",
        long.as_str(),
    ];
    for url in bad {
        for field in ["upstream_url", "downstream_url"] {
            let resp = patch(&s, &owner, "r", json!({ field: url })).await;
            let err = resp.expect_error(422, "validation_failed");
            assert!(err["fields"][field].is_string(), "{url} → {err}");
        }
        let resp = import_body(
            &s,
            &owner,
            json!({ "name": "imp", "clone_url": url, "mirror": true }),
        )
        .await;
        let err = resp.expect_error(422, "validation_failed");
        assert!(err["fields"]["clone_url"].is_string(), "{url} → {err}");
    }
    assert!(
        !s.repo_dir("owner", "imp").exists(),
        "a refused import creates nothing"
    );
}

async fn only_owner_or_admin_may_touch_mirror_settings(db: Db) {
    let (s, owner) = start(&db).await;
    let other = s.create_user("mallory").await;
    let alice = s.create_user("alice").await;
    s.create_repo(&alice, "pub", false).await;
    s.create_repo(&alice, "priv", true).await;
    call(&s, "GET", "/api/v1/repos/alice/pub/mirror", &other, None)
        .await
        .expect_error(403, "forbidden");
    call(
        &s,
        "PATCH",
        "/api/v1/repos/alice/pub/mirror",
        &other,
        Some(json!({"sync_interval": 60})),
    )
    .await
    .expect_error(403, "forbidden");
    call(&s, "POST", "/api/v1/repos/alice/pub/sync", &other, None)
        .await
        .expect_error(403, "forbidden");
    call(&s, "GET", "/api/v1/repos/alice/priv/mirror", &other, None)
        .await
        .expect_error(404, "not_found");
    call(
        &s,
        "GET",
        "/api/v1/repos/alice/priv/mirror/runs",
        &other,
        None,
    )
    .await
    .expect_error(404, "not_found");
    call(&s, "GET", "/api/v1/repos/alice/priv/mirror", &owner, None)
        .await
        .expect(200);
    call(
        &s,
        "GET",
        "/api/v1/repos/alice/priv/mirror/status",
        &alice,
        None,
    )
    .await
    .expect(200);
    let anonymous = s
        .send(s.http.get(s.url("/api/v1/repos/alice/pub/mirror")))
        .await;
    anonymous.expect_error(401, "unauthorized");
}

async fn twenty_concurrent_sync_now_give_one_202_and_nineteen_409(db: Db) {
    let (s, owner) = start(&db).await;
    let slow = GitBackend::slow(Duration::from_millis(1500)).await;
    let src = slow.create("src").await;
    let git = Git::new();
    seed(&git, src.to_str().unwrap()).await;
    s.create_repo(&owner, "busy", false).await;
    patch(
        &s,
        &owner,
        "busy",
        json!({ "mirror_enabled": true, "upstream_url": slow.url("src") }),
    )
    .await
    .expect(200);
    let requests = (0..20).map(|_| sync_now(&s, &owner, "busy"));
    let answers = futures_util::future::join_all(requests).await;
    let accepted = answers.iter().filter(|r| r.status.as_u16() == 202).count();
    let conflicts: Vec<&Resp> = answers
        .iter()
        .filter(|r| r.status.as_u16() == 409)
        .collect();
    assert_eq!((accepted, conflicts.len()), (1, 19));
    conflicts[0].expect_error(409, "conflict");
    assert_eq!(settle(&s, &owner, "busy").await["sync_status"], "success");
    assert_eq!(runs(&s, &owner, "busy").await.len(), 1);
}

async fn the_scheduler_syncs_due_mirrors(db: Db) {
    let s = local_server(&db, |c| {
        c.min_sync_interval = 1;
        c.scheduler_cron = "* * * * * *".to_owned();
    })
    .await;
    let owner = s.create_admin("owner").await;
    let upstream = GitBackend::start().await;
    let src = upstream.create("src").await;
    let git = Git::new();
    let work = seed(&git, src.to_str().unwrap()).await;
    s.create_repo(&owner, "auto", false).await;
    patch(
        &s,
        &owner,
        "auto",
        json!({ "mirror_enabled": true, "upstream_url": upstream.url("src"), "sync_interval": 1 }),
    )
    .await
    .expect(200);
    let mirror = s.repo_dir("owner", "auto");
    assert!(
        refs_become_equal(&mirror, &src).await,
        "the scheduler did not pick up the due mirror"
    );
    git.commit_file(&work, "later.txt", "later\n", "later")
        .await;
    git.ok(&work, &["push", "-q", src.to_str().unwrap(), "main"])
        .await;
    assert!(
        refs_become_equal(&mirror, &src).await,
        "the scheduler did not sync the new commit"
    );
    let all = runs(&s, &owner, "auto").await;
    assert!(all.iter().all(|r| r["trigger"] == "scheduled"), "{all:?}");
}

/// Whether the refs of `mirror` come to equal those of `src` within 30 s (asking every 100 ms):
/// a scheduled sync shows no status before it starts, so only the refs tell it has run.
async fn refs_become_equal(mirror: &Path, src: &Path) -> bool {
    for _ in 0..300 {
        if refs_of(mirror).await == refs_of(src).await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn import_without_mirror_clones_once_and_keeps_no_credentials(db: Db) {
    let (s, owner) = start(&db).await;
    let upstream = GitBackend::with_auth("bob", "Once-Only-Pw").await;
    s.forbid_in_answers("Once-Only-Pw");
    let src = upstream.create("src").await;
    let git = Git::new();
    seed(&git, src.to_str().unwrap()).await;
    let resp = import_body(
        &s,
        &owner,
        json!({
            "name": "copy", "clone_url": upstream.url("src"), "mirror": false, "private": true,
            "auth_username": "bob", "auth_password": "Once-Only-Pw"
        }),
    )
    .await;
    resp.expect(201);
    assert_eq!(resp.json()["mirror_enabled"], false);
    assert_eq!(resp.json()["private"], true);
    let status = settle(&s, &owner, "copy").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(
        refs_of(&s.repo_dir("owner", "copy")).await,
        refs_of(&src).await
    );
    let settings = call(&s, "GET", "/api/v1/repos/owner/copy/mirror", &owner, None)
        .await
        .json();
    assert_eq!(settings["upstream_password_set"], false);
    assert_eq!(settings["upstream_username"], "");
    assert_eq!(settings["mirror_enabled"], false);
    // A plain repository: pushes are accepted.
    let (_, clone) = git
        .clone(
            &s.git_url(Some(("owner", &owner.token)), "owner", "copy"),
            "c",
            &[],
        )
        .await;
    git.commit_file(&clone, "mine.txt", "mine\n", "mine").await;
    git.ok(&clone, &["push", "-q", "origin", "main"]).await;
}

async fn a_changed_secret_key_fails_the_sync_with_a_sentence(db: Db) {
    let mut s = local_server(&db, |c| {
        c.secret_key = Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned());
    })
    .await;
    let owner = s.create_admin("owner").await;
    let upstream = GitBackend::with_auth("bob", "pw-123456").await;
    upstream.create("src").await;
    import_body(
        &s,
        &owner,
        json!({
            "name": "src", "clone_url": upstream.url("src"), "mirror": true,
            "auth_username": "bob", "auth_password": "pw-123456"
        }),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "src").await["sync_status"], "success");
    s.config.secret_key = Some("BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=".to_owned());
    s.restart().await;
    sync_now(&s, &owner, "src").await.expect(202);
    let status = settle(&s, &owner, "src").await;
    assert_eq!(status["sync_status"], "failed");
    let error = status["sync_error"].as_str().unwrap();
    assert!(
        error.contains("cannot be decrypted") && error.contains("enter it again"),
        "{error}"
    );
    // The server is fine and a new password fixes it.
    patch(
        &s,
        &owner,
        "src",
        json!({ "upstream_password": "pw-123456" }),
    )
    .await
    .expect(200);
    sync_now(&s, &owner, "src").await.expect(202);
    assert_eq!(settle(&s, &owner, "src").await["sync_status"], "success");
}

/// A mirror saved while local networks were allowed, synced after they no longer are: the
/// egress refuses the connection, and the sync fails with the policy's sentence and waits the
/// full interval (it is not a passing failure).
async fn a_remote_no_longer_allowed_is_refused_when_the_sync_connects(db: Db) {
    let (mut s, owner) = start(&db).await;
    let upstream = GitBackend::start().await;
    let src = upstream.create("src").await;
    seed(&Git::new(), src.to_str().unwrap()).await;
    // A name, not an address: only a lookup can tell where it leads.
    let by_name = upstream.url("src").replace("127.0.0.1", "localhost");
    import_body(
        &s,
        &owner,
        json!({ "name": "m", "clone_url": by_name, "mirror": true }),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");

    s.config.allow_local_networks = false;
    s.restart().await;
    sync_now(&s, &owner, "m").await.expect(202);
    let status = settle(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(
        error.contains("URL host resolves to") && error.contains("not allowed"),
        "{error}"
    );
    let next =
        chrono::DateTime::parse_from_rfc3339(status["next_sync_at"].as_str().unwrap()).unwrap();
    let wait = next.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!(
        wait > 1800,
        "retried after {wait} s, not after the interval"
    );
}
