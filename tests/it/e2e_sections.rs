//! The mirror settings' sections in a real browser: opened from the repository page, each
//! section reached through the section navigation (its own URL, only its content, the link
//! marked), none scrolling sideways at 390 px; the schedule's "Now:" line following what is
//! typed before it is saved. Screenshots: `section-<name>` and `section-<name>-390` for `pull`,
//! `push`, `schedule`, `events`, `ssh`, `history`, and `section-schedule-typed`. SQLite only:
//! the pages are the same on both databases.

use serde_json::json;

use crate::support::{
    Db, Git,
    browser::Browser,
    git_backend::GitBackend,
    mirror::{call, import_body, local_server, seed, settle},
};

/// Each section: screenshot name, path under the settings, label in the navigation, and an
/// element only its page shows.
const SECTIONS: &[(&str, &str, &str, &str)] = &[
    ("pull", "", "Pull & push", "#mirror-form"),
    ("push", "/push", "Push mirrors", "#push-mirrors"),
    ("schedule", "/schedule", "Schedule", "#schedule-form"),
    ("events", "/events", "Events", "#notify-form"),
    ("ssh", "/ssh", "SSH", "#ssh-key"),
    ("history", "/history", "History", "#run-history"),
];

/// Whether an element matches `css` on the page right now.
const PRESENT: &str = "return document.querySelector(arguments[0]) !== null;";

/// Resizes the window to `width` and the page's whole height, then saves it as `name`.
async fn whole_page(b: &Browser, width: u32, name: &str) {
    b.client.set_window_size(width, 900).await.unwrap();
    let height = b
        .eval("return document.documentElement.scrollHeight;")
        .await
        .as_u64()
        .unwrap_or(900);
    let height = u32::try_from(height).unwrap_or(900).clamp(600, 6000) + 140;
    b.assert_fits(name, width, height).await;
    b.screenshot(name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mirror_settings_sections_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| {
        c.min_sync_interval = 60;
        // No scheduled sync changes what the pages show.
        c.scheduler_cron = "0 0 0 1 1 *".to_owned();
    })
    .await;
    let owner = s.create_admin("nora").await;
    let remote = GitBackend::start().await;
    let src = remote.create("src").await;
    remote.create("copy").await;
    seed(&Git::new(), src.to_str().unwrap()).await;
    import_body(
        &s,
        &owner,
        json!({"name": "docs", "clone_url": remote.url("src"), "mirror": true}),
    )
    .await
    .expect(201);
    settle(&s, &owner, "docs").await;
    call(
        &s,
        "POST",
        "/api/v1/repos/nora/docs/push_mirrors",
        &owner,
        Some(json!({"remote_url": remote.url("copy")})),
    )
    .await
    .expect(201);
    call(
        &s,
        "POST",
        "/api/v1/repos/nora/docs/mirror/ssh_key",
        &owner,
        None,
    )
    .await
    .expect(201);

    b.log_in(&s.url("/"), "nora", &owner.password).await;
    b.goto(&s.url("/nora/docs")).await;
    b.click(".repo-nav a[href='/nora/docs/settings/mirror']")
        .await;
    b.wait_until("the mirror settings", 10, || async {
        b.text("nav.section-nav a[aria-current=page]").await == "Pull & push"
    })
    .await;

    // Each section through the navigation: its URL, its content alone, its link marked.
    for (name, path, label, own) in SECTIONS {
        let href = format!("/nora/docs/settings/mirror{path}");
        b.click(&format!("nav.section-nav a[href='{href}']")).await;
        b.wait_until(&format!("the {name} section"), 10, || async {
            b.text("nav.section-nav a[aria-current=page]").await == *label
        })
        .await;
        let url = b.client.current_url().await.unwrap();
        assert_eq!(url.path(), href, "{name}");
        for (other, _, _, theirs) in SECTIONS {
            let shown = b
                .client
                .execute(PRESENT, vec![json!(theirs)])
                .await
                .unwrap();
            assert_eq!(shown, json!(other == name), "{name}: {theirs}");
        }
        assert!(
            b.find("#mirror-sync").await.is_displayed().await.unwrap(),
            "{name}: the sync widget"
        );
        assert!(
            b.find(own).await.is_displayed().await.unwrap(),
            "{name}: {own}"
        );
        whole_page(&b, 1280, &format!("section-{name}")).await;
        whole_page(&b, 390, &format!("section-{name}-390")).await;
        b.client.set_window_size(1280, 1000).await.unwrap();
    }

    // The schedule's "Now:" line follows what is typed, before anything is saved.
    b.goto(&s.url("/nora/docs/settings/mirror/schedule")).await;
    let now = b.text("#sync_schedule-reading").await;
    assert!(now.starts_with("Now: Every hour"), "{now}");
    assert!(
        b.text("#sync_interval-rule")
            .await
            .contains("In use: the schedule below is empty.")
    );
    b.eval("window.__sameDocument = 'yes'; return 1;").await;
    b.fill("#sync_schedule", "30 2 * * 1-5").await;
    b.wait_until("the typed schedule read", 10, || async {
        b.text("#sync_schedule-reading")
            .await
            .contains("At 02:30 on Monday through Friday (UTC)")
    })
    .await;
    let now = b.text("#sync_schedule-reading").await;
    assert!(now.contains("set by the schedule"), "{now}");
    assert!(now.contains("not saved yet"), "{now}");
    b.wait_until("the interval marked unused", 10, || async {
        b.text("#sync_interval-rule")
            .await
            .contains("Not used: the schedule below rules.")
    })
    .await;
    b.screenshot_of("#schedule-form", "section-schedule-typed")
        .await;
    // A bad one: the sentence the save would give.
    b.fill("#sync_schedule", "61 * * * *").await;
    b.wait_until("the refused schedule", 10, || async {
        b.text("#sync_schedule-reading")
            .await
            .starts_with("Schedule refused:")
    })
    .await;
    let same = b.eval("return window.__sameDocument || 'reloaded';").await;
    assert_eq!(same, "yes", "the page was reloaded");
    let stored = call(&s, "GET", "/api/v1/repos/nora/docs/mirror", &owner, None)
        .await
        .json();
    assert_eq!(stored["sync_schedule"], "", "nothing saved while typing");

    // Saved: the page says so and reads what is stored.
    b.fill("#sync_schedule", "30 2 * * 1-5").await;
    b.click("#schedule-form button[type=submit]").await;
    b.wait_until("the saved schedule", 10, || async {
        b.text(".flash").await.contains("Schedule saved.")
    })
    .await;
    let now = b.text("#sync_schedule-reading").await;
    assert!(
        now.contains("At 02:30 on Monday through Friday (UTC)"),
        "{now}"
    );
    assert!(!now.contains("not saved yet"), "{now}");
    assert!(now.contains("next sync"), "{now}");
    b.finish().await;
}
