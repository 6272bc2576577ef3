//! In headless Chromium: a force-push upstream is synced here, the history offers
//! "Restore…" on that run, its confirmation page lists `main` and what it goes back to, and
//! confirming puts `main` back on the repository page. Screenshots at 1280 and 390 px of the
//! confirmation (`restore-confirm`, `-390`) and of the history after it (`restore-done`,
//! `-390`) and of its kept refs (`restore-kept`, `-390`), and of the warning before restoring
//! the import (`restore-import`, `-390`). SQLite only: the pages are the same on both databases.

use mirrorforge::entities::{mirror_enums::RunStatus, mirror_run};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;

use crate::support::{
    Db, Git,
    browser::Browser,
    git_backend::GitBackend,
    mirror::{call, import_body, local_server, runs, seed, settle, sync_now},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_from_the_history_puts_main_back() {
    let Some(b) = Browser::start(1280, 1400).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    let owner = s.create_admin("owner").await;
    let remotes = GitBackend::start().await;
    let upstream = remotes.create("src").await;
    let up = upstream.to_str().unwrap();
    let git = Git::new();
    let work = seed(&git, up).await;
    git.ok(&work, &["checkout", "-q", "main"]).await;
    git.commit_file(&work, "m.txt", "only on main\n", "Only on main")
        .await;
    git.ok(&work, &["push", "-q", up, "main"]).await;
    import_body(
        &s,
        &owner,
        json!({"name": "src", "clone_url": remotes.url("src"), "mirror": true, "sync_interval": 3600}),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "src").await["sync_status"], "success");
    let old_main = git
        .ok(&work, &["rev-parse", "main"])
        .await
        .trim()
        .to_owned();

    // Upstream force-pushes main to another history; the sync follows.
    git.ok(&work, &["checkout", "-q", "-b", "rewritten", "main~1"])
        .await;
    git.commit_file(&work, "r.txt", "rewritten\n", "Rewritten")
        .await;
    git.ok(&work, &["push", "-q", "-f", up, "rewritten:main"])
        .await;
    sync_now(&s, &owner, "src").await.expect(202);
    assert_eq!(settle(&s, &owner, "src").await["sync_status"], "success");
    let forced = runs(&s, &owner, "src").await[0]["id"].as_i64().unwrap();

    b.log_in(&s.base(), &owner.username, &owner.password).await;
    b.goto(&s.url("/owner/src/settings/mirror/history")).await;
    // The kept ref is listed with its commit's first line and its full id.
    let kept = b.text("#kept-refs").await;
    assert!(kept.contains("refs/heads/main"), "{kept}");
    assert!(kept.contains("Only on main"), "{kept}");
    assert!(kept.contains(&old_main), "{kept}");
    assert!(kept.contains("expires in"), "{kept}");
    b.assert_fits("history", 390, 1400).await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    b.click(&format!("#restore-run-{forced}")).await;
    b.wait_until("the confirmation page", 10, || async {
        b.text("h1").await.contains("Restore run")
    })
    .await;
    let steps = b.text(".restore-steps").await;
    assert!(steps.contains("refs/heads/main"), "{steps}");
    assert!(steps.contains(&old_main[..7]), "{steps}");
    b.screenshot("restore-confirm").await;
    b.assert_fits("restore confirmation", 390, 1400).await;
    b.screenshot("restore-confirm-390").await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    b.click("#restore-confirm").await;
    b.wait_until("back in the history", 10, || async {
        b.text("main").await.contains("restored by run")
    })
    .await;
    let paused = b.text("#paused-by-restore").await;
    assert!(
        paused.contains(&format!("put back what run {forced} changed"))
            && paused.contains("so the next sync does not undo it"),
        "{paused}"
    );
    let history = b.text("#run-history").await;
    assert!(
        history.contains(&format!("restore of run {forced}")),
        "{history}"
    );
    let settings = call(&s, "GET", "/api/v1/repos/owner/src/mirror", &owner, None).await;
    assert_eq!(
        settings.json()["mirror_enabled"],
        false,
        "{}",
        settings.body
    );
    let kept = b.text("#kept-refs").await;
    assert!(kept.contains(&format!("kept by run {forced}")), "{kept}");
    b.screenshot("restore-done").await;
    b.screenshot_of("#kept-refs", "restore-kept").await;
    b.assert_fits("history after the restore", 390, 1400).await;
    b.screenshot("restore-done-390").await;
    b.eval("document.getElementById('kept-refs').scrollIntoView(); return 1;")
        .await;
    b.screenshot_of("#kept-refs", "restore-kept-390").await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    // The repository page shows main at the old commit again.
    b.goto(&s.url("/owner/src")).await;
    let tip = b.attr("#latest-commit .sha", "title").await;
    assert_eq!(tip.as_deref(), Some(old_main.as_str()));
    assert!(b.text("#latest-commit").await.contains("Only on main"));

    // Had the server stopped during the restore, its run would read "interrupted": the page
    // says so, and offers to restore again.
    let restore_run = runs(&s, &owner, "src").await[0]["id"].as_i64().unwrap();
    mirror_run::Entity::update_many()
        .col_expr(
            mirror_run::Column::Status,
            Expr::value(RunStatus::Interrupted),
        )
        .filter(mirror_run::Column::Id.eq(restore_run))
        .exec(&s.conn)
        .await
        .unwrap();
    b.goto(&s.url("/owner/src/settings/mirror/history")).await;
    let cut = b.text("#paused-by-restore").await;
    assert!(
        cut.contains("was cut short") && cut.contains(&format!("Restore run {forced} again")),
        "{cut}"
    );
    b.screenshot_of("#paused-by-restore", "restore-cut-short")
        .await;
    b.assert_fits("a restore cut short", 390, 1400).await;
    b.screenshot_of("#paused-by-restore", "restore-cut-short-390")
        .await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    // Restoring the import would delete every ref it made: the page says so first.
    let all = runs(&s, &owner, "src").await;
    let import = all.last().unwrap()["id"].as_i64().unwrap();
    b.goto(&s.url(&format!("/owner/src/settings/mirror/runs/{import}/restore")))
        .await;
    let warning = b.text("#restore-deletes").await;
    assert!(
        warning.contains(&format!("Run {import} was the import")) && warning.contains("empty"),
        "{warning}"
    );
    b.screenshot("restore-import").await;
    b.assert_fits("restore of the import", 390, 1400).await;
    b.screenshot("restore-import-390").await;
    b.finish().await;
}
