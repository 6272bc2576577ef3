//! Nothing lost: a pull that force-moves or deletes a ref here keeps its old value as a kept
//! ref (`refs/mirrorforge/kept/<run id>/<ref>`), hidden from every client and push mirror,
//! listed by `GET …/mirror/kept`, and removed once `MIRRORFORGE_KEEP_DAYS` have passed.

use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};
use mirrorforge::entities::mirror_run;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::{
    Db, Git,
    git_backend::GitBackend,
    mirror::{call, import_body, runs, seed, settle, start, sync_now},
    on_both_databases,
};

on_both_databases!(overwritten_and_deleted_refs_are_kept_hidden_listed_and_expire);

/// `git for-each-ref` of `prefix` in the bare repository at `dir`, as `SHA REF` lines.
async fn refs_under(git: &Git, dir: &Path, prefix: &str) -> String {
    git.ok(
        dir,
        &["for-each-ref", "--format=%(objectname) %(refname)", prefix],
    )
    .await
}

/// The id `name` resolves to in the repository at `dir`.
async fn rev(git: &Git, dir: &Path, name: &str) -> String {
    git.ok(dir, &["rev-parse", name]).await.trim().to_owned()
}

async fn overwritten_and_deleted_refs_are_kept_hidden_listed_and_expire(db: Db) {
    let (s, owner) = start(&db).await;
    let remotes = GitBackend::start().await;
    let upstream = remotes.create("src").await;
    let backup = remotes.create("backup").await;
    let up = upstream.to_str().unwrap();
    let git = Git::new();
    let work = seed(&git, up).await;
    git.ok(&work, &["push", "-q", up, "main:refs/heads/old"])
        .await;
    import_body(
        &s,
        &owner,
        json!({"name": "src", "clone_url": remotes.url("src"), "mirror": true, "sync_interval": 3600}),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "src").await["sync_status"], "success");
    call(
        &s,
        "POST",
        "/api/v1/repos/owner/src/push_mirrors",
        &owner,
        Some(json!({"remote_url": remotes.url("backup")})),
    )
    .await
    .expect(201);

    // Upstream: main force-pushed to another history, `old` deleted, `feature` moved forward.
    let old_main = rev(&git, &work, "main").await;
    git.ok(&work, &["checkout", "-q", "-b", "rewritten", "main~1"])
        .await;
    git.commit_file(&work, "r.txt", "rewritten\n", "rewritten")
        .await;
    git.ok(&work, &["push", "-q", "-f", up, "rewritten:main", ":old"])
        .await;
    git.ok(&work, &["checkout", "-q", "feature"]).await;
    git.commit_file(&work, "f.txt", "more\n", "more").await;
    git.ok(&work, &["push", "-q", up, "feature"]).await;

    sync_now(&s, &owner, "src").await.expect(202);
    let status = settle(&s, &owner, "src").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    let here = s.repo_dir("owner", "src");
    assert_eq!(
        rev(&git, &here, "refs/heads/main").await,
        rev(&git, &upstream, "main").await
    );

    // Both old values are kept under the run's id; the fast-forward keeps nothing.
    let run = runs(&s, &owner, "src").await[0].clone();
    let run_id = run["id"].as_i64().unwrap();
    let kept = refs_under(&git, &here, "refs/mirrorforge/").await;
    assert_eq!(
        kept,
        format!(
            "{old_main} refs/mirrorforge/kept/{run_id}/refs/heads/main\n\
             {old_main} refs/mirrorforge/kept/{run_id}/refs/heads/old"
        ),
        "{run}"
    );
    let update = |name: &str, side: &str| -> Value {
        run["ref_updates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["ref"] == name && u["side"] == side)
            .cloned()
            .unwrap_or_else(|| panic!("{name} {side} in {run}"))
    };
    assert_eq!(update("refs/heads/main", "upstream")["action"], "force");
    assert_eq!(update("refs/heads/main", "upstream")["kept"], true);
    assert_eq!(update("refs/heads/old", "upstream")["action"], "delete");
    assert_eq!(update("refs/heads/old", "upstream")["kept"], true);
    assert_eq!(update("refs/heads/feature", "upstream")["action"], "update");
    assert_eq!(update("refs/heads/feature", "upstream")["kept"], false);
    assert_eq!(update("refs/heads/main", "downstream")["kept"], false);

    // No client sees them: ls-remote (protocol v2 and v0), a mirror clone, the push mirror.
    // A new repository hides them in its own config; the server hides them also in those
    // made before (here: that setting removed).
    let hidden = git.ok(&here, &["config", "transfer.hideRefs"]).await;
    assert_eq!(hidden, "refs/mirrorforge");
    git.ok(&here, &["config", "--unset", "transfer.hideRefs"])
        .await;
    let url = s.git_url(Some(("owner", &owner.token)), "owner", "src");
    for version in ["2", "0"] {
        let option = format!("protocol.version={version}");
        let listed = git.ok(&work, &["-c", &option, "ls-remote", &url]).await;
        assert!(listed.contains("refs/heads/main"), "{listed}");
        assert!(!listed.contains("refs/mirrorforge"), "v{version}: {listed}");
    }
    let copy = git.path("mirror-copy");
    git.ok(
        &work,
        &["clone", "-q", "--mirror", &url, copy.to_str().unwrap()],
    )
    .await;
    assert_eq!(refs_under(&git, &copy, "refs/mirrorforge/").await, "");
    assert!(
        refs_under(&git, &copy, "refs/heads/")
            .await
            .contains("refs/heads/feature")
    );
    assert_eq!(refs_under(&git, &backup, "refs/mirrorforge/").await, "");
    assert_eq!(
        rev(&git, &backup, "refs/heads/main").await,
        rev(&git, &upstream, "main").await
    );
    // The API lists them, newest first, with the run's time and the expiry 90 days on.
    let path = "/api/v1/repos/owner/src/mirror/kept";
    let listed = call(&s, "GET", path, &owner, None).await;
    listed.expect(200);
    let listed = listed.json();
    let entries = listed.as_array().unwrap();
    assert_eq!(entries.len(), 2, "{listed}");
    assert_eq!(entries[0]["run_id"], run_id);
    assert_eq!(entries[0]["ref"], "refs/heads/main");
    assert_eq!(entries[1]["ref"], "refs/heads/old");
    assert_eq!(entries[0]["sha"], old_main.as_str());
    let at = |v: &Value| v.as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    assert_eq!(entries[0]["kept_at"], run["finished_at"]);
    assert_eq!(
        at(&entries[0]["expires_at"]) - at(&entries[0]["kept_at"]),
        TimeDelta::days(90)
    );
    // Who may not read the settings may not read these either.
    let other = s.create_user("mallory").await;
    let theirs = call(&s, "GET", path, &other, None).await;
    let settings = call(
        &s,
        "GET",
        "/api/v1/repos/owner/src/mirror/status",
        &other,
        None,
    )
    .await;
    assert_eq!(theirs.status, settings.status);
    assert_ne!(theirs.status.as_u16(), 200);

    // Kept refs are no change, nor a branch: the preview is empty, the repository page lists
    // none, and the next sync is up to date, pull and push alike.
    let preview = call(
        &s,
        "GET",
        "/api/v1/repos/owner/src/mirror/preview",
        &owner,
        None,
    )
    .await;
    preview.expect(200);
    assert_eq!(
        preview.json()["upstream"]["updates"],
        json!([]),
        "{}",
        preview.body
    );
    assert_eq!(
        preview.json()["push_mirrors"][0]["updates"],
        json!([]),
        "{}",
        preview.body
    );
    let page = s.send(s.http.get(s.url("/owner/src"))).await;
    page.expect(200);
    assert!(page.body.contains("feature"), "{}", page.body);
    assert!(!page.body.contains("mirrorforge/kept"), "{}", page.body);
    sync_now(&s, &owner, "src").await.expect(202);
    settle(&s, &owner, "src").await;
    let noop = &runs(&s, &owner, "src").await[0];
    assert_eq!(noop["status"], "up_to_date", "{noop}");

    // Retention: nothing is due today, nor ever with 0 days; 91 days on, both go.
    let now = Utc::now();
    let expire = mirrorforge::mirror::kept::expire;
    assert_eq!(expire(&s.conn, &s.config, now).await.unwrap(), 0);
    let mut forever = s.config.clone();
    forever.keep_days = 0;
    let later = now + TimeDelta::days(91);
    assert_eq!(expire(&s.conn, &forever, later).await.unwrap(), 0);
    assert_eq!(
        refs_under(&git, &here, "refs/mirrorforge/")
            .await
            .lines()
            .count(),
        2
    );
    // The runs that kept them are marked until then (the expiry reads only those).
    let ids: Vec<i64> = runs(&s, &owner, "src")
        .await
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    let holding = || {
        mirror_run::Entity::find()
            .filter(mirror_run::Column::Id.is_in(ids.clone()))
            .filter(mirror_run::Column::HoldsKeptRefs.eq(true))
            .count(&s.conn)
    };
    assert!(holding().await.unwrap() >= 1);
    assert_eq!(expire(&s.conn, &s.config, later).await.unwrap(), 2);
    assert_eq!(holding().await.unwrap(), 0);
    assert_eq!(refs_under(&git, &here, "refs/mirrorforge/").await, "");
    let listed = call(&s, "GET", path, &owner, None).await;
    assert_eq!(listed.json(), json!([]));
    assert!(
        refs_under(&git, &here, "refs/heads/")
            .await
            .contains("refs/heads/main")
    );
}
