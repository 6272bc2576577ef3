//! In headless Chromium, the account pages an administrator sees: `/user/settings`
//! (`account-settings`), the tokens page with its scope and expiry (`account-tokens`),
//! `/admin/users` with a disable confirmation open (`admin-users`) and `/explore`
//! (`explore`); screenshots at 1280 and 390 px (`-390`), none scrolling sideways at 390 px.
//! SQLite only: the pages are the same on both databases.

use crate::support::{
    Db, TestServer,
    browser::{Browser, both_widths},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_s_account_pages_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let s = TestServer::start(&Db::Sqlite).await;
    let admin = s.create_admin("root").await;
    s.create_user("bob").await;
    s.create_repo(&admin, "lighthouse", false).await;
    s.create_org(&admin, "harbour").await;
    b.log_in(&s.base(), &admin.username, &admin.password).await;

    b.goto(&s.url("/user/settings")).await;
    b.wait_until("the account settings", 10, || async {
        b.text("main h1").await.starts_with("Your account")
    })
    .await;
    both_widths(&b, "the account settings", "account-settings").await;

    b.goto(&s.url("/user/settings/tokens")).await;
    b.fill("#name", "ci-reader").await;
    b.find("#scope")
        .await
        .select_by_value("read")
        .await
        .unwrap();
    b.find("#expires_in_days")
        .await
        .select_by_value("30")
        .await
        .unwrap();
    b.click("form[action='/user/settings/tokens'] button[type=submit]")
        .await;
    b.wait_until("the new token", 10, || async {
        b.text(".token-table").await.contains("read only")
    })
    .await;
    both_widths(&b, "the tokens page", "account-tokens").await;

    b.goto(&s.url("/admin/users")).await;
    b.click("#disable-bob").await;
    b.wait_until("the disable confirmation", 10, || async {
        b.text("#disable-bob-step").await.contains("cannot sign in")
    })
    .await;
    both_widths(&b, "the accounts page", "admin-users").await;

    b.goto(&s.url("/explore")).await;
    b.wait_until("the explore page", 10, || async {
        b.text("#explore-repos").await.contains("root/lighthouse")
    })
    .await;
    both_widths(&b, "the explore page", "explore").await;
    b.finish().await;
}
