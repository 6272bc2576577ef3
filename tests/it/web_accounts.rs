//! The account pages: `/user/settings` (email, password: this session goes on, every other
//! one ends), the tokens page's scope and expiry, `/admin/users` for administrators, and
//! `/explore` for everyone.

use crate::support::{
    Db, TestServer, on_both_databases,
    web::{form_page, get, logged_in_as},
};

on_both_databases!(
    a_password_changed_on_the_page_keeps_this_session_and_ends_the_others,
    a_read_only_token_with_an_expiry_is_made_on_the_tokens_page,
    an_administrator_disables_an_account_on_its_page,
    explore_finds_what_the_visitor_may_read,
);

async fn a_password_changed_on_the_page_keeps_this_session_and_ends_the_others(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    let here = logged_in_as(&s, &owner).await;
    let elsewhere = logged_in_as(&s, &owner).await;
    let (page, token) = form_page(&s, &here, "/user/settings").await;
    assert!(page.body.contains(r#"href="/admin/users""#));
    let wrong = s
        .send(here.post(s.url("/user/settings/password")).form(&[
            ("csrf_token", token.as_str()),
            ("current_password", "not it at all"),
            ("new_password", "a-brand-new-password"),
        ]))
        .await;
    wrong.expect(422);
    assert!(
        wrong.body.contains("the current password is wrong"),
        "{}",
        wrong.body
    );
    let done = s
        .send(here.post(s.url("/user/settings/password")).form(&[
            ("csrf_token", token.as_str()),
            ("current_password", owner.password.as_str()),
            ("new_password", "a-brand-new-password"),
        ]))
        .await;
    assert_eq!(done.status.as_u16(), 303, "{}", done.body);
    let page = get(&s, &here, "/user/settings").await;
    page.expect(200);
    assert!(page.body.contains("Password changed."));
    assert_eq!(
        get(&s, &elsewhere, "/user/settings").await.status.as_u16(),
        303
    );
    // The email form.
    let (_, token) = form_page(&s, &here, "/user/settings").await;
    let bad = s
        .send(
            here.post(s.url("/user/settings/email"))
                .form(&[("csrf_token", token.as_str()), ("email", "not an address")]),
        )
        .await;
    bad.expect(422);
    assert!(bad.body.contains(r#"id="email-error""#));
}

async fn a_read_only_token_with_an_expiry_is_made_on_the_tokens_page(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    let browser = logged_in_as(&s, &owner).await;
    let (_, token) = form_page(&s, &browser, "/user/settings/tokens").await;
    let made = s
        .send(browser.post(s.url("/user/settings/tokens")).form(&[
            ("csrf_token", token.as_str()),
            ("name", "ci-reader"),
            ("scope", "read"),
            ("expires_in_days", "30"),
        ]))
        .await;
    made.expect(200);
    let row = &made.body[made.body.find("ci-reader</td>").expect("the new row")..];
    assert!(row.contains("read only"), "{row}");
    let in_30_days = (chrono::Utc::now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    assert!(row.contains(&in_30_days), "{row}");
}

async fn an_administrator_disables_an_account_on_its_page(db: Db) {
    let s = TestServer::start(&db).await;
    let admin = s.create_admin("root").await;
    let bob = s.create_user("bob").await;
    let browser = logged_in_as(&s, &admin).await;
    let (page, token) = form_page(&s, &browser, "/admin/users").await;
    assert!(page.body.contains(r#"id="account-bob""#));
    let done = s
        .send(
            browser
                .post(s.url("/admin/users/bob"))
                .form(&[("csrf_token", token.as_str()), ("action", "disable")]),
        )
        .await;
    assert_eq!(done.status.as_u16(), 303);
    let page = get(&s, &browser, "/admin/users").await;
    assert!(page.body.contains("bob is disabled"), "{}", page.body);
    s.get("/api/v1/user", Some(&bob)).await.expect(401);
    let refused = s
        .send(
            browser
                .post(s.url("/admin/users/root"))
                .form(&[("csrf_token", token.as_str()), ("action", "unmake_admin")]),
        )
        .await;
    assert_eq!(refused.status.as_u16(), 303);
    let page = get(&s, &browser, "/admin/users").await;
    assert!(
        page.body
            .contains("Not changed: this would leave no administrator"),
        "{}",
        page.body
    );
    let other = logged_in_as(&s, &s.create_user("carol").await).await;
    assert_eq!(get(&s, &other, "/admin/users").await.status.as_u16(), 403);
}

async fn explore_finds_what_the_visitor_may_read(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "lighthouse", false).await;
    s.create_repo(&owner, "vault", true).await;
    s.create_org(&owner, "harbour").await;
    let all = s.get("/explore", None).await;
    all.expect(200);
    assert!(
        all.body.contains(r#"href="/owner/lighthouse""#),
        "{}",
        all.body
    );
    assert!(!all.body.contains("vault"));
    assert!(all.body.contains(r#"href="/harbour""#));
    let found = s.get("/explore?q=LIGHT", None).await;
    assert!(found.body.contains("owner/lighthouse"));
    let none = s.get("/explore?q=zzz", None).await;
    assert!(none.body.contains("No repository matches"));
    let browser = logged_in_as(&s, &owner).await;
    let mine = get(&s, &browser, "/explore?q=vault").await;
    assert!(mine.body.contains("owner/vault"));
}
