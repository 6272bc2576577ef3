//! The settings page's two keys of issue 21: an LFS endpoint's own login (write-only, inline
//! errors, dropped when the endpoint moves to another origin) and the notification key (made,
//! rotated and removed from the page, shown once) — over plain HTTP on both databases, and in a
//! real browser at 1280 and 390 px wide (screenshots `lfs-login-*`, `notify-key-*`).

use reqwest::Client;
use serde_json::{Value, json};

use crate::support::{
    Db, Resp, TestServer, TestUser,
    browser::Browser,
    html::input_value,
    mirror::{local_server, patch},
    on_both_databases,
    web::{form_page, get, logged_in_as},
};

on_both_databases!(the_settings_page_keeps_an_lfs_login_and_makes_a_notification_key);

/// The LFS password typed into the form: never in an answer.
const LFS_PASSWORD: &str = "Lfs-Form-Secret-3";

/// The settings form as the page sends it for a pull mirror of `upstream` with LFS on, then
/// `changes` on top.
fn form(token: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = [
        ("csrf_token", token),
        ("mirror_direction", "upstream"),
        ("upstream_url", "http://127.0.0.1:9/up.git"),
        ("upstream_username", ""),
        ("upstream_password", ""),
        ("downstream_url", ""),
        ("downstream_username", ""),
        ("downstream_password", ""),
        ("sync_interval", "3600"),
        ("sync_interval_custom", ""),
        ("notify_url", ""),
        ("lfs_enabled", "on"),
        ("lfs_endpoint", "http://127.0.0.1:7/lfs"),
        ("lfs_username", ""),
        ("lfs_password", ""),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (key, value) in changes {
        form.retain(|(k, _)| k != key);
        form.push(((*key).to_owned(), (*value).to_owned()));
    }
    form
}

/// Posts `form` to alice's `demo` settings.
async fn post(s: &TestServer, browser: &Client, form: &[(String, String)]) -> Resp {
    s.send(
        browser
            .post(s.url("/alice/demo/settings/mirror"))
            .form(form),
    )
    .await
}

/// The settings of alice's `demo` through the API.
async fn api(s: &TestServer, alice: &TestUser) -> Value {
    let resp = s.get("/api/v1/repos/alice/demo/mirror", Some(alice)).await;
    resp.expect(200);
    resp.json()
}

async fn the_settings_page_keeps_an_lfs_login_and_makes_a_notification_key(db: Db) {
    let s = local_server(&db, |_| {}).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.create_repo(&alice, "demo", false).await;
    s.forbid_in_answers(LFS_PASSWORD);
    let browser = logged_in_as(&s, &alice).await;
    let (page, token) = form_page(&s, &browser, "/alice/demo/settings/mirror").await;
    for needle in [
        r#"name="lfs_username""#,
        r#"name="lfs_password" type="password" value="""#,
    ] {
        assert!(page.body.contains(needle), "{needle}:\n{}", page.body);
    }
    let events = get(&s, &browser, "/alice/demo/settings/mirror/events").await;
    for needle in [r#"id="notify-key""#, r#"id="notify-key-state""#] {
        assert!(events.body.contains(needle), "{needle}:\n{}", events.body);
    }

    // Saved with the endpoint's own login: the username shown, the password never.
    let saved = post(
        &s,
        &browser,
        &form(
            &token,
            &[("lfs_username", "lfs-bot"), ("lfs_password", LFS_PASSWORD)],
        ),
    )
    .await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    let settings = api(&s, &alice).await;
    assert_eq!(settings["lfs_username"], "lfs-bot", "{settings}");
    assert_eq!(settings["lfs_password_set"], true, "{settings}");
    let page = get(&s, &browser, "/alice/demo/settings/mirror").await;
    assert_eq!(
        input_value(&page.body, "lfs_username").as_deref(),
        Some("lfs-bot")
    );
    assert!(page.body.contains(r#"name="lfs_password_clear""#));
    assert!(
        page.body
            .contains(r#"id="lfs_password-hint"><span class="password-set">"#)
    );

    // A username too long: the error next to the field, what was typed kept, nothing saved.
    let long = "u".repeat(256);
    let refused = post(
        &s,
        &browser,
        &form(
            &token,
            &[
                ("lfs_username", long.as_str()),
                ("lfs_endpoint", "http://127.0.0.1:8/lfs"),
            ],
        ),
    )
    .await;
    refused.expect(422);
    assert!(
        refused.body.contains(r#"id="lfs_username-error""#),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("at most 255"));
    assert!(refused.body.contains(r#"value="http://127.0.0.1:8/lfs""#));
    assert_eq!(api(&s, &alice).await["lfs_username"], "lfs-bot");

    // The endpoint moved to another port without a password: the login is dropped, and the
    // page says so.
    post(
        &s,
        &browser,
        &form(
            &token,
            &[
                ("lfs_username", "lfs-bot"),
                ("lfs_endpoint", "http://127.0.0.1:8/lfs"),
            ],
        ),
    )
    .await
    .expect(303);
    let settings = api(&s, &alice).await;
    assert_eq!(settings["lfs_password_set"], false, "{settings}");
    assert_eq!(
        settings["lfs_username"], "lfs-bot",
        "a username typed stays"
    );
    let page = get(&s, &browser, "/alice/demo/settings/mirror").await;
    assert!(
        page.body.contains("The stored LFS password was removed"),
        "{}",
        page.body
    );

    // The notification key: made from the page and shown once, never cached, never again.
    let (page, token) = form_page(&s, &browser, "/alice/demo/settings/mirror/events").await;
    assert!(page.body.contains("No key"), "{}", page.body);
    let made = s
        .send_allowing_secrets(
            browser
                .post(s.url("/alice/demo/settings/mirror/notify_key"))
                .form(&[("csrf_token", token.as_str())]),
        )
        .await;
    made.expect(200);
    assert_eq!(made.header("cache-control"), Some("no-store"));
    let key = between(&made.body, r#"<code id="notify-key-secret">"#, "</code>");
    assert!(key.len() >= 40, "{key}");
    s.forbid_in_answers(&key);
    assert_eq!(api(&s, &alice).await["notify_secret_set"], true);
    let page = get(&s, &browser, "/alice/demo/settings/mirror/events").await;
    assert!(page.body.contains("Rotate key"), "{}", page.body);
    // Without the CSRF token nothing is made.
    let forged = s
        .send(
            browser
                .post(s.url("/alice/demo/settings/mirror/notify_key"))
                .form(&[("csrf_token", "forged")]),
        )
        .await;
    assert_eq!(forged.status.as_u16(), 403, "{}", forged.body);
    // Removed.
    let removed = s
        .send(
            browser
                .post(s.url("/alice/demo/settings/mirror/notify_key/delete"))
                .form(&[("csrf_token", token.as_str())]),
        )
        .await;
    assert_eq!(removed.status.as_u16(), 303, "{}", removed.body);
    assert_eq!(api(&s, &alice).await["notify_secret_set"], false);
    // Only the owner or an admin: another user's POST makes nothing.
    let bob = s.create_user("bob").await;
    s.create_repo(&bob, "own", false).await;
    let bob_browser = logged_in_as(&s, &bob).await;
    let (_, bob_token) = form_page(&s, &bob_browser, "/bob/own/settings/mirror").await;
    let refused = s
        .send(
            bob_browser
                .post(s.url("/alice/demo/settings/mirror/notify_key"))
                .form(&[("csrf_token", bob_token.as_str())]),
        )
        .await;
    assert!(
        [403, 404].contains(&refused.status.as_u16()),
        "{}",
        refused.status
    );
    assert_eq!(api(&s, &alice).await["notify_secret_set"], false);
}

/// The text between `start` and the next `end` in `html`.
fn between(html: &str, start: &str, end: &str) -> String {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} missing:\n{html}"))
        + start.len();
    let len = html[from..].find(end).expect("end marker");
    html[from..from + len].to_owned()
}

/// The LFS login and the notification key sections in a real browser, wide and narrow: made,
/// shown once, and nothing wider than the window at 390 px.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lfs_login_and_the_notification_key_in_a_real_browser() {
    let s = local_server(&Db::Sqlite, |_| {}).await;
    let owner = s.create_admin("wendy").await;
    s.create_repo(&owner, "m", false).await;
    patch(
        &s,
        &owner,
        "m",
        json!({"upstream_url": "http://127.0.0.1:9/up.git", "lfs_enabled": true,
               "lfs_endpoint": "https://lfs.example.com/team/app.git/info/lfs",
               "notify_url": "https://hooks.example.com/services/T000/B000/XXXXXXXX"}),
    )
    .await
    .expect(200);
    let Some(b) = Browser::start(1280, 2000).await else {
        return;
    };
    b.goto(&s.url("/login")).await;
    b.fill("#username", "wendy").await;
    b.fill("#password", &owner.password).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("logged in", 10, || async {
        b.text(".nav-user").await.contains("wendy")
    })
    .await;
    for width in [1280, 390] {
        b.client.set_window_size(width, 2000).await.unwrap();
        b.goto(&s.url("/wendy/m/settings/mirror")).await;
        b.fill("#lfs_username", "lfs-bot").await;
        b.fill("#lfs_password", LFS_PASSWORD).await;
        b.click("#mirror-form button[type=submit]").await;
        b.wait_until("saved", 10, || async {
            b.text("main").await.contains("Mirror settings saved.")
        })
        .await;
        assert!(
            b.text("#lfs_password-hint")
                .await
                .contains("A password is set.")
        );
        b.screenshot_of(".lfs-field", &format!("lfs-login-{width}"))
            .await;
        b.goto(&s.url("/wendy/m/settings/mirror/events")).await;
        b.click("#notify-key-rotate").await;
        b.wait_until("the key shown", 10, || async {
            b.text("main").await.contains("shown only this once")
        })
        .await;
        let key = b.text("#notify-key-secret").await;
        assert_eq!(key.len(), 43, "{key}");
        b.screenshot_of("#notify-key", &format!("notify-key-{width}"))
            .await;
        // Nothing wider than the window: the elements sticking out, named, when any does.
        let wider = b
            .eval(
                r##"const width = document.documentElement.clientWidth;
                   return [...document.querySelectorAll("body *")]
                     .filter(e => e.getBoundingClientRect().right > width + 0.5)
                     .map(e => e.tagName + (e.id ? "#" + e.id : "") + "." + e.className);"##,
            )
            .await;
        let scroll = b
            .eval(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            )
            .await;
        assert_eq!(
            scroll,
            json!(0),
            "the page scrolls sideways at {width} px: {wider}"
        );
        // Removing asks first: the first click only opens the confirmation.
        b.click("#notify-key-remove").await;
        assert!(b.text("#notify-key-state").await.starts_with("set"));
        b.click("#notify-key-remove-confirm").await;
        b.wait_until("removed", 10, || async {
            b.text("#notify-key-state").await.contains("No key")
        })
        .await;
    }
    b.finish().await;
}
