//! The sentences a newcomer reads when something is wrong: no internal field names, no
//! operating-system codes, every bad pattern named, what to do after a failed import, and
//! durations under a second in milliseconds.

use chrono::Utc;
use mirrorforge::entities::{
    mirror_enums::{MirrorDirection, RunStatus, Trigger},
    mirror_run,
};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};

use crate::support::{
    Db, TestServer, TestUser, free_port,
    mirror::{call, import_body, patch, runs, settle, start},
    on_both_databases,
    web::{form_page, get, logged_in_as},
};

on_both_databases!(
    the_import_form_names_fields_by_their_labels,
    an_import_lists_only_the_schemes_it_takes,
    every_bad_ref_filter_pattern_is_named,
    a_refused_connection_names_the_address_and_no_os_code,
    the_history_says_ms_under_a_second,
);

/// Posts the import form with `fields` (plus its CSRF token) and returns the page (422).
async fn import_form(s: &TestServer, user: &TestUser, fields: &[(&str, &str)]) -> String {
    let browser = logged_in_as(s, user).await;
    let (_, token) = form_page(s, &browser, "/repo/import").await;
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token), ("sync_interval", "3600")];
    form.extend_from_slice(fields);
    let page = s
        .send(browser.post(s.url("/repo/import")).form(&form))
        .await;
    assert_eq!(page.status.as_u16(), 422, "{}", page.body);
    page.body.clone()
}

/// The inline error of `field` on a form page.
fn field_error(page: &str, field: &str) -> String {
    let marker = format!(r#"id="{field}-error""#);
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("an error for {field} in\n{page}"));
    let open = at + page[at..].find('>').unwrap() + 1;
    let close = open + page[open..].find("</p>").unwrap();
    page[open..close].to_owned()
}

async fn the_import_form_names_fields_by_their_labels(db: Db) {
    let (s, owner) = start(&db).await;
    // Nothing typed: the URL is asked for by its label, the name is not "required" as such.
    let page = import_form(&s, &owner, &[("mirror", "on")]).await;
    assert!(!page.contains("clone_url is required"), "{page}");
    assert!(!page.contains("name is required"), "{page}");
    let url_error = field_error(&page, "clone_url");
    assert!(
        url_error.starts_with("Clone URL is required"),
        "{url_error}"
    );
    let name_error = field_error(&page, "name");
    assert!(
        name_error.contains("no name could be taken"),
        "{name_error}"
    );

    // A URL with a repository path gives the name: only the URL's own fault is left.
    let page = import_form(
        &s,
        &owner,
        &[
            ("clone_url", "ftp://files.example/pub/app.git"),
            ("mirror", "on"),
        ],
    )
    .await;
    assert!(!page.contains(r#"id="name-error""#), "{page}");
    assert!(
        page.contains(r#"value="app""#),
        "the derived name is shown:\n{page}"
    );

    // A host without a path gives none: the page says so in words.
    let page = import_form(&s, &owner, &[("clone_url", "https://example.com")]).await;
    let name_error = field_error(&page, "name");
    assert!(name_error.contains("type one"), "{name_error}");

    // The API says the same sentences.
    let refused = import_body(&s, &owner, json!({"name": "x"})).await;
    let body = refused.expect_error(422, "validation_failed");
    let message = body["fields"]["clone_url"].as_str().unwrap();
    assert!(message.starts_with("Clone URL is required"), "{body}");
    assert!(!refused.body.contains("clone_url is required"), "{body}");
}

async fn an_import_lists_only_the_schemes_it_takes(db: Db) {
    let (s, owner) = start(&db).await;
    for mirror in [true, false] {
        let refused = import_body(
            &s,
            &owner,
            json!({"name": "f", "clone_url": "ftp://files.example/pub/app.git", "mirror": mirror}),
        )
        .await;
        let body = refused.expect_error(422, "validation_failed");
        let message = body["fields"]["clone_url"].as_str().unwrap();
        assert!(
            message.contains("http://") && message.contains("https://"),
            "{body}"
        );
        assert!(
            !message.contains("ssh"),
            "import takes no SSH address: {body}"
        );
    }
    let page = import_form(
        &s,
        &owner,
        &[
            ("clone_url", "ftp://files.example/pub/app.git"),
            ("mirror", "on"),
        ],
    )
    .await;
    let url_error = field_error(&page, "clone_url");
    assert!(url_error.contains("https://"), "{url_error}");
    assert!(!url_error.contains("ssh"), "{url_error}");
}

async fn every_bad_ref_filter_pattern_is_named(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "r", false).await;
    let refused = patch(
        &s,
        &owner,
        "r",
        json!({"upstream_ref_filter": ["heads/main", "refs/tags/*", "tags/v1"]}),
    )
    .await;
    let body = refused.expect_error(422, "validation_failed");
    let message = body["fields"]["upstream_ref_filter"].as_str().unwrap();
    assert!(message.contains(r#""heads/main""#), "{body}");
    assert!(message.contains(r#""tags/v1""#), "{body}");
    assert!(
        !message.contains("refs/tags/*"),
        "the good one is not named: {body}"
    );

    let refused = call(
        &s,
        "POST",
        "/api/v1/repos/owner/r/push_mirrors",
        &owner,
        Some(json!({
            "remote_url": format!("http://127.0.0.1:{}/b.git", free_port()),
            "ref_filter": ["", "heads/x", "branches/y"],
        })),
    )
    .await;
    let body = refused.expect_error(422, "validation_failed");
    let message = body["fields"]["ref_filter"].as_str().unwrap();
    for named in ["pattern 1 is empty", r#""heads/x""#, r#""branches/y""#] {
        assert!(message.contains(named), "{named}: {body}");
    }
}

/// Every place a user reads a sync's error: the status, the overview, the runs, the pages.
async fn seen_errors(s: &TestServer, owner: &TestUser) -> Vec<String> {
    let status = call(s, "GET", "/api/v1/repos/owner/m/mirror/status", owner, None).await;
    let listed = call(s, "GET", "/api/v1/mirrors", owner, None).await;
    let runs: Vec<Value> = runs(s, owner, "m").await;
    let browser = logged_in_as(s, owner).await;
    let mut seen = vec![status.body.clone(), listed.body.clone()];
    seen.extend(runs.iter().map(|r| r["error"].to_string()));
    for page in ["/owner/m", "/owner/m/settings/mirror", "/mirrors"] {
        let page = get(s, &browser, page).await;
        page.expect(200);
        seen.push(page.body.clone());
    }
    seen
}

async fn a_refused_connection_names_the_address_and_no_os_code(db: Db) {
    let (s, owner) = start(&db).await;
    let port = free_port();
    import_body(
        &s,
        &owner,
        json!({"name": "m", "clone_url": format!("http://127.0.0.1:{port}/gone.git"), "mirror": true}),
    )
    .await
    .expect(201);
    let status = settle(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(
        error.contains(&format!("connection refused by 127.0.0.1:{port}")),
        "{error}"
    );
    for seen in seen_errors(&s, &owner).await {
        assert!(!seen.contains("os error"), "{seen}");
    }
    // The failed import's page says what to do, not only what went wrong.
    let browser = logged_in_as(&s, &owner).await;
    let page = get(&s, &browser, "/owner/m").await;
    assert!(page.body.contains(r#"id="import-advice""#), "{}", page.body);
    assert!(page.body.contains("check the clone URL"), "{}", page.body);
    assert!(
        page.body.contains("for a private repository"),
        "{}",
        page.body
    );
}

async fn the_history_says_ms_under_a_second(db: Db) {
    let (s, owner) = start(&db).await;
    let repo = s.create_repo(&owner, "h", false).await;
    let began = Utc::now() - chrono::Duration::minutes(5);
    mirror_run::ActiveModel {
        repository_id: Set(repo["id"].as_i64().unwrap()),
        trigger: Set(Trigger::Manual),
        direction: Set(MirrorDirection::Upstream),
        status: Set(RunStatus::UpToDate),
        started_at: Set(began),
        finished_at: Set(Some(began + chrono::Duration::milliseconds(15))),
        objects_transferred: Set(0),
        bytes_transferred: Set(0),
        claimed_by: Set("test".to_owned()),
        ..Default::default()
    }
    .insert(&s.conn)
    .await
    .unwrap();
    let browser = logged_in_as(&s, &owner).await;
    let history = s
        .send(
            browser
                .get(s.url("/owner/h/settings/mirror/history"))
                .header("HX-Request", "true"),
        )
        .await;
    history.expect(200);
    assert!(history.body.contains("took 15 ms"), "{}", history.body);
    assert!(!history.body.contains("took 0 s"), "{}", history.body);
}
