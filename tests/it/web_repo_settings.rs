//! `/{owner}/{repo}/settings` as its owner uses it: the form shows what is saved; a rename
//! lands on the new path with a notice and the old one redirects; a bad name is shown inline
//! and nothing changes; someone who may only read gets 403.

use crate::support::{
    Db, TestServer, on_both_databases,
    web::{form_page, get, logged_in_as},
};

on_both_databases!(
    the_settings_form_renames_and_describes,
    a_bad_name_is_shown_inline_and_nothing_changes,
);

async fn the_settings_form_renames_and_describes(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "first", false).await;
    let browser = logged_in_as(&s, &owner).await;
    let (form, token) = form_page(&s, &browser, "/owner/first/settings").await;
    assert!(form.body.contains(r#"value="first""#), "{}", form.body);
    assert!(form.body.contains(r#"href="/owner/first/settings/delete""#));
    let saved = s
        .send(browser.post(s.url("/owner/first/settings")).form(&[
            ("csrf_token", token.as_str()),
            ("name", "second"),
            ("description", "Moved along"),
            ("owner", "owner"),
        ]))
        .await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    assert_eq!(saved.header("location"), Some("/owner/second/settings"));
    let page = get(&s, &browser, "/owner/second/settings").await;
    page.expect(200);
    assert!(page.body.contains("Settings saved."));
    assert!(page.body.contains("Moved along"));
    let old = get(&s, &browser, "/owner/first").await;
    old.expect(301);
    assert_eq!(old.header("location"), Some("/owner/second"));
}

async fn a_bad_name_is_shown_inline_and_nothing_changes(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    let reader = s.create_user("reader").await;
    s.create_repo(&owner, "keep", false).await;
    let browser = logged_in_as(&s, &owner).await;
    let (_, token) = form_page(&s, &browser, "/owner/keep/settings").await;
    let refused = s
        .send(browser.post(s.url("/owner/keep/settings")).form(&[
            ("csrf_token", token.as_str()),
            ("name", "no spaces please"),
            ("description", "changed"),
        ]))
        .await;
    refused.expect(422);
    assert!(
        refused.body.contains(r#"id="name-error""#),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(r#"value="no spaces please""#));
    let api = s.get("/api/v1/repos/owner/keep", Some(&owner)).await;
    assert_eq!(api.json()["description"], "");
    let other = logged_in_as(&s, &reader).await;
    assert_eq!(
        get(&s, &other, "/owner/keep/settings")
            .await
            .status
            .as_u16(),
        403
    );
}
