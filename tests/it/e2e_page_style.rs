//! The style sheet applies at every width: the rules after the phone layout of the mirrors
//! table hold on a desktop too (the "import failed" box has its border at 1280 px), and
//! neither page scrolls sideways on a phone. Screenshots: `import-failed-1280`,
//! `import-failed-390`, `mirrors-1280`, `mirrors-390`. SQLite only: the style is the same on
//! both databases.

use crate::support::{
    Db, Git,
    browser::Browser,
    git_backend::GitBackend,
    mirror::{import_body, local_server, seed, settle},
};

/// The computed border of `#import-failed`: top width and style.
const BORDER: &str = "var s = getComputedStyle(document.getElementById('import-failed'));
                      return [s.borderTopWidth, s.borderTopStyle];";
/// How much wider than the window the page is (0 when nothing scrolls sideways).
const OVERFLOW: &str =
    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_failure_box_has_its_border_on_a_desktop_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |c| {
        c.scheduler_cron = "0 0 0 1 1 *".to_owned();
    })
    .await;
    let owner = s.create_admin("olga").await;
    let remote = GitBackend::start().await;
    let src = remote.create("src").await;
    seed(&Git::new(), src.to_str().unwrap()).await;
    import_body(
        &s,
        &owner,
        serde_json::json!({"name": "healthy", "clone_url": remote.url("src"), "mirror": true}),
    )
    .await
    .expect(201);
    settle(&s, &owner, "healthy").await;
    import_body(
        &s,
        &owner,
        serde_json::json!({"name": "broken", "clone_url": remote.url("gone"), "mirror": true}),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "broken").await["sync_status"], "failed");

    b.goto(&s.url("/login")).await;
    b.fill("#username", "olga").await;
    b.fill("#password", &owner.password).await;
    b.click("form.stacked-form button[type=submit]").await;
    b.wait_until("logged in", 10, || async {
        b.text(".nav-user").await.contains("olga")
    })
    .await;

    b.goto(&s.url("/olga/broken")).await;
    assert!(b.text("#import-failed").await.contains("failed"));
    b.screenshot("import-failed-1280").await;
    assert_eq!(
        b.eval(BORDER).await,
        serde_json::json!(["1px", "solid"]),
        "the import failure box is bordered at 1280 px"
    );
    assert_eq!(b.eval(OVERFLOW).await, 0, "import failure page at 1280 px");
    b.client.set_window_size(390, 1400).await.unwrap();
    b.screenshot("import-failed-390").await;
    assert_eq!(b.eval(BORDER).await, serde_json::json!(["1px", "solid"]));
    assert_eq!(b.eval(OVERFLOW).await, 0, "import failure page at 390 px");

    b.client.set_window_size(1280, 1000).await.unwrap();
    b.goto(&s.url("/mirrors")).await;
    b.wait_until("the mirrors overview", 10, || async {
        b.text("main h1").await == "Your mirrors"
    })
    .await;
    b.screenshot("mirrors-1280").await;
    assert_eq!(b.eval(OVERFLOW).await, 0, "mirrors page at 1280 px");
    b.client.set_window_size(390, 1400).await.unwrap();
    b.screenshot("mirrors-390").await;
    assert_eq!(b.eval(OVERFLOW).await, 0, "mirrors page at 390 px");
    b.finish().await;
}
