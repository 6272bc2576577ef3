//! Shallow mirrors: `upstream_depth` (import `depth`) fetches at most that many commits of
//! each ref's history, as `git clone --depth` does; clones of it are shallow and the page says
//! so; raising the depth or setting `0` deepens it at the next sync; a shallow repository has
//! no push mirrors; `git fsck` is clean throughout.

use std::{fmt::Write as _, path::Path};

use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser,
    git::fast_import,
    git_backend::GitBackend,
    mirror::{call, import_body, patch, runs, settle, start, sync_now},
    on_both_databases,
};

on_both_databases!(
    a_shallow_mirror_keeps_the_depth_clones_shallow_and_deepens,
    a_shallow_repository_has_no_push_mirrors
);

/// Commits on `main` upstream.
const HISTORY: usize = 1000;

/// The sentence both sides of the push-mirror rule answer with.
const CANNOT_PUSH: &str = "a shallow mirror cannot be pushed";

/// Fills the bare repository at `bare` with `main` (`HISTORY` commits), `feature` (one
/// commit on top of commit 500) and the annotated tag `v1` on `main`, in one `git
/// fast-import`.
async fn write_history(bare: &Path) {
    let mut stream = String::new();
    let author = "Test Author <author@example.com>";
    for n in 1..=HISTORY {
        let content = format!("{n}\n");
        let message = format!("commit {n}");
        write!(
            stream,
            "commit refs/heads/main\nmark :{n}\ncommitter {author} {} +0000\ndata {}\n{message}\n",
            1_700_000_000 + n,
            message.len()
        )
        .unwrap();
        if n > 1 {
            writeln!(stream, "from :{}", n - 1).unwrap();
        }
        write!(
            stream,
            "M 100644 inline n.txt\ndata {}\n{content}\n",
            content.len()
        )
        .unwrap();
    }
    write!(
        stream,
        "commit refs/heads/feature\ncommitter {author} 1800000000 +0000\ndata 7\nfeature\n\
         from :500\nM 100644 inline f.txt\ndata 2\nf\n\n\
         tag v1\nfrom :{HISTORY}\ntagger {author} 1800000001 +0000\ndata 3\nv1\n"
    )
    .unwrap();
    fast_import(bare, stream.as_bytes()).await;
}

/// `git rev-list --count REF` in the repository at `dir`.
async fn count(git: &Git, dir: &Path, reference: &str) -> usize {
    git.ok(dir, &["rev-list", "--count", reference])
        .await
        .parse()
        .unwrap()
}

/// Syncs `owner/name` now and returns its newest run.
async fn sync(s: &TestServer, owner: &TestUser, name: &str) -> Value {
    sync_now(s, owner, name).await.expect(202);
    let status = settle(s, owner, name).await;
    assert_eq!(status["sync_status"], "success", "{status}");
    runs(s, owner, name).await[0].clone()
}

async fn a_shallow_mirror_keeps_the_depth_clones_shallow_and_deepens(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    let upstream = remotes.create("deep").await;
    write_history(&upstream).await;
    let git = Git::new();

    // The depth is checked like any field, and nothing is made.
    for bad in [-1, 100_001] {
        let body = json!({"name": "deep", "clone_url": remotes.url("deep"), "mirror": true,
                          "depth": bad});
        let refused = import_body(&s, &owner, body).await;
        let answer = refused.expect_error(422, "validation_failed");
        assert!(answer["fields"]["depth"].is_string(), "{answer}");
    }
    s.get("/owner/deep", None).await.expect(404);

    // A depth-1 import keeps one commit per branch.
    import_body(
        &s,
        &owner,
        json!({"name": "deep", "clone_url": remotes.url("deep"), "mirror": true,
               "sync_interval": 3600, "depth": 1}),
    )
    .await
    .expect(201);
    let status = settle(&s, &owner, "deep").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    let here = s.repo_dir("owner", "deep");
    assert_eq!(count(&git, &here, "refs/heads/main").await, 1);
    assert_eq!(count(&git, &here, "refs/heads/feature").await, 1);
    assert_eq!(
        git.ok(&here, &["rev-parse", "refs/tags/v1^{commit}"]).await,
        git.ok(&upstream, &["rev-parse", "main"]).await
    );
    assert_eq!(
        git.ok(&here, &["rev-parse", "--is-shallow-repository"])
            .await,
        "true"
    );
    git.fsck_clean(&here, "the import").await;
    let settings = call(&s, "GET", "/api/v1/repos/owner/deep/mirror", &owner, None).await;
    settings.expect(200);
    assert_eq!(settings.json()["upstream_depth"], 1);

    // A clone through our smart HTTP works and is shallow.
    let (out, clone) = git
        .clone(&s.git_url(None, "owner", "deep"), "clone", &[])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        git.ok(&clone, &["rev-parse", "--is-shallow-repository"])
            .await,
        "true"
    );
    assert_eq!(count(&git, &clone, "HEAD").await, 1);
    git.fsck_clean(&clone, "the clone").await;

    // The code page says so, and so does the clone URL's hint.
    let page = s.get("/owner/deep", None).await;
    page.expect(200);
    assert!(
        page.body
            .contains("This is a shallow mirror: last 1 commit of each branch and tag"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("A clone from here will be shallow too"),
        "{}",
        page.body
    );

    // Nothing changed: one request, recorded as up to date.
    remotes.take_requests();
    let noop = sync(&s, &owner, "deep").await;
    assert_eq!(noop["status"], "up_to_date", "{noop}");
    assert_eq!(remotes.take_requests(), ["GET refs"], "a no-op pull");

    // The git client's own depth-1 copy, to hold ours against.
    let reference = git.path("reference");
    let upstream_url = format!("file://{}", upstream.display());
    git.ok(
        &git.path(""),
        &[
            "clone",
            "-q",
            "--mirror",
            "--depth",
            "1",
            &upstream_url,
            reference.to_str().unwrap(),
        ],
    )
    .await;

    // A new upstream commit syncs in, still one commit deep.
    let work = git.path("work");
    git.ok(
        &git.path(""),
        &["clone", "-q", upstream.to_str().unwrap(), "work"],
    )
    .await;
    let new_main = git.commit_file(&work, "new.txt", "new\n", "new").await;
    git.ok(&work, &["push", "-q", "origin", "main"]).await;
    let run = sync(&s, &owner, "deep").await;
    assert_eq!(run["status"], "success", "{run}");
    // A fast-forward on top of the shallow tip: neither forced nor kept.
    let update = &run["ref_updates"][0];
    assert_eq!(update["ref"], "refs/heads/main", "{run}");
    assert_eq!(update["action"], "update", "{run}");
    assert_eq!(update["kept"], false, "{run}");
    assert_eq!(
        git.ok(&here, &["rev-parse", "refs/heads/main"]).await,
        new_main
    );
    assert_eq!(count(&git, &here, "refs/heads/main").await, 1);
    git.fsck_clean(&here, "a new commit").await;
    git.ok(&reference, &["fetch", "-q", "--depth", "1"]).await;

    // Raising the depth deepens at the next sync, though the refs match.
    patch(&s, &owner, "deep", json!({"upstream_depth": 3}))
        .await
        .expect(200);
    let run = sync(&s, &owner, "deep").await;
    assert_ne!(run["status"], "failed", "{run}");
    // As the git client deepens its own shallow copy, made the same way: `v1`, one commit
    // behind `main`, reaches one commit further, so `main` keeps 4.
    git.ok(&reference, &["fetch", "-q", "--depth", "3"]).await;
    for branch in ["refs/heads/main", "refs/heads/feature"] {
        assert_eq!(
            count(&git, &here, branch).await,
            count(&git, &reference, branch).await,
            "{branch}"
        );
    }
    assert_eq!(count(&git, &here, "refs/heads/feature").await, 3);
    git.fsck_clean(&here, "raising the depth").await;

    // 0 fetches the whole history: no longer shallow.
    patch(&s, &owner, "deep", json!({"upstream_depth": 0}))
        .await
        .expect(200);
    let run = sync(&s, &owner, "deep").await;
    assert_ne!(run["status"], "failed", "{run}");
    assert_eq!(count(&git, &here, "refs/heads/main").await, HISTORY + 1);
    assert_eq!(count(&git, &here, "refs/heads/feature").await, 501);
    assert_eq!(
        git.ok(&here, &["rev-parse", "--is-shallow-repository"])
            .await,
        "false"
    );
    git.fsck_clean(&here, "unshallowing").await;
    let page = s.get("/owner/deep", None).await;
    assert!(!page.body.contains("shallow mirror"), "{}", page.body);

    // And a no-op sync of the full mirror is one request again.
    remotes.take_requests();
    let noop = sync(&s, &owner, "deep").await;
    assert_eq!(noop["status"], "up_to_date", "{noop}");
    assert_eq!(remotes.take_requests(), ["GET refs"], "a no-op pull");
}

async fn a_shallow_repository_has_no_push_mirrors(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    let upstream = remotes.create("src").await;
    remotes.create("backup").await;
    write_history(&upstream).await;

    // Out of range: named, nothing saved.
    s.create_repo(&owner, "plain", false).await;
    for bad in [-1, 100_001] {
        let answer = patch(&s, &owner, "plain", json!({"upstream_depth": bad})).await;
        let body = answer.expect_error(422, "validation_failed");
        assert!(body["fields"]["upstream_depth"].is_string(), "{body}");
    }

    // A shallow mirror refuses a push mirror, by the API and by the settings.
    import_body(
        &s,
        &owner,
        json!({"name": "src", "clone_url": remotes.url("src"), "mirror": true, "depth": 2}),
    )
    .await
    .expect(201);
    settle(&s, &owner, "src").await;
    let added = call(
        &s,
        "POST",
        "/api/v1/repos/owner/src/push_mirrors",
        &owner,
        Some(json!({"remote_url": remotes.url("backup")})),
    )
    .await;
    let body = added.expect_error(422, "validation_failed");
    assert_eq!(body["fields"]["remote_url"], CANNOT_PUSH, "{body}");
    let downstream = patch(
        &s,
        &owner,
        "src",
        json!({"downstream_url": remotes.url("backup"), "mirror_direction": "both"}),
    )
    .await;
    let body = downstream.expect_error(422, "validation_failed");
    assert_eq!(body["fields"]["downstream_url"], CANNOT_PUSH, "{body}");
    let list = call(
        &s,
        "GET",
        "/api/v1/repos/owner/src/push_mirrors",
        &owner,
        None,
    )
    .await;
    list.expect(200);
    assert_eq!(list.json().as_array().unwrap().len(), 0);

    // Two commits on top of a depth-2 tip are a fast-forward; five, beyond what was fetched,
    // cannot be told from a rewrite and count as one (the old value kept).
    let git = Git::new();
    git.ok(
        &git.path(""),
        &["clone", "-q", upstream.to_str().unwrap(), "work"],
    )
    .await;
    let work = git.path("work");
    let main_action = |run: &Value| {
        let update = run["ref_updates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["ref"] == "refs/heads/main")
            .cloned()
            .unwrap_or_else(|| panic!("main in {run}"));
        (update["action"].clone(), update["kept"].clone())
    };
    for (commits, action, kept) in [(2, "update", false), (5, "force", true)] {
        for n in 0..commits {
            git.commit_file(&work, "more.txt", format!("{commits} {n}\n"), "more")
                .await;
        }
        git.ok(&work, &["push", "-q", "origin", "main"]).await;
        let run = sync(&s, &owner, "src").await;
        assert_eq!(main_action(&run), (json!(action), json!(kept)), "{run}");
        let here = s.repo_dir("owner", "src");
        assert_eq!(
            git.ok(&here, &["rev-parse", "refs/heads/main"]).await,
            git.ok(&work, &["rev-parse", "HEAD"]).await
        );
        git.fsck_clean(&here, "a pull onto the shallow tip").await;
    }
    // With only fast-forwards, a new commit on the shallow tip moves the branch too.
    patch(
        &s,
        &owner,
        "src",
        json!({"upstream_overwrite": "fast_forward"}),
    )
    .await
    .expect(200);
    let tip = git.commit_file(&work, "ff.txt", "ff\n", "ff").await;
    git.ok(&work, &["push", "-q", "origin", "main"]).await;
    let run = sync(&s, &owner, "src").await;
    assert_eq!(main_action(&run), (json!("update"), json!(false)), "{run}");
    assert_eq!(
        git.ok(
            &s.repo_dir("owner", "src"),
            &["rev-parse", "refs/heads/main"]
        )
        .await,
        tip
    );

    // A repository with a push mirror refuses a depth.
    call(
        &s,
        "POST",
        "/api/v1/repos/owner/plain/push_mirrors",
        &owner,
        Some(json!({"remote_url": remotes.url("backup")})),
    )
    .await
    .expect(201);
    let deepened = patch(&s, &owner, "plain", json!({"upstream_depth": 5})).await;
    let body = deepened.expect_error(422, "validation_failed");
    assert_eq!(body["fields"]["upstream_depth"], CANNOT_PUSH, "{body}");
    let settings = call(&s, "GET", "/api/v1/repos/owner/plain/mirror", &owner, None).await;
    assert_eq!(settings.json()["upstream_depth"], 0);
    // 0 is always fine.
    patch(&s, &owner, "plain", json!({"upstream_depth": 0}))
        .await
        .expect(200);

    // A depth and a push mirror asked for at the same time: never both.
    for n in 0..8 {
        let name = format!("race{n}");
        s.create_repo(&owner, &name, false).await;
        let add_path = format!("/api/v1/repos/owner/{name}/push_mirrors");
        let (added, deepened) = tokio::join!(
            call(
                &s,
                "POST",
                &add_path,
                &owner,
                Some(json!({"remote_url": remotes.url("backup")})),
            ),
            patch(&s, &owner, &name, json!({"upstream_depth": 3})),
        );
        assert!(
            (added.status.as_u16() == 201) != (deepened.status.as_u16() == 200),
            "push mirror {} and depth {} on {name}",
            added.status,
            deepened.status
        );
    }

    // A one-time copy takes the depth too, and says it is a shallow copy.
    import_body(
        &s,
        &owner,
        json!({"name": "copy", "clone_url": remotes.url("src"), "mirror": false, "depth": 1}),
    )
    .await
    .expect(201);
    let status = settle(&s, &owner, "copy").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    let copy = s.repo_dir("owner", "copy");
    assert_eq!(count(&git, &copy, "refs/heads/main").await, 1);
    assert_eq!(count(&git, &copy, "refs/heads/feature").await, 1);
    git.fsck_clean(&copy, "a one-time shallow copy").await;
    let page = s.get("/owner/copy", None).await;
    assert!(
        page.body
            .contains("This is a shallow copy: last 1 commit of each branch and tag"),
        "{}",
        page.body
    );
}
