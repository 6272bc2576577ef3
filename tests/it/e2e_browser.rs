//! End to end in headless Chromium, as a person uses mirrorforge: register, log in, create a
//! repository, push to it with a token, configure a downstream mirror to a stock
//! `git http-backend` on 127.0.0.1, press "Sync now" and watch the widget go from syncing to
//! success without a page reload; then a wrong password fails inline; then the widget rides
//! out a server outage (502s from a proxy) and stops polling once the session expires.
//! Screenshots go to `target/screenshots/`. SQLite only: the pages are the same on both
//! databases.

use std::time::Duration;

use crate::support::{
    Db, Git, TestServer,
    browser::Browser,
    gateway::Gateway,
    git::{Seed, Tag},
    git_backend::GitBackend,
    git_backend::refs_of,
    mirror::local_server,
    sshd::Sshd,
};

const USER: &str = "maria";
const PASSWORD: &str = "Maria-Browser-Pass-1";
const WRONG: &str = "Wrong-Mirror-Pass-3";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downstream_mirror_configured_and_synced_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    s.forbid_in_answers(PASSWORD);
    s.forbid_in_answers(WRONG);
    let slow = GitBackend::slow(Duration::from_millis(1500)).await;
    slow.create("backup").await;
    let guarded = GitBackend::with_auth("pusher", "Right-Mirror-Pass-2").await;
    guarded.create("locked").await;
    // Slower still, so a sync outlasts the outage and the expired session below.
    let outage = GitBackend::slow(Duration::from_millis(2500)).await;
    outage.create("backup").await;

    // Register (the form logs in), log out, log in again.
    b.goto(&s.url("/register")).await;
    b.fill("#username", USER).await;
    b.fill("#email", "maria@example.com").await;
    b.fill("#password", PASSWORD).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("the dashboard after registering", 10, || async {
        b.text("main h1").await == "Your repositories"
    })
    .await;
    b.click(".site-header .link-button").await;
    b.wait_until("logged out", 10, || async {
        b.text(".nav-list").await.contains("Log in")
    })
    .await;
    log_in(&b, &s).await;

    // Create a repository and a token; push to it with real git.
    b.goto(&s.url("/repo/new")).await;
    b.fill("#name", "site").await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("the new repository page", 10, || async {
        b.text("h1.repo-title").await.contains("site")
    })
    .await;
    b.goto(&s.url("/user/settings/tokens")).await;
    b.fill("#name", "laptop").await;
    b.click("form.inline-fields button[type=submit]").await;
    b.wait_until("the new token", 10, || async {
        b.attr("#new-token-value", "value").await.is_some()
    })
    .await;
    let token = b.attr("#new-token-value", "value").await.unwrap();
    s.forbid_in_answers(&token);
    let git = Git::new();
    let blob = crate::support::git::random_bytes(300_000);
    let site = Seed {
        work: "site",
        commits: &[
            ("index.html", b"<h1>hello</h1>\n", "first page"),
            ("blob.bin", &blob, "a blob"),
        ],
        tag: Some(Tag::Light("v1.0")),
        branches: &[],
    };
    git.seed(&s.git_url(Some((USER, &token)), USER, "site"), &site)
        .await;

    // The schedule's section first (mirroring still off, so nothing is scheduled yet):
    // presets, and the custom field only for "Custom".
    let settings = s.url(&format!("/{USER}/site/settings/mirror"));
    b.goto(&s.url(&format!("/{USER}/site/settings/mirror/schedule")))
        .await;
    let interval = b.find("#sync_interval").await;
    interval.select_by_value("custom").await.unwrap();
    assert!(
        b.find("#sync_interval_custom")
            .await
            .is_displayed()
            .await
            .unwrap()
    );
    interval.select_by_value("1800").await.unwrap();
    assert!(
        !b.find("#sync_interval_custom")
            .await
            .is_displayed()
            .await
            .unwrap()
    );
    // `manual`, so the scheduler cannot start a sync of its own between switching mirroring
    // on and "Sync now" below (switching on makes an interval mirror due at once).
    b.fill("#sync_schedule", "manual").await;
    b.click("#schedule-form button[type=submit]").await;
    b.wait_until("the saved schedule", 10, || async {
        b.text(".flash").await.contains("Schedule saved.")
    })
    .await;

    // Mirror settings: direction shows only the fields it needs.
    b.goto(&settings).await;
    assert!(
        b.find("[data-side=upstream]")
            .await
            .is_displayed()
            .await
            .unwrap()
    );
    b.click("input[name=mirror_direction][value=downstream]")
        .await;
    assert!(
        !b.find("[data-side=upstream]")
            .await
            .is_displayed()
            .await
            .unwrap()
    );
    assert!(
        b.find("[data-side=downstream]")
            .await
            .is_displayed()
            .await
            .unwrap()
    );
    b.click("input[name=mirror_direction][value=both]").await;
    assert!(
        b.find("[data-side=upstream]")
            .await
            .is_displayed()
            .await
            .unwrap()
    );
    b.click("input[name=mirror_direction][value=downstream]")
        .await;
    if !b.find("#mirror_enabled").await.is_selected().await.unwrap() {
        b.click("#mirror_enabled").await;
    }
    b.fill("#downstream_url", &slow.url("backup")).await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the saved confirmation", 10, || async {
        b.text(".flash").await.contains("Mirror settings saved.")
    })
    .await;
    assert_eq!(
        b.attr("#mirror-sync-status", "data-status")
            .await
            .as_deref(),
        Some("idle")
    );

    // "Sync now" on the history's section (reached through the section navigation): syncing,
    // then success, and the history refreshed, without a page reload.
    b.click(&format!(
        "nav.section-nav a[href='/{USER}/site/settings/mirror/history']"
    ))
    .await;
    b.wait_until("the history's section", 10, || async {
        b.text("#history-title").await == "Sync history"
    })
    .await;
    b.eval("window.__sameDocument = 'yes'; return 1;").await;
    b.click("#sync-now").await;
    b.wait_until("the syncing badge", 10, || async {
        b.attr("#mirror-sync-status", "data-status")
            .await
            .as_deref()
            == Some("syncing")
    })
    .await;
    // While it runs the button is disabled and the bar is there.
    let button = b.find("#sync-now").await;
    assert!(
        !button.is_enabled().await.unwrap(),
        "Sync now is disabled while syncing"
    );
    assert!(b.find("#sync-progress").await.is_displayed().await.unwrap());
    b.screenshot_of("#mirror-sync", "sync-widget-syncing").await;
    // Once the pack is on its way the bar shows counts; take that one if we catch it.
    let mut caught_counts = false;
    let mut final_status = String::new();
    for _ in 0..300 {
        let status = b
            .attr("#mirror-sync-status", "data-status")
            .await
            .unwrap_or_default();
        if status != "syncing" && !status.is_empty() {
            final_status = status;
            break;
        }
        if !caught_counts && b.attr("#sync-progress", "max").await.is_some() {
            b.screenshot_of("#mirror-sync", "sync-widget-progress")
                .await;
            caught_counts = true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(final_status, "success", "{}", b.text("#mirror-sync").await);
    let same = b.eval("return window.__sameDocument || 'reloaded';").await;
    assert_eq!(same, "yes", "the page was reloaded");
    assert_eq!(b.text("#mirror-sync-status").await, "Synced");
    assert!(b.find("#sync-now").await.is_enabled().await.unwrap());
    // Polling stopped: the widget has no trigger any more.
    assert_eq!(b.attr("#mirror-sync", "hx-trigger").await, None);
    // The history refreshed itself with the refs the push created.
    b.wait_until("the run in the history", 10, || async {
        b.text("#run-history").await.contains("refs/heads/main")
    })
    .await;
    let history = b.text("#run-history").await;
    assert!(history.contains("manual · downstream"), "{history}");
    assert!(history.contains("refs/tags/v1.0"), "{history}");
    b.screenshot_of("#mirror-sync", "sync-widget-success").await;
    let pushed = refs_of(&slow.path("backup")).await;
    assert!(pushed.contains("refs/heads/main"), "{pushed}");
    assert!(pushed.contains("refs/tags/v1.0"), "{pushed}");

    // A wrong password: saved, synced, and the failure shows inline in the widget.
    b.goto(&settings).await;
    b.client.set_window_size(1280, 1900).await.unwrap();
    b.screenshot("mirror-settings").await;
    b.client.set_window_size(390, 2600).await.unwrap();
    b.screenshot("mirror-settings-phone").await;
    b.client.set_window_size(1280, 1000).await.unwrap();
    b.fill("#downstream_url", &guarded.url("locked")).await;
    b.fill("#downstream_username", "pusher").await;
    b.fill("#downstream_password", WRONG).await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the saved confirmation", 10, || async {
        b.text(".flash").await.contains("Mirror settings saved.")
    })
    .await;
    assert!(
        b.text("#downstream_password-hint")
            .await
            .contains("A password is set.")
    );
    assert_eq!(
        b.attr("#downstream_password", "value").await.as_deref(),
        Some("")
    );
    b.click("#sync-now").await;
    b.wait_until("the failed badge", 30, || async {
        b.attr("#mirror-sync-status", "data-status")
            .await
            .as_deref()
            == Some("failed")
    })
    .await;
    let error = b.text("#mirror-sync-error").await;
    assert!(error.contains("authentication"), "{error}");
    assert!(!error.contains(WRONG));
    let source = b.client.source().await.unwrap();
    assert!(!source.contains(WRONG), "the password is in the page");
    s.assert_no_secrets(&source);
    b.screenshot_of("#mirror-sync", "sync-widget-failed").await;

    // A validation error shows next to its field, what was typed kept.
    b.fill("#downstream_url", "ftp://127.0.0.1/nope.git").await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the inline URL error", 10, || async {
        !b.text("#downstream_url-error").await.is_empty()
    })
    .await;
    assert_eq!(
        b.attr("#downstream_url", "value").await.as_deref(),
        Some("ftp://127.0.0.1/nope.git")
    );
    b.client.set_window_size(1280, 1900).await.unwrap();
    b.screenshot("mirror-settings-error").await;
    b.client.set_window_size(1280, 1000).await.unwrap();

    // The repository page carries the same widget.
    b.goto(&s.url(&format!("/{USER}/site"))).await;
    assert_eq!(
        b.attr("#mirror-sync-status", "data-status")
            .await
            .as_deref(),
        Some("failed")
    );
    // Its files: both commits' files, the latest commit on top.
    assert!(b.text("#file-list").await.contains("index.html"));
    assert!(b.text("#latest-commit").await.contains("a blob"));
    b.screenshot("repo-page").await;

    // The dashboard makes the failure stand out.
    b.goto(&s.url("/")).await;
    let item = b.text(".repo-item-failed").await;
    assert!(item.contains("Sync failed"), "{item}");
    assert!(item.contains("Mirror: downstream"), "{item}");
    b.screenshot("dashboard").await;

    // The server goes away mid-sync behind its reverse proxy (502s while it restarts): the
    // widget says so, polls less often each time, and picks up by itself once it is back.
    let gateway = Gateway::start(s.addr).await;
    b.goto(&gateway.url(&format!("/{USER}/site/settings/mirror")))
        .await;
    b.fill("#downstream_url", &outage.url("backup")).await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the saved confirmation", 10, || async {
        b.text(".flash").await.contains("Mirror settings saved.")
    })
    .await;
    b.click("#sync-now").await;
    b.wait_until("the syncing badge", 10, || async {
        widget(&b).await.status == "syncing"
    })
    .await;
    gateway.set_down(true);
    b.wait_until("the second failed poll", 20, || async {
        widget(&b).await.poll_failures == "2"
    })
    .await;
    let during = widget(&b).await;
    assert_eq!(during.trigger, "every 4s", "{during:?}");
    assert_eq!(
        during.status, "syncing",
        "nothing was swapped in: {during:?}"
    );
    let message = b.text("#htmx-error").await;
    assert!(
        message.contains("(502)") || message.contains("Could not reach"),
        "{message}"
    );
    b.screenshot_of("main", "sync-widget-server-away").await;
    gateway.set_down(false);
    b.wait_until("the success badge after the outage", 40, || async {
        widget(&b).await.status == "success"
    })
    .await;
    assert_eq!(widget(&b).await.trigger, "", "polling ended with the sync");
    assert!(!b.find("#htmx-error").await.is_displayed().await.unwrap());

    // A session that has expired: htmx says so instead of swapping the login page in.
    b.goto(&settings).await;
    b.client.delete_cookie("mirrorforge_session").await.unwrap();
    b.click("#sync-now").await;
    b.wait_until("the expired-session message", 10, || async {
        b.text("#htmx-error").await.contains("session has expired")
    })
    .await;
    assert!(b.find("#mirror-sync").await.is_displayed().await.unwrap());
    assert!(!b.text("#mirror-sync").await.contains("Log in"));

    // The session expires while the widget polls: it says so and stops polling, as asking
    // again cannot help.
    log_in(&b, &s).await;
    b.goto(&settings).await;
    b.click("#sync-now").await;
    b.wait_until("the syncing badge", 10, || async {
        widget(&b).await.status == "syncing"
    })
    .await;
    b.client.delete_cookie("mirrorforge_session").await.unwrap();
    b.wait_until("the expired-session message", 10, || async {
        b.text("#htmx-error").await.contains("session has expired")
    })
    .await;
    b.wait_until("polling to stop", 5, || async {
        widget(&b).await.trigger.is_empty()
    })
    .await;
    let stopped = widget(&b).await;
    assert_eq!(
        stopped.status, "syncing",
        "stopped, not finished: {stopped:?}"
    );
    assert!(!b.text("#mirror-sync").await.contains("Log in"));

    b.finish().await;
}

/// Logs in as maria through the login page in the real browser.
async fn log_in(b: &Browser, s: &TestServer) {
    b.goto(&s.url("/login")).await;
    b.fill("#username", USER).await;
    b.fill("#password", PASSWORD).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("logged in", 10, || async {
        b.text(".nav-user").await.contains(USER)
    })
    .await;
}

/// The sync widget as the page has it now, read in one step.
#[derive(Debug, Default)]
struct Widget {
    status: String,
    trigger: String,
    poll_failures: String,
}

/// Reads the sync widget of the page in the browser.
async fn widget(b: &Browser) -> Widget {
    let found = b
        .eval(
            "var w = document.getElementById('mirror-sync');
             if (!w) { return null; }
             return [w.querySelector('#mirror-sync-status').dataset.status,
                     w.getAttribute('hx-trigger') || '', w.dataset.pollFailures || ''];",
        )
        .await;
    let field = |i: usize| found[i].as_str().unwrap_or_default().to_owned();
    if found.is_null() {
        return Widget::default();
    }
    Widget {
        status: field(0),
        trigger: field(1),
        poll_failures: field(2),
    }
}

/// Push mirrors in a real browser: one added through the form (the password write-only), its
/// own "Sync now" pressed and its result shown, then removed. Screenshots:
/// `push-mirror-added`, `push-mirror-synced`, `push-mirror-edit`, `push-mirrors-removed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_mirror_added_synced_and_removed_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1200).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    let owner = s.create_admin("paula").await;
    s.forbid_in_answers("Push-Mirror-Pass-5");
    let remote = GitBackend::with_auth("robot", "Push-Mirror-Pass-5").await;
    let backup = remote.create("backup").await;
    s.create_repo(&owner, "site", false).await;
    let git = Git::new();
    git.seed(
        &s.git_url(Some(("paula", &owner.token)), "paula", "site"),
        &Seed {
            work: "paula-site",
            commits: &[("index.html", b"<h1>hi</h1>\n", "first page")],
            tag: Some(Tag::Light("v1.0")),
            branches: &[],
        },
    )
    .await;

    b.goto(&s.url("/login")).await;
    b.fill("#username", "paula").await;
    b.fill("#password", &owner.password).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("logged in", 10, || async {
        b.text(".nav-user").await.contains("paula")
    })
    .await;

    // The repository page leads to the mirror settings, their navigation to the push mirrors.
    b.goto(&s.url("/paula/site")).await;
    b.click(".repo-nav a[href='/paula/site/settings/mirror']")
        .await;
    b.wait_until("the mirror settings", 10, || async {
        b.text("#settings-title").await == "Pull and push"
    })
    .await;
    b.click("nav.section-nav a[href='/paula/site/settings/mirror/push']")
        .await;
    b.wait_until("the push mirrors' section", 10, || async {
        b.text("#push-title").await == "Push mirrors"
    })
    .await;
    b.fill("#remote_url", &remote.url("backup")).await;
    b.fill("#remote_username", "robot").await;
    b.fill("#remote_password", "Push-Mirror-Pass-5").await;
    b.click("#push-mirror-form button[type=submit]").await;
    b.wait_until("the push mirror listed", 10, || async {
        b.text(".push-list").await.contains(&remote.url("backup"))
    })
    .await;
    assert_eq!(
        b.attr("#remote_password", "value").await.as_deref(),
        Some(""),
        "the password field is empty again"
    );
    b.screenshot_of("#push-mirrors", "push-mirror-added").await;

    // A push mirror that exists is pushed to: mirroring is now on, downstream, and the page
    // says so. Then the push mirror's own "Sync now".
    assert!(
        b.text(".flash").await.contains("Mirroring is now on"),
        "{}",
        b.text(".flash").await
    );
    let pull = s.url("/paula/site/settings/mirror");
    let settings = s.url("/paula/site/settings/mirror/push");
    b.goto(&pull).await;
    assert_eq!(
        b.attr("#mirror_enabled", "checked").await.as_deref(),
        Some("true")
    );
    assert_eq!(
        b.attr("input[name=mirror_direction][value=downstream]", "checked")
            .await
            .as_deref(),
        Some("true")
    );
    b.goto(&settings).await;
    b.click(".push-mirror form[action$='/sync'] button").await;
    b.wait_until("the push reported on the list", 30, || async {
        b.goto(&settings).await;
        b.text(".push-mirror .badge-run").await == "Pushed"
    })
    .await;
    assert_eq!(
        refs_of(&backup).await,
        refs_of(&s.repo_dir("paula", "site")).await
    );
    b.screenshot_of("#push-mirrors", "push-mirror-synced").await;

    // Its own page shows the form without the password.
    b.click(".push-mirror a.button").await;
    b.wait_until("the push mirror's page", 10, || async {
        b.text("main").await.contains("A password is set.")
    })
    .await;
    b.screenshot("push-mirror-edit").await;

    // Mirroring off (the last push mirror of a repository that pushes stays), then removed.
    b.goto(&pull).await;
    b.click("#mirror_enabled").await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("mirroring off", 10, || async {
        b.text("main").await.contains("Mirror settings saved.")
    })
    .await;
    b.goto(&settings).await;
    // Removing asks first: the first click only opens the confirmation.
    b.click(".push-mirror summary[id^='push-remove-']").await;
    assert!(
        b.text(".push-list").await.contains(&remote.url("backup")),
        "still listed after the first click"
    );
    b.click(".push-mirror form[action$='/delete'] button").await;
    b.wait_until("the push mirror gone", 10, || async {
        b.text("#push-mirrors")
            .await
            .contains("No push mirror yet.")
    })
    .await;
    b.screenshot_of("#push-mirrors", "push-mirrors-removed")
        .await;
    b.finish().await;
}

/// Events in a real browser: the webhook secret made and rotated (each shown once), a preview
/// of the next sync opened into the page, and a sync against a remote that stopped answering
/// cancelled from the widget. Screenshots: `webhook-secret-shown`, `webhook-secret-rotated`,
/// `preview-opened`, `sync-cancelling`, `sync-cancelled`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_secret_rotated_a_preview_opened_and_a_sync_cancelled_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1400).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| {
        c.min_sync_interval = 60;
        c.sync_timeout = 120;
    })
    .await;
    let owner = s.create_admin("wendy").await;
    let remote = GitBackend::start().await;
    let src = remote.create("src").await;
    let git = Git::new();
    let work = git.seed(src.to_str().unwrap(), &Seed::ONE_COMMIT).await;
    crate::support::mirror::import_body(
        &s,
        &owner,
        serde_json::json!({"name": "m", "clone_url": remote.url("src"), "mirror": true}),
    )
    .await
    .expect(201);
    crate::support::mirror::settle(&s, &owner, "m").await;

    b.goto(&s.url("/login")).await;
    b.fill("#username", "wendy").await;
    b.fill("#password", &owner.password).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("logged in", 10, || async {
        b.text(".nav-user").await.contains("wendy")
    })
    .await;
    let settings = s.url("/wendy/m/settings/mirror");
    let events = s.url("/wendy/m/settings/mirror/events");
    b.goto(&events).await;
    assert!(b.text("#webhook-state").await.contains("none yet"));

    // Made: shown once, with the URL and the forges' fields.
    b.click("#webhook-rotate").await;
    b.wait_until("the secret shown", 10, || async {
        b.text("main").await.contains("shown only this once")
    })
    .await;
    let first = b.text("#webhook-secret").await;
    assert_eq!(first.len(), 43, "{first}");
    assert!(
        b.text("#webhook-url")
            .await
            .ends_with("/api/v1/repos/wendy/m/mirror/webhook")
    );
    assert!(
        b.text(".webhook-howto")
            .await
            .contains("X-Hub-Signature-256")
    );
    b.screenshot_of("#webhook", "webhook-secret-shown").await;
    // A reload shows that one is set, never the secret again.
    b.goto(&events).await;
    assert!(!b.text("main").await.contains(&first));
    assert!(b.text("#webhook-state").await.starts_with("set"));
    // Rotating asks first: the first click only opens the confirmation.
    b.click("#webhook-rotate").await;
    b.click("#webhook-rotate-confirm").await;
    b.wait_until("the new secret shown", 10, || async {
        b.text("main").await.contains("shown only this once")
    })
    .await;
    let second = b.text("#webhook-secret").await;
    assert_ne!(first, second);
    b.screenshot_of("#webhook", "webhook-secret-rotated").await;

    // A new commit upstream: the preview says main would move, and nothing moved.
    git.commit_file(&work, "n.txt", b"n\n", "n").await;
    git.ok(&work, &["push", "-q", src.to_str().unwrap(), "main"])
        .await;
    let before = refs_of(&s.repo_dir("wendy", "m")).await;
    b.goto(&settings).await;
    b.click("#preview-button").await;
    b.wait_until("the preview in the page", 15, || async {
        b.text("#preview-result").await.contains("refs/heads/main")
    })
    .await;
    assert!(b.text("#preview-result").await.contains("move"));
    assert_eq!(refs_of(&s.repo_dir("wendy", "m")).await, before);
    b.screenshot_of("#preview-result", "preview-opened").await;

    // A remote that accepts and never answers: Sync now, then Cancel in the widget.
    let hung = crate::support::git_backend::HungRemote::start().await;
    crate::support::mirror::patch(
        &s,
        &owner,
        "m",
        serde_json::json!({"upstream_url": hung.url()}),
    )
    .await
    .expect(200);
    b.goto(&settings).await;
    b.click("#sync-now").await;
    b.wait_until("the sync running", 10, || async {
        b.text("#mirror-sync-status").await == "Syncing"
    })
    .await;
    b.click("#sync-cancel").await;
    b.screenshot_of("#mirror-sync", "sync-cancelling").await;
    let asked = std::time::Instant::now();
    // It had synced before: the mirror still shows that success, the badge says "Cancelled".
    b.wait_until("the sync stopped", 10, || async {
        widget(&b).await.status == "success"
    })
    .await;
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    let runs = crate::support::mirror::runs(&s, &owner, "m").await;
    assert_eq!(runs[0]["status"], "cancelled", "{runs:?}");
    assert_eq!(b.text("#mirror-sync-status").await, "Cancelled");
    b.screenshot_of("#mirror-sync", "sync-cancelled").await;
    b.finish().await;
}

/// The mirrors overview in a real browser: two mirrors failing, filtered with "Failing", both
/// rows ticked and "Sync now" pressed; the summary says two syncs started. Screenshots:
/// `mirrors-overview`, `mirrors-overview-390`, `mirrors-failing-390`, `mirrors-synced`,
/// `mirrors-synced-390`; then the run chart of one of the two synced ones: `run-chart`,
/// `run-chart-390`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mirrors_overview_filters_failing_and_syncs_two_rows_in_a_real_browser() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| {
        c.min_sync_interval = 60;
        // No scheduled sync changes the rows this test sets.
        c.scheduler_cron = "0 0 0 1 1 *".to_owned();
    })
    .await;
    let owner = s.create_admin("olga").await;
    let remote = GitBackend::start().await;
    let bare = remote.create("src").await;
    let git = Git::new();
    crate::support::mirror::seed(&git, bare.to_str().unwrap()).await;
    for name in ["alpha", "beta", "healthy"] {
        crate::support::mirror::import_body(
            &s,
            &owner,
            serde_json::json!({"name": name, "clone_url": remote.url("src"), "mirror": true}),
        )
        .await
        .expect(201);
        crate::support::mirror::settle(&s, &owner, name).await;
    }
    // Two of them failed last time (the remote is back now, so the bulk sync mends them).
    for (name, error) in [
        (
            "alpha",
            "upstream: could not resolve host git.example.com (a long error that wraps on a phone)",
        ),
        (
            "beta",
            "upstream: authentication failed for https://git.example.com/team/beta.git",
        ),
    ] {
        let row = mirrorforge::entities::repository::Entity::find()
            .filter(mirrorforge::entities::repository::Column::Name.eq(name))
            .one(&s.conn)
            .await
            .unwrap()
            .unwrap();
        let mut active: mirrorforge::entities::repository::ActiveModel = row.into();
        active.sync_status = Set(mirrorforge::entities::mirror_enums::SyncStatus::Failed);
        active.sync_error = Set(Some(error.to_owned()));
        active.consecutive_failures = Set(2);
        active.update(&s.conn).await.unwrap();
    }

    b.goto(&s.url("/login")).await;
    b.fill("#username", "olga").await;
    b.fill("#password", &owner.password).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("logged in", 10, || async {
        b.text(".nav-user").await.contains("olga")
    })
    .await;
    b.click(".nav-list a[href='/mirrors']").await;
    b.wait_until("the mirrors overview", 10, || async {
        b.text("main h1").await == "Your mirrors"
    })
    .await;
    let rows = "return document.querySelectorAll('tr.mirror-row').length;";
    assert_eq!(b.eval(rows).await, 3);
    assert!(
        b.text("tr.mirror-row-failed .mirror-error")
            .await
            .contains("could not resolve")
    );
    b.screenshot("mirrors-overview").await;
    b.client.set_window_size(390, 1400).await.unwrap();
    b.screenshot("mirrors-overview-390").await;
    b.client.set_window_size(1280, 1000).await.unwrap();

    b.click(".filter-links a[href='/mirrors?status=failed']")
        .await;
    b.wait_until("only the failing mirrors", 10, || async {
        b.eval(rows).await == 2
    })
    .await;
    b.client.set_window_size(390, 1400).await.unwrap();
    b.screenshot("mirrors-failing-390").await;
    b.client.set_window_size(1280, 1000).await.unwrap();
    b.click("input[name=repositories][value='olga/alpha']")
        .await;
    b.click("input[name=repositories][value='olga/beta']").await;
    b.click("button[name=action][value=sync]").await;
    b.wait_until("the summary", 10, || async {
        b.text(".flash").await.contains("2 syncs started")
    })
    .await;
    b.screenshot("mirrors-synced").await;
    b.client.set_window_size(390, 1400).await.unwrap();
    b.screenshot("mirrors-synced-390").await;
    for name in ["alpha", "beta"] {
        let status = crate::support::mirror::settle(&s, &owner, name).await;
        assert_eq!(status["sync_status"], "success", "{name}: {status}");
    }
    // The run chart of one of them: the import's run, then the bulk sync's (up to date, muted).
    b.client.set_window_size(1280, 1000).await.unwrap();
    b.goto(&s.url("/olga/alpha/settings/mirror/history")).await;
    let caption = b.text("#run-chart-caption").await;
    assert!(caption.contains("Last 2 runs"), "{caption}");
    let bars = b
        .client
        .find_all(fantoccini::Locator::Css("#run-chart svg rect[fill]"))
        .await
        .unwrap();
    assert!(bars.len() >= 2, "{} bars", bars.len());
    b.screenshot_of("#run-chart", "run-chart").await;
    b.client.set_window_size(390, 1400).await.unwrap();
    b.screenshot_of("#run-chart", "run-chart-390").await;
    b.finish().await;
}

/// SSH in a real browser: the key made on the settings page, its public half handed to a real
/// `sshd`, an scp-like upstream typed into the URL field (a text field: `user@host:path` is no
/// browser URL), then `ssh://` with the port, "Sync now", and the pinned host key shown with
/// the fingerprint `ssh-keygen -l` prints; then forgotten. Screenshots: `ssh-key-made`,
/// `ssh-host-key-pinned`, `ssh-host-keys-forgotten`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ssh_mirror_set_up_with_its_own_key_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1600).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    let owner = s.create_admin("sasha").await;
    s.create_repo(&owner, "docs", false).await;
    b.goto(&s.url("/login")).await;
    b.fill("#username", "sasha").await;
    b.fill("#password", &owner.password).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("logged in", 10, || async {
        b.text(".nav-user").await.contains("sasha")
    })
    .await;

    // Make the key; the page shows its public half and nothing of the private one.
    let settings = s.url("/sasha/docs/settings/mirror");
    let ssh = s.url("/sasha/docs/settings/mirror/ssh");
    b.goto(&ssh).await;
    assert!(
        b.text("#ssh-host-keys-none")
            .await
            .contains("No host key recorded yet")
    );
    b.click("#ssh-key form[action$='/ssh_key'] button").await;
    b.wait_until("the public key", 10, || async {
        b.text("#ssh-public-key").await.starts_with("ssh-ed25519 ")
    })
    .await;
    let public = b.text("#ssh-public-key").await;
    assert!(public.ends_with(" mirrorforge:sasha/docs"), "{public}");
    assert!(!b.text("main").await.contains("PRIVATE KEY"));
    b.screenshot_of("#ssh-key", "ssh-key-made").await;

    // The remote lets that key in, and serves a repository.
    let sshd = Sshd::start(&public).await;
    let upstream = sshd.create("handbook").await;
    let git = Git::new();
    git.seed(
        upstream.to_str().unwrap(),
        &Seed {
            work: "sasha-handbook",
            commits: &[("README.md", b"# Handbook\n", "first page")],
            tag: None,
            branches: &[],
        },
    )
    .await;

    // The scp-like form is taken by the field (the server then judges it). The mirror stays
    // off while the URL leads nowhere, so the minute's tick cannot start a sync to it.
    b.goto(&settings).await;
    b.fill("#upstream_url", "git@203.0.113.9:team/handbook.git")
        .await;
    b.click("input[name=mirror_direction][value=upstream]")
        .await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the saved confirmation", 10, || async {
        b.text("main").await.contains("Mirror settings saved.")
    })
    .await;
    assert_eq!(
        b.attr("#upstream_url", "value").await.as_deref(),
        Some("git@203.0.113.9:team/handbook.git")
    );

    // Then the real one, with its port, the mirror on; Sync now.
    b.fill("#upstream_url", &sshd.url("handbook")).await;
    b.click("#mirror_enabled").await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the saved confirmation", 10, || async {
        b.text("main").await.contains("Mirror settings saved.")
    })
    .await;
    b.click("#sync-now").await;
    b.wait_until("the success badge", 30, || async {
        b.attr("#mirror-sync-status", "data-status")
            .await
            .as_deref()
            == Some("success")
    })
    .await;
    assert_eq!(
        refs_of(&s.repo_dir("sasha", "docs")).await,
        refs_of(&upstream).await
    );

    // The host key it met is pinned and shown.
    b.goto(&ssh).await;
    let fingerprint = sshd.fingerprint().await;
    b.wait_until("the pinned host key", 10, || async {
        b.text("#ssh-host-keys-table").await.contains(&fingerprint)
    })
    .await;
    let table = b.text("#ssh-host-keys-table").await;
    assert!(
        table.contains(&format!("[127.0.0.1]:{}", sshd.port())),
        "{table}"
    );
    assert!(table.contains("ssh-ed25519"), "{table}");
    b.screenshot_of("#ssh-key", "ssh-host-key-pinned").await;

    b.click("#ssh-host-keys-forget").await;
    b.click("#ssh-host-keys-forget-confirm").await;
    b.wait_until("the host keys forgotten", 10, || async {
        b.text("#ssh-host-keys-none")
            .await
            .contains("No host key recorded yet")
    })
    .await;
    b.screenshot_of("#ssh-key", "ssh-host-keys-forgotten").await;
    b.finish().await;
}

/// Git LFS through the pages in a real browser: a repository on this server with two `*.bin`
/// files pushed by the stock `git lfs` client is imported as a mirror from the import form with
/// "LFS" ticked; the first sync brings both objects, the run history counts them, the
/// repository page marks the two files (not the text file), the settings show LFS on; a bad
/// LFS endpoint is refused next to its field, then LFS off and on again sticks across reloads;
/// a `git clone` of the mirror checks out the real contents. Screenshots: `lfs-import-form`,
/// `lfs-run-history`, `lfs-repo-page`, `lfs-settings-error`, `lfs-settings-saved`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lfs_mirrored_through_the_pages_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1400).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    let owner = s.create_admin("lena").await;
    s.forbid_in_answers(&owner.token);

    // The source: private, two LFS files and a text file, pushed with the stock client.
    s.create_repo(&owner, "assets", true).await;
    let git = Git::new();
    git.lfs_install().await;
    let work = git.init("lena-assets").await;
    git.ok(&work, &["lfs", "track", "*.bin"]).await;
    let (one, two) = (
        crate::support::lfs::pseudo_random(200 * 1024, 41),
        crate::support::lfs::pseudo_random(300 * 1024, 42),
    );
    std::fs::write(work.join("one.bin"), &one).unwrap();
    std::fs::write(work.join("two.bin"), &two).unwrap();
    std::fs::write(work.join("notes.txt"), b"plain text, not in LFS\n").unwrap();
    git.ok(&work, &["add", "-A"]).await;
    git.ok(&work, &["commit", "-q", "-m", "assets"]).await;
    let source = s.git_url(Some(("lena", &owner.token)), "lena", "assets");
    git.ok(&work, &["push", "-q", &source, "main"]).await;
    let pointers = git.ok(&work, &["lfs", "ls-files", "--name-only"]).await;
    assert_eq!(pointers, "one.bin\ntwo.bin", "the source keeps both in LFS");

    b.goto(&s.url("/login")).await;
    b.fill("#username", "lena").await;
    b.fill("#password", &owner.password).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("logged in", 10, || async {
        b.text(".nav-user").await.contains("lena")
    })
    .await;

    // The import form, from the navigation: URL, credentials, "Keep as mirror" and "LFS".
    b.click(".nav-list a[href='/repo/import']").await;
    b.wait_until("the import form", 10, || async {
        b.text("main h1").await == "Import a repository"
    })
    .await;
    b.fill("#clone_url", &s.git_url(None, "lena", "assets"))
        .await;
    b.fill("#name", "assets-mirror").await;
    b.fill("#auth_username", "lena").await;
    b.fill("#auth_password", &owner.token).await;
    assert!(b.find("#mirror").await.is_selected().await.unwrap());
    assert!(!b.find("#lfs").await.is_selected().await.unwrap());
    b.click("#lfs").await;
    assert!(b.find("#lfs").await.is_selected().await.unwrap());
    b.screenshot("lfs-import-form").await;
    b.click("form.stacked-form button[type=submit]").await;

    // The repository page, its first sync running, then done without a reload.
    b.wait_until("the imported repository's page", 10, || async {
        b.text("h1.repo-title").await.contains("assets-mirror")
    })
    .await;
    b.wait_until("the first sync's success", 60, || async {
        widget(&b).await.status == "success"
    })
    .await;
    // The contents (shown, or refreshed by htmx once the sync ends): the two LFS files are
    // marked, the text file is not.
    b.wait_until("the LFS files on the repository page", 10, || async {
        b.text("#lfs-files").await.contains("two.bin")
    })
    .await;
    let marked = b
        .eval(
            "return Array.from(document.querySelectorAll('#lfs-files li'))
               .filter(li => li.querySelector('.badge-lfs'))
               .map(li => li.querySelector('code').textContent + ' ' +
                          li.querySelector('.meta').textContent);",
        )
        .await;
    assert_eq!(
        marked,
        serde_json::json!(["one.bin 200.0 KiB", "two.bin 300.0 KiB"]),
        "the two LFS files, each marked with its size"
    );
    assert!(b.text("#lfs-title").await.starts_with("LFS files"));
    assert!(!b.text("#lfs-files").await.contains("notes.txt"));
    b.screenshot("lfs-repo-page").await;

    // The run history, on the mirror settings' history section: the import's run counts both
    // objects.
    let settings = s.url("/lena/assets-mirror/settings/mirror");
    b.click(".repo-nav a[href='/lena/assets-mirror/settings/mirror']")
        .await;
    b.wait_until("the mirror settings", 10, || async {
        b.text("#settings-title").await == "Pull and push"
    })
    .await;
    b.click("nav.section-nav a[href='/lena/assets-mirror/settings/mirror/history']")
        .await;
    b.wait_until("the run history", 10, || async {
        b.text("#run-history").await.contains("Success")
    })
    .await;
    let run = b.text("#run-history .run").await;
    assert!(run.contains("2 LFS objects, 500.0 KiB"), "{run}");
    b.screenshot_of("#run-history", "lfs-run-history").await;

    // The settings say LFS is on, with no endpoint (the upstream's own LFS server).
    b.goto(&settings).await;
    assert!(b.find("#lfs_enabled").await.is_selected().await.unwrap());
    assert_eq!(b.attr("#lfs_endpoint", "value").await.as_deref(), Some(""));

    // LFS off with a bad endpoint: refused next to the field, nothing saved, what was typed kept.
    b.click("#lfs_enabled").await;
    b.fill("#lfs_endpoint", "ftp://x").await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the inline LFS endpoint error", 10, || async {
        !b.text("#lfs_endpoint-error").await.is_empty()
    })
    .await;
    let error = b.text(".lfs-field .field-error").await;
    assert!(error.contains("http:// or https://"), "{error}");
    assert_eq!(
        b.attr("#lfs_endpoint", "aria-invalid").await.as_deref(),
        Some("true")
    );
    let described = b
        .attr("#lfs_endpoint", "aria-describedby")
        .await
        .unwrap_or_default();
    assert!(described.contains("lfs_endpoint-error"), "{described}");
    assert!(b.text("main").await.contains("Nothing was saved"));
    assert_eq!(
        b.attr("#lfs_endpoint", "value").await.as_deref(),
        Some("ftp://x")
    );
    assert!(!b.find("#lfs_enabled").await.is_selected().await.unwrap());
    b.screenshot_of(".lfs-field", "lfs-settings-error").await;
    b.goto(&settings).await;
    assert!(
        b.find("#lfs_enabled").await.is_selected().await.unwrap(),
        "the refused form saved nothing"
    );

    // LFS off, no endpoint: saved, and still off after a reload.
    b.click("#lfs_enabled").await;
    b.fill("#lfs_endpoint", "").await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the saved confirmation", 10, || async {
        b.text(".flash").await.contains("Mirror settings saved.")
    })
    .await;
    b.goto(&settings).await;
    assert!(!b.find("#lfs_enabled").await.is_selected().await.unwrap());
    assert_eq!(b.attr("#lfs_endpoint", "value").await.as_deref(), Some(""));

    // LFS on again, with the source's LFS server typed as the endpoint: both kept.
    let endpoint = s.url("/lena/assets.git/info/lfs");
    b.click("#lfs_enabled").await;
    b.fill("#lfs_endpoint", &endpoint).await;
    b.click("#mirror-form button[type=submit]").await;
    b.wait_until("the saved confirmation", 10, || async {
        b.text(".flash").await.contains("Mirror settings saved.")
    })
    .await;
    b.goto(&settings).await;
    assert!(b.find("#lfs_enabled").await.is_selected().await.unwrap());
    assert_eq!(
        b.attr("#lfs_endpoint", "value").await.as_deref(),
        Some(endpoint.as_str())
    );
    b.screenshot_of(".lfs-field", "lfs-settings-saved").await;
    let source = b.client.source().await.unwrap();
    assert!(!source.contains(&owner.token), "the token is in the page");
    s.assert_no_secrets(&source);

    // A clone of the mirror: the LFS filter fetches the objects from it, the files are real.
    let mirror = s.git_url(Some(("lena", &owner.token)), "lena", "assets-mirror");
    let (out, dir) = git.clone(&mirror, "assets-mirror-clone", &[]).await;
    assert!(
        out.status.success(),
        "clone: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(dir.join("one.bin")).unwrap() == one);
    assert!(std::fs::read(dir.join("two.bin")).unwrap() == two);
    assert_eq!(
        std::fs::read(dir.join("notes.txt")).unwrap(),
        b"plain text, not in LFS\n"
    );
    b.finish().await;
}

/// Truthful state in a real browser: a pull mirror whose upstream is gone stays "Failed" on the
/// settings page after its push target's own "Sync now" succeeded, with the pull's own state
/// and the target's shown side by side. Screenshots: `part-state` (1280 px) and
/// `part-state-390`, neither scrolling sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_pull_beside_a_pushed_target_in_a_real_browser() {
    use crate::support::mirror::{call, import_body, seed, settle};

    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    let owner = s.create_admin("petra").await;
    let remote = GitBackend::start().await;
    remote.create("src").await;
    let copy = remote.create("copy").await;
    seed(&Git::new(), &remote.url("src")).await;
    import_body(
        &s,
        &owner,
        serde_json::json!({"name": "docs", "clone_url": remote.url("src"), "mirror": true}),
    )
    .await
    .expect(201);
    settle(&s, &owner, "docs").await;
    let added = call(
        &s,
        "POST",
        "/api/v1/repos/petra/docs/push_mirrors",
        &owner,
        Some(serde_json::json!({"remote_url": remote.url("copy")})),
    )
    .await;
    added.expect(201);
    let id = added.json()["id"].as_i64().unwrap();
    std::fs::remove_dir_all(remote.path("src")).unwrap();
    call(&s, "POST", "/api/v1/repos/petra/docs/sync", &owner, None)
        .await
        .expect(202);
    assert_eq!(settle(&s, &owner, "docs").await["sync_status"], "failed");
    call(
        &s,
        "POST",
        &format!("/api/v1/repos/petra/docs/push_mirrors/{id}/sync"),
        &owner,
        None,
    )
    .await
    .expect(202);
    settle(&s, &owner, "docs").await;
    assert_eq!(
        refs_of(&copy).await,
        refs_of(&s.repo_dir("petra", "docs")).await
    );

    b.goto(&s.url("/login")).await;
    b.fill("#username", "petra").await;
    b.fill("#password", &owner.password).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("logged in", 10, || async {
        b.text(".nav-user").await.contains("petra")
    })
    .await;
    b.goto(&s.url("/petra/docs/settings/mirror/push")).await;
    assert_eq!(
        b.attr("#mirror-sync-status", "data-status")
            .await
            .as_deref(),
        Some("failed")
    );
    let pull = b.text("#mirror-pull-state").await;
    assert!(pull.contains("Failed"), "{pull}");
    assert!(
        b.text("#mirror-sync-error").await.contains("upstream: "),
        "the pull's error is shown"
    );
    let card = b.text(&format!("#push-mirror-{id}")).await;
    assert!(card.contains("Pushed"), "{card}");
    b.client.set_window_size(1280, 1400).await.unwrap();
    b.screenshot("part-state").await;
    b.screenshot_of("#push-mirrors", "part-state-push-mirrors")
        .await;
    b.client.set_window_size(390, 2400).await.unwrap();
    let wide = b.eval("return document.documentElement.scrollWidth;").await;
    let culprits = b
        .eval(
            "var out = []; document.querySelectorAll('body *').forEach(function (e) { \
             var r = e.getBoundingClientRect(); if (r.right > 391) { \
             out.push(e.tagName + '.' + e.className + '#' + e.id + ':' + Math.round(r.right)); } }); \
             return out.slice(0, 12).join(' | ');",
        )
        .await;
    assert!(
        wide.as_u64().is_some_and(|w| w <= 390),
        "no sideways scroll at 390 px: {wide}; wider: {culprits}"
    );
    b.screenshot("part-state-390").await;
    b.finish().await;
}
