//! The mirror settings in sections, over plain HTTP: one page per section with its own URL and
//! the section navigation marking it, the settings form saved a part at a time (the other
//! parts' fields kept as stored, unticked boxes of another part switching nothing off), and the
//! schedule's live reading.

use reqwest::Client;
use serde_json::{Value, json};

use crate::support::{
    Db, Resp, TestServer, TestUser,
    mirror::{local_server, patch},
    on_both_databases,
    web::{form_page, get, logged_in_as},
};

on_both_databases!(
    each_section_has_its_own_page_for_the_owner_and_no_one_else,
    a_part_of_the_settings_form_leaves_the_other_parts_as_stored,
    the_schedule_reading_follows_what_is_typed,
    a_plain_sync_now_comes_back_to_its_section_and_nowhere_else,
);

/// Each section: its path under `/alice/demo/settings/mirror`, its label in the navigation,
/// an element only its page has.
const SECTIONS: &[(&str, &str, &str)] = &[
    ("", "Pull &#38; push", r#"id="mirror-form""#),
    ("/push", "Push mirrors", r#"id="push-title""#),
    ("/schedule", "Schedule", r#"id="schedule-form""#),
    ("/events", "Events", r#"id="notify-form""#),
    ("/ssh", "SSH", r#"id="ssh-key""#),
    ("/history", "History", r#"id="run-history""#),
];

/// A server that accepts 127.0.0.1 remotes and intervals down to 60 s; alice owns `demo`.
async fn start(db: &Db) -> (TestServer, TestUser) {
    let s = local_server(db, |c| c.min_sync_interval = 60).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.create_repo(&alice, "demo", false).await;
    (s, alice)
}

/// The settings of alice's `demo` through the API.
async fn api(s: &TestServer, alice: &TestUser) -> Value {
    let resp = s.get("/api/v1/repos/alice/demo/mirror", Some(alice)).await;
    resp.expect(200);
    resp.json()
}

/// Posts `fields` (and the CSRF token) to the settings form of alice's `demo`.
async fn post(s: &TestServer, browser: &Client, token: &str, fields: &[(&str, &str)]) -> Resp {
    let mut form = vec![("csrf_token", token)];
    form.extend_from_slice(fields);
    s.send(
        browser
            .post(s.url("/alice/demo/settings/mirror"))
            .form(&form),
    )
    .await
}

/// The schedule's reading of `query` as htmx asks for it, as alice.
async fn reading(s: &TestServer, browser: &Client, query: &[(&str, &str)]) -> Resp {
    let url = reqwest::Url::parse_with_params(
        &s.url("/alice/demo/settings/mirror/schedule/reading"),
        query,
    )
    .unwrap();
    s.send(browser.get(url).header("HX-Request", "true")).await
}

async fn each_section_has_its_own_page_for_the_owner_and_no_one_else(db: Db) {
    let (s, alice) = start(&db).await;
    s.create_repo(&alice, "secret", true).await;
    let owner = logged_in_as(&s, &alice).await;
    for (path, label, _) in SECTIONS {
        let url = format!("/alice/demo/settings/mirror{path}");
        let page = get(&s, &owner, &url).await;
        assert_eq!(page.status.as_u16(), 200, "{url}: {}", page.body);
        let body = &page.body;
        // The title, the repository navigation, the widget, the section navigation.
        assert!(
            body.contains(&format!("<title>{label} · Mirror settings")),
            "{url}"
        );
        assert!(body.contains(r#"<nav class="repo-nav""#), "{url}");
        assert!(
            body.contains(r#"id="mirror-sync""#),
            "{url}: the sync widget"
        );
        let nav_at = body
            .find(r#"<nav class="section-nav" aria-label="Mirror settings">"#)
            .unwrap_or_else(|| panic!("{url}: no section navigation\n{body}"));
        let nav = &body[nav_at..nav_at + body[nav_at..].find("</nav>").unwrap()];
        for (other, other_label, _) in SECTIONS {
            let link = format!(r#"<a href="/alice/demo/settings/mirror{other}""#);
            assert!(nav.contains(&link), "{url}: no link to {other_label}");
        }
        assert_eq!(nav.matches("aria-current").count(), 1, "{url}: {nav}");
        assert!(
            nav.contains(&format!(
                r#"<a href="{url}" aria-current="page">{label}</a>"#
            )),
            "{url}: {nav}"
        );
        // Only this section.
        for (other, _, theirs) in SECTIONS {
            assert_eq!(
                body.contains(theirs),
                other == path,
                "{url}: {theirs} of the section {other:?}"
            );
        }
        // The preview is offered from the pull section.
        assert_eq!(
            body.contains(r#"id="preview-button""#),
            path.is_empty(),
            "{url}"
        );
    }

    // Others as the page does: bob may see the public repository but not manage it (403), and
    // does not learn of the private one (404); a visitor is sent to log in.
    let bob = s.create_user("bob").await;
    let other = logged_in_as(&s, &bob).await;
    let visitor = s.browser();
    for (path, _, _) in SECTIONS {
        for (repo, status) in [("demo", 403), ("secret", 404)] {
            let url = format!("/alice/{repo}/settings/mirror{path}");
            let page = get(&s, &other, &url).await;
            assert_eq!(page.status.as_u16(), status, "bob at {url}");
            assert!(!page.body.contains("section-nav"), "{url}");
            let page = get(&s, &visitor, &url).await;
            assert_eq!(page.status.as_u16(), 303, "a visitor at {url}");
            assert!(
                page.header("location")
                    .is_some_and(|to| to.starts_with("/login?next=")),
                "{url}"
            );
        }
    }
    let reading = s
        .send(
            other
                .get(s.url("/alice/demo/settings/mirror/schedule/reading"))
                .header("HX-Request", "true"),
        )
        .await;
    assert_eq!(reading.status.as_u16(), 403);
}

async fn a_part_of_the_settings_form_leaves_the_other_parts_as_stored(db: Db) {
    let (s, alice) = start(&db).await;
    patch(
        &s,
        &alice,
        "demo",
        json!({"mirror_enabled": true, "upstream_url": "http://127.0.0.1:9/up.git",
               "lfs_enabled": true, "notify_url": "http://127.0.0.1:9/notify",
               "sync_interval": 3600}),
    )
    .await
    .expect(200);
    let browser = logged_in_as(&s, &alice).await;
    let (_, token) = form_page(&s, &browser, "/alice/demo/settings/mirror/schedule").await;

    // The schedule's part: no "mirror_enabled" nor "lfs_enabled" box in it, and neither is
    // switched off; the upstream and the notify URL stay.
    let saved = post(
        &s,
        &browser,
        &token,
        &[
            ("part", "schedule"),
            ("sync_interval", "7200"),
            ("sync_interval_custom", ""),
            ("sync_schedule", "30 2 * * 1-5"),
        ],
    )
    .await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    assert_eq!(
        saved.header("location"),
        Some("/alice/demo/settings/mirror/schedule")
    );
    let settings = api(&s, &alice).await;
    assert_eq!(settings["sync_schedule"], "30 2 * * 1-5", "{settings}");
    assert_eq!(settings["sync_interval"], 7200);
    assert_eq!(settings["mirror_enabled"], true, "{settings}");
    assert_eq!(settings["lfs_enabled"], true, "{settings}");
    assert_eq!(settings["upstream_url"], "http://127.0.0.1:9/up.git");
    assert_eq!(settings["notify_url"], "http://127.0.0.1:9/notify");
    // Its page says it was saved, and that the schedule rules, not the interval.
    let page = get(&s, &browser, "/alice/demo/settings/mirror/schedule").await;
    assert!(page.body.contains("Schedule saved."), "{}", page.body);
    assert!(
        page.body.contains(
            "Now: <strong>At 02:30 on Monday through Friday (UTC)</strong>, set by the \
             schedule; the sync interval is not used"
        ),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(
            r#"<p class="interval-rule is-unused" id="sync_interval-rule">Not used: the schedule below rules.</p>"#
        ),
        "{}",
        page.body
    );

    // The pull's part: its unticked LFS box switches LFS off; the schedule typed alongside
    // (not a field of this part) is ignored, the stored one stays.
    let saved = post(
        &s,
        &browser,
        &token,
        &[
            ("part", "pull"),
            ("mirror_enabled", "on"),
            ("mirror_direction", "upstream"),
            ("upstream_url", "http://127.0.0.1:9/other.git"),
            ("upstream_username", ""),
            ("upstream_password", ""),
            ("downstream_url", ""),
            ("downstream_username", ""),
            ("downstream_password", ""),
            ("lfs_endpoint", ""),
            ("lfs_username", ""),
            ("lfs_password", ""),
            ("sync_schedule", "manual"),
            ("notify_url", ""),
        ],
    )
    .await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    assert_eq!(
        saved.header("location"),
        Some("/alice/demo/settings/mirror")
    );
    let settings = api(&s, &alice).await;
    assert_eq!(settings["upstream_url"], "http://127.0.0.1:9/other.git");
    assert_eq!(settings["lfs_enabled"], false, "{settings}");
    assert_eq!(settings["sync_schedule"], "30 2 * * 1-5", "{settings}");
    assert_eq!(settings["sync_interval"], 7200);
    assert_eq!(settings["notify_url"], "http://127.0.0.1:9/notify");
    let page = get(&s, &browser, "/alice/demo/settings/mirror").await;
    assert!(
        page.body.contains("Mirror settings saved."),
        "{}",
        page.body
    );

    // The notify URL's part, in the events section: only the URL changes.
    let saved = post(
        &s,
        &browser,
        &token,
        &[("part", "notify"), ("notify_url", "")],
    )
    .await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    assert_eq!(
        saved.header("location"),
        Some("/alice/demo/settings/mirror/events")
    );
    let settings = api(&s, &alice).await;
    assert_eq!(settings["notify_url"], "", "{settings}");
    assert_eq!(settings["mirror_enabled"], true, "{settings}");
    assert_eq!(settings["sync_schedule"], "30 2 * * 1-5");

    // Errors come back inside the part's own section, what was typed kept, nothing saved.
    let before = api(&s, &alice).await;
    let refused = post(
        &s,
        &browser,
        &token,
        &[
            ("part", "schedule"),
            ("sync_interval", "7200"),
            ("sync_schedule", "61 * * * *"),
        ],
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422, "{}", refused.body);
    for shown in [
        r#"aria-current="page">Schedule</a>"#,
        r#"id="sync_schedule-error""#,
        r#"value="61 * * * *""#,
        "Schedule refused: ",
        "Nothing was saved",
    ] {
        assert!(refused.body.contains(shown), "{shown}:\n{}", refused.body);
    }
    assert!(!refused.body.contains(r#"id="mirror-form""#));
    let refused = post(
        &s,
        &browser,
        &token,
        &[("part", "notify"), ("notify_url", "ftp://127.0.0.1/x")],
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422, "{}", refused.body);
    for shown in [
        r#"aria-current="page">Events</a>"#,
        r#"id="notify_url-error""#,
        r#"value="ftp://127.0.0.1/x""#,
        r#"id="webhook""#,
    ] {
        assert!(refused.body.contains(shown), "{shown}:\n{}", refused.body);
    }
    assert_eq!(api(&s, &alice).await, before);
}

async fn the_schedule_reading_follows_what_is_typed(db: Db) {
    let (s, alice) = start(&db).await;
    let browser = logged_in_as(&s, &alice).await;
    let page = get(&s, &browser, "/alice/demo/settings/mirror/schedule").await;
    page.expect(200);
    // The page asks for the reading as the fields change, sending only those fields.
    for wired in [
        r#"hx-get="/alice/demo/settings/mirror/schedule/reading""#,
        r#"hx-trigger="input changed delay:300ms, change""#,
        r##"hx-include="#sync_interval, #sync_interval_custom, #sync_schedule""##,
        "Now: <strong>Every hour</strong>, set by the sync interval (the schedule is empty)",
        "In use: the schedule below is empty.",
    ] {
        assert!(page.body.contains(wired), "{wired}:\n{}", page.body);
    }

    // A cron expression: its reading, the schedule ruling, not saved yet.
    let cron = reading(
        &s,
        &browser,
        &[
            ("sync_interval", "3600"),
            ("sync_interval_custom", ""),
            ("sync_schedule", "30 2 * * 1-5"),
        ],
    )
    .await;
    assert_eq!(cron.status.as_u16(), 200, "{}", cron.body);
    assert_eq!(cron.header("cache-control"), Some("no-store"));
    assert!(!cron.body.contains("<html"), "a fragment: {}", cron.body);
    for shown in [
        r#"id="sync_schedule-reading""#,
        "Now: <strong>At 02:30 on Monday through Friday (UTC)</strong>, set by the schedule; \
         the sync interval is not used",
        "not saved yet",
        // The interval's note, out of band.
        r#"id="sync_interval-rule" hx-swap-oob="true">Not used: the schedule below rules."#,
    ] {
        assert!(cron.body.contains(shown), "{shown}:\n{}", cron.body);
    }
    // "manual" rules too.
    let manual = reading(
        &s,
        &browser,
        &[("sync_interval", "3600"), ("sync_schedule", "manual")],
    )
    .await;
    assert!(
        manual.body.contains(
            "Only when started by hand, a webhook or a push</strong>, set by the schedule (manual)"
        ),
        "{}",
        manual.body
    );
    // A bad expression: the sentence the save would give, and no reading.
    let bad = reading(
        &s,
        &browser,
        &[("sync_interval", "3600"), ("sync_schedule", "* * *")],
    )
    .await;
    assert_eq!(bad.status.as_u16(), 200, "{}", bad.body);
    assert!(
        bad.body.contains(
            "Schedule refused: must be 5 fields: minute hour day-of-month month day-of-week \
             (UTC), &#34;manual&#34;, or empty."
        ),
        "{}",
        bad.body
    );
    assert!(!bad.body.contains("Now:"), "{}", bad.body);
    assert!(
        bad.body
            .contains("Used only while the schedule below is empty.")
    );
    // Too small a custom interval, as the save says it.
    let small = reading(
        &s,
        &browser,
        &[
            ("sync_interval", "custom"),
            ("sync_interval_custom", "5"),
            ("sync_schedule", ""),
        ],
    )
    .await;
    assert!(
        small
            .body
            .contains("Sync interval refused: must be between 60 and 31536000 seconds."),
        "{}",
        small.body
    );
    // What is stored reads as stored, with no "not saved yet".
    let stored = reading(
        &s,
        &browser,
        &[("sync_interval", "3600"), ("sync_schedule", "")],
    )
    .await;
    assert!(stored.body.contains("Every hour"), "{}", stored.body);
    assert!(!stored.body.contains("not saved yet"), "{}", stored.body);

    // Without htmx: to the schedule's section.
    let plain = get(
        &s,
        &browser,
        "/alice/demo/settings/mirror/schedule/reading?sync_schedule=manual",
    )
    .await;
    assert_eq!(plain.status.as_u16(), 303);
    assert_eq!(
        plain.header("location"),
        Some("/alice/demo/settings/mirror/schedule")
    );
}

/// "Sync now" and "Cancel" without JavaScript come back to the section they were pressed on;
/// a `back` that is not one of this repository's sections (another site, another repository)
/// sends them to the first section instead.
async fn a_plain_sync_now_comes_back_to_its_section_and_nowhere_else(db: Db) {
    let (s, alice) = start(&db).await;
    patch(
        &s,
        &alice,
        "demo",
        json!({"mirror_enabled": true, "mirror_direction": "upstream",
        "upstream_url": "http://127.0.0.1:9/nowhere.git", "sync_schedule": "manual"}),
    )
    .await
    .expect(200);
    let browser = logged_in_as(&s, &alice).await;
    let (page, token) = form_page(&s, &browser, "/alice/demo/settings/mirror/history").await;
    assert!(
        page.body
            .contains(r#"name="back" value="/alice/demo/settings/mirror/history""#),
        "the widget's form says where it is"
    );
    let cases = [
        (
            "/alice/demo/settings/mirror/history",
            "/alice/demo/settings/mirror/history",
        ),
        (
            "/alice/demo/settings/mirror/push",
            "/alice/demo/settings/mirror/push",
        ),
        ("https://evil.example/phish", "/alice/demo/settings/mirror"),
        ("//evil.example/phish", "/alice/demo/settings/mirror"),
        (
            "/root/other/settings/mirror/push",
            "/alice/demo/settings/mirror",
        ),
    ];
    for action in ["sync", "cancel"] {
        for (back, to) in cases {
            let done = s
                .send(
                    browser
                        .post(s.url(&format!("/alice/demo/mirror/{action}")))
                        .form(&[
                            ("csrf_token", token.as_str()),
                            ("on", "settings"),
                            ("back", back),
                        ]),
                )
                .await;
            assert_eq!(
                done.status.as_u16(),
                303,
                "{action} back={back}: {}",
                done.body
            );
            assert_eq!(done.header("location"), Some(to), "{action} back={back}");
        }
    }
}
