//! The mirror pages over plain HTTP, as a browser (or htmx) sends them: the settings form and
//! its inline errors, the sync widget and its fragment, "Sync now", the run history, the
//! dashboard badges and the import page — with auth, CSRF, and no password in any answer.

use std::time::Duration;

use chrono::Utc;
use mirrorforge::entities::{
    mirror_enums::{MirrorDirection, RefSide, RunStatus, SyncStatus, Trigger},
    mirror_ref_update, mirror_run, repository,
};
use reqwest::Client;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use crate::support::{
    Db, Git, Resp, TestServer, TestUser,
    git::{Seed, Tag},
    git_backend::GitBackend,
    html::input_value,
    mirror::{local_server, patch, settle},
    on_both_databases,
    web::{form_page, get, logged_in_as},
};

on_both_databases!(
    settings_form_saves_through_the_one_path_and_never_shows_a_password,
    settings_errors_show_inline_keep_what_was_typed_and_save_nothing,
    mirror_pages_and_fragments_check_who_asks,
    every_mirror_form_needs_the_csrf_token,
    sync_now_polls_while_syncing_and_stops_when_done,
    history_is_paged_and_marks_deletions,
    dashboard_badges_show_direction_and_a_failure_stands_out,
    import_page_lands_on_the_repository_with_the_first_sync_running,
    history_and_contents_are_partials_with_their_own_fragments,
);

/// A server that accepts 127.0.0.1 remotes and intervals down to 60 s, with an admin and two
/// users.
async fn start(db: &Db) -> (TestServer, TestUser, TestUser) {
    let s = local_server(db, |c| c.min_sync_interval = 60).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    (s, alice, bob)
}

/// `GET path` as htmx does it.
async fn hx_get(s: &TestServer, browser: &Client, path: &str) -> Resp {
    s.send(browser.get(s.url(path)).header("HX-Request", "true"))
        .await
}

/// A full settings form: every field the page sends, then `changes` on top.
fn settings_form(token: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = [
        ("csrf_token", token),
        ("mirror_direction", "upstream"),
        ("upstream_url", ""),
        ("upstream_username", ""),
        ("upstream_password", ""),
        ("downstream_url", ""),
        ("downstream_username", ""),
        ("downstream_password", ""),
        ("sync_interval", "3600"),
        ("sync_interval_custom", ""),
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

/// Posts the mirror settings `form` of alice's `repo` in `browser`.
async fn post_settings(
    s: &TestServer,
    browser: &Client,
    repo: &str,
    form: &[(String, String)],
) -> Resp {
    s.send(
        browser
            .post(s.url(&format!("/alice/{repo}/settings/mirror")))
            .form(form),
    )
    .await
}

/// The mirror settings of alice's `repo` through the API, as `user`.
async fn api_settings(s: &TestServer, user: &TestUser, repo: &str) -> Value {
    let resp = s
        .get(&format!("/api/v1/repos/alice/{repo}/mirror"), Some(user))
        .await;
    resp.expect(200);
    resp.json()
}

/// What the pages mirror: one commit `first` on main and a tag `v1`.
const FIRST: Seed = Seed {
    work: "seed",
    commits: &[("README", b"hello\n", "first")],
    tag: Some(Tag::Light("v1")),
    branches: &[],
};

async fn settings_form_saves_through_the_one_path_and_never_shows_a_password(db: Db) {
    let (s, alice, _) = start(&db).await;
    s.create_repo(&alice, "demo", false).await;
    s.forbid_in_answers("Down-Secret-1");
    s.forbid_in_answers("Next-Secret-2");
    let browser = logged_in_as(&s, &alice).await;
    let page = get(&s, &browser, "/alice/demo/settings/mirror").await;
    page.expect(200);
    for needle in [
        r#"name="mirror_enabled""#,
        r#"name="mirror_direction" value="downstream""#,
        r#"name="upstream_url""#,
        r#"name="downstream_password" type="password" value="""#,
        r#"<label for="downstream_url">"#,
        r#"id="mirror-sync""#,
        "No password is set.",
    ] {
        assert!(
            page.body.contains(needle),
            "{needle} missing:\n{}",
            page.body
        );
    }
    let token = input_value(&page.body, "csrf_token").unwrap();
    // The interval has its own section, the history too.
    let schedule = get(&s, &browser, "/alice/demo/settings/mirror/schedule").await;
    for needle in [
        r#"<option value="1800""#,
        r#"<option value="86400""#,
        r#"<option value="custom""#,
        r#"name="sync_interval_custom""#,
        r#"id="mirror-sync""#,
    ] {
        assert!(
            schedule.body.contains(needle),
            "{needle} missing:\n{}",
            schedule.body
        );
    }
    let history = get(&s, &browser, "/alice/demo/settings/mirror/history").await;
    assert!(
        history.body.contains("No sync has run yet."),
        "{}",
        history.body
    );

    // Save a downstream mirror with a password: 303 back to the page, which confirms.
    let saved = post_settings(
        &s,
        &browser,
        "demo",
        &settings_form(
            &token,
            &[
                ("mirror_enabled", "on"),
                ("mirror_direction", "downstream"),
                ("downstream_url", "http://127.0.0.1:9/backup.git"),
                ("downstream_username", "pusher"),
                ("downstream_password", "Down-Secret-1"),
                ("sync_interval", "7200"),
            ],
        ),
    )
    .await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    assert_eq!(
        saved.header("location"),
        Some("/alice/demo/settings/mirror")
    );
    let page = get(&s, &browser, "/alice/demo/settings/mirror").await;
    assert!(
        page.body.contains("Mirror settings saved."),
        "{}",
        page.body
    );
    assert!(page.body.contains("A password is set."));
    assert!(page.body.contains(r#"value="pusher""#));
    assert!(page.body.contains(r#"name="downstream_password_clear""#));
    let schedule = get(&s, &browser, "/alice/demo/settings/mirror/schedule").await;
    assert!(schedule.body.contains(r#"<option value="7200" selected>"#));
    // The same settings through the API.
    let api = api_settings(&s, &alice, "demo").await;
    assert_eq!(api["mirror_enabled"], true);
    assert_eq!(api["mirror_direction"], "downstream");
    assert_eq!(api["downstream_url"], "http://127.0.0.1:9/backup.git");
    assert_eq!(api["downstream_password_set"], true);
    assert_eq!(api["sync_interval"], 7200);

    // Empty password keeps it; a custom interval is taken; a new one replaces it.
    let form = settings_form(
        &token,
        &[
            ("mirror_enabled", "on"),
            ("mirror_direction", "downstream"),
            ("downstream_url", "http://127.0.0.1:9/backup.git"),
            ("sync_interval", "custom"),
            ("sync_interval_custom", "900"),
        ],
    );
    post_settings(&s, &browser, "demo", &form).await.expect(303);
    let api = api_settings(&s, &alice, "demo").await;
    assert_eq!(api["downstream_password_set"], true, "empty means keep");
    assert_eq!(api["sync_interval"], 900);
    assert_eq!(
        api["downstream_username"], "",
        "an emptied username is cleared"
    );
    let page = get(&s, &browser, "/alice/demo/settings/mirror/schedule").await;
    assert!(page.body.contains(r#"<option value="custom" selected>"#));
    assert!(page.body.contains(r#"value="900""#));

    // "Remove the stored password" clears it, even with something typed.
    let mut form = form.clone();
    form.push(("downstream_password_clear".into(), "on".into()));
    form.retain(|(k, _)| k != "downstream_password");
    form.push(("downstream_password".into(), "Next-Secret-2".into()));
    post_settings(&s, &browser, "demo", &form).await.expect(303);
    assert_eq!(
        api_settings(&s, &alice, "demo").await["downstream_password_set"],
        false
    );
    let page = get(&s, &browser, "/alice/demo/settings/mirror").await;
    assert!(page.body.contains("No password is set."));

    // A password stays with its host: pointing the URL elsewhere without typing one drops
    // it, and the page says so.
    let mut with_password = form.clone();
    with_password.retain(|(k, _)| !k.starts_with("downstream_password"));
    with_password.push(("downstream_password".into(), "Next-Secret-2".into()));
    post_settings(&s, &browser, "demo", &with_password)
        .await
        .expect(303);
    get(&s, &browser, "/alice/demo/settings/mirror").await;
    let elsewhere: Vec<(String, String)> = with_password
        .iter()
        .map(|(k, v)| match k.as_str() {
            "downstream_url" => (k.clone(), "http://localhost:9/backup.git".to_owned()),
            "downstream_password" => (k.clone(), String::new()),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    post_settings(&s, &browser, "demo", &elsewhere)
        .await
        .expect(303);
    assert_eq!(
        api_settings(&s, &alice, "demo").await["downstream_password_set"],
        false
    );
    let page = get(&s, &browser, "/alice/demo/settings/mirror").await;
    assert!(
        page.body
            .contains("The stored downstream password was removed because its URL now points"),
        "{}",
        page.body
    );
    assert!(page.body.contains("No password is set."));

    // Switching mirroring off is a save like any other.
    let off = settings_form(&token, &[("mirror_direction", "downstream")]);
    post_settings(&s, &browser, "demo", &off).await.expect(303);
    assert_eq!(
        api_settings(&s, &alice, "demo").await["mirror_enabled"],
        false
    );
}

async fn settings_errors_show_inline_keep_what_was_typed_and_save_nothing(db: Db) {
    let (s, alice, _) = start(&db).await;
    s.create_repo(&alice, "demo", false).await;
    s.forbid_in_answers("Typed-Secret-9");
    let browser = logged_in_as(&s, &alice).await;
    let (_, token) = form_page(&s, &browser, "/alice/demo/settings/mirror").await;
    let before = api_settings(&s, &alice, "demo").await;
    let long_name = "u".repeat(300);

    // Fields changed, the id of the error expected, and words of its message.
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        // Enabling a direction without its URL.
        (
            vec![("mirror_enabled", "on"), ("mirror_direction", "both")],
            "upstream_url-error",
            "required when mirroring upstream",
        ),
        (
            vec![("mirror_enabled", "on"), ("mirror_direction", "downstream")],
            "downstream_url-error",
            "required when mirroring downstream",
        ),
        // Not http(s); credentials in the URL.
        (
            vec![("upstream_url", "ftp://127.0.0.1/x.git")],
            "upstream_url-error",
            "http",
        ),
        (
            vec![("downstream_url", "http://me:pw@127.0.0.1/x.git")],
            "downstream_url-error",
            "credentials",
        ),
        // Too long a username.
        (
            vec![("upstream_username", long_name.as_str())],
            "upstream_username-error",
            "at most 255",
        ),
        // Intervals: too small, not a number, empty custom.
        (
            vec![("sync_interval", "custom"), ("sync_interval_custom", "5")],
            "sync_interval-error",
            "must be between 60 and 31536000 seconds",
        ),
        (
            vec![
                ("sync_interval", "custom"),
                ("sync_interval_custom", "soon"),
            ],
            "sync_interval-error",
            "must be between",
        ),
        (
            vec![("sync_interval", "custom")],
            "sync_interval-error",
            "must be between",
        ),
        // A direction the radio buttons do not offer.
        (
            vec![("mirror_direction", "sideways")],
            "mirror_direction-error",
            "must be one of upstream, downstream, both",
        ),
    ];
    for (changes, error_id, message) in cases {
        let mut changes = changes;
        changes.push(("upstream_password", "Typed-Secret-9"));
        let resp = post_settings(&s, &browser, "demo", &settings_form(&token, &changes)).await;
        assert_eq!(resp.status.as_u16(), 422, "{changes:?}: {}", resp.body);
        let at = resp
            .body
            .find(&format!(r#"id="{error_id}""#))
            .unwrap_or_else(|| panic!("no {error_id} for {changes:?}:\n{}", resp.body));
        let after = &resp.body[at..];
        let shown = &after[..after.find("</p>").unwrap()];
        assert!(shown.contains(message), "{error_id}: {shown}");
        assert!(resp.body.contains("Nothing was saved"), "{}", resp.body);
        // What was typed stays (escaped), except the password.
        for (key, value) in &changes {
            if key.ends_with("_url") || key.ends_with("_username") || *key == "sync_interval_custom"
            {
                assert!(
                    resp.body.contains(&format!(r#"value="{value}""#)),
                    "{key}={value} not kept"
                );
            }
        }
        assert!(resp.body.contains(r#"aria-invalid="true""#));
    }
    // Several at once: each next to its own field in the section shown (the first with an
    // error); the one of another section above the form, named, so none is lost.
    let resp = post_settings(
        &s,
        &browser,
        "demo",
        &settings_form(
            &token,
            &[
                ("mirror_enabled", "on"),
                ("mirror_direction", "both"),
                ("upstream_url", "<script>alert(1)</script>"),
                ("sync_interval", "custom"),
                ("sync_interval_custom", "1"),
            ],
        ),
    )
    .await;
    resp.expect(422);
    assert!(resp.body.contains(r#"id="upstream_url-error""#));
    assert!(resp.body.contains(r#"id="downstream_url-error""#));
    assert!(
        resp.body
            .contains("sync interval: must be between 60 and 31536000 seconds"),
        "{}",
        resp.body
    );
    assert!(
        !resp.body.contains("<script>alert(1)"),
        "typed text is escaped"
    );
    assert!(resp.body.contains(r#"value="both" checked"#));

    // Nothing was saved by any of them.
    assert_eq!(api_settings(&s, &alice, "demo").await, before);
}

async fn mirror_pages_and_fragments_check_who_asks(db: Db) {
    let (s, alice, bob) = start(&db).await;
    s.create_repo(&alice, "open", false).await;
    s.create_repo(&alice, "secret", true).await;
    // carol becomes a second administrator (only the first account is made one by itself).
    let carol = s.create_user("carol").await;
    mirrorforge::entities::user::Entity::update(mirrorforge::entities::user::ActiveModel {
        id: Set(carol.id),
        is_admin: Set(true),
        ..Default::default()
    })
    .exec(&s.conn)
    .await
    .unwrap();

    let anonymous = s.browser();
    let settings = "/alice/open/settings/mirror";
    let to_login = get(&s, &anonymous, settings).await;
    assert_eq!(to_login.status.as_u16(), 303);
    assert_eq!(
        to_login.header("location"),
        Some("/login?next=%2Falice%2Fopen%2Fsettings%2Fmirror")
    );
    assert_eq!(
        get(&s, &anonymous, "/repo/import").await.header("location"),
        Some("/login?next=%2Frepo%2Fimport")
    );
    // htmx without a session: 401 and a sentence, not the login page swapped in.
    let expired = hx_get(&s, &anonymous, "/alice/open/mirror/widget").await;
    assert_eq!(expired.status.as_u16(), 401, "{}", expired.body);
    assert!(expired.body.contains("session has expired"));
    let expired = s
        .send(
            anonymous
                .post(s.url("/alice/open/mirror/sync"))
                .header("HX-Request", "true")
                .header("X-CSRF-Token", "x"),
        )
        .await;
    assert_eq!(expired.status.as_u16(), 401);

    // Owner and admin see everything; bob sees a public repository but may not manage it
    // (403) and does not learn that a private one exists (404).
    let owner = logged_in_as(&s, &alice).await;
    let admin = logged_in_as(&s, &carol).await;
    let other = logged_in_as(&s, &bob).await;
    for (who, browser) in [("owner", &owner), ("admin", &admin)] {
        for repo in ["open", "secret"] {
            let page = get(&s, browser, &format!("/alice/{repo}/settings/mirror")).await;
            assert_eq!(page.status.as_u16(), 200, "{who} {repo}: {}", page.body);
            let fragment = hx_get(&s, browser, &format!("/alice/{repo}/mirror/widget")).await;
            assert_eq!(fragment.status.as_u16(), 200, "{who} {repo}");
            assert!(fragment.body.starts_with("<section class=\"sync-widget"));
            assert!(!fragment.body.contains("<html"), "a fragment, not a page");
        }
    }
    for (repo, status) in [("open", 403), ("secret", 404)] {
        let (_, token) = form_page(&s, &other, "/repo/import").await;
        let page = get(&s, &other, &format!("/alice/{repo}/settings/mirror")).await;
        assert_eq!(page.status.as_u16(), status, "settings of {repo}");
        let fragment = hx_get(&s, &other, &format!("/alice/{repo}/mirror/widget")).await;
        assert_eq!(fragment.status.as_u16(), status, "fragment of {repo}");
        let save = post_settings(&s, &other, repo, &settings_form(&token, &[])).await;
        assert_eq!(save.status.as_u16(), status, "save of {repo}");
        let sync = s
            .send(
                other
                    .post(s.url(&format!("/alice/{repo}/mirror/sync")))
                    .header("HX-Request", "true")
                    .form(&[("csrf_token", token.as_str())]),
            )
            .await;
        assert_eq!(sync.status.as_u16(), status, "sync of {repo}");
    }
    // The fragment route is for htmx only: a plain visit goes to the page it belongs to.
    let plain = get(&s, &owner, "/alice/open/mirror/widget?on=settings").await;
    assert_eq!(plain.status.as_u16(), 303);
    assert_eq!(
        plain.header("location"),
        Some("/alice/open/settings/mirror")
    );
    // The repository page shows the widget only to those who manage the mirror.
    let (_, token) = form_page(&s, &owner, settings).await;
    post_settings(
        &s,
        &owner,
        "open",
        &settings_form(
            &token,
            &[
                ("mirror_enabled", "on"),
                ("upstream_url", "http://127.0.0.1:9/x.git"),
            ],
        ),
    )
    .await
    .expect(303);
    assert!(
        get(&s, &owner, "/alice/open")
            .await
            .body
            .contains(r#"id="mirror-sync""#)
    );
    let seen_by_bob = get(&s, &other, "/alice/open").await;
    seen_by_bob.expect(200);
    assert!(!seen_by_bob.body.contains(r#"id="mirror-sync""#));
}

async fn every_mirror_form_needs_the_csrf_token(db: Db) {
    let (s, alice, _) = start(&db).await;
    s.create_repo(&alice, "demo", false).await;
    let browser = logged_in_as(&s, &alice).await;
    let (_, token) = form_page(&s, &browser, "/alice/demo/settings/mirror").await;
    let changes = [
        ("mirror_enabled", "on"),
        ("upstream_url", "http://127.0.0.1:9/x.git"),
    ];
    for bad in ["", "forged"] {
        let form = settings_form(bad, &changes);
        let resp = post_settings(&s, &browser, "demo", &form).await;
        assert_eq!(resp.status.as_u16(), 403, "settings with {bad:?}");
        let resp = s
            .send(
                browser
                    .post(s.url("/alice/demo/mirror/sync"))
                    .header("HX-Request", "true")
                    .form(&[("csrf_token", bad)]),
            )
            .await;
        assert_eq!(resp.status.as_u16(), 403, "sync with {bad:?}");
        let resp = s
            .send(browser.post(s.url("/repo/import")).form(&[
                ("csrf_token", bad),
                ("clone_url", "http://127.0.0.1:9/x.git"),
                ("name", "copy"),
            ]))
            .await;
        assert_eq!(resp.status.as_u16(), 403, "import with {bad:?}");
    }
    assert_eq!(
        api_settings(&s, &alice, "demo").await["mirror_enabled"],
        false
    );
    assert!(
        s.get("/api/v1/repos/alice/copy", Some(&alice))
            .await
            .status
            .as_u16()
            == 404
    );
    // The header htmx sends works as well as the field.
    let form: Vec<(String, String)> = settings_form("", &changes)
        .into_iter()
        .filter(|(k, _)| k != "csrf_token")
        .collect();
    let resp = s
        .send(
            browser
                .post(s.url("/alice/demo/settings/mirror"))
                .header("X-CSRF-Token", &token)
                .form(&form),
        )
        .await;
    assert_eq!(resp.status.as_u16(), 303, "{}", resp.body);
    assert_eq!(
        api_settings(&s, &alice, "demo").await["mirror_enabled"],
        true
    );
}

async fn sync_now_polls_while_syncing_and_stops_when_done(db: Db) {
    let (s, alice, _) = start(&db).await;
    s.create_repo(&alice, "m", false).await;
    let slow = GitBackend::slow(Duration::from_millis(700)).await;
    let git = Git::new();
    let src = slow.create("src").await;
    git.seed(src.to_str().unwrap(), &FIRST).await;
    let browser = logged_in_as(&s, &alice).await;
    let (_, token) = form_page(&s, &browser, "/alice/m/settings/mirror").await;

    // Mirroring off: the widget says so (422) and offers no button.
    let hx_sync = || {
        browser
            .post(s.url("/alice/m/mirror/sync"))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &token)
            .form(&[("on", "settings")])
    };
    let off = s.send(hx_sync()).await;
    assert_eq!(off.status.as_u16(), 422, "{}", off.body);
    assert!(off.body.contains("Mirroring is disabled"));

    post_settings(
        &s,
        &browser,
        "m",
        &settings_form(
            &token,
            &[("mirror_enabled", "on"), ("upstream_url", &slow.url("src"))],
        ),
    )
    .await
    .expect(303);
    let idle = hx_get(&s, &browser, "/alice/m/mirror/widget?on=settings").await;
    assert!(idle.body.contains(r#"data-status="idle""#), "{}", idle.body);
    assert!(!idle.body.contains("hx-trigger"), "no polling while idle");
    assert!(idle.body.contains(">Sync now<"));

    // Press "Sync now": 202 and the widget syncing, polling every second, button disabled.
    let started = s.send(hx_sync()).await;
    assert_eq!(started.status.as_u16(), 202, "{}", started.body);
    assert!(started.body.contains(r#"data-status="syncing""#));
    assert!(started.body.contains(r#"hx-trigger="every 1s""#));
    assert!(
        started
            .body
            .contains(r#"hx-get="/alice/m/mirror/widget?on=settings&#38;back=%2Falice%2Fm%2Fsettings%2Fmirror""#),
        "{}",
        started.body
    );
    assert!(
        started.body.contains("disabled>Syncing…<"),
        "{}",
        started.body
    );
    assert!(started.body.contains(r#"<progress id="sync-progress""#));
    assert!(!started.body.contains("<html"));
    // A second press while it runs: 409, and the widget says why.
    let again = s.send(hx_sync()).await;
    assert_eq!(again.status.as_u16(), 409, "{}", again.body);
    assert!(again.body.contains("A sync is already running."));
    // The fragment polls while syncing…
    let polling = hx_get(&s, &browser, "/alice/m/mirror/widget?on=settings").await;
    if polling.body.contains(r#"data-status="syncing""#) {
        assert!(polling.body.contains(r#"hx-trigger="every 1s""#));
        assert!(polling.header("hx-trigger").is_none());
    }
    assert_eq!(polling.header("cache-control"), Some("no-store"));
    assert_eq!(settle(&s, &alice, "m").await["sync_status"], "success");
    // …and stops by itself once done, telling the page to refresh what changed.
    let done = hx_get(&s, &browser, "/alice/m/mirror/widget?on=settings").await;
    done.expect(200);
    assert!(
        done.body.contains(r#"data-status="success""#),
        "{}",
        done.body
    );
    assert!(!done.body.contains("hx-trigger"), "polling must stop");
    assert_eq!(done.header("hx-trigger"), Some("mirror-sync-done"));
    assert!(done.body.contains("Last successful sync"));
    assert!(done.body.contains("just now"));
    assert!(done.body.contains(r#"title=""#), "exact time on hover");
    assert!(done.body.contains("Next sync"));
    assert!(done.body.contains("in 1 hour"), "{}", done.body);

    // The history shows the run and the refs it created.
    let page = get(&s, &browser, "/alice/m/settings/mirror/history").await;
    assert!(page.body.contains("manual · upstream"), "{}", page.body);
    assert!(page.body.contains("refs/heads/main"));
    assert!(page.body.contains("refs/tags/v1"));
    assert!(page.body.contains(r#"class="ref-created""#));
    // The repository page shows the widget with its new refs.
    let repo_page = get(&s, &browser, "/alice/m").await;
    assert!(repo_page.body.contains(r#"id="mirror-sync""#));
    assert!(repo_page.body.contains("Mirror settings and history"));
    assert!(repo_page.body.contains("first"), "the mirrored commit");

    // Without JavaScript: a plain form post, a notice, back to the page.
    let plain = s
        .send(
            browser
                .post(s.url("/alice/m/mirror/sync"))
                .form(&[("csrf_token", token.as_str()), ("on", "repo")]),
        )
        .await;
    assert_eq!(plain.status.as_u16(), 303);
    assert_eq!(plain.header("location"), Some("/alice/m"));
    let after = get(&s, &browser, "/alice/m").await;
    assert!(
        after.body.contains("Sync started.") || after.body.contains("already running"),
        "{}",
        after.body
    );
    settle(&s, &alice, "m").await;
}

async fn history_is_paged_and_marks_deletions(db: Db) {
    let (s, alice, _) = start(&db).await;
    let repo = s.create_repo(&alice, "h", false).await;
    let repo_id = repo["id"].as_i64().unwrap();
    let start = Utc::now() - chrono::Duration::hours(2);
    for i in 0..12i64 {
        let failed = i == 11;
        let run = mirror_run::ActiveModel {
            repository_id: Set(repo_id),
            trigger: Set(if i == 0 {
                Trigger::Import
            } else {
                Trigger::Scheduled
            }),
            direction: Set(MirrorDirection::Both),
            status: Set(if failed {
                RunStatus::Failed
            } else {
                RunStatus::Success
            }),
            started_at: Set(start + chrono::Duration::minutes(i)),
            finished_at: Set(Some(
                start + chrono::Duration::minutes(i) + chrono::Duration::seconds(184),
            )),
            error: Set(failed.then(|| "downstream: authentication failed <b>".to_owned())),
            objects_transferred: Set(i),
            bytes_transferred: Set(2048),
            claimed_by: Set("test".to_owned()),
            ..Default::default()
        }
        .insert(&s.conn)
        .await
        .unwrap();
        if i == 10 {
            for (name, old, new, side) in [
                (
                    "refs/heads/gone",
                    Some("a".repeat(40)),
                    None,
                    RefSide::Downstream,
                ),
                (
                    "refs/heads/new",
                    None,
                    Some("b".repeat(40)),
                    RefSide::Upstream,
                ),
                (
                    "refs/heads/main",
                    Some("c".repeat(40)),
                    Some("d".repeat(40)),
                    RefSide::Upstream,
                ),
            ] {
                mirror_ref_update::ActiveModel {
                    run_id: Set(run.id),
                    side: Set(side),
                    ref_name: Set(name.to_owned()),
                    old_id: Set(old),
                    new_id: Set(new),
                    ..Default::default()
                }
                .insert(&s.conn)
                .await
                .unwrap();
            }
        }
    }
    let browser = logged_in_as(&s, &alice).await;
    let first = get(&s, &browser, "/alice/h/settings/mirror/history").await;
    first.expect(200);
    assert_eq!(first.body.matches(r#"<li class="run run-"#).count(), 10);
    assert!(first.body.contains("Older →"));
    assert!(!first.body.contains("← Newer"));
    // Newest first: the failure leads, its error escaped.
    let failure = first.body.find("run run-failed").unwrap();
    assert!(failure < first.body.find("run run-success").unwrap());
    assert!(
        first
            .body
            .contains("downstream: authentication failed &#60;b&#62;")
    );
    assert!(first.body.contains("took 3 min 4 s"));
    assert!(first.body.contains("scheduled · both"));
    // Refs: created, moved and deleted, the deletion marked.
    assert!(first.body.contains("3 refs changed"));
    assert!(first.body.contains(r#"<li class="ref-deleted">"#));
    assert!(first.body.contains(r#"ref-tag-deleted">deleted<"#));
    assert!(first.body.contains(r#"<code>aaaaaaa</code>"#));
    assert!(first.body.contains(r#"<code>ccccccc</code>"#));
    assert!(first.body.contains(r#"<code>ddddddd</code>"#));
    assert!(first.body.contains(r#"<li class="ref-created">"#));
    assert!(
        first
            .body
            .contains(r#"<span class="ref-place">pushed</span>"#)
    );

    let second = get(&s, &browser, "/alice/h/settings/mirror/history?page=2").await;
    assert_eq!(second.body.matches(r#"<li class="run run-"#).count(), 2);
    assert!(second.body.contains("← Newer"));
    assert!(!second.body.contains("Older →"));
    assert!(second.body.contains("import · both"));
    let beyond = get(&s, &browser, "/alice/h/settings/mirror/history?page=9").await;
    assert!(beyond.body.contains("No older runs."));
    let nonsense = get(&s, &browser, "/alice/h/settings/mirror/history?page=-3").await;
    nonsense.expect(200);
}

async fn dashboard_badges_show_direction_and_a_failure_stands_out(db: Db) {
    let (s, alice, _) = start(&db).await;
    for name in ["plain", "pull", "push"] {
        s.create_repo(&alice, name, false).await;
    }
    for (name, body) in [
        (
            "pull",
            json!({"mirror_enabled": true, "upstream_url": "http://127.0.0.1:9/a.git"}),
        ),
        (
            "push",
            json!({"mirror_enabled": true, "mirror_direction": "downstream", "downstream_url": "http://127.0.0.1:9/b.git"}),
        ),
    ] {
        patch(&s, &alice, name, body).await.expect(200);
    }
    let rows = repository::Entity::find().all(&s.conn).await.unwrap();
    for row in rows {
        let status = match row.name.as_str() {
            "pull" => SyncStatus::Success,
            "push" => SyncStatus::Failed,
            _ => continue,
        };
        let mut active: repository::ActiveModel = row.into();
        active.sync_status = Set(status);
        active.sync_error =
            Set((status == SyncStatus::Failed).then(|| "downstream: could not connect".to_owned()));
        active.update(&s.conn).await.unwrap();
    }
    let browser = logged_in_as(&s, &alice).await;
    let home = get(&s, &browser, "/").await;
    home.expect(200);
    let item = |name: &str| {
        let start = home.body.find(&format!(r#"href="/alice/{name}""#)).unwrap();
        let open = home.body[..start].rfind("<li").unwrap();
        let end = start + home.body[start..].find("</li>").unwrap();
        home.body[open..end].to_owned()
    };
    assert!(!item("plain").contains("Mirror"));
    let pull = item("pull");
    assert!(pull.contains("Mirror: upstream"), "{pull}");
    assert!(pull.contains("badge-success"));
    assert!(pull.contains("Synced"));
    let push = item("push");
    assert!(push.contains("repo-item-failed"), "{push}");
    assert!(push.contains("Mirror: downstream"));
    assert!(push.contains("⚠ Sync failed"));
    // The error is text in the item, readable on a phone, not a tooltip; a mirror shows its
    // last sync rather than when it was created.
    assert!(
        push.contains(r#"<p class="mirror-error">downstream: could not connect</p>"#),
        "{push}"
    );
    assert!(!push.contains("title=\"downstream"), "{push}");
    assert!(
        !pull.contains("Created")
            && (pull.contains("Last synced") || pull.contains("Not synced yet")),
        "{pull}"
    );
    assert!(item("plain").contains("Created"));
    assert!(home.body.contains(r#"href="/repo/import""#));
}

async fn import_page_lands_on_the_repository_with_the_first_sync_running(db: Db) {
    let (s, alice, _) = start(&db).await;
    let source = GitBackend::slow(Duration::from_millis(600)).await;
    let git = Git::new();
    let tool = source.create("tool").await;
    git.seed(tool.to_str().unwrap(), &FIRST).await;
    s.forbid_in_answers("Import-Secret-7");
    let browser = logged_in_as(&s, &alice).await;
    let page = get(&s, &browser, "/repo/import").await;
    page.expect(200);
    for needle in [
        r#"<label for="clone_url">"#,
        r#"<label for="auth_password">"#,
        r#"name="mirror" value="on""#,
        r#"<option value="3600" selected>"#,
    ] {
        assert!(page.body.contains(needle), "{needle}:\n{}", page.body);
    }
    let token = input_value(&page.body, "csrf_token").unwrap();
    let form = |url: &str, name: &str, interval: &str| {
        vec![
            ("csrf_token".to_owned(), token.clone()),
            ("clone_url".to_owned(), url.to_owned()),
            ("name".to_owned(), name.to_owned()),
            ("auth_username".to_owned(), "reader".to_owned()),
            ("auth_password".to_owned(), "Import-Secret-7".to_owned()),
            ("mirror".to_owned(), "on".to_owned()),
            ("sync_interval".to_owned(), "custom".to_owned()),
            ("sync_interval_custom".to_owned(), interval.to_owned()),
        ]
    };
    // Errors inline, what was typed kept (never the password), nothing created.
    let bad = s
        .send(browser.post(s.url("/repo/import")).form(&form(
            "ftp://127.0.0.1/x.git",
            "bad name!",
            "5",
        )))
        .await;
    assert_eq!(bad.status.as_u16(), 422, "{}", bad.body);
    for id in ["clone_url-error", "name-error", "sync_interval-error"] {
        assert!(
            bad.body.contains(&format!(r#"id="{id}""#)),
            "{id}:\n{}",
            bad.body
        );
    }
    assert!(bad.body.contains(r#"value="ftp://127.0.0.1/x.git""#));
    assert!(bad.body.contains(r#"value="reader""#));
    assert!(bad.body.contains(r#"value="bad name!""#));
    // The LFS endpoint likewise: its own inline error, what was typed kept.
    let mut with_lfs = form(&source.url("tool"), "lfs-copy", "1800");
    with_lfs.push(("lfs".to_owned(), "on".to_owned()));
    with_lfs.push(("lfs_endpoint".to_owned(), "ftp://127.0.0.1/lfs".to_owned()));
    let bad = s
        .send(browser.post(s.url("/repo/import")).form(&with_lfs))
        .await;
    assert_eq!(bad.status.as_u16(), 422, "{}", bad.body);
    assert!(
        bad.body.contains(r#"id="lfs_endpoint-error""#),
        "{}",
        bad.body
    );
    assert!(bad.body.contains(r#"value="ftp://127.0.0.1/lfs""#));
    assert!(
        bad.body
            .contains(r#"name="lfs" value="on" aria-describedby="lfs-hint" checked"#)
    );

    // The name comes from the URL when left empty; the answer is the repository page.
    let done = s
        .send(
            browser
                .post(s.url("/repo/import"))
                .form(&form(&source.url("tool"), "", "1800")),
        )
        .await;
    assert_eq!(done.status.as_u16(), 303, "{}", done.body);
    assert_eq!(done.header("location"), Some("/alice/tool"));
    let landing = get(&s, &browser, "/alice/tool").await;
    landing.expect(200);
    assert!(
        landing.body.contains(r#"data-status="syncing""#),
        "the first sync is visibly running: {}",
        landing.body
    );
    assert!(landing.body.contains(r#"hx-trigger="every 1s""#));
    assert!(landing.body.contains("The first sync is running"));
    assert_eq!(settle(&s, &alice, "tool").await["sync_status"], "success");
    let api = api_settings(&s, &alice, "tool").await;
    assert_eq!(api["mirror_direction"], "upstream");
    assert_eq!(api["sync_interval"], 1800);
    assert_eq!(api["upstream_password_set"], true);
    let after = get(&s, &browser, "/alice/tool").await;
    assert!(after.body.contains("first"), "the imported commit shows");

    // The same name again: 409 next to the name.
    let taken = s
        .send(
            browser
                .post(s.url("/repo/import"))
                .form(&form(&source.url("tool"), "tool", "3600")),
        )
        .await;
    assert_eq!(taken.status.as_u16(), 409, "{}", taken.body);
    assert!(taken.body.contains(r#"id="name-error""#));
}

/// The run history and the repository's contents are partials with fragment routes of their
/// own (the page never re-renders whole for a piece): each answers htmx alone, is never cached,
/// and checks who asks like its page; a plain visit gets the page (the history's route is its
/// section's page, the contents' sends it to the repository page).
async fn history_and_contents_are_partials_with_their_own_fragments(db: Db) {
    let (s, alice, bob) = start(&db).await;
    s.create_repo(&alice, "open", false).await;
    s.create_repo(&alice, "secret", true).await;
    patch(
        &s,
        &alice,
        "open",
        json!({ "mirror_enabled": true, "upstream_url": "http://127.0.0.1:9/x.git" }),
    )
    .await
    .expect(200);
    let owner = logged_in_as(&s, &alice).await;
    let other = logged_in_as(&s, &bob).await;

    let settings = get(&s, &owner, "/alice/open/settings/mirror/history").await;
    assert!(
        settings
            .body
            .contains(r#"hx-get="/alice/open/settings/mirror/history?page=1""#),
        "{}",
        settings.body
    );
    let repo_page = get(&s, &owner, "/alice/open").await;
    assert!(
        repo_page.body.contains(r#"hx-get="/alice/open/contents""#),
        "{}",
        repo_page.body
    );
    assert!(!settings.body.contains("hx-select") && !repo_page.body.contains("hx-select"));

    for (path, starts, plain_goes_to) in [
        (
            "/alice/open/settings/mirror/history?page=2",
            r#"<section class="run-history""#,
            None,
        ),
        (
            "/alice/open/contents",
            r#"<div id="repo-content""#,
            Some("/alice/open"),
        ),
    ] {
        let fragment = hx_get(&s, &owner, path).await;
        assert_eq!(fragment.status.as_u16(), 200, "{path}: {}", fragment.body);
        assert!(
            fragment
                .body
                .trim_start_matches(['{', '#', '-'])
                .contains(starts)
                && !fragment.body.contains("<html"),
            "{path}: {}",
            fragment.body
        );
        assert_eq!(fragment.header("cache-control"), Some("no-store"), "{path}");
        let plain = get(&s, &owner, path).await;
        if let Some(page) = plain_goes_to {
            assert_eq!(plain.status.as_u16(), 303, "{path}");
            assert_eq!(plain.header("location"), Some(page), "{path}");
        } else {
            // The history section's page, at that page of the history.
            assert_eq!(plain.status.as_u16(), 200, "{path}: {}", plain.body);
            assert!(plain.body.contains("<html") && plain.body.contains("No older runs."));
            assert!(
                plain.body.contains(
                    r#"<a href="/alice/open/settings/mirror/history" aria-current="page">History</a>"#
                ),
                "{}",
                plain.body
            );
            assert_eq!(fragment.header("vary"), Some("HX-Request"), "{path}");
        }
    }
    // Someone else: the history is the owner's (403 on a public repository, 404 on a private
    // one); public contents anyone may read, private ones are not found.
    let history = hx_get(&s, &other, "/alice/open/settings/mirror/history").await;
    assert_eq!(history.status.as_u16(), 403);
    let history = hx_get(&s, &other, "/alice/secret/settings/mirror/history").await;
    assert_eq!(history.status.as_u16(), 404);
    let contents = hx_get(&s, &other, "/alice/open/contents").await;
    assert_eq!(contents.status.as_u16(), 200);
    assert!(
        !contents.body.contains("hx-get"),
        "no live refresh for a reader"
    );
    let contents = hx_get(&s, &other, "/alice/secret/contents").await;
    assert_eq!(contents.status.as_u16(), 404);
}
