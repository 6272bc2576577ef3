//! The words the pages use for a mirror's state: pause and resume keep the failure count and
//! the status agreeing (page and API alike), a cancelled sync says "Cancelled" (with the last
//! success beside it), a manual schedule says "manual", a repository with mirroring off says
//! so and offers both ways to start, and LFS files whose objects were not copied say so.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{
    Db, Git, TestServer, TestUser, free_port,
    git_backend::{GitBackend, HungRemote},
    lfs::pseudo_random,
    mirror::{call, import_body, patch, seed, settle, start, sync_now},
    on_both_databases,
    web::{get, logged_in_as},
};

on_both_databases!(
    pause_and_resume_keep_status_and_failures_agreeing,
    a_cancelled_sync_says_cancelled_beside_the_last_success,
    mirroring_off_offers_both_ways_and_never_links_to_its_own_page,
    lfs_files_without_their_objects_say_the_objects_were_not_copied,
);

/// The overview row of `repo` (`owner/name`) on `page`.
fn overview_row<'a>(page: &'a str, repo: &str) -> &'a str {
    let value = format!(r#"value="{repo}""#);
    let at = page
        .find(&value)
        .unwrap_or_else(|| panic!("{repo} in\n{page}"));
    let start = page[..at].rfind("<tr").unwrap();
    let end = at + page[at..].find("</tr>").unwrap();
    &page[start..end]
}

/// The text of the first element with class `class` in `html`.
fn cell(html: &str, class: &str) -> String {
    let at = html
        .find(&format!(r#"class="{class}""#))
        .unwrap_or_else(|| panic!("{class} in\n{html}"));
    let open = at + html[at..].find('>').unwrap() + 1;
    let close = open + html[open..].find("</td>").unwrap();
    html[open..close].trim().to_owned()
}

/// The sync widget's section of `page`.
fn widget(page: &str) -> &str {
    let start = page
        .find(r#"id="mirror-sync""#)
        .unwrap_or_else(|| panic!("a sync widget in\n{page}"));
    let end = start + page[start..].find("</section>").unwrap();
    &page[start..end]
}

/// The caller's mirror `repo` as `GET /api/v1/mirrors` lists it.
async fn listed(s: &TestServer, user: &TestUser, repo: &str) -> Value {
    let list = call(s, "GET", "/api/v1/mirrors", user, None).await;
    list.expect(200);
    list.json()
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["repository"] == format!("{}/{repo}", user.username))
        .cloned()
        .unwrap_or_else(|| panic!("{repo} listed"))
}

async fn batch(s: &TestServer, user: &TestUser, action: &str, repo: &str) {
    let done = call(
        s,
        "POST",
        "/api/v1/mirrors/batch",
        user,
        Some(json!({"action": action, "repositories": [format!("{}/{repo}", user.username)]})),
    )
    .await;
    done.expect(200);
    assert_eq!(done.json()["results"][0]["status"], 200, "{}", done.body);
}

async fn pause_and_resume_keep_status_and_failures_agreeing(db: Db) {
    let (s, owner) = start(&db).await;
    let port = free_port();
    import_body(
        &s,
        &owner,
        json!({"name": "m", "clone_url": format!("http://127.0.0.1:{port}/gone.git"), "mirror": true}),
    )
    .await
    .expect(201);
    settle(&s, &owner, "m").await;
    // Only "Sync now" starts a sync: nothing scheduled moves the count under the test.
    patch(&s, &owner, "m", json!({"sync_schedule": "manual"}))
        .await
        .expect(200);
    sync_now(&s, &owner, "m").await.expect(202);
    let status = settle(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let before = listed(&s, &owner, "m").await;
    assert_eq!(before["consecutive_failures"], 2, "{before}");

    batch(&s, &owner, "disable", "m").await;
    batch(&s, &owner, "enable", "m").await;

    // The API: still failed, the failures still counted, and the status object agrees.
    let after = listed(&s, &owner, "m").await;
    assert_eq!(after["sync_status"], "failed", "{after}");
    assert_eq!(after["consecutive_failures"], 2, "{after}");
    let status = call(
        &s,
        "GET",
        "/api/v1/repos/owner/m/mirror/status",
        &owner,
        None,
    )
    .await;
    assert_eq!(status.json()["sync_status"], "failed");
    assert_eq!(status.json()["upstream"]["consecutive_failures"], 2);

    // The overview says the same, and "manual" for the next sync.
    let browser = logged_in_as(&s, &owner).await;
    let page = get(&s, &browser, "/mirrors").await;
    page.expect(200);
    let row = overview_row(&page.body, "owner/m");
    assert!(row.contains(">Failed<"), "{row}");
    assert_eq!(cell(row, "mirror-failures"), "2", "{row}");
    assert_eq!(cell(row, "mirror-next"), "manual", "{row}");
    // So does the widget on the repository page.
    let repo_page = get(&s, &browser, "/owner/m").await;
    let shown = widget(&repo_page.body);
    assert!(shown.contains(r#"data-status="failed""#), "{shown}");
    assert!(shown.contains(r#"id="mirror-next-manual""#), "{shown}");
    assert!(shown.contains("2 failed in a row"), "{shown}");
}

async fn a_cancelled_sync_says_cancelled_beside_the_last_success(db: Db) {
    let (s, owner) = start(&db).await;
    let remote = GitBackend::start().await;
    let src = remote.create("src").await;
    seed(&Git::new(), src.to_str().unwrap()).await;
    import_body(
        &s,
        &owner,
        json!({"name": "m", "clone_url": remote.url("src"), "mirror": true}),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");

    // Then a remote that never answers: Sync now, and cancel it.
    let hung = HungRemote::start().await;
    patch(&s, &owner, "m", json!({"upstream_url": hung.url()}))
        .await
        .expect(200);
    sync_now(&s, &owner, "m").await.expect(202);
    let asked = Instant::now();
    loop {
        let cancel = call(&s, "DELETE", "/api/v1/repos/owner/m/sync", &owner, None).await;
        if cancel.status.as_u16() == 202 {
            break;
        }
        assert!(asked.elapsed() < Duration::from_secs(10), "{}", cancel.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    settle(&s, &owner, "m").await;

    let browser = logged_in_as(&s, &owner).await;
    let page = get(&s, &browser, "/mirrors").await;
    let row = overview_row(&page.body, "owner/m");
    assert!(row.contains(">Cancelled<"), "{row}");
    assert!(row.contains(r#"class="meta mirror-cancelled-at""#), "{row}");
    assert!(!row.contains("Not synced yet"), "{row}");
    // The earlier success is still shown as the last sync.
    let last = row.split(r#"data-label="Last sync""#).nth(1).unwrap();
    assert!(last.trim_start_matches('>').starts_with("<time"), "{row}");

    let repo_page = get(&s, &browser, "/owner/m").await;
    let shown = widget(&repo_page.body);
    assert!(shown.contains(">Cancelled<"), "{shown}");
    assert!(
        shown.contains(r#"id="mirror-cancelled-at"><time"#),
        "{shown}"
    );
    assert!(!shown.contains("Not synced yet"), "{shown}");
    let last_sync = shown.split("Last successful sync").nth(1).unwrap();
    assert!(
        last_sync[..last_sync.find("</dd>").unwrap()].contains("<time"),
        "{shown}"
    );
}

async fn mirroring_off_offers_both_ways_and_never_links_to_its_own_page(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "plain", false).await;
    let browser = logged_in_as(&s, &owner).await;

    // On the mirror settings page: the push way is a link, the pull way is the form below.
    let page = get(&s, &browser, "/owner/plain/settings/mirror").await;
    page.expect(200);
    let shown = widget(&page.body);
    assert!(shown.contains("Mirroring is off"), "{shown}");
    assert!(!shown.contains("Not synced yet"), "{shown}");
    assert!(!shown.contains("pulls from upstream"), "{shown}");
    assert!(
        shown.contains(r#"href="/owner/plain/settings/mirror/push" id="mirror-start-push""#),
        "{shown}"
    );
    assert!(
        !shown.contains(r#"href="/owner/plain/settings/mirror""#),
        "no link to the page it is on:\n{shown}"
    );
    assert!(shown.contains("upstream URL in the form below"), "{shown}");
    assert!(!shown.contains("Not pulled yet"), "{shown}");

    // The widget as the repository page has it: both ways are links.
    let fragment = s
        .send(
            browser
                .get(s.url("/owner/plain/mirror/widget?on=repo"))
                .header("HX-Request", "true"),
        )
        .await;
    fragment.expect(200);
    let shown = widget(&fragment.body);
    assert!(shown.contains("Mirroring is off"), "{shown}");
    assert!(
        shown.contains(r#"href="/owner/plain/settings/mirror" id="mirror-start-pull""#),
        "{shown}"
    );
    assert!(
        shown.contains(r#"href="/owner/plain/settings/mirror/push" id="mirror-start-push""#),
        "{shown}"
    );
    assert!(!shown.contains(r#"href="/owner/plain""#), "{shown}");
}

async fn lfs_files_without_their_objects_say_the_objects_were_not_copied(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "up", false).await;
    let git = Git::new();
    git.lfs_install().await;
    let work = git.init_lfs("work").await;
    for (name, seed) in [("one.bin", 21), ("two.bin", 22), ("three.bin", 23)] {
        std::fs::write(work.join(name), pseudo_random(40 * 1024, seed)).unwrap();
    }
    git.ok(&work, &["add", "-A"]).await;
    git.ok(&work, &["commit", "-q", "-m", "files"]).await;
    let up = s.git_url(Some(("owner", &owner.token)), "owner", "up");
    git.ok(&work, &["push", "-q", &up, "main"]).await;

    // Imported as a mirror with LFS left unticked: the pointers come, the objects do not.
    import_body(
        &s,
        &owner,
        json!({"name": "m", "clone_url": s.git_url(None, "owner", "up"), "mirror": true}),
    )
    .await
    .expect(201);
    assert_eq!(settle(&s, &owner, "m").await["sync_status"], "success");

    let browser = logged_in_as(&s, &owner).await;
    let page = get(&s, &browser, "/owner/m").await;
    let body = &page.body;
    let at = body
        .find(r#"id="lfs-files""#)
        .unwrap_or_else(|| panic!("{body}"));
    let lfs = &body[at..at + body[at..].find("</section>").unwrap()];
    assert!(lfs.contains("LFS objects not copied"), "{lfs}");
    assert!(lfs.contains("does not fetch LFS objects"), "{lfs}");
    assert!(
        lfs.contains(r#"href="/owner/m/settings/mirror" id="lfs-turn-on""#),
        "{lfs}"
    );
    assert_eq!(lfs.matches("object not stored here").count(), 3, "{lfs}");
    assert!(
        !lfs.contains("KiB"),
        "no sizes as if the files were here:\n{lfs}"
    );

    // The repository they came from holds them: listed with their sizes, nothing missing.
    let page = get(&s, &browser, "/owner/up").await;
    assert!(page.body.contains("40.0 KiB"), "{}", page.body);
    assert!(
        !page.body.contains(r#"id="lfs-not-copied""#),
        "{}",
        page.body
    );

    // A reader is told too, without the settings link.
    let page = s.get("/owner/m", None).await;
    assert!(
        page.body.contains("LFS objects not copied"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(r#"id="lfs-turn-on""#), "{}", page.body);
}
