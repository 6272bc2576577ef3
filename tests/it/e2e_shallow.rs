//! In headless Chromium: a depth-2 mirror's code page says it is a shallow mirror of the last
//! 2 commits and that a clone of it is shallow; its settings' pull section shows the depth with
//! its explanation; a depth out of range is refused inline, and so are a push mirror on it and
//! a depth on a repository with a push mirror. Screenshots at 1280 and 390 px of the code page
//! (`shallow-code`, `-390`), of the depth field, stored and refused (`shallow-depth`,
//! `shallow-depth-refused`, `-390`), and of the refused push mirror (`shallow-push-refused`,
//! `-390`).
//! The import form's depth field: refused out of range (`shallow-import-refused`, `-390`),
//! a shallow mirror at 1.
//! SQLite only: the pages are the same on both databases.

use serde_json::json;

use crate::support::{
    Db, Git,
    browser::Browser,
    git_backend::GitBackend,
    mirror::{call, import_body, local_server, seed, settle},
};

/// Scrolls the depth field into view (for the screenshots of the pull section).
const SHOW_DEPTH: &str =
    "document.getElementById('pull-depth').scrollIntoView({block: 'center'}); return 1;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shallow_mirror_says_so_and_its_depth_is_set_in_the_pull_section() {
    let Some(b) = Browser::start(1280, 1400).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    let owner = s.create_admin("owner").await;
    let remotes = GitBackend::start().await;
    let upstream = remotes.create("src").await;
    remotes.create("backup").await;
    let git = Git::new();
    seed(&git, upstream.to_str().unwrap()).await;
    import_body(
        &s,
        &owner,
        json!({"name": "src", "clone_url": remotes.url("src"), "mirror": true,
               "sync_interval": 3600, "depth": 2}),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "src").await["sync_status"], "success");

    b.log_in(&s.base(), &owner.username, &owner.password).await;
    b.goto(&s.url("/owner/src")).await;
    let note = b.text("#shallow-note").await;
    assert!(
        note.contains("This is a shallow mirror: last 2 commits"),
        "{note}"
    );
    let hint = b.text("#clone-shallow-hint").await;
    assert!(hint.contains("A clone from here will be shallow"), "{hint}");
    b.screenshot("shallow-code").await;
    b.assert_fits("code page of a shallow mirror", 390, 1400)
        .await;
    b.screenshot("shallow-code-390").await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    // The pull section shows the depth and what it means.
    b.goto(&s.url("/owner/src/settings/mirror")).await;
    assert_eq!(
        b.attr("#upstream_depth", "value").await.as_deref(),
        Some("2")
    );
    let explained = b.text("#upstream_depth-hint").await;
    assert!(
        explained.contains("0 fetches the whole history")
            && explained.contains("cannot have push mirrors"),
        "{explained}"
    );
    b.eval(SHOW_DEPTH).await;
    b.screenshot("shallow-depth").await;
    b.assert_fits("the depth field", 390, 1400).await;
    b.eval(SHOW_DEPTH).await;
    b.screenshot("shallow-depth-390").await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    // Out of range: refused inline, nothing saved.
    b.fill("#upstream_depth", "100001").await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the refusal", 10, || async {
        b.text("#upstream_depth-error")
            .await
            .contains("between 1 and 100000")
    })
    .await;
    let settings = call(&s, "GET", "/api/v1/repos/owner/src/mirror", &owner, None).await;
    assert_eq!(settings.json()["upstream_depth"], 2);

    // Its push mirrors page refuses a new one at the URL.
    b.goto(&s.url("/owner/src/settings/mirror/push")).await;
    let why = b.text("#push-shallow").await;
    assert!(
        why.contains("a shallow mirror cannot be pushed") && why.contains("set History depth to 0"),
        "{why}"
    );
    b.fill("#remote_url", &remotes.url("backup")).await;
    b.click("#push-mirror-form button[type=submit]").await;
    b.wait_until("the push mirror refused", 10, || async {
        b.text("#remote_url-error")
            .await
            .contains("a shallow mirror cannot be pushed")
    })
    .await;
    b.eval("document.getElementById('push-shallow').scrollIntoView(); return 1;")
        .await;
    b.screenshot("shallow-push-refused").await;
    b.assert_fits("the refused push mirror", 390, 1400).await;
    b.eval("document.getElementById('push-shallow').scrollIntoView(); return 1;")
        .await;
    b.screenshot("shallow-push-refused-390").await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    // A repository with a push mirror cannot become shallow: said at the field.
    s.create_repo(&owner, "app", false).await;
    call(
        &s,
        "POST",
        "/api/v1/repos/owner/app/push_mirrors",
        &owner,
        Some(json!({"remote_url": remotes.url("backup")})),
    )
    .await
    .expect(201);
    b.goto(&s.url("/owner/app/settings/mirror")).await;
    assert_eq!(
        b.attr("#upstream_depth", "value").await.as_deref(),
        Some("0")
    );
    b.fill("#upstream_depth", "5").await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the refusal", 10, || async {
        b.text("#pull-depth")
            .await
            .contains("a shallow mirror cannot be pushed")
    })
    .await;
    assert_eq!(
        b.attr("#upstream_depth", "aria-invalid").await.as_deref(),
        Some("true")
    );
    b.eval(SHOW_DEPTH).await;
    b.screenshot("shallow-depth-refused").await;
    b.assert_fits("the refused depth", 390, 1400).await;
    b.eval(SHOW_DEPTH).await;
    b.screenshot("shallow-depth-refused-390").await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    // The import form takes a depth too: out of range it is refused inline, nothing made;
    // 1 makes a shallow mirror.
    b.goto(&s.url("/repo/import")).await;
    b.fill("#clone_url", &remotes.url("src")).await;
    b.fill("#name", "viaform").await;
    b.fill("#depth", "100001").await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("the depth's error", 10, || async {
        !b.text("#depth-error").await.is_empty()
    })
    .await;
    assert_eq!(b.attr("#depth", "value").await.as_deref(), Some("100001"));
    let show_depth =
        "document.getElementById('depth').scrollIntoView({block: 'center'}); return 1;";
    b.eval(show_depth).await;
    b.screenshot("shallow-import-refused").await;
    b.assert_fits("the import form with a refused depth", 390, 1400)
        .await;
    b.eval(show_depth).await;
    b.screenshot("shallow-import-refused-390").await;
    b.client.set_window_size(1280, 1400).await.unwrap();
    call(&s, "GET", "/api/v1/repos/owner/viaform", &owner, None)
        .await
        .expect(404);
    b.fill("#depth", "1").await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("the new mirror's page", 10, || async {
        b.text("body")
            .await
            .contains("shallow mirror: last 1 commit")
    })
    .await;
    assert_eq!(
        settle(&s, &owner, "viaform").await["sync_status"],
        "success"
    );
    let settings = call(
        &s,
        "GET",
        "/api/v1/repos/owner/viaform/mirror",
        &owner,
        None,
    )
    .await;
    assert_eq!(settings.json()["upstream_depth"], 1, "{}", settings.body);
    b.finish().await;
}
