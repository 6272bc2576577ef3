//! The account-mirror pages over plain HTTP, as a browser uses them, against the GitHub
//! stand-in: the list with its empty state, "New account mirror" refused inline, its preview
//! (the page without JavaScript, the fragment with htmx; nothing made), creating one and
//! landing on its page, which fills with its repositories; editing (the token kept, replaced
//! or cleared, never shown), "Discover now", a repository gone from the source marked, and
//! deleting it with its repositories kept. Another user finds none of its pages. The token
//! never appears in any answer.

use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::Value;

use crate::support::{
    Db, Resp, TestServer, TestUser,
    forge_standin::{Forge, ForgeStandIn},
    git::Git,
    mirror::{call, local_server, seed},
    on_both_databases,
    web::{form_page, get, logged_in_as},
};

on_both_databases!(
    an_account_mirror_is_previewed_made_and_shown_from_its_pages,
    the_new_form_names_each_bad_field_inline,
    its_pages_are_edited_discovered_and_deleted_keeping_the_repositories,
    another_user_finds_none_of_its_pages,
);

const TOKEN: &str = "ghp_pageStandInToken0123456789abcdefABCD";

/// `POST path` as a url-encoded form with the session's CSRF token; `htmx` adds the header
/// htmx sends.
async fn post(s: &TestServer, browser: &Client, path: &str, form: &[(&str, &str)]) -> Resp {
    post_as(s, browser, path, form, false).await
}

async fn post_as(
    s: &TestServer,
    browser: &Client,
    path: &str,
    form: &[(&str, &str)],
    htmx: bool,
) -> Resp {
    let (_, token) = form_page(s, browser, "/account-mirrors/new").await;
    let mut fields = form.to_vec();
    fields.push(("csrf_token", &token));
    let mut request = browser.post(s.url(path)).form(&fields);
    if htmx {
        request = request.header("hx-request", "true");
    }
    s.send(request).await
}

/// Checks a 303 to `to`.
#[track_caller]
fn redirected(resp: &Resp, to: &str) {
    assert_eq!(resp.status.as_u16(), 303, "{}", resp.body);
    assert_eq!(resp.header("location"), Some(to));
}

/// A server with the admin `root` and `alice`, and a GitHub stand-in whose organisation `acme`
/// lists `app` and `lib` (served by its git, which wants the token) and, private, `secret`.
async fn setup(db: &Db) -> (TestServer, TestUser, ForgeStandIn) {
    let s = local_server(db, |c| c.min_sync_interval = 60).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.forbid_in_answers(TOKEN);
    let forge = ForgeStandIn::start(Forge::Github, "acme", "x-access-token", TOKEN).await;
    let git = Git::new();
    let first = forge.git.create("app").await;
    let work = seed(&git, first.to_str().unwrap()).await;
    for name in ["lib", "secret"] {
        let path = forge.git.create(name).await;
        git.ok(&work, &["push", "-q", path.to_str().unwrap(), "main"])
            .await;
    }
    let mut secret = forge.repo(3, "secret");
    secret.private = true;
    forge.set(vec![forge.repo(1, "app"), forge.repo(2, "lib"), secret]);
    (s, alice, forge)
}

/// The form's fields for `acme` on `forge` as alice, with `extra` replacing or adding some.
fn fields<'a>(forge_url: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut out = vec![
        ("owner", "alice"),
        ("provider", "github"),
        ("api_url", forge_url),
        ("account", "acme"),
        ("account_kind", "org"),
        ("token", TOKEN),
        ("include", "*"),
        ("exclude", ""),
        ("archived", "on"),
        ("enabled", "on"),
        ("sync_interval", "3600"),
        ("sync_interval_custom", ""),
        ("discovery_interval", "3600"),
        ("on_removed", "pause"),
        ("notify_url", ""),
        ("step", "create"),
    ];
    for (name, value) in extra {
        out.retain(|(n, _)| n != name);
        out.push((name, value));
    }
    out
}

/// The ids of alice's account mirrors, through the API.
async fn ids(s: &TestServer, user: &TestUser) -> Vec<i64> {
    let list = call(s, "GET", "/api/v1/account_mirrors", user, None).await;
    list.expect(200);
    list.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

/// Waits (30 s at most) until account mirror `id` has finished a discovery; its JSON.
async fn discovered(s: &TestServer, user: &TestUser, id: i64) -> Value {
    let started = Instant::now();
    loop {
        let body = call(
            s,
            "GET",
            &format!("/api/v1/account_mirrors/{id}"),
            user,
            None,
        )
        .await
        .json();
        if body["last_status"] != "discovering" && body["last_status"] != "idle" {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the discovery did not end: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Makes alice's account mirror of `acme` from the form; its id, its first discovery ended.
async fn made(s: &TestServer, alice: &TestUser, browser: &Client, forge: &ForgeStandIn) -> i64 {
    let url = forge.api_url();
    let created = post(s, browser, "/account-mirrors/new", &fields(&url, &[])).await;
    let id = *ids(s, alice).await.last().expect("made");
    redirected(&created, &format!("/account-mirrors/{id}"));
    discovered(s, alice, id).await;
    id
}

async fn an_account_mirror_is_previewed_made_and_shown_from_its_pages(db: Db) {
    let (s, alice, forge) = setup(&db).await;
    let browser = logged_in_as(&s, &alice).await;
    let url = forge.api_url();

    // The list is empty and says what an account mirror is; the header links it.
    let list = get(&s, &browser, "/account-mirrors").await;
    list.expect(200);
    assert!(
        list.body.contains("An account mirror watches"),
        "{}",
        list.body
    );
    assert!(list.body.contains(r#"href="/account-mirrors/new""#));
    assert!(
        list.body
            .contains(r#"<a href="/account-mirrors">Account mirrors</a>"#)
    );

    // The form offers the providers, a password field for the token, and the preview.
    let (form, _) = form_page(&s, &browser, "/account-mirrors/new").await;
    for needle in [
        r#"<option value="gitlab">GitLab</option>"#,
        r#"name="token" type="password" value="""#,
        r#"hx-post="/account-mirrors/preview""#,
        r#"name="step" value="preview""#,
        r#"<option value="alice" selected>alice</option>"#,
    ] {
        assert!(form.body.contains(needle), "{needle}: {}", form.body);
    }

    // Preview without JavaScript: the form again, the repositories listed (the private one
    // too: the token sees it), the token asked for again, nothing made.
    let preview = post(
        &s,
        &browser,
        "/account-mirrors/new",
        &fields(&url, &[("step", "preview"), ("exclude", "lib")]),
    )
    .await;
    preview.expect(200);
    assert!(preview.body.contains(r#"id="account-preview-result""#));
    assert!(
        preview.body.contains("Would be mirrored (2)"),
        "{}",
        preview.body
    );
    assert!(preview.body.contains(&forge.git.url("secret")));
    assert!(preview.body.contains("Left out (1)"));
    assert!(preview.body.contains("Enter the token again to create"));
    assert!(
        preview
            .body
            .contains(r#"name="token" type="password" value="""#)
    );
    assert!(
        preview.body.contains("lib</textarea>"),
        "what was typed stays"
    );
    assert!(ids(&s, &alice).await.is_empty(), "a preview makes nothing");

    // With htmx: the fragment alone; an unreachable forge said in it, answered 200 so it shows.
    let fragment = post_as(
        &s,
        &browser,
        "/account-mirrors/preview",
        &fields(&url, &[]),
        true,
    )
    .await;
    fragment.expect(200);
    assert!(fragment.body.starts_with("<section"), "{}", fragment.body);
    assert!(!fragment.body.contains("<html"));
    assert!(fragment.body.contains(&forge.git.url("app")));
    assert_eq!(fragment.header("cache-control"), Some("no-store"));
    let gone = "http://127.0.0.1:9";
    let unreachable = post_as(
        &s,
        &browser,
        "/account-mirrors/preview",
        &fields(gone, &[]),
        true,
    )
    .await;
    unreachable.expect(200);
    assert!(
        unreachable.body.contains("The account could not be listed"),
        "{}",
        unreachable.body
    );
    // Without JavaScript the same failure is a message on the form (502).
    let failed = post(
        &s,
        &browser,
        "/account-mirrors/new",
        &fields(gone, &[("step", "preview")]),
    )
    .await;
    failed.expect(502);
    assert!(
        failed.body.contains(r#"class="form-error""#),
        "{}",
        failed.body
    );
    // Bad fields in the fragment are listed there (422, which htmx swaps).
    let bad = post_as(
        &s,
        &browser,
        "/account-mirrors/preview",
        &fields(&url, &[("account", "")]),
        true,
    )
    .await;
    bad.expect(422);
    assert!(bad.body.contains("account is required"), "{}", bad.body);
    assert!(ids(&s, &alice).await.is_empty());

    // Create: on to its page, which fills with its repositories once the discovery ends.
    let id = made(&s, &alice, &browser, &forge).await;
    let page = get(&s, &browser, &format!("/account-mirrors/{id}")).await;
    page.expect(200);
    for needle in [
        "github:acme",
        "token set",
        r#"id="discover-now""#,
        r#"href="/alice/app""#,
        r#"href="/alice/secret""#,
        r#"<input type="hidden" name="back" value="/account-mirrors/"#,
    ] {
        assert!(page.body.contains(needle), "{needle}: {}", page.body);
    }
    assert!(page.body.contains("Account mirror created."), "the notice");

    // The list shows it with its owner and count.
    let list = get(&s, &browser, "/account-mirrors").await;
    assert!(
        list.body
            .contains(&format!(r#"href="/account-mirrors/{id}""#))
    );
    assert!(
        list.body
            .contains(r#"<td data-label="Repositories" class="account-repo-count">3</td>"#),
        "{}",
        list.body
    );
    assert!(list.body.contains(r#"<a href="/alice">alice</a>"#));
}

async fn the_new_form_names_each_bad_field_inline(db: Db) {
    let (s, alice, forge) = setup(&db).await;
    let browser = logged_in_as(&s, &alice).await;
    let url = forge.api_url();
    let refused = post(
        &s,
        &browser,
        "/account-mirrors/new",
        &fields(
            &url,
            &[
                ("provider", "gitea"),
                ("api_url", ""),
                ("account", "a b"),
                ("discovery_interval", "5"),
                ("include", "[bad"),
                ("notify_url", "not a url"),
            ],
        ),
    )
    .await;
    refused.expect(422);
    for id in [
        "api_url-error",
        "account-error",
        "discovery_interval-error",
        "notify_url-error",
    ] {
        assert!(
            refused.body.contains(&format!(r#"id="{id}""#)),
            "{id}: {}",
            refused.body
        );
    }
    assert!(
        refused
            .body
            .contains("gitea needs the server&#39;s base URL")
    );
    assert!(
        refused.body.contains(r#"value="a b""#),
        "what was typed stays"
    );
    assert!(
        refused
            .body
            .contains(r#"<option value="gitea" selected>Gitea</option>"#)
    );
    // An owner alice does not own is refused at the owner field.
    s.create_user("bob").await;
    let other = post(
        &s,
        &browser,
        "/account-mirrors/new",
        &fields(&url, &[("owner", "bob")]),
    )
    .await;
    other.expect(403);
    assert!(other.body.contains(r#"id="owner-error""#), "{}", other.body);
    assert!(ids(&s, &alice).await.is_empty());
}

async fn its_pages_are_edited_discovered_and_deleted_keeping_the_repositories(db: Db) {
    let (s, alice, forge) = setup(&db).await;
    let browser = logged_in_as(&s, &alice).await;
    let id = made(&s, &alice, &browser, &forge).await;
    let page = format!("/account-mirrors/{id}");
    let url = forge.api_url();

    // The edit form: filled in, the token field empty, with "Clear the token".
    let (edit, _) = form_page(&s, &browser, &format!("{page}/edit")).await;
    assert!(
        edit.body.contains(&format!(r#"value="{url}""#)),
        "{}",
        edit.body
    );
    assert!(
        edit.body
            .contains(r#"name="token" type="password" value="""#)
    );
    assert!(edit.body.contains("Leave this empty to keep it"));
    assert!(edit.body.contains(r#"name="clear_token""#));

    // Saved with an empty token: the token kept; a bad field refused inline.
    let bad = post(
        &s,
        &browser,
        &format!("{page}/edit"),
        &fields(&url, &[("token", ""), ("discovery_interval", "1")]),
    )
    .await;
    bad.expect(422);
    assert!(bad.body.contains(r#"id="discovery_interval-error""#));
    let saved = post(
        &s,
        &browser,
        &format!("{page}/edit"),
        &fields(&url, &[("token", ""), ("exclude", "lib")]),
    )
    .await;
    redirected(&saved, &page);
    let json = call(
        &s,
        "GET",
        &format!("/api/v1/account_mirrors/{id}"),
        &alice,
        None,
    )
    .await;
    let json = json.json();
    assert_eq!(json["token_set"], true, "{json}");
    assert_eq!(json["exclude"][0], "lib");

    // "Discover now": lib, now left out, is paused and marked gone from the source.
    let started = post(&s, &browser, &format!("{page}/discover"), &[]).await;
    redirected(&started, &page);
    let shown = get(&s, &browser, &page).await;
    assert!(
        shown.body.contains("Discovery started.") || shown.body.contains("Not started"),
        "{}",
        shown.body
    );
    discovered(&s, &alice, id).await;
    let shown = get(&s, &browser, &page).await;
    assert!(
        shown.body.contains("gone from the source"),
        "{}",
        shown.body
    );

    // Cleared: no token any more.
    let cleared = post(
        &s,
        &browser,
        &format!("{page}/edit"),
        &fields(&url, &[("token", ""), ("clear_token", "on")]),
    )
    .await;
    redirected(&cleared, &page);
    let json = call(
        &s,
        "GET",
        &format!("/api/v1/account_mirrors/{id}"),
        &alice,
        None,
    )
    .await;
    assert_eq!(json.json()["token_set"], false);
    let shown = get(&s, &browser, &page).await;
    assert!(shown.body.contains("none (public repositories only)"));

    // Its rows' bulk form comes back to its page (and only to an account mirror's page).
    let paused = post(
        &s,
        &browser,
        "/mirrors/batch",
        &[
            ("action", "disable"),
            ("repositories", "alice/app"),
            ("back", &page),
        ],
    )
    .await;
    redirected(&paused, &page);
    let elsewhere = post(
        &s,
        &browser,
        "/mirrors/batch",
        &[
            ("action", "enable"),
            ("repositories", "alice/app"),
            ("back", "/account-mirrors/1/../../admin"),
        ],
    )
    .await;
    redirected(&elsewhere, "/mirrors");

    // Deleted: gone from the list, its repositories stay as ordinary mirrors.
    let deleted = post(&s, &browser, &format!("{page}/delete"), &[]).await;
    redirected(&deleted, "/account-mirrors");
    let list = get(&s, &browser, "/account-mirrors").await;
    assert!(
        list.body.contains("stay here as ordinary mirrors"),
        "{}",
        list.body
    );
    assert!(list.body.contains("No account mirrors here yet"));
    get(&s, &browser, &page).await.expect(404);
    for name in ["app", "lib", "secret"] {
        call(
            &s,
            "GET",
            &format!("/api/v1/repos/alice/{name}"),
            &alice,
            None,
        )
        .await
        .expect(200);
    }
}

async fn another_user_finds_none_of_its_pages(db: Db) {
    let (s, alice, forge) = setup(&db).await;
    let bob = s.create_user("bob").await;
    let browser = logged_in_as(&s, &alice).await;
    let id = made(&s, &alice, &browser, &forge).await;
    let page = format!("/account-mirrors/{id}");
    let stranger = logged_in_as(&s, &bob).await;
    get(&s, &stranger, &page).await.expect(404);
    get(&s, &stranger, &format!("{page}/edit"))
        .await
        .expect(404);
    get(&s, &stranger, "/account-mirrors/abc").await.expect(404);
    for action in ["discover", "delete", "edit"] {
        post(&s, &stranger, &format!("{page}/{action}"), &[])
            .await
            .expect(404);
    }
    let list = get(&s, &stranger, "/account-mirrors").await;
    assert!(!list.body.contains(&page), "{}", list.body);
    assert_eq!(ids(&s, &alice).await, vec![id], "still there");
    // A visitor is sent to log in.
    let visitor = s.browser();
    let resp = get(&s, &visitor, &page).await;
    assert_eq!(resp.status.as_u16(), 303, "{}", resp.body);
}
