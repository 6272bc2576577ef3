//! Restoring a run: a force-push and a branch deletion upstream, synced here, are put back by
//! `POST …/mirror/runs/:id/restore` as one new run (trigger `restore`) that pauses the pull.

use std::path::Path;

use chrono::Utc;
use mirrorforge::entities::repository;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::support::{
    Db, Git,
    git_backend::GitBackend,
    mirror::{call, import_body, runs, seed, settle, start, sync_now},
    on_both_databases,
};

on_both_databases!(a_force_push_and_a_deletion_are_restored_and_the_pull_paused);

/// The id `name` resolves to in the repository at `dir` ("" when it does not exist).
async fn rev(dir: &Path, name: &str) -> String {
    let out = tokio::process::Command::new("git")
        .arg("--git-dir")
        .arg(dir)
        .args(["rev-parse", "--verify", "--quiet", name])
        .output()
        .await
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Marks the repository `name` as claimed by another process (a sync running there), or
/// frees it again.
async fn hold(s: &crate::support::TestServer, name: &str, by: Option<&str>) {
    repository::Entity::update_many()
        .col_expr(
            repository::Column::SyncClaimedBy,
            Expr::value(by.map(str::to_owned)),
        )
        .col_expr(repository::Column::SyncHeartbeatAt, Expr::value(Utc::now()))
        .filter(repository::Column::Name.eq(name))
        .exec(&s.conn)
        .await
        .unwrap();
}

fn restore_path(repo: &str, run: i64) -> String {
    format!("/api/v1/repos/owner/{repo}/mirror/runs/{run}/restore")
}

async fn a_force_push_and_a_deletion_are_restored_and_the_pull_paused(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    let upstream = remotes.create("src").await;
    remotes.create("other").await;
    let up = upstream.to_str().unwrap();
    let git = Git::new();
    let work = seed(&git, up).await;
    git.ok(&work, &["push", "-q", up, "main:refs/heads/old"])
        .await;
    for name in ["src", "other"] {
        import_body(
            &s,
            &owner,
            json!({"name": name, "clone_url": remotes.url("src"), "mirror": true, "sync_interval": 3600}),
        )
        .await
        .expect(201);
        assert_eq!(settle(&s, &owner, name).await["sync_status"], "success");
    }
    // A commit only `main` reaches (not `feature`, not a tag), pulled here.
    git.ok(&work, &["checkout", "-q", "main"]).await;
    git.commit_file(&work, "m.txt", "only on main\n", "only on main")
        .await;
    git.ok(&work, &["push", "-q", up, "main"]).await;
    sync_now(&s, &owner, "src").await.expect(202);
    assert_eq!(settle(&s, &owner, "src").await["sync_status"], "success");
    let here = s.repo_dir("owner", "src");
    let old_main = rev(&here, "refs/heads/main").await;
    let old_old = rev(&here, "refs/heads/old").await;
    assert!(!old_old.is_empty());

    // A run that changed nothing here cannot be restored.
    sync_now(&s, &owner, "src").await.expect(202);
    settle(&s, &owner, "src").await;
    let noop = runs(&s, &owner, "src").await[0]["id"].as_i64().unwrap();
    let nothing = call(&s, "POST", &restore_path("src", noop), &owner, None).await;
    let body = nothing.expect_error(422, "validation_failed");
    assert!(body.to_string().contains("nothing to restore"), "{body}");

    // Upstream: main force-pushed to another history, `old` deleted; synced here.
    git.ok(&work, &["checkout", "-q", "-b", "rewritten", "main~1"])
        .await;
    git.commit_file(&work, "r.txt", "rewritten\n", "rewritten")
        .await;
    git.ok(&work, &["push", "-q", "-f", up, "rewritten:main", ":old"])
        .await;
    sync_now(&s, &owner, "src").await.expect(202);
    assert_eq!(settle(&s, &owner, "src").await["sync_status"], "success");
    let new_main = rev(&upstream, "refs/heads/main").await;
    assert_eq!(rev(&here, "refs/heads/main").await, new_main);
    assert_eq!(rev(&here, "refs/heads/old").await, "");
    let bad = runs(&s, &owner, "src").await[0]["id"].as_i64().unwrap();

    // Another repository's run, or an unknown one: 404.
    let other_run = runs(&s, &owner, "other").await[0]["id"].as_i64().unwrap();
    call(&s, "POST", &restore_path("src", other_run), &owner, None)
        .await
        .expect(404);
    call(&s, "POST", &restore_path("src", 999_999), &owner, None)
        .await
        .expect(404);
    // Not an admin of it: no restore.
    let mallory = s.create_user("mallory").await;
    let refused = call(&s, "POST", &restore_path("src", bad), &mallory, None).await;
    assert_ne!(refused.status.as_u16(), 202);

    // While a sync runs (here: in another process): 409, and nothing changes.
    hold(&s, "src", Some("another-process")).await;
    call(&s, "POST", &restore_path("src", bad), &owner, None)
        .await
        .expect_error(409, "conflict");
    hold(&s, "src", None).await;
    assert_eq!(rev(&here, "refs/heads/main").await, new_main);

    // The restore: both refs back, one new run with trigger "restore", the pull paused.
    let done = call(&s, "POST", &restore_path("src", bad), &owner, None).await;
    done.expect(202);
    let restore_id = done.json()["run_id"].as_i64().unwrap();
    assert_eq!(rev(&here, "refs/heads/main").await, old_main);
    assert_eq!(rev(&here, "refs/heads/old").await, old_old);
    let all = runs(&s, &owner, "src").await;
    let run = &all[0];
    assert_eq!(run["id"], restore_id, "{run}");
    assert_eq!(run["trigger"], "restore", "{run}");
    assert_eq!(run["restored_run_id"], bad, "{run}");
    assert_eq!(run["status"], "success", "{run}");
    let update = |name: &str| -> Value {
        run["ref_updates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["ref"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in {run}"))
    };
    assert_eq!(update("refs/heads/main")["old"], new_main.as_str());
    assert_eq!(update("refs/heads/main")["new"], old_main.as_str());
    assert_eq!(update("refs/heads/main")["kept"], true);
    assert_eq!(update("refs/heads/old")["action"], "create");
    assert_eq!(run["ref_updates"].as_array().unwrap().len(), 2, "{run}");
    // What the restore overwrote is kept under its own id.
    let kept = call(
        &s,
        "GET",
        "/api/v1/repos/owner/src/mirror/kept",
        &owner,
        None,
    )
    .await;
    let kept = kept.json();
    assert!(
        kept.as_array()
            .unwrap()
            .iter()
            .any(|k| k["run_id"] == restore_id
                && k["ref"] == "refs/heads/main"
                && k["sha"] == new_main.as_str()),
        "{kept}"
    );
    let settings = call(&s, "GET", "/api/v1/repos/owner/src/mirror", &owner, None).await;
    assert_eq!(
        settings.json()["mirror_enabled"],
        false,
        "{}",
        settings.body
    );
    let status = call(
        &s,
        "GET",
        "/api/v1/repos/owner/src/mirror/status",
        &owner,
        None,
    )
    .await;
    assert_ne!(status.json()["sync_status"], "syncing", "{}", status.body);

    // A second restore of the same run finds every ref back already: a run that changes
    // nothing.
    let again = call(&s, "POST", &restore_path("src", bad), &owner, None).await;
    again.expect(202);
    let second = &runs(&s, &owner, "src").await[0];
    assert_eq!(second["trigger"], "restore");
    assert_eq!(second["status"], "up_to_date", "{second}");
    assert_eq!(second["ref_updates"], json!([]), "{second}");
    assert_eq!(rev(&here, "refs/heads/main").await, old_main);

    // Once the kept commits are gone (expired, collected), a restore is refused.
    let fsck = git.ok(&here, &["fsck", "--full", "--no-progress"]).await;
    assert!(!fsck.contains("missing"), "{fsck}");
    let back = call(&s, "POST", &restore_path("src", restore_id), &owner, None).await;
    back.expect(202);
    assert_eq!(rev(&here, "refs/heads/main").await, new_main);
    let later = chrono::Utc::now() + chrono::TimeDelta::days(400);
    mirrorforge::mirror::kept::expire(&s.conn, &s.config, later)
        .await
        .unwrap();
    git.ok(&here, &["reflog", "expire", "--expire=now", "--all"])
        .await;
    git.ok(&here, &["gc", "-q", "--prune=now"]).await;
    let gone = call(&s, "POST", &restore_path("src", bad), &owner, None).await;
    let body = gone.expect_error(422, "validation_failed");
    assert!(body.to_string().contains("no longer kept"), "{body}");
    let fsck = git.ok(&here, &["fsck", "--full", "--no-progress"]).await;
    assert!(!fsck.contains("missing"), "{fsck}");
}
