//! LFS in mirrors: a pull mirror with `lfs_enabled` fetches every LFS object its new commits
//! point to from the upstream's LFS server (here this server's own, spoken to over HTTP like
//! any remote), counts them in the run, and its clone checks the files out; a missing object
//! fails the run naming it and leaves the refs where they were; a push mirror gets the objects
//! its refs need before the refs. The same pull against a stock LFS server stand-in (Basic on
//! its batch API, objects on another host behind the actions' own token): the credentials stay
//! with the batch API, and a download redirected elsewhere is not followed. An `lfs_endpoint`
//! on another origin (another port will do) gets its own `lfs_username`/`lfs_password`, never
//! the upstream's login; one on the upstream's scheme, host and port gets the upstream's.

use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser,
    git_backend::{CountingListener, GitBackend, refs_of},
    lfs::{oid_of, pseudo_random, stored_files},
    lfs_standin::LfsStandIn,
    mirror::{call, import_body, local_server, patch, runs, settle, start, sync_now},
    on_both_databases,
};

on_both_databases!(
    a_pull_mirror_with_lfs_carries_every_object_and_stops_at_a_missing_one,
    a_push_mirror_gets_the_lfs_objects_its_refs_need,
    an_import_with_lfs_brings_the_objects_and_keeps_lfs_on,
    a_pull_mirror_of_a_stock_lfs_server_gets_the_objects_from_its_storage_host,
    a_pull_mirror_asks_the_lfs_endpoint_when_the_lfs_server_is_elsewhere,
    an_lfs_endpoint_on_the_upstreams_origin_gets_the_upstream_login,
    a_redirected_lfs_download_is_not_followed_and_the_refs_stay,
    more_objects_than_one_batch_go_both_ways,
    an_upstream_cannot_make_the_mirror_store_more_than_its_pointers_and_limit_allow,
);

/// The upstream login the stand-ins want.
const UPSTREAM_USER: &str = "robot";
/// Its password.
const UPSTREAM_PASSWORD: &str = "upstream-s3cret-9f2c";

/// A work tree tracking `*.bin` with LFS, holding `files`, committed and pushed to `url`.
async fn push_lfs_files(git: &Git, url: &str, work: &str, files: &[(&str, &[u8])]) {
    let dir = git.path(work);
    if !dir.exists() {
        git.init_lfs(work).await;
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

    // A pointer-like file outside the LFS paths (`*.bin`), as git-lfs's own test fixtures
    // are: a checkout leaves it as it is, so no object is wanted and the sync goes through.
    let work = git.path("work");
    let pointer_to = |oid: &str| {
        format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 23\n")
    };
    let fixture = oid_of(b"a fixture, not an object");
    std::fs::write(work.join("fixture.dat"), pointer_to(&fixture)).unwrap();
    git.ok(&work, &["add", "fixture.dat"]).await;
    git.ok(&work, &["commit", "-q", "-m", "a pointer-like fixture"])
        .await;
    git.ok(&work, &["push", "-q", "--no-verify", &up, "main"])
        .await;
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(run["lfs_objects_transferred"], 0, "{run}");

    // A pointer to an object the upstream does not have: the run fails naming it, and the
    // mirror's refs stay where they were.
    let before = git
        .ok(&s.repo_dir("owner", "m"), &["rev-parse", "main"])
        .await;
    let ghost = oid_of(b"never uploaded anywhere");
    // A pointer written as it is: git-lfs's clean filter lets a pointer through unchanged.
    std::fs::write(work.join("ghost.bin"), pointer_to(&ghost)).unwrap();
    git.ok(&work, &["add", "ghost.bin"]).await;
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

    // An LFS endpoint given with the import: a bad one is refused naming the field, and
    // nothing is made; a good one is kept, for a mirror and for a one-time copy alike.
    let bad = import_body(
        &s,
        &owner,
        json!({"name": "bad", "clone_url": s.git_url(None, "owner", "up"), "mirror": true,
               "lfs": true, "lfs_endpoint": "ftp://127.0.0.1/lfs"}),
    )
    .await;
    bad.expect(422);
    assert!(
        bad.json()["fields"]["lfs_endpoint"].is_string(),
        "{}",
        bad.json()
    );
    call(&s, "GET", "/api/v1/repos/owner/bad", &owner, None)
        .await
        .expect(404);
    let endpoint = format!("{}/owner/up.git/info/lfs", s.base());
    for (name, mirror) in [("elsewhere", true), ("once", false)] {
        import_body(
            &s,
            &owner,
            json!({"name": name, "clone_url": s.git_url(None, "owner", "up"), "mirror": mirror,
                   "auth_username": "owner", "auth_password": owner.token,
                   "lfs": true, "lfs_endpoint": endpoint}),
        )
        .await
        .expect(201);
        let path = format!("/api/v1/repos/owner/{name}/mirror");
        let settings = call(&s, "GET", &path, &owner, None).await.json();
        assert_eq!(settings["lfs_endpoint"], endpoint.as_str(), "{name}");
        assert_eq!(settings["lfs_enabled"], true, "{name}");
    }
}

/// The `Authorization` header of the upstream login.
fn upstream_basic() -> String {
    basic(UPSTREAM_USER, UPSTREAM_PASSWORD)
}

/// `http://robot:…@ADDR/NAME.git`: where the stock client pushes.
fn with_login(backend: &GitBackend, name: &str) -> String {
    format!(
        "http://{UPSTREAM_USER}:{UPSTREAM_PASSWORD}@{}/{name}.git",
        backend.addr
    )
}

/// Turns `repo` into a pull mirror of `upstream` with LFS on, logging in as the stand-ins
/// want, and `extra` settings.
async fn mirror_with_lfs(
    s: &TestServer,
    owner: &TestUser,
    repo: &str,
    upstream: &str,
    extra: Value,
) {
    let mut body = json!({"mirror_enabled": true, "mirror_direction": "upstream",
        "upstream_url": upstream,
        "upstream_username": UPSTREAM_USER, "upstream_password": UPSTREAM_PASSWORD,
        "lfs_enabled": true});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    patch(s, owner, repo, body).await.expect(200);
}

/// The storage host's requests since the last call as `METHOD path`, each checked to carry
/// the actions' own `RemoteAuth` token, or no `Authorization` at all when the hrefs are
/// presigned: never the upstream login.
fn storage_requests(standin: &LfsStandIn, presigned: bool) -> Vec<String> {
    let remote_auth = format!("RemoteAuth {}", standin.token);
    let expected = (!presigned).then_some(remote_auth.as_str());
    standin
        .take_storage_requests()
        .into_iter()
        .map(|seen| {
            assert_eq!(
                seen.authorization.as_deref(),
                expected,
                "the storage host gets the action's token, never the upstream login: {seen:?}"
            );
            format!("{} {}", seen.method, seen.path)
        })
        .collect()
}

async fn a_pull_mirror_of_a_stock_lfs_server_gets_the_objects_from_its_storage_host(db: Db) {
    let (s, owner) = start(&db).await;
    let standin = LfsStandIn::start(UPSTREAM_USER, UPSTREAM_PASSWORD).await;
    // Git and the batch API under one URL, as on GitHub: `<upstream>/info/lfs` is the server.
    let backend =
        GitBackend::with_auth_and_lfs(UPSTREAM_USER, UPSTREAM_PASSWORD, standin.router()).await;
    backend.create("up").await;
    let git = Git::new();
    git.lfs_install().await;
    let (one, two) = (pseudo_random(300 * 1024, 41), pseudo_random(70 * 1024, 42));
    push_lfs_files(
        &git,
        &with_login(&backend, "up"),
        "work",
        &[("one.bin", &one), ("two.bin", &two)],
    )
    .await;
    // The stock `git lfs` put both objects on the storage host through the upload actions.
    assert!(standin.has(&oid_of(&one)) && standin.has(&oid_of(&two)));
    let mut seeded: Vec<String> = storage_requests(&standin, false)
        .into_iter()
        .filter_map(|r| r.strip_prefix("PUT ").map(|path| format!("GET {path}")))
        .collect();
    seeded.sort();
    assert_eq!(seeded.len(), 2, "{seeded:?}");
    standin.take_batch_requests();

    s.create_repo(&owner, "m", false).await;
    mirror_with_lfs(&s, &owner, "m", &backend.url("up"), json!({})).await;
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(run["lfs_objects_transferred"], 2, "{run}");
    assert_eq!(
        run["lfs_bytes_transferred"],
        (one.len() + two.len()) as u64,
        "{run}"
    );
    // The batch API got the upstream login; the storage host only its token, one GET each.
    let batches = standin.take_batch_requests();
    assert!(!batches.is_empty());
    for seen in &batches {
        assert_eq!(seen.path, "/up.git/info/lfs/objects/batch");
        assert_eq!(seen.authorization, Some(upstream_basic()), "{seen:?}");
    }
    let mut fetched = storage_requests(&standin, false);
    fetched.sort();
    assert_eq!(fetched, seeded);
    let dir = clone(&s, &owner, &git, "m", "clone").await;
    assert!(std::fs::read(dir.join("one.bin")).unwrap() == one);
    assert!(std::fs::read(dir.join("two.bin")).unwrap() == two);

    // A pointer to an object the stand-in does not have (its per-object 404): the run fails
    // naming the oid and the mirror's refs stay.
    let before = refs_of(&s.repo_dir("owner", "m")).await;
    let ghost = oid_of(b"not on the stand-in");
    let work = git.path("work");
    // (A `*.bin`: only paths `.gitattributes` gives to LFS want their object.)
    std::fs::write(
        work.join("ghost.bin"),
        format!("version https://git-lfs.github.com/spec/v1\noid sha256:{ghost}\nsize 19\n"),
    )
    .unwrap();
    git.ok(&work, &["add", "ghost.bin"]).await;
    git.ok(
        &work,
        &["commit", "-q", "-m", "a pointer without its object"],
    )
    .await;
    git.ok(
        &work,
        &[
            "push",
            "-q",
            "--no-verify",
            &with_login(&backend, "up"),
            "main",
        ],
    )
    .await;
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(error.contains(&ghost), "the object is named: {error}");
    assert_eq!(run["status"], "failed");
    assert_eq!(
        refs_of(&s.repo_dir("owner", "m")).await,
        before,
        "the refs did not move"
    );
    s.forbid_in_answers(UPSTREAM_PASSWORD);
}

/// The login of the LFS stand-in that runs on its own port, away from the git host.
const LFS_USER: &str = "lfs-robot";
/// Its password.
const LFS_PASSWORD: &str = "lfs-s3cret-71ad";

/// `Authorization: Basic …` of `user` with `password`.
fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

async fn a_pull_mirror_asks_the_lfs_endpoint_when_the_lfs_server_is_elsewhere(db: Db) {
    let (s, owner) = start(&db).await;
    s.forbid_in_answers(UPSTREAM_PASSWORD);
    s.forbid_in_answers(LFS_PASSWORD);
    // Presigned hrefs (the token in the URL, no header): the storage host must get no
    // `Authorization` at all, since a login belongs to the endpoint's host only. The
    // endpoint wants a login of its own, not the upstream's.
    let standin = LfsStandIn::start_presigned(LFS_USER, LFS_PASSWORD).await;
    // A git host with no LFS of its own: `<upstream>/info/lfs` is not an LFS server.
    let backend = GitBackend::with_auth(UPSTREAM_USER, UPSTREAM_PASSWORD).await;
    backend.create("up").await;
    let git = Git::new();
    git.lfs_install().await;
    let work = git.init_lfs("work").await;
    git.ok(
        &work,
        &["config", "lfs.url", &standin.endpoint_with_login("up")],
    )
    .await;
    let big = pseudo_random(200 * 1024, 51);
    push_lfs_files(
        &git,
        &with_login(&backend, "up"),
        "work",
        &[("big.bin", &big)],
    )
    .await;
    assert!(standin.has(&oid_of(&big)));
    standin.take_batch_requests();
    standin.take_storage_requests();
    backend.take_requests();

    s.create_repo(&owner, "m", false).await;
    mirror_with_lfs(
        &s,
        &owner,
        "m",
        &backend.url("up"),
        json!({"lfs_endpoint": standin.endpoint("up")}),
    )
    .await;
    let settings = call(&s, "GET", "/api/v1/repos/owner/m/mirror", &owner, None)
        .await
        .json();
    assert_eq!(settings["lfs_username"], "", "{settings}");
    assert_eq!(settings["lfs_password_set"], false, "{settings}");

    // The endpoint is on another port than the upstream: the upstream's login never goes
    // there, and without a login of its own the endpoint refuses.
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    assert_eq!(run["lfs_objects_transferred"], 0, "{run}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(error.contains("lfs_username"), "says what to set: {error}");
    let batches = standin.take_batch_requests();
    assert!(!batches.is_empty(), "the endpoint was asked");
    assert!(
        batches.iter().all(|b| b.authorization.is_none()),
        "no credentials went to another origin: {batches:?}"
    );

    // Its own login, write-only: the next sync sends that one, and only to the endpoint.
    let set = patch(
        &s,
        &owner,
        "m",
        json!({"lfs_username": LFS_USER, "lfs_password": LFS_PASSWORD}),
    )
    .await;
    set.expect(200);
    assert_eq!(set.json()["lfs_username"], LFS_USER);
    assert_eq!(set.json()["lfs_password_set"], true);
    assert_eq!(set.json()["upstream_password_set"], true);
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(run["lfs_objects_transferred"], 1, "{run}");
    assert_eq!(run["lfs_bytes_transferred"], big.len() as u64, "{run}");
    let batches = standin.take_batch_requests();
    assert!(!batches.is_empty(), "the endpoint was asked");
    assert!(
        batches
            .iter()
            .all(|b| b.authorization == Some(basic(LFS_USER, LFS_PASSWORD))),
        "{batches:?}"
    );
    assert!(
        !backend.take_requests().iter().any(|r| r.ends_with("batch")),
        "the git host was not asked for LFS"
    );
    assert_eq!(
        storage_requests(&standin, true),
        [format!("GET /objects/{}", oid_of(&big))]
    );
    let dir = clone(&s, &owner, &git, "m", "clone").await;
    assert!(std::fs::read(dir.join("big.bin")).unwrap() == big);

    // Another path on the same origin keeps the login; another port drops it (and the
    // username) unless a new password comes with it.
    let same_origin = format!("http://{}/other.git/info/lfs", standin.api_addr);
    let kept = patch(&s, &owner, "m", json!({"lfs_endpoint": same_origin})).await;
    kept.expect(200);
    assert_eq!(kept.json()["lfs_username"], LFS_USER);
    assert_eq!(kept.json()["lfs_password_set"], true);
    let moved = patch(
        &s,
        &owner,
        "m",
        json!({"lfs_endpoint": format!("http://{}/up.git/info/lfs", backend.addr)}),
    )
    .await;
    moved.expect(200);
    assert_eq!(moved.json()["lfs_username"], "", "{}", moved.json());
    assert_eq!(moved.json()["lfs_password_set"], false, "{}", moved.json());
    assert_eq!(
        moved.json()["upstream_password_set"],
        true,
        "the upstream's login stays"
    );
    // A username too long is refused naming the field, like the others.
    let long = patch(&s, &owner, "m", json!({"lfs_username": "u".repeat(256)})).await;
    long.expect(422);
    assert!(
        long.json()["fields"]["lfs_username"].is_string(),
        "{}",
        long.json()
    );
    let cleared = patch(
        &s,
        &owner,
        "m",
        json!({"lfs_username": "x", "lfs_password": ""}),
    )
    .await;
    cleared.expect(200);
    assert_eq!(cleared.json()["lfs_password_set"], false);
}

async fn an_lfs_endpoint_on_the_upstreams_origin_gets_the_upstream_login(db: Db) {
    let (s, owner) = start(&db).await;
    s.forbid_in_answers(UPSTREAM_PASSWORD);
    // One stand-in answering twice: below the git host's URLs (the upstream's origin) and on
    // its own port of the same address (another origin).
    let standin = LfsStandIn::start(UPSTREAM_USER, UPSTREAM_PASSWORD).await;
    let backend =
        GitBackend::with_auth_and_lfs(UPSTREAM_USER, UPSTREAM_PASSWORD, standin.router()).await;
    backend.create("up").await;
    let git = Git::new();
    git.lfs_install().await;
    let big = pseudo_random(60 * 1024, 71);
    push_lfs_files(
        &git,
        &with_login(&backend, "up"),
        "work",
        &[("big.bin", &big)],
    )
    .await;
    standin.take_batch_requests();
    standin.take_storage_requests();

    // An endpoint written out on the upstream's scheme, host and port gets its login.
    s.create_repo(&owner, "same", false).await;
    let endpoint = format!("http://{}/up.git/info/lfs", backend.addr);
    mirror_with_lfs(
        &s,
        &owner,
        "same",
        &backend.url("up"),
        json!({ "lfs_endpoint": endpoint }),
    )
    .await;
    let (status, run) = sync(&s, &owner, "same").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(run["lfs_objects_transferred"], 1, "{run}");
    let batches = standin.take_batch_requests();
    assert!(!batches.is_empty());
    assert!(
        batches
            .iter()
            .all(|b| b.authorization == Some(upstream_basic())),
        "{batches:?}"
    );
    storage_requests(&standin, false);

    // The same server on another port of the same host is another origin: nothing sent.
    s.create_repo(&owner, "port", false).await;
    mirror_with_lfs(
        &s,
        &owner,
        "port",
        &backend.url("up"),
        json!({"lfs_endpoint": standin.endpoint("up")}),
    )
    .await;
    let (status, _) = sync(&s, &owner, "port").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let batches = standin.take_batch_requests();
    assert!(!batches.is_empty(), "the endpoint was asked");
    assert!(
        batches.iter().all(|b| b.authorization.is_none()),
        "the upstream's login stayed with its origin: {batches:?}"
    );
    assert!(standin.take_storage_requests().is_empty());
}

async fn a_redirected_lfs_download_is_not_followed_and_the_refs_stay(db: Db) {
    let (s, owner) = start(&db).await;
    let standin = LfsStandIn::start(UPSTREAM_USER, UPSTREAM_PASSWORD).await;
    let backend =
        GitBackend::with_auth_and_lfs(UPSTREAM_USER, UPSTREAM_PASSWORD, standin.router()).await;
    backend.create("up").await;
    let git = Git::new();
    git.lfs_install().await;
    let url = with_login(&backend, "up");
    let first = pseudo_random(40 * 1024, 61);
    push_lfs_files(&git, &url, "work", &[("first.bin", &first)]).await;
    s.create_repo(&owner, "m", false).await;
    mirror_with_lfs(&s, &owner, "m", &backend.url("up"), json!({})).await;
    let (status, _) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    let before = refs_of(&s.repo_dir("owner", "m")).await;

    // The storage host now sends every download elsewhere.
    let elsewhere = CountingListener::start().await;
    standin.redirect_downloads_to(&format!("http://{}", elsewhere.addr));
    let second = pseudo_random(40 * 1024, 62);
    push_lfs_files(&git, &url, "work", &[("second.bin", &second)]).await;
    standin.take_storage_requests();
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    assert_eq!(run["status"], "failed");
    let error = status["sync_error"].as_str().unwrap();
    assert!(
        error.contains(&oid_of(&second)),
        "the object is named: {error}"
    );
    assert!(
        error.contains("redirected"),
        "the redirect is named: {error}"
    );
    assert!(
        error.contains(&elsewhere.addr.to_string()),
        "and its target: {error}"
    );
    assert_eq!(elsewhere.accepted(), 0, "the redirect was not followed");
    assert_eq!(
        storage_requests(&standin, false),
        [format!("GET /objects/{}", oid_of(&second))],
        "one try at the href itself"
    );
    assert_eq!(
        refs_of(&s.repo_dir("owner", "m")).await,
        before,
        "the refs did not move"
    );
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

/// A hostile or broken upstream must not fill this server's disk: an object whose pointer is
/// above `MIRRORFORGE_LFS_MAX_OBJECT_SIZE` is not fetched, and one the upstream announces
/// larger than its pointer says is not either; each fails the run naming the oid, the refs
/// stay, and nothing is left under `DATA_DIR/lfs`.
async fn an_upstream_cannot_make_the_mirror_store_more_than_its_pointers_and_limit_allow(db: Db) {
    let s = local_server(&db, |c| {
        c.min_sync_interval = 1;
        c.lfs_max_object_size = 100 * 1024;
    })
    .await;
    let owner = s.create_admin("owner").await;
    let standin = LfsStandIn::start(UPSTREAM_USER, UPSTREAM_PASSWORD).await;
    let backend =
        GitBackend::with_auth_and_lfs(UPSTREAM_USER, UPSTREAM_PASSWORD, standin.router()).await;
    backend.create("up").await;
    let git = Git::new();
    git.lfs_install().await;
    let big = pseudo_random(150 * 1024, 61);
    push_lfs_files(
        &git,
        &with_login(&backend, "up"),
        "work",
        &[("big.bin", &big)],
    )
    .await;
    s.create_repo(&owner, "m", false).await;
    mirror_with_lfs(&s, &owner, "m", &backend.url("up"), json!({})).await;
    let (status, run) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(
        error.contains(&oid_of(&big)) && error.contains("limit"),
        "{error}"
    );
    assert_eq!(run["lfs_bytes_transferred"], 0, "{run}");
    assert_eq!(refs_of(&s.repo_dir("owner", "m")).await, "", "no ref moved");
    assert!(stored_files(s.config.data_dir.as_path()).is_empty());

    // A pointer that says 10 bytes for an object the upstream holds (and announces) whole.
    let small = pseudo_random(60 * 1024, 62);
    let small_work = git.init_lfs("small").await;
    std::fs::write(small_work.join("small.bin"), &small).unwrap();
    git.ok(&small_work, &["add", "-A"]).await;
    git.ok(&small_work, &["commit", "-q", "-m", "small"]).await;
    git.ok(
        &small_work,
        &["push", "-q", &with_login(&backend, "up"), "+main"],
    )
    .await;
    assert!(standin.has(&oid_of(&small)));
    let lying = format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 10\n",
        oid_of(&small)
    );
    // On a history of its own, so the lie is the only pointer to that object.
    git.ok(&small_work, &["checkout", "-q", "--orphan", "lie"])
        .await;
    std::fs::write(small_work.join("small.bin"), lying).unwrap();
    git.ok(&small_work, &["add", "-A"]).await;
    git.ok(&small_work, &["commit", "-q", "-m", "a pointer that lies"])
        .await;
    git.ok(
        &small_work,
        &[
            "push",
            "-q",
            "--no-verify",
            &with_login(&backend, "up"),
            "+lie:main",
        ],
    )
    .await;
    let (status, _) = sync(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(error.contains(&oid_of(&small)), "{error}");
    assert_eq!(refs_of(&s.repo_dir("owner", "m")).await, "", "no ref moved");
    assert!(stored_files(s.config.data_dir.as_path()).is_empty());
}
