//! Operating mirrors from the pages: a failed import says so on the repository page (with its
//! error, a Retry that works once the remote is fixed, and never push instructions), and the
//! mirror settings page draws the last runs as an inline SVG chart.

use chrono::Utc;
use mirrorforge::entities::{
    mirror_enums::{MirrorDirection, RunStatus, Trigger},
    mirror_run,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::json;

use crate::support::{
    Db, Git, TestServer, TestUser,
    git_backend::GitBackend,
    mirror::{import_body, local_server, patch, seed, settle, sync_now},
    on_both_databases,
    web::{form_page, get, logged_in_as},
};

on_both_databases!(
    a_failed_mirror_import_says_why_and_retry_recovers_it,
    a_failed_one_time_import_offers_to_import_again,
    settings_page_charts_the_last_runs,
);

/// The password the stand-in remote wants, and the wrong one typed first.
const RIGHT: &str = "Right-Pass-31";
const WRONG: &str = "Wrong-Pass-99";

/// A server that accepts 127.0.0.1 remotes, with alice and bob.
async fn start(db: &Db) -> (TestServer, TestUser, TestUser) {
    let s = local_server(db, |c| c.min_sync_interval = 60).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    (s, alice, bob)
}

/// A remote `src` behind Basic auth (`reader` / [`RIGHT`]) with the mirror tests' commits.
async fn private_remote() -> GitBackend {
    let remote = GitBackend::with_auth("reader", RIGHT).await;
    let src = remote.create("src").await;
    seed(&Git::new(), src.to_str().unwrap()).await;
    remote
}

/// How many bars the run chart of `page` draws, and their kinds from the left.
fn chart_bars(page: &str) -> Vec<String> {
    page.match_indices(r#"<g class="run-bar run-bar-"#)
        .map(|(at, needle)| {
            let rest = &page[at + needle.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

async fn a_failed_mirror_import_says_why_and_retry_recovers_it(db: Db) {
    let (s, alice, bob) = start(&db).await;
    let remote = private_remote().await;
    s.forbid_in_answers(WRONG);
    s.forbid_in_answers(RIGHT);
    import_body(
        &s,
        &alice,
        json!({
            "name": "m",
            "clone_url": remote.url("src"),
            "mirror": true,
            "auth_username": "reader",
            "auth_password": WRONG,
        }),
    )
    .await
    .expect(201);
    let status = settle(&s, &alice, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap().to_owned();
    assert!(!error.is_empty());

    // The owner reads why at the top, with Retry and Edit settings, and no push instructions.
    let browser = logged_in_as(&s, &alice).await;
    let (page, token) = form_page(&s, &browser, "/alice/m").await;
    let body = &page.body;
    assert!(body.contains(r#"id="import-failed""#), "{body}");
    assert!(body.contains("The first sync of this mirror failed"));
    let shown = body.find(r#"id="import-error""#).unwrap();
    assert!(
        body[shown..].contains(&html_escaped(&error)),
        "the stored error {error:?} is shown:\n{body}"
    );
    assert!(body.contains(r#"id="import-retry""#));
    assert!(body.contains(r#"action="/alice/m/mirror/sync""#));
    assert!(body.contains(r#"id="import-edit" href="/alice/m/settings/mirror""#));
    assert!(body.contains("Nothing was imported"));
    for push_help in ["git push", "git remote add", "This repository is empty"] {
        assert!(!body.contains(push_help), "{push_help}:\n{body}");
    }
    // Another user and a visitor see the failure, but no button to act on it.
    let bob_browser = logged_in_as(&s, &bob).await;
    for (who, view) in [
        ("bob", get(&s, &bob_browser, "/alice/m").await),
        ("anonymous", s.get("/alice/m", None).await),
    ] {
        view.expect(200);
        assert!(view.body.contains(r#"id="import-failed""#), "{who}");
        assert!(view.body.contains(&html_escaped(&error)), "{who}");
        assert!(!view.body.contains(r#"id="import-retry""#), "{who}");
        assert!(!view.body.contains(r#"id="import-edit""#), "{who}");
        assert!(!view.body.contains("git push"), "{who}");
    }

    // Fix the password, then press Retry: the sync runs and the page shows the commits.
    patch(&s, &alice, "m", json!({"upstream_password": RIGHT}))
        .await
        .expect(200);
    let retried = s
        .send(
            browser
                .post(s.url("/alice/m/mirror/sync"))
                .form(&[("csrf_token", token.as_str()), ("on", "repo")]),
        )
        .await;
    assert_eq!(retried.status.as_u16(), 303, "{}", retried.body);
    assert_eq!(retried.header("location"), Some("/alice/m"));
    assert_eq!(settle(&s, &alice, "m").await["sync_status"], "success");
    let after = get(&s, &browser, "/alice/m").await;
    assert!(
        !after.body.contains(r#"id="import-failed""#),
        "{}",
        after.body
    );
    assert!(
        after.body.contains(r#"<span class="summary">two</span>"#),
        "the mirrored commit shows: {}",
        after.body
    );

    // One more sync finds nothing to change: the chart shows failed, success, up to date.
    sync_now(&s, &alice, "m").await.expect(202);
    settle(&s, &alice, "m").await;
    let settings = get(&s, &browser, "/alice/m/settings/mirror/history").await;
    settings.expect(200);
    assert_eq!(
        chart_bars(&settings.body),
        ["failed", "ok", "muted"],
        "{}",
        settings.body
    );
    assert!(
        settings
            .body
            .contains("Last 3 runs: 2 succeeded (1 up to date), 1 failed, median")
    );
}

/// `text` as askama writes it into HTML.
fn html_escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

async fn a_failed_one_time_import_offers_to_import_again(db: Db) {
    let (s, alice, _) = start(&db).await;
    let remote = private_remote().await;
    import_body(
        &s,
        &alice,
        json!({
            "name": "once",
            "clone_url": remote.url("src"),
            "mirror": false,
            "auth_username": "reader",
            "auth_password": WRONG,
        }),
    )
    .await
    .expect(201);
    let status = settle(&s, &alice, "once").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let browser = logged_in_as(&s, &alice).await;
    let page = get(&s, &browser, "/alice/once").await;
    page.expect(200);
    let body = &page.body;
    assert!(body.contains("The import failed"), "{body}");
    assert!(
        body.contains(&html_escaped(status["sync_error"].as_str().unwrap())),
        "{body}"
    );
    // Its URL and credentials were never kept: no Retry, but a way to start over.
    assert!(!body.contains(r#"id="import-retry""#));
    assert!(body.contains(r#"id="import-delete" href="/alice/once/settings/delete""#));
    assert!(body.contains(r#"id="import-again" href="/repo/import""#));
    assert!(!body.contains("git push"), "{body}");
}

async fn settings_page_charts_the_last_runs(db: Db) {
    let (s, alice, _) = start(&db).await;
    let repo = s.create_repo(&alice, "c", false).await;
    let repo_id = repo["id"].as_i64().unwrap();
    let browser = logged_in_as(&s, &alice).await;
    // No runs: a sentence, no chart.
    let empty = get(&s, &browser, "/alice/c/settings/mirror/history").await;
    empty.expect(200);
    assert!(empty.body.contains("No runs yet."), "{}", empty.body);
    assert!(!empty.body.contains("<svg"));

    let start = Utc::now() - chrono::Duration::hours(1);
    let runs = [
        (RunStatus::Success, 2_000, 4_096),
        (RunStatus::Failed, 500, 0),
        (RunStatus::UpToDate, 1_000, 0),
        (RunStatus::Success, 4_000, 8_192),
    ];
    for (i, (status, ms, bytes)) in (0i64..).zip(runs) {
        let began = start + chrono::Duration::minutes(i);
        mirror_run::ActiveModel {
            repository_id: Set(repo_id),
            trigger: Set(Trigger::Scheduled),
            direction: Set(MirrorDirection::Upstream),
            status: Set(status),
            started_at: Set(began),
            finished_at: Set(Some(began + chrono::Duration::milliseconds(ms))),
            error: Set((status == RunStatus::Failed).then(|| "remote hung up".to_owned())),
            objects_transferred: Set(1),
            bytes_transferred: Set(bytes),
            claimed_by: Set("test".to_owned()),
            ..Default::default()
        }
        .insert(&s.conn)
        .await
        .unwrap();
    }
    let page = get(&s, &browser, "/alice/c/settings/mirror/history").await;
    page.expect(200);
    let body = &page.body;
    assert!(body.contains("<svg"), "{body}");
    assert!(body.contains(r#"width="100%""#));
    assert!(body.contains(r#"viewBox="0 0 400 90""#), "{body}");
    // One bar per run, oldest left, the failure red with its own tooltip.
    assert_eq!(chart_bars(body), ["ok", "failed", "muted", "ok"]);
    let failed = body.find("run-bar-failed").unwrap();
    let bar = &body[failed..failed + 400];
    assert!(
        bar.contains("<title>Run 2 of 4: Failed, 500 ms, 0 B</title>"),
        "{bar}"
    );
    assert!(bar.contains(r##"fill="#b42318""##), "{bar}");
    // The longest run fills the duration row.
    assert!(body.contains(r#"y="0" width="6" height="60""#), "{body}");
    // Readable without seeing the picture.
    let caption = "Last 4 runs: 3 succeeded (1 up to date), 1 failed, median 1.5 s.";
    assert!(body.contains(&format!("<desc id=\"run-chart-desc\">{caption}")));
    assert!(body.contains(r#"aria-labelledby="run-chart-desc""#));
    assert!(body.contains(&format!(r#"id="run-chart-caption">{caption}</p>"#)));
}
