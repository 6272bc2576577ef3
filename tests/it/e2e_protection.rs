//! In headless Chromium: a pull the mass-deletion guard stopped offers “Sync anyway” next to
//! its error, and pressing it applies the deletion; the Pull section's form saves the
//! overwrite choice and the guard. Screenshots at 1280 and 390 px of the
//! settings page with the guard's failure (`protection-guard`, `-390`). SQLite only: the page
//! is the same on both databases.

use crate::{
    mirror_protection::twelve_then_one,
    support::{
        Db,
        browser::Browser,
        git_backend::{GitBackend, refs_of},
        mirror::{call, local_server, settle, sync_now},
    },
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_anyway_applies_what_the_guard_stopped() {
    let Some(b) = Browser::start(1280, 1400).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    let owner = s.create_admin("owner").await;
    let remotes = GitBackend::start().await;
    let before = twelve_then_one(&s, &owner, &remotes).await;
    sync_now(&s, &owner, "m").await.expect(202);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "failed");
    let here = s.repo_dir("owner", "m");
    assert_eq!(refs_of(&here).await, before);

    b.log_in(&s.base(), &owner.username, &owner.password).await;
    b.goto(&s.url("/owner/m/settings/mirror")).await;
    assert!(
        b.text("#mirror-sync-error")
            .await
            .contains("the upstream dropped 11 of 12 refs; nothing was changed")
    );
    assert_eq!(b.text("#sync-anyway").await, "Sync anyway");
    // The Pull section explains both choices and the guard.
    assert!(
        b.text("#pull-protection")
            .await
            .contains("Only fast-forward: never lose a commit here")
    );
    let guarded = b
        .eval("return document.getElementById('mass_delete_guard').checked;")
        .await;
    assert_eq!(guarded, true, "the guard is on by default");
    b.screenshot("protection-guard").await;
    b.assert_fits("protection-guard", 390, 1400).await;
    b.eval("document.getElementById('mirror-sync').scrollIntoView(); return 1;")
        .await;
    b.screenshot("protection-guard-390").await;
    b.screenshot_of("#pull-protection", "protection-settings-390")
        .await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    b.click("#sync-anyway").await;
    b.wait_until("the sync applied", 30, || async {
        b.attr("#mirror-sync-status", "data-status")
            .await
            .as_deref()
            == Some("success")
    })
    .await;
    assert_eq!(refs_of(&here).await, refs_of(&remotes.path("up")).await);
    assert_eq!(refs_of(&here).await.lines().count(), 1);
    let gone = b
        .eval("return document.getElementById('sync-anyway') === null;")
        .await;
    assert_eq!(gone, true, "“Sync anyway” is offered no more");

    // The Pull section's form saves both settings (the one write path, as the API).
    b.click("#upstream_overwrite-fast_forward").await;
    b.click("#mass_delete_guard").await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the settings saved", 10, || async {
        b.text("main").await.contains("Mirror settings saved.")
    })
    .await;
    let saved = call(&s, "GET", "/api/v1/repos/owner/m/mirror", &owner, None).await;
    saved.expect(200);
    let saved = saved.json();
    assert_eq!(saved["upstream_overwrite"], "fast_forward", "{saved}");
    assert_eq!(saved["mass_delete_guard"], false, "{saved}");
    let ticked = b
        .eval("return document.getElementById('mass_delete_guard').checked;")
        .await;
    assert_eq!(ticked, false, "the page shows what was saved");
    b.finish().await;
}
