//! In headless Chromium, as people set up an account mirror: from the list, "New account
//! mirror" against the GitHub stand-in, its preview fetched by htmx into the form's page (the
//! token typed stays in the form), then "Create account mirror" and its page, reloaded until
//! the first discovery has made its repositories. Screenshots at 1280 and 390 px (`-390`) of
//! the empty list (`account-mirrors-empty`), the form filled in (`account-mirror-new`), the
//! form with its preview (`account-mirror-new-preview`), the account mirror's page with its
//! repositories (`account-mirror-page`) and the list with it (`account-mirrors-list`); none
//! scrolls sideways at 390 px. SQLite only: the pages are the same on both databases.

use std::time::{Duration, Instant};

use crate::support::{
    Db,
    browser::{Browser, both_widths},
    forge_standin::{Forge, ForgeStandIn},
    git::Git,
    mirror::{local_server, seed},
};

const TOKEN: &str = "ghp_browserStandInToken0123456789abcdefAB";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_mirror_previewed_created_and_filled_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| c.min_sync_interval = 60).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.forbid_in_answers(TOKEN);
    let forge = ForgeStandIn::start(Forge::Github, "acme", "x-access-token", TOKEN).await;
    let git = Git::new();
    let first = forge.git.create("platform-api").await;
    let work = seed(&git, first.to_str().unwrap()).await;
    for name in ["web-frontend", "deploy-scripts", "old-prototype"] {
        let path = forge.git.create(name).await;
        git.ok(&work, &["push", "-q", path.to_str().unwrap(), "main"])
            .await;
    }
    let mut old = forge.repo(4, "old-prototype");
    old.archived = true;
    forge.set(vec![
        forge.repo(1, "platform-api"),
        forge.repo(2, "web-frontend"),
        forge.repo(3, "deploy-scripts"),
        old,
    ]);

    b.log_in(&s.base(), &alice.username, &alice.password).await;
    b.click(".nav-list a[href='/account-mirrors']").await;
    b.wait_until("the account mirrors list", 10, || async {
        b.text("main h1").await == "Your account mirrors"
    })
    .await;
    assert!(
        b.text(".account-empty")
            .await
            .contains("An account mirror watches")
    );
    both_widths(&b, "the empty list", "account-mirrors-empty").await;

    b.click(".page-head a[href='/account-mirrors/new']").await;
    b.wait_until("the new-account-mirror form", 10, || async {
        b.text("main h1").await == "New account mirror"
    })
    .await;
    b.find("#provider")
        .await
        .select_by_value("github")
        .await
        .unwrap();
    b.fill("#api_url", &forge.api_url()).await;
    b.fill("#account", "acme").await;
    b.fill("#token", TOKEN).await;
    b.click("#archived").await; // archived ones left out
    b.eval("window.scrollTo(0, 0); return 1;").await;
    both_widths(&b, "the new-account-mirror form", "account-mirror-new").await;
    b.click("#preview-button").await;
    b.wait_until("the preview", 20, || async {
        b.text("#account-preview")
            .await
            .contains("Would be mirrored (3)")
    })
    .await;
    let preview = b.text("#account-preview").await;
    for name in [
        "platform-api",
        "web-frontend",
        "deploy-scripts",
        "old-prototype",
    ] {
        assert!(preview.contains(name), "{name}: {preview}");
    }
    assert!(preview.contains("Left out (1)"), "{preview}");
    // The token typed is still in the form (htmx swapped only the preview).
    let kept = b
        .eval("return document.getElementById('token').value.length;")
        .await;
    assert_eq!(kept.as_u64(), Some(TOKEN.len() as u64));
    b.eval(
        "document.getElementById('account-preview').scrollIntoView({block: 'start'}); return 1;",
    )
    .await;
    both_widths(
        &b,
        "the form with its preview",
        "account-mirror-new-preview",
    )
    .await;

    // The first discovery waits 4 s for a rate limit: the page shows it discovering first.
    forge.rate_limit_once_for(4);
    b.click("#create-button").await;
    b.wait_until("the account mirror's page", 10, || async {
        b.text("h1.account-mirror-title")
            .await
            .contains("github:acme")
    })
    .await;
    assert!(b.text(".flash").await.contains("Account mirror created."));
    assert_eq!(
        b.attr("#discovery-status", "data-status").await.as_deref(),
        Some("syncing"),
        "discovering"
    );
    b.screenshot("account-mirror-discovering").await;
    // The page follows the discovery by itself, without a reload, until its repositories
    // are listed.
    let started = Instant::now();
    loop {
        let rows = b
            .eval("return document.querySelectorAll('#account-repos-table .mirror-row').length;")
            .await;
        let status = b.attr("#discovery-status", "data-status").await;
        if rows.as_u64() == Some(3) && status.as_deref() == Some("success") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the repositories did not appear"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        b.attr("#account-discovery", "hx-trigger").await,
        None,
        "the discovery section stopped asking"
    );
    assert!(
        b.text("#account-repos-table")
            .await
            .contains("alice/platform-api")
    );
    assert_eq!(b.text("#token-state").await, "token set");
    both_widths(&b, "the account mirror's page", "account-mirror-page").await;

    b.goto(&s.url("/account-mirrors")).await;
    assert!(
        b.text(".account-mirrors-table")
            .await
            .contains("github:acme")
    );
    assert_eq!(b.text(".account-repo-count").await, "3");
    both_widths(&b, "the list", "account-mirrors-list").await;
    b.finish().await;
}
