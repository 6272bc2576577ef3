//! Accounts settled: tokens with an expiry and a read-only scope, a password change that ends
//! every other session, and administrators who list accounts, make administrators and disable
//! accounts (no sign-in on the form, the API or git; their tokens and sessions stop working).

use serde_json::json;

use crate::support::{
    Db, Git, TestServer, TestUser, on_both_databases,
    web::{get, log_in, logged_in_as},
};

on_both_databases!(
    expired_and_read_only_tokens_are_refused_where_the_contract_says,
    a_password_change_ends_every_session,
    a_disabled_account_is_refused_on_the_form_the_api_and_git,
    the_site_keeps_an_administrator_who_can_sign_in,
);

/// `POST /api/v1/user/tokens` as `user` (Basic with the password) with `body`.
async fn make_token(
    s: &TestServer,
    user: &TestUser,
    body: serde_json::Value,
) -> crate::support::Resp {
    s.send(
        s.http
            .post(s.url("/api/v1/user/tokens"))
            .basic_auth(&user.username, Some(&user.password))
            .json(&body),
    )
    .await
}

async fn expired_and_read_only_tokens_are_refused_where_the_contract_says(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "r", true).await;
    let git = Git::new();
    let work = git.init("work").await;
    git.commit_file(&work, "a.txt", "a\n", "first").await;
    let write_url = s.git_url(Some(("owner", &owner.token)), "owner", "r");
    git.ok(&work, &["push", "-q", &write_url, "main"]).await;

    let made = make_token(&s, &owner, json!({"name": "reader", "scope": "read"})).await;
    made.expect(201);
    let made = made.json();
    assert_eq!(
        (made["scope"].as_str(), made["expires_at"].is_null()),
        (Some("read"), true)
    );
    let reader = made["token"].as_str().unwrap().to_owned();
    let as_reader = |request: reqwest::RequestBuilder| request.bearer_auth(&reader);
    s.send(as_reader(s.http.get(s.url("/api/v1/repos/owner/r"))))
        .await
        .expect(200);
    let refused = s
        .send(as_reader(
            s.http
                .post(s.url("/api/v1/repos"))
                .json(&json!({"name": "nope"})),
        ))
        .await;
    let body = refused.expect_error(403, "forbidden");
    assert!(
        body["error"].as_str().unwrap().contains("may only read"),
        "{body}"
    );
    // git: a clone with it works, a push does not.
    let read_url = s.git_url(Some(("owner", &reader)), "owner", "r");
    let (cloned, copy) = git.clone(&read_url, "copy", &[]).await;
    assert!(cloned.status.success(), "{cloned:?}");
    git.commit_file(&copy, "b.txt", "b\n", "second").await;
    let pushed = git.fails(&copy, &["push", "-q", &read_url, "main"]).await;
    assert!(
        pushed.contains("may only read") || pushed.contains("403"),
        "{pushed}"
    );
    // Git LFS: it may ask to download, not to upload.
    use crate::support::lfs::{Auth, batch};
    let oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";
    let down = batch(&s, "owner/r", Auth::Token(&reader), "download", &[(oid, 5)]).await;
    down.expect(200);
    let up = batch(&s, "owner/r", Auth::Token(&reader), "upload", &[(oid, 5)]).await;
    up.expect(403);
    assert!(up.body.contains("may only read"), "{}", up.body);

    // An expiry in the past or unreadable, or another scope: 422 naming the field.
    for (body, field) in [
        (json!({"name": "x", "expires_at": "tomorrow"}), "expires_at"),
        (
            json!({"name": "x", "expires_at": "2020-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (json!({"name": "x", "scope": "admin"}), "scope"),
    ] {
        let bad = make_token(&s, &owner, body).await;
        let answer = bad.expect_error(422, "validation_failed");
        assert!(answer["fields"][field].is_string(), "{answer}");
    }
    // A token that expires works until then, and is 401 after.
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let made = make_token(&s, &owner, json!({"name": "brief", "expires_at": soon})).await;
    made.expect(201);
    let brief = made.json()["token"].as_str().unwrap().to_owned();
    let me = || s.http.get(s.url("/api/v1/user")).bearer_auth(&brief);
    s.send(me()).await.expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    s.send(me()).await.expect_error(401, "unauthorized");
    let expired_url = s.git_url(Some(("owner", &brief)), "owner", "r");
    let (cloned, _) = git.clone(&expired_url, "late", &[]).await;
    assert!(!cloned.status.success(), "an expired token cloned");
}

async fn a_password_change_ends_every_session(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    let browser = logged_in_as(&s, &owner).await;
    get(&s, &browser, "/user/settings/tokens").await.expect(200);
    let change = |current: &str, new: &str| {
        s.http
            .post(s.url("/api/v1/user/password"))
            .bearer_auth(&owner.token)
            .json(&json!({"current_password": current, "new_password": new}))
    };
    s.send(change("wrong password", "a-new-long-password"))
        .await
        .expect_error(403, "forbidden");
    let short = s.send(change(&owner.password, "short")).await;
    let body = short.expect_error(422, "validation_failed");
    assert!(body["fields"]["new_password"].is_string(), "{body}");
    // Nothing changed yet: the session still works.
    get(&s, &browser, "/user/settings/tokens").await.expect(200);
    s.send(change(&owner.password, "a-new-long-password"))
        .await
        .expect(204);
    let after = get(&s, &browser, "/user/settings/tokens").await;
    assert_eq!(after.status.as_u16(), 303, "the old session lives on");
    let old = log_in(&s, &s.browser(), "owner", &owner.password).await;
    assert_eq!(old.status.as_u16(), 422);
    let new = log_in(&s, &s.browser(), "owner", "a-new-long-password").await;
    assert_eq!(new.status.as_u16(), 303);
    // Tokens are not passwords: they keep working.
    s.get("/api/v1/user", Some(&owner)).await.expect(200);
}

async fn a_disabled_account_is_refused_on_the_form_the_api_and_git(db: Db) {
    let s = TestServer::start(&db).await;
    let admin = s.create_admin("root").await;
    let bob = s.create_user("bob").await;
    s.create_repo(&bob, "notes", true).await;
    let session = logged_in_as(&s, &bob).await;
    let listed = s.get("/api/v1/admin/users", Some(&bob)).await;
    listed.expect_error(403, "forbidden");
    let disabled = s
        .send(
            s.http
                .patch(s.url("/api/v1/admin/users/bob"))
                .bearer_auth(&admin.token)
                .json(&json!({"disabled": true})),
        )
        .await;
    disabled.expect(200);
    assert_eq!(disabled.json()["disabled"], true);
    let listed = s.get("/api/v1/admin/users", Some(&admin)).await;
    listed.expect(200);
    let people = listed.json();
    let row = people
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "bob")
        .unwrap()
        .clone();
    assert_eq!(row["disabled"], true, "{row}");
    assert!(row["created_at"].is_string() && row["email"].is_string());
    // The token, the session, the form, Basic and git.
    s.get("/api/v1/user", Some(&bob))
        .await
        .expect_error(401, "unauthorized");
    assert_eq!(
        get(&s, &session, "/user/settings/tokens")
            .await
            .status
            .as_u16(),
        303
    );
    let form = log_in(&s, &s.browser(), "bob", &bob.password).await;
    assert_eq!(form.status.as_u16(), 403);
    assert!(
        form.body.contains("this account is disabled"),
        "{}",
        form.body
    );
    let basic = s
        .send(
            s.http
                .get(s.url("/api/v1/user"))
                .basic_auth("bob", Some(&bob.password)),
        )
        .await;
    basic.expect_error(403, "forbidden");
    let git = Git::new();
    let (cloned, _) = git
        .clone(
            &s.git_url(Some(("bob", &bob.token)), "bob", "notes"),
            "c",
            &[],
        )
        .await;
    assert!(!cloned.status.success());
    // Enabled again: everything works again.
    s.send(
        s.http
            .patch(s.url("/api/v1/admin/users/bob"))
            .bearer_auth(&admin.token)
            .json(&json!({"disabled": false})),
    )
    .await
    .expect(200);
    s.get("/api/v1/user", Some(&bob)).await.expect(200);
    let (cloned, _) = git
        .clone(
            &s.git_url(Some(("bob", &bob.token)), "bob", "notes"),
            "d",
            &[],
        )
        .await;
    assert!(cloned.status.success(), "{cloned:?}");
}

async fn the_site_keeps_an_administrator_who_can_sign_in(db: Db) {
    let s = TestServer::start(&db).await;
    let admin = s.create_admin("root").await;
    let carol = s.create_user("carol").await;
    let patch = |who: &str, body: serde_json::Value| {
        s.http
            .patch(s.url(&format!("/api/v1/admin/users/{who}")))
            .bearer_auth(&admin.token)
            .json(&body)
    };
    s.send(patch("root", json!({"is_admin": false})))
        .await
        .expect_error(409, "conflict");
    s.send(patch("root", json!({"disabled": true})))
        .await
        .expect_error(409, "conflict");
    s.send(patch("nobody", json!({"is_admin": true})))
        .await
        .expect_error(404, "not_found");
    let made = s.send(patch("carol", json!({"is_admin": true}))).await;
    made.expect(200);
    assert_eq!(made.json()["is_admin"], true);
    s.get("/api/v1/admin/users", Some(&carol)).await.expect(200);
    // With carol an administrator, root may step down.
    s.send(patch("root", json!({"is_admin": false})))
        .await
        .expect(200);
}
