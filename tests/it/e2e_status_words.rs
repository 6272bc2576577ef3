//! In headless Chromium: the mirrors overview refreshes a syncing row by itself until it says
//! synced (its ticked box stays ticked), and a push mirror's card shows "Pushing…" after its
//! "Sync now" and then the result, without a reload. Screenshots at 1280 and 390 px of the
//! overview polling, a repository with mirroring off, LFS files whose objects were not copied
//! and the import form's errors; none of them scrolls sideways at 390 px. SQLite only: the
//! pages are the same on both databases.

use std::time::Duration;

use serde_json::json;

use crate::support::{
    Db, Git, TestServer,
    browser::Browser,
    git_backend::GitBackend,
    lfs::pseudo_random,
    mirror::{call, import_body, local_server, seed, settle, sync_now},
};

/// Both widths of each screenshot (the phone one scrolled to `shown`), and the
/// no-sideways-scroll check at 390 px.
async fn both_widths(b: &Browser, name: &str, height: u32, shown: &str) {
    b.client.set_window_size(1280, height).await.unwrap();
    b.screenshot(name).await;
    b.assert_fits(name, 390, height).await;
    b.eval(&format!(
        "document.querySelector('{shown}').scrollIntoView(); return 1;"
    ))
    .await;
    b.screenshot(&format!("{name}-390")).await;
    b.client.set_window_size(1280, height).await.unwrap();
}

/// The `data-status` of the first element `css` matches.
async fn status_of(b: &Browser, css: &str) -> String {
    b.attr(css, "data-status").await.unwrap_or_default()
}

/// A slow upstream (each answer after `delay`) with the mirror tests' commits in `src`.
async fn slow_upstream(delay: Duration) -> GitBackend {
    let remote = GitBackend::slow(delay).await;
    let src = remote.create("src").await;
    seed(&Git::new(), src.to_str().unwrap()).await;
    remote
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_refreshes_a_syncing_row_by_itself() {
    let Some(b) = Browser::start(1280, 900).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    let owner = s.create_admin("owner").await;
    let remote = slow_upstream(Duration::from_millis(1200)).await;
    import_body(
        &s,
        &owner,
        json!({"name": "slow", "clone_url": remote.url("src"), "mirror": true}),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "slow").await["sync_status"], "success");
    b.log_in(&s.base(), &owner.username, &owner.password).await;

    sync_now(&s, &owner, "slow").await.expect(202);
    b.goto(&s.url("/mirrors")).await;
    let row = "tr.mirror-row .badge-sync";
    assert_eq!(status_of(&b, row).await, "syncing");
    b.eval("window.__sameDocument = 'yes'; return 1;").await;
    // Tick the row while it polls: the box stays ticked across the swaps.
    b.click("#select-owner--slow").await;
    both_widths(&b, "overview-polling", 900, "main").await;
    b.wait_until("the row says synced by itself", 30, || async {
        status_of(&b, row).await == "success"
    })
    .await;
    let same = b.eval("return window.__sameDocument || 'reloaded';").await;
    assert_eq!(same, "yes", "the page was reloaded");
    assert_eq!(b.text(row).await, "Synced");
    let ticked = b
        .eval("return document.getElementById('select-owner--slow').checked;")
        .await;
    assert_eq!(ticked, true, "the ticked box stayed ticked");
    // Polling stopped: the row has no trigger any more.
    assert_eq!(b.attr("tr.mirror-row", "hx-trigger").await, None);
    b.screenshot("overview-polled").await;
    b.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_mirror_card_shows_its_push_without_a_reload() {
    let Some(b) = Browser::start(1280, 1400).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    let owner = s.create_admin("owner").await;
    let source = GitBackend::start().await;
    let src = source.create("src").await;
    seed(&Git::new(), src.to_str().unwrap()).await;
    import_body(
        &s,
        &owner,
        json!({"name": "m", "clone_url": source.url("src"), "mirror": true}),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");
    let target = GitBackend::slow(Duration::from_millis(1200)).await;
    target.create("backup").await;
    let added = call(
        &s,
        "POST",
        "/api/v1/repos/owner/m/push_mirrors",
        &owner,
        Some(json!({"remote_url": target.url("backup")})),
    )
    .await;
    added.expect(201);
    let id = added.json()["id"].as_i64().unwrap();
    b.log_in(&s.base(), &owner.username, &owner.password).await;
    b.goto(&s.url("/owner/m/settings/mirror/push")).await;
    let badge = format!("#push-state-{id} .badge");
    assert_eq!(b.text(&badge).await, "Not pushed yet");

    // Its own "Sync now" (a plain form): back on the page the card says it pushes at once…
    b.click(&format!("#push-mirror-{id} form[action$=\"/sync\"] button"))
        .await;
    b.wait_until("the card pushing", 10, || async {
        status_of(&b, &badge).await == "syncing"
    })
    .await;
    assert_eq!(b.text(&badge).await, "Pushing…");
    b.eval("window.__sameDocument = 'yes'; return 1;").await;
    b.screenshot_of(&format!("#push-mirror-{id}"), "push-card-pushing")
        .await;
    // …and then the result, by itself.
    b.wait_until("the card pushed", 30, || async {
        status_of(&b, &badge).await == "success"
    })
    .await;
    assert_eq!(b.text(&badge).await, "Pushed");
    let same = b.eval("return window.__sameDocument || 'reloaded';").await;
    assert_eq!(same, "yes", "the page was reloaded");
    assert_eq!(
        b.attr(&format!("#push-state-{id}"), "hx-trigger").await,
        None
    );
    b.screenshot_of(&format!("#push-mirror-{id}"), "push-card-pushed")
        .await;
    b.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_words_pages_at_both_widths() {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    let owner = s.create_admin("owner").await;
    b.log_in(&s.base(), &owner.username, &owner.password).await;

    // A repository with mirroring off: its mirror settings say so and offer both ways.
    s.create_repo(&owner, "plain", false).await;
    b.goto(&s.url("/owner/plain/settings/mirror")).await;
    assert_eq!(b.text("#mirror-sync-status").await, "Mirroring is off");
    assert!(b.text("#mirror-off").await.contains("Push to another host"));
    both_widths(&b, "repo-mirroring-off", 1000, "main").await;

    // LFS files imported without LFS: the repository page says the objects were not copied.
    lfs_mirror_without_lfs(&s, &owner).await;
    b.goto(&s.url("/owner/m")).await;
    assert!(
        b.text("#lfs-not-copied")
            .await
            .contains("LFS objects not copied")
    );
    both_widths(&b, "repo-lfs-not-copied", 1000, "#lfs-files").await;

    // The import form's errors, in words, naming fields by their labels.
    b.goto(&s.url("/repo/import")).await;
    b.fill("#clone_url", "ftp://files.example").await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("the errors", 10, || async {
        b.text("#clone_url-error").await.contains("https://")
    })
    .await;
    assert!(
        b.text("#name-error")
            .await
            .contains("no name could be taken")
    );
    both_widths(&b, "import-errors", 1000, "main").await;
    b.finish().await;
}

/// `owner/m`: a mirror, imported with LFS unticked, of `owner/up`, which holds three LFS files.
async fn lfs_mirror_without_lfs(s: &TestServer, owner: &crate::support::TestUser) {
    s.create_repo(owner, "up", false).await;
    let git = Git::new();
    git.lfs_install().await;
    let work = git.init_lfs("work").await;
    for (name, seed) in [("one.bin", 31), ("two.bin", 32), ("three.bin", 33)] {
        std::fs::write(work.join(name), pseudo_random(30 * 1024, seed)).unwrap();
    }
    git.ok(&work, &["add", "-A"]).await;
    git.ok(&work, &["commit", "-q", "-m", "files"]).await;
    let up = s.git_url(Some(("owner", &owner.token)), "owner", "up");
    git.ok(&work, &["push", "-q", &up, "main"]).await;
    import_body(
        s,
        owner,
        json!({"name": "m", "clone_url": s.git_url(None, "owner", "up"), "mirror": true}),
    )
    .await
    .expect(201);
    assert_eq!(settle(s, owner, "m").await["sync_status"], "success");
}
