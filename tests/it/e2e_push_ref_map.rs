//! In headless Chromium: a push mirror's branch map is edited as rows "from" → "to" in its
//! forms (adding one, and its own page), a bad rule is named inline with the rows as typed and
//! nothing saved, its card says what it renames, and a sync pushes the refs there under their
//! new names. Screenshots at 1280 and 390 px of the form with its error (`push-ref-map-error`,
//! `-390`) and of the card (`push-ref-map-card`, `-390`), and of its own page's rows at 1280
//! px (`push-ref-map-edit`). SQLite only: the pages are the same
//! on both databases.

use serde_json::json;

use crate::support::{
    Db, Git,
    browser::Browser,
    git::{Seed, Tag},
    git_backend::GitBackend,
    mirror::{call, local_server},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_mirrors_branch_map_is_edited_as_rows_and_pushes_under_the_new_names() {
    let Some(b) = Browser::start(1280, 1400).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "site", false).await;
    let git = Git::new();
    git.seed(
        &s.git_url(Some(("owner", &owner.token)), "owner", "site"),
        &Seed {
            work: "site",
            commits: &[("index.html", b"<h1>hi</h1>\n", "first page")],
            tag: Some(Tag::Light("v1.0")),
            branches: &["feature"],
        },
    )
    .await;
    let remote = GitBackend::start().await;
    remote.create("backup").await;
    let list = "/api/v1/repos/owner/site/push_mirrors";

    b.log_in(&s.base(), &owner.username, &owner.password).await;
    b.goto(&s.url("/owner/site/settings/mirror/push")).await;
    let hint = b.text("#push_ref_map-hint").await;
    assert!(
        hint.contains("refs/heads/main") && hint.contains("refs/heads/backup/*"),
        "{hint}"
    );

    // Adding one with a rule that has a star on one side only: named inline, nothing added,
    // the rows as typed.
    b.fill("#remote_url", &remote.url("backup")).await;
    b.fill("#push_ref_map_from_0", "refs/heads/main").await;
    b.fill("#push_ref_map_to_0", "refs/heads/master").await;
    b.fill("#push_ref_map_from_1", "refs/heads/*").await;
    b.fill("#push_ref_map_to_1", "refs/heads/backup").await;
    b.click("#push-mirror-form button[type=submit]").await;
    b.wait_until("the map's error", 10, || async {
        b.text("#push_ref_map-error")
            .await
            .contains("rule 2 must have a * on both sides or on neither")
    })
    .await;
    assert_eq!(
        b.attr("#push_ref_map_to_1", "value").await.as_deref(),
        Some("refs/heads/backup")
    );
    assert_eq!(
        b.attr("#remote_url", "value").await.as_deref(),
        Some(remote.url("backup").as_str())
    );
    let shown = call(&s, "GET", list, &owner, None).await;
    assert_eq!(shown.json(), json!([]), "nothing added");
    b.eval("document.getElementById('push-branch-map').scrollIntoView(); return 0;")
        .await;
    b.screenshot("push-ref-map-error").await;
    b.assert_fits("push mirror form with a map error", 390, 1400)
        .await;
    b.eval("document.getElementById('push-branch-map').scrollIntoView(); return 0;")
        .await;
    b.screenshot("push-ref-map-error-390").await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    // Fixed, it is added, and its card says what it renames.
    b.fill("#push_ref_map_to_1", "refs/heads/backup/*").await;
    b.click("#push-mirror-form button[type=submit]").await;
    b.wait_until("the push mirror listed", 10, || async {
        b.text(".push-list").await.contains(&remote.url("backup"))
    })
    .await;
    let shown = call(&s, "GET", list, &owner, None).await;
    let added = &shown.json()[0];
    assert_eq!(
        added["ref_map"],
        json!([{"from": "refs/heads/main", "to": "refs/heads/master"},
               {"from": "refs/heads/*", "to": "refs/heads/backup/*"}])
    );
    let id = added["id"].as_i64().unwrap();
    assert_eq!(
        b.text(".push-renames").await,
        "Renames: refs/heads/main → refs/heads/master, refs/heads/* → refs/heads/backup/*."
    );

    // Its own page shows the stored rules; a bad rule there is named inline and nothing is
    // saved; emptying it saves the rest.
    b.goto(&s.url(&format!("/owner/site/settings/mirror/push/{id}")))
        .await;
    assert_eq!(
        b.attr("#push_ref_map_from_1", "value").await.as_deref(),
        Some("refs/heads/*")
    );
    b.eval("document.getElementById('push-branch-map').scrollIntoView(); return 0;")
        .await;
    b.screenshot("push-ref-map-edit").await;
    b.fill("#push_ref_map_from_2", "heads/v1").await;
    b.fill("#push_ref_map_to_2", "refs/tags/one").await;
    b.click("#push-mirror-form button[type=submit]").await;
    b.wait_until("the map's error", 10, || async {
        b.text("#push_ref_map-error")
            .await
            .contains("rule 3 \"heads/v1\" does not start with refs/")
    })
    .await;
    assert_eq!(
        b.attr("#push_ref_map_from_2", "value").await.as_deref(),
        Some("heads/v1")
    );
    let shown = call(&s, "GET", list, &owner, None).await;
    assert_eq!(
        shown.json()[0]["ref_map"],
        added["ref_map"],
        "nothing saved"
    );
    b.fill("#push_ref_map_from_2", "refs/tags/v1.0").await;
    b.fill("#push_ref_map_to_2", "refs/tags/release-1").await;
    b.click("#push-mirror-form button[type=submit]").await;
    b.wait_until("the saved confirmation", 10, || async {
        b.text(".flash").await.contains("saved.")
    })
    .await;
    b.wait_until("the card's renames", 10, || async {
        b.text(".push-renames")
            .await
            .contains("refs/tags/release-1")
    })
    .await;
    b.eval("document.querySelector('.push-mirror').scrollIntoView(); return 0;")
        .await;
    b.screenshot_of(".push-mirror", "push-ref-map-card").await;
    b.assert_fits("push mirror card with its renames", 390, 1400)
        .await;
    b.screenshot_of(".push-mirror", "push-ref-map-card-390")
        .await;
    b.client.set_window_size(1280, 1400).await.unwrap();

    // "Sync now" pushes each ref there under its mapped name.
    b.click(".push-mirror form[action$='/sync'] button").await;
    let settings = s.url("/owner/site/settings/mirror/push");
    b.wait_until("the push reported on the card", 30, || async {
        b.goto(&settings).await;
        b.text(".push-mirror .badge-run").await == "Pushed"
    })
    .await;
    let there: Vec<String> = git
        .ls_remote(&remote.url("backup"))
        .await
        .lines()
        .filter_map(|l| l.split('\t').nth(1).map(str::to_owned))
        .collect();
    assert_eq!(
        there,
        [
            "refs/heads/backup/feature",
            "refs/heads/master",
            "refs/tags/release-1"
        ],
        "renamed there, nothing under the old names"
    );
    b.finish().await;
}
