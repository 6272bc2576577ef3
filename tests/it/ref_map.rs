//! Branch mapping: the pull's `upstream_ref_map` and each push mirror's `ref_map` rename refs
//! on the way (the first matching rule wins), prune on the mapped names and keep what they
//! prune; two refs landing on one name fail the run with nothing changed; bad rules are 422.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser,
    git_backend::{GitBackend, refs_of},
    mirror::{call, patch, runs, seed, settle, start, sync_now},
    on_both_databases,
};

on_both_databases!(
    master_is_pulled_as_main_and_pushed_back_as_master,
    a_prefix_map_both_ways_prunes_mapped_names_and_keeps_them,
    two_refs_landing_on_one_name_fail_the_run_with_nothing_changed,
    two_refs_landing_on_one_name_there_fail_the_push_with_nothing_pushed,
    bad_maps_are_refused_naming_the_field,
);

/// The `(name, id)` of each ref of the bare repository at `dir`.
async fn refs(dir: &Path) -> Vec<(String, String)> {
    refs_of(dir)
        .await
        .lines()
        .filter_map(|l| {
            let (id, name) = l.split_once(' ')?;
            Some((name.to_owned(), id.to_owned()))
        })
        .collect()
}

/// The names of the refs of the bare repository at `dir` under `prefix`.
async fn names(dir: &Path, prefix: &str) -> Vec<String> {
    refs(dir)
        .await
        .into_iter()
        .map(|(name, _)| name)
        .filter(|n| n.starts_with(prefix))
        .collect()
}

/// The id of `name` in the bare repository at `dir`.
async fn id_of(dir: &Path, name: &str) -> Option<String> {
    refs(dir)
        .await
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, id)| id)
}

/// The ref update of `run` for `name` on `side`.
fn update<'a>(run: &'a Value, name: &str, side: &str) -> &'a Value {
    run["ref_updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["ref"] == name && u["side"] == side)
        .unwrap_or_else(|| panic!("{name} {side} in {run}"))
}

/// A new repository `name` of the owner, pulling from `upstream` with `map` (and, when
/// `push` is given, pushing to that push mirror body too), then synced once.
async fn mapped_mirror(
    s: &TestServer,
    owner: &TestUser,
    name: &str,
    upstream: &str,
    map: Value,
    push: Option<Value>,
) -> Value {
    s.create_repo(owner, name, false).await;
    let direction = if let Some(body) = push {
        call(
            s,
            "POST",
            &format!("/api/v1/repos/owner/{name}/push_mirrors"),
            owner,
            Some(body),
        )
        .await
        .expect(201);
        "both"
    } else {
        "upstream"
    };
    let saved = patch(
        s,
        owner,
        name,
        json!({"mirror_enabled": true, "mirror_direction": direction,
               "upstream_url": upstream, "upstream_ref_map": map, "sync_interval": 3600}),
    )
    .await;
    saved.expect(200);
    let settings = saved.json();
    sync_now(s, owner, name).await.expect(202);
    let status = settle(s, owner, name).await;
    assert_eq!(status["sync_status"], "success", "{status}");
    settings
}

async fn master_is_pulled_as_main_and_pushed_back_as_master(db: Db) {
    let (s, owner) = start(&db).await;
    let upstream = GitBackend::start().await;
    let targets = GitBackend::start().await;
    let src = upstream.create("src").await;
    let backup = targets.create("backup").await;
    let git = Git::new();
    let work = seed(&git, src.to_str().unwrap()).await;
    git.ok(&work, &["push", "-q", src.to_str().unwrap(), "main:master"])
        .await;
    git.ok(&src, &["symbolic-ref", "HEAD", "refs/heads/master"])
        .await;
    git.ok(&work, &["push", "-q", src.to_str().unwrap(), ":main"])
        .await;
    let master_map = json!([{"from": "refs/heads/master", "to": "refs/heads/main"}]);
    let settings = mapped_mirror(
        &s,
        &owner,
        "m",
        &upstream.url("src"),
        master_map.clone(),
        Some(json!({"remote_url": targets.url("backup"),
                    "ref_map": [{"from": "refs/heads/main", "to": "refs/heads/master"}]})),
    )
    .await;
    assert_eq!(settings["upstream_ref_map"], master_map);

    let here = s.repo_dir("owner", "m");
    let master = id_of(&src, "refs/heads/master").await.unwrap();
    assert_eq!(id_of(&here, "refs/heads/main").await, Some(master.clone()));
    assert_eq!(id_of(&here, "refs/heads/master").await, None);
    assert_eq!(
        names(&here, "refs/").await,
        ["refs/heads/feature", "refs/heads/main", "refs/tags/v1"]
    );
    let head = git.ok(&here, &["symbolic-ref", "HEAD"]).await;
    assert_eq!(head.trim(), "refs/heads/main");
    // The push mirror's map names main master again there.
    assert_eq!(id_of(&backup, "refs/heads/master").await, Some(master));
    assert_eq!(
        names(&backup, "refs/").await,
        ["refs/heads/feature", "refs/heads/master", "refs/tags/v1"]
    );

    let run = runs(&s, &owner, "m").await[0].clone();
    let pulled = update(&run, "refs/heads/main", "upstream");
    assert_eq!(pulled["source_ref"], "refs/heads/master", "{run}");
    assert_eq!(pulled["action"], "create");
    assert!(
        update(&run, "refs/heads/feature", "upstream")
            .get("source_ref")
            .is_none()
    );
    let pushed = update(&run, "refs/heads/master", "downstream");
    assert_eq!(pushed["source_ref"], "refs/heads/main", "{run}");

    // The push mirror's map reads back; left out, the pull's map stays.
    let listed = call(
        &s,
        "GET",
        "/api/v1/repos/owner/m/push_mirrors",
        &owner,
        None,
    )
    .await;
    listed.expect(200);
    assert_eq!(
        listed.json()[0]["ref_map"],
        json!([{"from": "refs/heads/main", "to": "refs/heads/master"}])
    );
    let kept = patch(&s, &owner, "m", json!({"sync_interval": 7200})).await;
    kept.expect(200);
    assert_eq!(kept.json()["upstream_ref_map"], master_map);

    // Up to date with a map: one request to the upstream, nothing changed.
    upstream.take_requests();
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");
    assert_eq!(
        upstream.take_requests(),
        ["GET refs"],
        "a no-op mapped pull"
    );
    assert_eq!(runs(&s, &owner, "m").await[0]["status"], "up_to_date");

    // master moves on upstream: main follows here, master there.
    git.ok(&work, &["checkout", "-q", "main"]).await;
    git.commit_file(&work, "c.txt", "c\n", "three").await;
    git.ok(&work, &["push", "-q", src.to_str().unwrap(), "main:master"])
        .await;
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");
    let moved = id_of(&src, "refs/heads/master").await.unwrap();
    assert_eq!(id_of(&here, "refs/heads/main").await, Some(moved.clone()));
    assert_eq!(id_of(&backup, "refs/heads/master").await, Some(moved));
    let run = runs(&s, &owner, "m").await[0].clone();
    assert_eq!(
        update(&run, "refs/heads/main", "upstream")["action"],
        "update"
    );

    // The preview names the source too.
    git.commit_file(&work, "d.txt", "d\n", "four").await;
    git.ok(&work, &["push", "-q", src.to_str().unwrap(), "main:master"])
        .await;
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
    let entry = preview["upstream"]["updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["ref"] == "refs/heads/main")
        .cloned()
        .unwrap_or_else(|| panic!("{preview}"));
    assert_eq!(entry["source_ref"], "refs/heads/master", "{preview}");
    let pushed = preview["push_mirrors"][0]["updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["ref"] == "refs/heads/master")
        .cloned()
        .unwrap_or_else(|| panic!("{preview}"));
    assert_eq!(pushed["source_ref"], "refs/heads/main", "{preview}");
}

async fn a_prefix_map_both_ways_prunes_mapped_names_and_keeps_them(db: Db) {
    let (s, owner) = start(&db).await;
    let upstream = GitBackend::start().await;
    let targets = GitBackend::start().await;
    let src = upstream.create("src").await;
    let backup = targets.create("backup").await;
    let git = Git::new();
    let work = seed(&git, src.to_str().unwrap()).await;
    mapped_mirror(
        &s,
        &owner,
        "p",
        &upstream.url("src"),
        json!([{"from": "refs/heads/*", "to": "refs/heads/upstream/*"}]),
        Some(json!({"remote_url": targets.url("backup"),
                    "ref_map": [{"from": "refs/heads/upstream/*", "to": "refs/heads/*"}]})),
    )
    .await;
    let here = s.repo_dir("owner", "p");
    assert_eq!(
        names(&here, "refs/").await,
        [
            "refs/heads/upstream/feature",
            "refs/heads/upstream/main",
            "refs/tags/v1"
        ]
    );
    assert_eq!(
        id_of(&here, "refs/heads/upstream/main").await,
        id_of(&src, "refs/heads/main").await
    );
    assert_eq!(
        names(&backup, "refs/").await,
        ["refs/heads/feature", "refs/heads/main", "refs/tags/v1"]
    );
    assert_eq!(
        id_of(&backup, "refs/heads/main").await,
        id_of(&src, "refs/heads/main").await
    );

    // A ref here the map cannot produce is not the pull's to prune.
    let feature = id_of(&here, "refs/heads/upstream/feature").await.unwrap();
    git.ok(&here, &["update-ref", "refs/heads/local", &feature])
        .await;

    // The upstream deletes feature: its mapped name goes here (kept) and there.
    git.ok(&work, &["push", "-q", src.to_str().unwrap(), ":feature"])
        .await;
    sync_now(&s, &owner, "p").await.expect(202);
    let status = settle(&s, &owner, "p").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(
        names(&here, "refs/heads/").await,
        ["refs/heads/local", "refs/heads/upstream/main"]
    );
    let run = runs(&s, &owner, "p").await[0].clone();
    let run_id = run["id"].as_i64().unwrap();
    let gone = update(&run, "refs/heads/upstream/feature", "upstream");
    assert_eq!(gone["action"], "delete", "{run}");
    assert_eq!(gone["kept"], true, "{run}");
    let kept_ref = format!("refs/mirrorforge/kept/{run_id}/refs/heads/upstream/feature");
    let kept = git.ok(&here, &["rev-parse", &kept_ref]).await;
    assert_eq!(kept.trim(), feature);
    assert_eq!(
        names(&backup, "refs/heads/").await,
        ["refs/heads/local", "refs/heads/main"]
    );
    let pruned = update(&run, "refs/heads/feature", "downstream");
    assert_eq!(pruned["action"], "delete", "{run}");
}

async fn two_refs_landing_on_one_name_fail_the_run_with_nothing_changed(db: Db) {
    let (s, owner) = start(&db).await;
    let upstream = GitBackend::start().await;
    let src = upstream.create("src").await;
    let git = Git::new();
    let work = seed(&git, src.to_str().unwrap()).await;
    mapped_mirror(&s, &owner, "c", &upstream.url("src"), json!([]), None).await;
    let here = s.repo_dir("owner", "c");
    let before = refs_of(&here).await;

    // master appears upstream and main moves on; master would land on main.
    git.commit_file(&work, "c.txt", "c\n", "three").await;
    git.ok(
        &work,
        &[
            "push",
            "-q",
            src.to_str().unwrap(),
            "main",
            "main~1:refs/heads/master",
        ],
    )
    .await;
    patch(
        &s,
        &owner,
        "c",
        json!({"upstream_ref_map": [{"from": "refs/heads/master", "to": "refs/heads/main"}]}),
    )
    .await
    .expect(200);
    sync_now(&s, &owner, "c").await.expect(202);
    let status = settle(&s, &owner, "c").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(
        error.contains("refs/heads/main and refs/heads/master both map to refs/heads/main"),
        "{error}"
    );
    assert!(error.contains("nothing was changed"), "{error}");
    assert_eq!(refs_of(&here).await, before, "nothing changed here");
    let run = runs(&s, &owner, "c").await[0].clone();
    assert_eq!(run["status"], "failed");
    assert_eq!(run["ref_updates"], json!([]), "{run}");
}

async fn two_refs_landing_on_one_name_there_fail_the_push_with_nothing_pushed(db: Db) {
    let (s, owner) = start(&db).await;
    let targets = GitBackend::start().await;
    let backup = targets.create("backup").await;
    let git = Git::new();
    s.create_repo(&owner, "d", false).await;
    let push_url = s.git_url(Some(("owner", &owner.token)), "owner", "d");
    let work = git.init("work-d").await;
    git.commit_file(&work, "a.txt", "a\n", "one").await;
    git.ok(&work, &["push", "-q", &push_url, "main", "main:master"])
        .await;
    call(
        &s,
        "POST",
        "/api/v1/repos/owner/d/push_mirrors",
        &owner,
        Some(json!({"remote_url": targets.url("backup"),
                    "ref_map": [{"from": "refs/heads/master", "to": "refs/heads/main"}]})),
    )
    .await
    .expect(201);
    sync_now(&s, &owner, "d").await.expect(202);
    let status = settle(&s, &owner, "d").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(
        error.contains("refs/heads/main and refs/heads/master both map to refs/heads/main"),
        "{error}"
    );
    assert_eq!(refs_of(&backup).await, "", "nothing pushed");
}

async fn bad_maps_are_refused_naming_the_field(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "v", false).await;
    let shown = call(&s, "GET", "/api/v1/repos/owner/v/mirror", &owner, None).await;
    shown.expect(200);
    assert_eq!(shown.json()["upstream_ref_map"], json!([]));
    let rule = |from: &str, to: &str| json!({"from": from, "to": to});
    let many: Vec<Value> = (0..51)
        .map(|i| rule(&format!("refs/heads/a{i}"), &format!("refs/heads/b{i}")))
        .collect();
    let cases = [
        (
            json!([rule("refs/heads/*/*", "refs/heads/x/*/*")]),
            "more than one *",
        ),
        (
            json!([rule("refs/heads/*", "refs/heads/main")]),
            "a * on both sides",
        ),
        (json!(many), "at most 50 rules"),
        (
            json!([
                rule("refs/heads/a", "refs/heads/b"),
                rule("refs/heads/c", "refs/heads/x..y")
            ]),
            "rule 2 \"refs/heads/x..y\" is not a valid ref name",
        ),
        (
            json!([
                rule("refs/heads/master", "refs/heads/main"),
                rule("refs/heads/trunk", "refs/heads/main")
            ]),
            "rules 1 and 2 both map to \"refs/heads/main\"",
        ),
    ];
    for (map, words) in &cases {
        let refused = patch(&s, &owner, "v", json!({"upstream_ref_map": map})).await;
        let err = refused.expect_error(422, "validation_failed");
        let message = err["fields"]["upstream_ref_map"]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains(words), "{words}: {err}");
        let refused = call(
            &s,
            "POST",
            "/api/v1/repos/owner/v/push_mirrors",
            &owner,
            Some(json!({"remote_url": "http://127.0.0.1:9/x.git", "ref_map": map})),
        )
        .await;
        let err = refused.expect_error(422, "validation_failed");
        let message = err["fields"]["ref_map"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{words}: {err}");
    }
    // Nothing was saved.
    let shown = call(&s, "GET", "/api/v1/repos/owner/v/mirror", &owner, None).await;
    assert_eq!(shown.json()["upstream_ref_map"], json!([]));
    let listed = call(
        &s,
        "GET",
        "/api/v1/repos/owner/v/push_mirrors",
        &owner,
        None,
    )
    .await;
    assert_eq!(listed.json(), json!([]));
    // A good one is saved, and a push mirror's map changes by PATCH.
    let added = call(
        &s,
        "POST",
        "/api/v1/repos/owner/v/push_mirrors",
        &owner,
        Some(json!({"remote_url": "http://127.0.0.1:9/x.git"})),
    )
    .await;
    added.expect(201);
    assert_eq!(added.json()["ref_map"], json!([]));
    let id = added.json()["id"].as_i64().unwrap();
    let changed = call(
        &s,
        "PATCH",
        &format!("/api/v1/repos/owner/v/push_mirrors/{id}"),
        &owner,
        Some(json!({"ref_map": [rule("refs/heads/*", "refs/heads/up/*")]})),
    )
    .await;
    changed.expect(200);
    assert_eq!(
        changed.json()["ref_map"],
        json!([rule("refs/heads/*", "refs/heads/up/*")])
    );
}
