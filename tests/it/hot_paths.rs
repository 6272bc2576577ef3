//! What every request asks (who is calling, which repository), asked of the database less
//! often, and never answered wrongly for it: a revoked token or an ended session stops at once,
//! a session is not rewritten by every page it sees, a repository looked up by many at once is
//! found for each of them, and a change to it is seen by the next request.

use std::time::Duration;

use futures_util::future::join_all;
use mirrorforge::entities::{repository, session};
use sea_orm::{EntityTrait, sea_query::Expr};

use crate::support::{
    Db, TestServer,
    html::input_value,
    on_both_databases,
    web::{get, logged_in_as},
};

on_both_databases!(
    a_revoked_token_is_refused_at_once,
    a_session_is_not_rewritten_by_every_page_it_sees,
    many_lookups_of_one_repository_at_once_each_get_it_and_see_changes,
);

async fn a_revoked_token_is_refused_at_once(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    // Used once, so the server knows whose it is.
    s.get("/api/v1/user", Some(&alice)).await.expect(200);

    let browser = logged_in_as(&s, &alice).await;
    let page = get(&s, &browser, "/user/settings/tokens").await;
    page.expect(200);
    let action = page
        .body
        .split("action=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|action| action.ends_with("/revoke"))
        .expect("a revoke form")
        .to_owned();
    let csrf = input_value(&page.body, "csrf_token").expect("a CSRF token");
    let revoked = s
        .send(browser.post(s.url(&action)).form(&[("csrf_token", &csrf)]))
        .await;
    assert_eq!(revoked.status.as_u16(), 303, "{}", revoked.body);

    s.get("/api/v1/user", Some(&alice))
        .await
        .expect_error(401, "unauthorized");
}

/// The `expires_at` stored for each session.
async fn stored_expiries(s: &TestServer) -> Vec<chrono::DateTime<chrono::Utc>> {
    session::Entity::find()
        .all(&s.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.expires_at)
        .collect()
}

async fn a_session_is_not_rewritten_by_every_page_it_sees(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;

    // A visitor's login form, shown again a second later: the same row, untouched.
    let visitor = s.browser();
    get(&s, &visitor, "/login").await.expect(200);
    let first = stored_expiries(&s).await;
    assert_eq!(first.len(), 1, "the login form's session");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    get(&s, &visitor, "/login").await.expect(200);
    assert_eq!(
        stored_expiries(&s).await,
        first,
        "the visitor's session was written again"
    );

    // A logged-in user's pages read the session and write nothing.
    let browser = logged_in_as(&s, &alice).await;
    // The first page takes the login's notice out of the session, which is a change.
    get(&s, &browser, "/").await.expect(200);
    let logged_in = stored_expiries(&s).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for path in ["/", "/user/settings/tokens", "/"] {
        get(&s, &browser, path).await.expect(200);
    }
    assert_eq!(
        stored_expiries(&s).await,
        logged_in,
        "a page view rewrote the session"
    );
}

async fn many_lookups_of_one_repository_at_once_each_get_it_and_see_changes(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    let bob = s.create_user("bob").await;
    s.create_repo(&alice, "hello", false).await;

    let statuses = join_all((0..40).map(|i| {
        let who = if i % 2 == 0 { &alice } else { &bob };
        s.get("/api/v1/repos/alice/hello/mirror/status", Some(who))
    }))
    .await;
    for (i, status) in statuses.iter().enumerate() {
        // Each answer is the caller's own: alice administers it, bob may only read it.
        status.expect(if i % 2 == 0 { 200 } else { 403 });
    }

    // Made private (by another process, say): bob no longer sees it, on the very next request.
    repository::Entity::update_many()
        .col_expr(repository::Column::IsPrivate, Expr::value(true))
        .exec(&s.conn)
        .await
        .unwrap();
    s.get("/api/v1/repos/alice/hello", Some(&bob))
        .await
        .expect_error(404, "not_found");
    // Deleted: gone for everyone at once.
    s.send(
        s.http
            .delete(s.url("/api/v1/repos/alice/hello"))
            .bearer_auth(&alice.token),
    )
    .await
    .expect(204);
    let after =
        join_all((0..10).map(|_| s.get("/api/v1/repos/alice/hello/mirror/status", Some(&alice))))
            .await;
    for status in after {
        status.expect_error(404, "not_found");
    }
}
