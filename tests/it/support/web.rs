//! A browser over plain HTTP: pages fetched with its cookies, forms read for their CSRF token,
//! logging in through the login form.

use reqwest::Client;

use super::{Resp, TestServer, TestUser, html::input_value};

/// `GET path` with the browser's cookies.
pub async fn get(s: &TestServer, browser: &Client, path: &str) -> Resp {
    s.send(browser.get(s.url(path))).await
}

/// Loads a page (200) and returns it with the CSRF token of its form.
pub async fn form_page(s: &TestServer, browser: &Client, path: &str) -> (Resp, String) {
    let page = get(s, browser, path).await;
    page.expect(200);
    let token = input_value(&page.body, "csrf_token")
        .unwrap_or_else(|| panic!("{path} has no csrf_token field:\n{}", page.body));
    assert!(token.len() >= 16, "a CSRF token worth the name: {token:?}");
    (page, token)
}

/// Logs in through the login form in `browser`; returns the answer to the POST.
pub async fn log_in(s: &TestServer, browser: &Client, username: &str, password: &str) -> Resp {
    let (_, token) = form_page(s, browser, "/login").await;
    s.send(browser.post(s.url("/login")).form(&[
        ("username", username),
        ("password", password),
        ("csrf_token", &token),
    ]))
    .await
}

/// A new cookie-keeping client, logged in as `user` through the login form (303).
pub async fn logged_in_as(s: &TestServer, user: &TestUser) -> Client {
    let browser = s.browser();
    let done = log_in(s, &browser, &user.username, &user.password).await;
    assert_eq!(done.status.as_u16(), 303, "login: {}", done.body);
    browser
}
