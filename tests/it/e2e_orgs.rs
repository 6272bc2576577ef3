//! In headless Chromium, as people use organisations: an owner creates a private one with a
//! display name from "New organisation", adds a member with write, creates a private repository in it from the
//! organisation's page; the member logs in and finds it on their dashboard. Screenshots at
//! 1280 and 390 px (`-390`) of the new-organisation form (`org-new`), the organisation's page
//! as its owner with the members section (`org-page`), the new-repository form with its owner
//! select (`org-repo-new`), its deletion refused while it owns a repository
//! (`org-page-refused-delete`) and the member's dashboard (`org-dashboard`); none scrolls
//! sideways at 390 px. SQLite only: the pages are the same on both databases.

use crate::support::{
    Db, TestServer,
    browser::{Browser, both_widths},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_made_shared_and_seen_by_its_member_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let s = TestServer::start(&Db::Sqlite).await;
    s.create_admin("root").await;
    let olga = s.create_user("olga").await;
    let mila = s.create_user("mila").await;

    b.log_in(&s.base(), &olga.username, &olga.password).await;
    b.click(".page-head a[href='/org/new']").await;
    b.wait_until("the new-organisation form", 10, || async {
        b.text("main h1").await == "New organisation"
    })
    .await;
    both_widths(&b, "the new-organisation form", "org-new").await;
    b.fill("#name", "acme").await;
    b.fill("#full_name", "Acme Platform Team").await;
    b.fill("#description", "Tools the platform team shares")
        .await;
    b.click("input[name=visibility][value=private]").await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("the organisation's page", 10, || async {
        b.text("h1.org-title").await.contains("acme")
    })
    .await;
    let title = b.text("h1.org-title").await;
    assert!(
        title.contains("Acme Platform Team") && title.contains("Private"),
        "{title}"
    );

    // Add a member with write.
    b.fill("#username", "mila").await;
    b.find("#role")
        .await
        .select_by_value("write")
        .await
        .unwrap();
    b.click(".add-member-form button[type=submit]").await;
    b.wait_until("the member added", 10, || async {
        b.text(".flash")
            .await
            .contains("mila is a member of acme with write.")
    })
    .await;
    assert_eq!(
        b.attr("#role-mila option[selected]", "value")
            .await
            .as_deref(),
        Some("write")
    );

    // "New repository" from the organisation's page preselects it.
    b.click(".page-head a[href='/repo/new?owner=acme']").await;
    b.wait_until("the new-repository form", 10, || async {
        b.text("main h1").await == "New repository"
    })
    .await;
    let chosen = b
        .eval("return document.getElementById('owner').value;")
        .await;
    assert_eq!(chosen, "acme");
    b.fill("#name", "tools").await;
    b.fill("#description", "Scripts for deploys").await;
    b.click("#private").await;
    both_widths(&b, "the new-repository form", "org-repo-new").await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("the new repository's page", 10, || async {
        b.text("h1.repo-title").await.contains("tools")
    })
    .await;

    // The organisation's page as its owner: the private repository and the members, with
    // the confirmation of a removal open.
    b.goto(&s.url("/acme")).await;
    assert!(b.text(".org-repos").await.contains("acme/tools"));
    assert!(b.text("#member-mila").await.contains("mila"));
    b.click("#remove-mila").await;
    assert!(
        b.find("#remove-mila-confirm")
            .await
            .is_displayed()
            .await
            .unwrap()
    );
    both_widths(&b, "the organisation's page", "org-page").await;

    // Deleting it while it owns a repository is refused in its danger zone, nothing changed.
    b.click("#delete-org").await;
    b.click("#delete-org-confirm").await;
    b.wait_until("the refused deletion", 10, || async {
        b.text("#delete .form-error")
            .await
            .contains("still owns 1 repository")
    })
    .await;
    let show = "document.getElementById('delete').scrollIntoView({block: 'end'}); return 1;";
    b.eval(show).await;
    b.screenshot("org-page-refused-delete").await;
    b.assert_fits("the refused deletion", 390, 1000).await;
    b.eval(show).await;
    b.screenshot("org-page-refused-delete-390").await;
    b.client.set_window_size(1280, 1000).await.unwrap();

    // The member sees it on their dashboard.
    b.click(".site-header .link-button").await;
    b.wait_until("logged out", 10, || async {
        b.text(".nav-list").await.contains("Log in")
    })
    .await;
    b.log_in(&s.base(), &mila.username, &mila.password).await;
    b.goto(&s.url("/")).await;
    b.wait_until(
        "the organisation's repository on the dashboard",
        10,
        || async { b.text(".repo-list").await.contains("acme/tools") },
    )
    .await;
    assert!(b.text(".org-list").await.contains("acme"));
    assert!(
        b.text(".org-list").await.contains("Private"),
        "the dashboard says the organisation is private"
    );
    assert!(b.text(".repo-list").await.contains("Private"));
    both_widths(&b, "the member's dashboard", "org-dashboard").await;
    b.finish().await;
}
