//! Every page of a mirrored repository at phone width (390 px) in headless Chromium: none
//! scrolls sideways (`document.documentElement.scrollWidth <= 390`), with the longest values a
//! mirror shows filled in: a long repository name, a long push-mirror URL, the webhook URL and
//! secret, the SSH key, a host key pinned for a long host name, a run history with "pushed to
//! URL" and the preview. Each page is also
//! shot at 1280 px. Screenshots: `phone-<page>` and `phone-<page>-390`. SQLite only: the
//! pages are the same on both databases.

use crate::support::{
    Db, Git,
    browser::Browser,
    git_backend::GitBackend,
    mirror::{call, import_body, local_server, seed, settle},
};

/// A long name, so titles and URLs have to wrap.
const REPO: &str = "a-rather-long-repository-name-for-phones";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mirror_page_fits_a_phone_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    let owner = s.create_admin("nina").await;
    let remote = GitBackend::start().await;
    remote.create("src").await;
    // No hyphen or slash to break at: only a rule that wraps anywhere keeps it in.
    let long_target = "apushmirrortargetwithaverylongnamethatdoesnotfitaphoneatall";
    remote.create(long_target).await;
    let git = Git::new();
    let work = seed(&git, &remote.url("src")).await;
    import_body(
        &s,
        &owner,
        serde_json::json!({"name": REPO, "clone_url": remote.url("src"), "mirror": true}),
    )
    .await
    .expect(201);
    settle(&s, &owner, REPO).await;
    let api = format!("/api/v1/repos/nina/{REPO}");
    let added = call(
        &s,
        "POST",
        &format!("{api}/push_mirrors"),
        &owner,
        Some(serde_json::json!({"remote_url": remote.url(long_target)})),
    )
    .await;
    added.expect(201);
    let push_id = added.json()["id"].as_i64().expect("push mirror id");
    call(&s, "POST", &format!("{api}/sync"), &owner, None)
        .await
        .expect(202);
    settle(&s, &owner, REPO).await;
    call(
        &s,
        "POST",
        &format!("{api}/mirror/webhook_secret"),
        &owner,
        None,
    )
    .await
    .expect(201);
    call(&s, "POST", &format!("{api}/mirror/ssh_key"), &owner, None)
        .await
        .expect(201);

    // A branch with a long name upstream, not synced yet: the preview lists it.
    let long_branch = "featurebranchwithanamelongerthananyphonescreeniswide";
    git.ok(&work, &["branch", long_branch]).await;
    git.ok(&work, &["push", "-q", &remote.url("src"), long_branch])
        .await;

    b.log_in(&s.url("/"), "nina", &owner.password).await;
    let repo = format!("/nina/{REPO}");
    // A host key pinned by hand, with a long host name, for the fingerprint column.
    b.goto(&s.url(&format!("{repo}/settings/mirror/ssh_host_keys")))
        .await;
    b.fill(
        "#key",
        "[git.a-very-long-host-name-of-a-company-forge.example.com]:2222 ssh-ed25519 \
         AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    )
    .await;
    b.click("#host-key-paste button[type=submit]").await;
    b.wait_until("the pasted key pinned", 10, || async {
        b.text("#host-keys-pinned").await.contains("SHA256:")
    })
    .await;
    let pages = [
        ("repo", repo.clone()),
        ("mirror-settings", format!("{repo}/settings/mirror")),
        ("section-push", format!("{repo}/settings/mirror/push")),
        (
            "section-schedule",
            format!("{repo}/settings/mirror/schedule"),
        ),
        ("section-events", format!("{repo}/settings/mirror/events")),
        ("section-ssh", format!("{repo}/settings/mirror/ssh")),
        ("section-history", format!("{repo}/settings/mirror/history")),
        ("host-keys", format!("{repo}/settings/mirror/ssh_host_keys")),
        ("preview", format!("{repo}/settings/mirror/preview")),
        (
            "push-edit",
            format!("{repo}/settings/mirror/push/{push_id}"),
        ),
        ("delete", format!("{repo}/settings/delete")),
        ("mirrors", "/mirrors".to_owned()),
        ("import", "/repo/import".to_owned()),
        ("tokens", "/user/settings/tokens".to_owned()),
        ("dashboard", "/".to_owned()),
        ("not-found", "/nina/no-such-repository".to_owned()),
    ];
    for (name, path) in pages {
        b.client.set_window_size(1280, 1000).await.expect("resize");
        b.goto(&s.url(&path)).await;
        b.screenshot(&format!("phone-{name}")).await;
        b.assert_fits(&path, 390, 1400).await;
        b.screenshot(&format!("phone-{name}-390")).await;
    }

    // The preview's tables, opened inside the settings page, fit as well.
    b.client.set_window_size(1280, 1000).await.expect("resize");
    b.goto(&s.url(&format!("{repo}/settings/mirror"))).await;
    b.click("#preview-button").await;
    b.wait_until("the preview", 20, || async {
        b.text("#preview-result")
            .await
            .contains("What the next sync")
    })
    .await;
    b.screenshot_of("#preview-result", "phone-preview-table")
        .await;
    b.assert_fits("the preview inside the settings", 390, 1400)
        .await;
    b.screenshot_of("#preview-result", "phone-preview-table-390")
        .await;

    // The 404 page keeps the header and navigation of the site.
    b.goto(&s.url("/nina/no-such-repository")).await;
    assert!(
        b.text(".nav-user").await.contains("nina"),
        "logged in header on a 404"
    );
    assert!(b.text("main").await.contains("404"));
    b.finish().await;
}
