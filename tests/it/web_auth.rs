//! The account pages over plain HTTP, as a browser uses them: CSRF-protected forms, the
//! session cookie's flags, sessions that outlive a restart, logout, closed registration, one
//! first administrator however many register at once, and no sessions for mere visitors.

use mirrorforge::{
    accounts::users,
    config::Registration,
    entities::{session, user},
};
use reqwest::Client;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::support::{
    Db, Resp, TestServer,
    html::{input_value, set_cookie},
    on_both_databases,
    web::{form_page, get, log_in},
};

const COOKIE: &str = "mirrorforge_session";

on_both_databases!(
    login_needs_the_forms_csrf_token,
    login_sets_a_strict_session_cookie_that_survives_a_restart,
    logout_ends_the_session,
    registration_logs_in_and_makes_the_first_account_admin,
    closed_registration_refuses,
    simultaneous_first_registrations_make_exactly_one_admin,
    the_migration_marks_an_existing_first_account,
    anonymous_pages_store_no_session_and_set_no_cookie,
    expired_sessions_are_deleted_at_start_up,
);

/// `POST path` as a url-encoded form.
async fn post(s: &TestServer, browser: &Client, path: &str, form: &[(&str, &str)]) -> Resp {
    s.send(browser.post(s.url(path)).form(form)).await
}

/// Whether the browser is logged in: a page for users only (the tokens page) shows instead of
/// sending the browser to /login.
async fn logged_in(s: &TestServer, browser: &Client) -> bool {
    let page = get(s, browser, "/user/settings/tokens").await;
    match page.status.as_u16() {
        200 => true,
        301..=308 => {
            let location = page.header("location").unwrap_or_default();
            assert!(location.starts_with("/login"), "redirected to {location}");
            false
        }
        other => panic!("GET /user/settings/tokens answered {other}: {}", page.body),
    }
}

async fn login_needs_the_forms_csrf_token(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    let browser = s.browser();
    let (_, token) = form_page(&s, &browser, "/login").await;
    // Change the last hex digit to another one, so the token is always wrong.
    let last = if token.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &token[..token.len() - 1]);
    assert_ne!(wrong, token);

    let missing = post(
        &s,
        &browser,
        "/login",
        &[("username", "alice"), ("password", &alice.password)],
    )
    .await;
    assert_eq!(missing.status.as_u16(), 403, "no token: {}", missing.body);
    for bad in [wrong.as_str(), "", "x"] {
        let resp = post(
            &s,
            &browser,
            "/login",
            &[
                ("username", "alice"),
                ("password", &alice.password),
                ("csrf_token", bad),
            ],
        )
        .await;
        assert_eq!(resp.status.as_u16(), 403, "token {bad:?}: {}", resp.body);
    }
    // The right token from another browser's session is no good either.
    let stranger = s.browser();
    let stolen = post(
        &s,
        &stranger,
        "/login",
        &[
            ("username", "alice"),
            ("password", &alice.password),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_eq!(stolen.status.as_u16(), 403, "{}", stolen.body);
    assert!(!logged_in(&s, &browser).await);
    assert!(!logged_in(&s, &stranger).await);

    // A wrong password with the right token does not log in (and is not echoed back).
    let denied = post(
        &s,
        &browser,
        "/login",
        &[
            ("username", "alice"),
            ("password", "not-her-password"),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert!(!denied.body.contains("not-her-password"));
    assert!(!logged_in(&s, &browser).await);

    // The right token: 303 and a session.
    let ok = log_in(&s, &browser, "alice", &alice.password).await;
    assert_eq!(ok.status.as_u16(), 303, "{}", ok.body);
    assert!(logged_in(&s, &browser).await);
}

async fn login_sets_a_strict_session_cookie_that_survives_a_restart(db: Db) {
    let mut s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    let browser = s.browser();
    let (page, _) = form_page(&s, &browser, "/login").await;
    let before = set_cookie(&page.headers, COOKIE).map(str::to_owned);

    let ok = log_in(&s, &browser, "alice", &alice.password).await;
    assert_eq!(ok.status.as_u16(), 303, "{}", ok.body);
    let cookie = set_cookie(&ok.headers, COOKIE)
        .expect("logging in sets the session cookie (a new id, against session fixation)");
    let lower = cookie.to_ascii_lowercase();
    assert!(lower.contains("httponly"), "{cookie}");
    assert!(lower.contains("samesite=lax"), "{cookie}");
    assert!(lower.contains("path=/"), "{cookie}");
    if let Some(before) = before {
        let id = |c: &str| c.split(';').next().unwrap_or_default().to_owned();
        assert_ne!(id(&before), id(cookie), "the session id changes at login");
    }
    let home = get(&s, &browser, "/").await;
    home.expect(200);
    assert!(home.body.contains("alice"), "the dashboard names the user");

    // Sessions live in the database: a restart logs nobody out.
    s.restart().await;
    assert!(logged_in(&s, &browser).await, "logged out by a restart");
    // …and another browser is still nobody.
    assert!(!logged_in(&s, &s.browser()).await);
}

async fn logout_ends_the_session(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    let browser = s.browser();
    log_in(&s, &browser, "alice", &alice.password)
        .await
        .expect(303);
    assert!(logged_in(&s, &browser).await);

    // The dashboard's logout form carries the token; without it nothing happens.
    let home = get(&s, &browser, "/").await;
    let token = input_value(&home.body, "csrf_token").expect("the dashboard has a logout form");
    let refused = post(&s, &browser, "/logout", &[]).await;
    assert_eq!(refused.status.as_u16(), 403, "{}", refused.body);
    assert!(logged_in(&s, &browser).await);

    let out = post(&s, &browser, "/logout", &[("csrf_token", &token)]).await;
    assert_eq!(out.status.as_u16(), 303, "{}", out.body);
    assert!(!logged_in(&s, &browser).await);
}

async fn registration_logs_in_and_makes_the_first_account_admin(db: Db) {
    let s = TestServer::start(&db).await;
    for (name, admin) in [("first", true), ("second", false)] {
        let browser = s.browser();
        let (_, token) = form_page(&s, &browser, "/register").await;
        let password = format!("{name}-Password-123");
        s.forbid_in_answers(&password);
        let email = format!("{name}@example.com");
        let fields = [
            ("username", name),
            ("email", email.as_str()),
            ("password", password.as_str()),
        ];

        let mut without_token = fields.to_vec();
        without_token.push(("csrf_token", "forged"));
        let forged = post(&s, &browser, "/register", &without_token).await;
        assert_eq!(forged.status.as_u16(), 403, "{}", forged.body);
        assert!(
            users::find_by_name(&s.conn, name)
                .await
                .expect("db")
                .is_none()
        );

        let mut with_token = fields.to_vec();
        with_token.push(("csrf_token", &token));
        let made = post(&s, &browser, "/register", &with_token).await;
        assert_eq!(made.status.as_u16(), 303, "{}", made.body);
        let row = users::find_by_name(&s.conn, name)
            .await
            .expect("db")
            .expect("registered");
        assert_eq!(row.is_admin, admin, "{name}");
        assert_eq!(row.email, email);
        assert!(logged_in(&s, &browser).await, "registering logs in");

        // The password works for the API as well.
        s.send_allowing_secrets(
            s.http
                .post(s.url("/api/v1/user/tokens"))
                .basic_auth(name, Some(&password))
                .json(&serde_json::json!({ "name": "t" })),
        )
        .await
        .expect(201);
    }

    // A taken name is refused with the form shown again, not a new account.
    let browser = s.browser();
    let (_, token) = form_page(&s, &browser, "/register").await;
    let again = post(
        &s,
        &browser,
        "/register",
        &[
            ("username", "FIRST"),
            ("email", "x@example.com"),
            ("password", "Another-Password-1"),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert_ne!(again.status.as_u16(), 303, "{}", again.body);
    assert!(!logged_in(&s, &browser).await);
}

async fn closed_registration_refuses(db: Db) {
    let s = TestServer::start_with(&db, |c| c.registration = Registration::Closed).await;
    s.create_admin("root").await;
    let browser = s.browser();
    // The login page's token belongs to the session, so it is valid for any form.
    let (_, token) = form_page(&s, &browser, "/login").await;

    let page = get(&s, &browser, "/register").await;
    assert!(
        input_value(&page.body, "password").is_none() || page.status.is_client_error(),
        "a closed registration shows no form: {}",
        page.body
    );
    let resp = post(
        &s,
        &browser,
        "/register",
        &[
            ("username", "mallory"),
            ("email", "mallory@example.com"),
            ("password", "Mallory-Password-1"),
            ("csrf_token", &token),
        ],
    )
    .await;
    assert!(
        resp.status.is_client_error(),
        "POST /register answered {}: {}",
        resp.status,
        resp.body
    );
    assert!(
        users::find_by_name(&s.conn, "mallory")
            .await
            .expect("db")
            .is_none()
    );
    assert!(!logged_in(&s, &browser).await);
}

async fn simultaneous_first_registrations_make_exactly_one_admin(db: Db) {
    const PEOPLE: usize = 8;
    let s = TestServer::start(&db).await;
    // Each browser loads its form (at once too, so the server's database pool has a
    // connection ready for each); then all eight press "Register" at the same moment.
    let browsers: Vec<Client> = (0..PEOPLE).map(|_| s.browser()).collect();
    let tokens = futures_util::future::join_all(
        browsers
            .iter()
            .map(|browser| form_page(&s, browser, "/register")),
    )
    .await;
    let ready: Vec<(&Client, String, String)> = browsers
        .iter()
        .zip(tokens)
        .enumerate()
        .map(|(i, (browser, (_, token)))| (browser, format!("user{i}"), token))
        .collect();
    let posts = ready.iter().map(|(browser, name, token)| {
        let email = format!("{name}@example.com");
        let password = format!("{name}-Password-123");
        let request = browser.post(s.url("/register")).form(&[
            ("username", name.as_str()),
            ("email", email.as_str()),
            ("password", password.as_str()),
            ("csrf_token", token.as_str()),
        ]);
        async move { request.send().await.map(|r| r.status().as_u16()) }
    });
    let statuses = futures_util::future::join_all(posts).await;
    for status in &statuses {
        assert_eq!(
            status.as_ref().ok(),
            Some(&303),
            "every one registers: {statuses:?}"
        );
    }
    assert_eq!(
        user::Entity::find().count(&s.conn).await.expect("db"),
        PEOPLE as u64
    );
    let admins: Vec<String> = user::Entity::find()
        .filter(user::Column::IsAdmin.eq(true))
        .all(&s.conn)
        .await
        .expect("db")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(
        admins.len(),
        1,
        "exactly one first administrator: {admins:?}"
    );
    // Later accounts are plain users, one at a time as well.
    let later = s.make_user("later", false).await;
    let row = users::find_by_id(&s.conn, later.id)
        .await
        .expect("db")
        .expect("exists");
    assert!(!row.is_admin);
}

async fn the_migration_marks_an_existing_first_account(db: Db) {
    use sea_orm::ConnectionTrait;

    // An instance from before the column, with two accounts.
    let (dir, conn) =
        crate::support::db::migrated_before(&db, "m20261201_000001_add_users_first_user").await;
    for name in ["old", "older"] {
        conn.execute_unprepared(&format!(
            "INSERT INTO users (username, lower_name, email, password_hash, is_admin, created_at) \
             VALUES ('{name}', '{name}', '{name}@example.com', 'x', FALSE, '2026-11-30T00:00:00Z')"
        ))
        .await
        .expect("insert");
    }
    let conn = crate::support::db::migrate_rest(&db, &dir, conn).await;
    let rows = user::Entity::find().all(&conn).await.expect("db");
    let marked: Vec<(&str, Option<bool>)> = rows
        .iter()
        .map(|u| (u.username.as_str(), u.first_user))
        .collect();
    assert!(marked.contains(&("old", Some(true))), "{marked:?}");
    assert!(marked.contains(&("older", None)), "{marked:?}");
    // A new account on this instance is not its first.
    let row = users::create(
        &conn,
        users::NewUser {
            username: "newcomer".into(),
            email: "newcomer@example.com".into(),
            password: "New-Password-123".into(),
            is_admin: false,
        },
    )
    .await
    .expect("created");
    assert!(!row.is_admin);
    assert_eq!(row.first_user, None);
}

/// Rows in the sessions table.
async fn session_rows(s: &TestServer) -> u64 {
    session::Entity::find().count(&s.conn).await.expect("db")
}

async fn anonymous_pages_store_no_session_and_set_no_cookie(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    s.create_repo(&alice, "hello", false).await;
    // A browser keeps (and sends back) any cookie it is given, as a crawler would.
    let browser = s.browser();
    for path in ["/", "/alice/hello", "/alice/hello.git"] {
        for _ in 0..100 {
            let page = get(&s, &browser, path).await;
            page.expect(200);
            assert!(
                page.header("set-cookie").is_none(),
                "GET {path} set a cookie: {:?}",
                page.headers
            );
        }
    }
    assert_eq!(
        session_rows(&s).await,
        0,
        "anonymous page views stored sessions"
    );

    // The login form still has its token (that takes a session, kept a day, not a month)…
    let (page, _) = form_page(&s, &browser, "/login").await;
    let cookie = set_cookie(&page.headers, COOKIE).expect("the form's session");
    assert!(cookie.contains("Max-Age=86400"), "{cookie}");
    assert_eq!(session_rows(&s).await, 1);
    // Browsing on as a visitor does not make it a month.
    let home = get(&s, &browser, "/").await;
    if let Some(cookie) = set_cookie(&home.headers, COOKIE) {
        assert!(cookie.contains("Max-Age=86400"), "{cookie}");
    }
    // …and logging in works, for a month.
    let ok = log_in(&s, &browser, "alice", &alice.password).await;
    assert_eq!(ok.status.as_u16(), 303, "{}", ok.body);
    let cookie = set_cookie(&ok.headers, COOKIE).expect("a new session id");
    assert!(cookie.contains("Max-Age=2592000"), "{cookie}");
    assert_eq!(session_rows(&s).await, 1);
    assert!(logged_in(&s, &browser).await);
}

async fn expired_sessions_are_deleted_at_start_up(db: Db) {
    let mut s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    let browser = s.browser();
    log_in(&s, &browser, "alice", &alice.password)
        .await
        .expect(303);
    // A visitor's session from a month ago, long expired.
    session::Entity::insert(session::ActiveModel {
        id: sea_orm::ActiveValue::Set("expired-session".to_owned()),
        data: sea_orm::ActiveValue::Set("{}".to_owned()),
        expires_at: sea_orm::ActiveValue::Set(chrono::Utc::now() - chrono::Duration::days(1)),
    })
    .exec(&s.conn)
    .await
    .expect("insert");
    assert_eq!(session_rows(&s).await, 2);

    s.restart().await;
    let started = std::time::Instant::now();
    while session_rows(&s).await != 1 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the expired session is still there 10 s after start-up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The live one stays.
    assert!(logged_in(&s, &browser).await);
}
