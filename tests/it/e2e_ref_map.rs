//! In headless Chromium: the branch map of the pull is edited as rows "from" → "to" in the
//! Pull and push section (a bad rule is named inline and the rows keep what was typed; a row
//! emptied is removed), and the preview and the history show where a renamed ref comes from.
//! Screenshots at 1280 and 390 px of the rows with their error (`ref-map-error`, `-390`), saved
//! (`ref-map-saved`, `-390`), of the preview (`ref-map-preview`, `-390`) and of the history
//! (`ref-map-history`, `-390`). SQLite only: the pages are the same on both databases.

use serde_json::json;

use crate::support::{
    Db, Git,
    browser::Browser,
    git_backend::GitBackend,
    mirror::{call, import_body, local_server, seed, settle, sync_now},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_branch_map_is_edited_as_rows_and_the_history_names_sources() {
    let Some(b) = Browser::start(1280, 1400).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    let owner = s.create_admin("owner").await;
    let remotes = GitBackend::start().await;
    let upstream = remotes.create("src").await;
    let git = Git::new();
    seed(&git, upstream.to_str().unwrap()).await;
    import_body(
        &s,
        &owner,
        json!({"name": "src", "clone_url": remotes.url("src"), "mirror": true, "sync_interval": 3600}),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "src").await["sync_status"], "success");

    b.log_in(&s.base(), &owner.username, &owner.password).await;
    b.goto(&s.url("/owner/src/settings/mirror")).await;
    let hint = b.text("#upstream_ref_map-hint").await;
    assert!(hint.contains("refs/heads/master"), "{hint}");
    assert!(hint.contains("refs/heads/upstream/*"), "{hint}");

    // A rule with two stars: named inline, nothing saved, the rows as typed.
    b.fill("#ref_map_from_0", "refs/heads/*/*").await;
    b.fill("#ref_map_to_0", "refs/heads/x/*").await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the map's error", 10, || async {
        b.text("#upstream_ref_map-error")
            .await
            .contains("rule 1 has more than one *")
    })
    .await;
    assert_eq!(
        b.attr("#ref_map_from_0", "value").await.as_deref(),
        Some("refs/heads/*/*")
    );
    let shown = call(&s, "GET", "/api/v1/repos/owner/src/mirror", &owner, None).await;
    assert_eq!(shown.json()["upstream_ref_map"], json!([]));
    b.eval("document.getElementById('branch-map').scrollIntoView(); return 0;")
        .await;
    b.screenshot("ref-map-error").await;
    b.assert_fits("branch map with an error", 390, 1400).await;
    b.eval("document.getElementById('branch-map').scrollIntoView(); return 0;")
        .await;
    b.screenshot("ref-map-error-390").await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    // Two good rules are saved, and shown again with empty rows below them.
    b.fill("#ref_map_from_0", "refs/tags/v1").await;
    b.fill("#ref_map_to_0", "refs/tags/release-1").await;
    b.fill("#ref_map_from_1", "refs/heads/*").await;
    b.fill("#ref_map_to_1", "refs/heads/upstream/*").await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the saved confirmation", 10, || async {
        b.text(".flash").await.contains("Mirror settings saved.")
    })
    .await;
    let shown = call(&s, "GET", "/api/v1/repos/owner/src/mirror", &owner, None).await;
    assert_eq!(
        shown.json()["upstream_ref_map"],
        json!([{"from": "refs/tags/v1", "to": "refs/tags/release-1"},
               {"from": "refs/heads/*", "to": "refs/heads/upstream/*"}])
    );
    assert_eq!(
        b.attr("#ref_map_to_1", "value").await.as_deref(),
        Some("refs/heads/upstream/*")
    );
    assert_eq!(
        b.attr("#ref_map_from_4", "value").await.as_deref(),
        Some("")
    );
    b.eval("document.getElementById('branch-map').scrollIntoView(); return 0;")
        .await;
    b.screenshot("ref-map-saved").await;
    b.assert_fits("branch map saved", 390, 1400).await;
    b.eval("document.getElementById('branch-map').scrollIntoView(); return 0;")
        .await;
    b.screenshot("ref-map-saved-390").await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    // The preview says where each renamed ref would come from.
    b.click("#preview-button").await;
    b.wait_until("the preview in the page", 15, || async {
        b.text("#preview-result")
            .await
            .contains("refs/heads/upstream/feature")
    })
    .await;
    let preview = b.text("#preview-result").await;
    assert!(
        preview.contains("renamed from refs/heads/feature"),
        "{preview}"
    );
    b.eval("document.getElementById('preview-result').scrollIntoView(); return 0;")
        .await;
    b.screenshot_of("#preview-result", "ref-map-preview").await;
    b.assert_fits("preview with renamed refs", 390, 1400).await;
    b.screenshot_of("#preview-result", "ref-map-preview-390")
        .await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    // The pull under the map: the history says where each renamed ref came from.
    sync_now(&s, &owner, "src").await.expect(202);
    assert_eq!(settle(&s, &owner, "src").await["sync_status"], "success");
    b.goto(&s.url("/owner/src/settings/mirror/history")).await;
    let history = b.text(".ref-changes").await;
    assert!(
        history.contains("refs/heads/upstream/feature")
            && history.contains("renamed from refs/heads/feature"),
        "{history}"
    );
    b.screenshot("ref-map-history").await;
    b.assert_fits("history with renamed refs", 390, 1400).await;
    b.screenshot("ref-map-history-390").await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    // A row emptied is removed.
    b.goto(&s.url("/owner/src/settings/mirror")).await;
    b.fill("#ref_map_from_0", "").await;
    b.fill("#ref_map_to_0", "").await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the saved confirmation", 10, || async {
        b.text(".flash").await.contains("Mirror settings saved.")
    })
    .await;
    let shown = call(&s, "GET", "/api/v1/repos/owner/src/mirror", &owner, None).await;
    assert_eq!(
        shown.json()["upstream_ref_map"],
        json!([{"from": "refs/heads/*", "to": "refs/heads/upstream/*"}])
    );
    b.finish().await;
}
