//! The organisation pages over plain HTTP, as a browser uses them: "New organisation" with its
//! inline refusals; an organisation's page with its repositories (private ones for members
//! only, 30 a page) and its members section (members only); owners adding, changing and
//! removing members, the last owner kept, non-owners refused; and the owner select of the
//! new-repository and import forms.

use reqwest::Client;
use serde_json::{Value, json};

use crate::support::{
    Db, Git, Resp, TestServer, TestUser,
    git_backend::GitBackend,
    mirror::{call, local_server, seed},
    on_both_databases,
    web::{form_page, get, logged_in_as},
};

on_both_databases!(
    an_organisation_is_made_from_its_form_and_refused_inline,
    a_private_organisation_with_a_display_name_is_made_from_its_form,
    the_page_shows_private_repositories_and_members_to_members_only,
    the_repositories_come_thirty_a_page,
    owners_add_change_and_remove_members,
    the_last_owner_stays_and_a_busy_organisation_is_not_deleted,
    non_owners_are_refused_and_members_may_leave,
    the_new_repository_form_creates_in_an_organisation_for_writers_only,
    the_import_form_imports_into_an_organisation_for_writers_only,
);

/// `POST path` as a url-encoded form with the session's CSRF token.
async fn post(s: &TestServer, browser: &Client, path: &str, form: &[(&str, &str)]) -> Resp {
    let (_, token) = form_page(s, browser, "/repo/new").await;
    let mut fields = form.to_vec();
    fields.push(("csrf_token", &token));
    s.send(browser.post(s.url(path)).form(&fields)).await
}

/// Checks a 303 to `to`.
#[track_caller]
fn redirected(resp: &Resp, to: &str) {
    assert_eq!(resp.status.as_u16(), 303, "{}", resp.body);
    assert_eq!(resp.header("location"), Some(to));
}

/// The site admin first (the first account), then the people of the tests: `olga` owns
/// `acme`, `wendy` writes, `rita` reads, `sam` is a stranger.
struct People {
    root: TestUser,
    olga: TestUser,
    wendy: TestUser,
    rita: TestUser,
    sam: TestUser,
}

async fn people(s: &TestServer) -> People {
    People {
        root: s.create_admin("root").await,
        olga: s.create_user("olga").await,
        wendy: s.create_user("wendy").await,
        rita: s.create_user("rita").await,
        sam: s.create_user("sam").await,
    }
}

/// `acme`, owned by olga, with wendy (write) and rita (read), through the API.
async fn acme(s: &TestServer, p: &People) {
    call(
        s,
        "POST",
        "/api/v1/orgs",
        &p.olga,
        Some(json!({"name": "acme", "description": "Tools we share"})),
    )
    .await
    .expect(201);
    for (who, role) in [(&p.wendy, "write"), (&p.rita, "read")] {
        let path = format!("/api/v1/orgs/acme/members/{}", who.username);
        call(s, "PUT", &path, &p.olga, Some(json!({ "role": role })))
            .await
            .expect(200);
    }
}

/// Creates `acme/name` through the API as olga.
async fn org_repo(s: &TestServer, p: &People, name: &str, private: bool) {
    call(
        s,
        "POST",
        "/api/v1/orgs/acme/repos",
        &p.olga,
        Some(json!({ "name": name, "private": private })),
    )
    .await
    .expect(201);
}

/// `acme`'s members as the API lists them: `username:role`.
async fn members(s: &TestServer, p: &People) -> Vec<String> {
    let list = call(s, "GET", "/api/v1/orgs/acme/members", &p.olga, None).await;
    list.expect(200);
    list.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|m: &Value| {
            format!(
                "{}:{}",
                m["username"].as_str().unwrap(),
                m["role"].as_str().unwrap()
            )
        })
        .collect()
}

async fn an_organisation_is_made_from_its_form_and_refused_inline(db: Db) {
    let s = TestServer::start(&db).await;
    let p = people(&s).await;
    let olga = logged_in_as(&s, &p.olga).await;
    let (form, _) = form_page(&s, &olga, "/org/new").await;
    assert!(form.body.contains(r#"action="/org/new""#), "{}", form.body);
    let dashboard = get(&s, &olga, "/").await;
    assert!(
        dashboard.body.contains(r#"href="/org/new""#),
        "{}",
        dashboard.body
    );

    let made = post(
        &s,
        &olga,
        "/org/new",
        &[("name", "acme"), ("description", "Tools we share")],
    )
    .await;
    redirected(&made, "/acme");
    let page = get(&s, &olga, "/acme").await;
    page.expect(200);
    assert!(page.body.contains("Tools we share"));
    assert!(page.body.contains(r#"id="member-olga""#), "{}", page.body);

    // Taken (by the organisation, any case, or by a person), reserved, malformed: said at
    // the name, what was typed kept, nothing made.
    for (name, status, says) in [
        ("ACME", 409, "name &#39;ACME&#39; is already taken"),
        ("sam", 409, "name &#39;sam&#39; is already taken"),
        ("new", 422, "reserved"),
        ("a b", 422, "letters"),
    ] {
        let refused = post(
            &s,
            &olga,
            "/org/new",
            &[("name", name), ("description", "again")],
        )
        .await;
        refused.expect(status);
        let error = refused
            .body
            .split(r#"id="name-error">"#)
            .nth(1)
            .unwrap_or_else(|| panic!("no inline error for {name}: {}", refused.body));
        assert!(
            error.starts_with(says) || error.contains(says),
            "{name}: {error}"
        );
        assert!(
            refused.body.contains(&format!(r#"value="{name}""#)),
            "{}",
            refused.body
        );
    }
    let mine = call(&s, "GET", "/api/v1/user/orgs", &p.olga, None).await;
    let names: Vec<String> = mine
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["acme"]);

    // The dashboard lists it.
    let dashboard = get(&s, &olga, "/").await;
    assert!(
        dashboard.body.contains(r#"<a href="/acme">acme</a>"#),
        "{}",
        dashboard.body
    );
}

async fn a_private_organisation_with_a_display_name_is_made_from_its_form(db: Db) {
    let s = TestServer::start(&db).await;
    let p = people(&s).await;
    let olga = logged_in_as(&s, &p.olga).await;
    let (form, _) = form_page(&s, &olga, "/org/new").await;
    assert!(
        form.body.contains(r#"name="full_name""#)
            && form.body.contains(r#"value="public" checked"#)
            && form.body.contains(r#"value="private""#),
        "{}",
        form.body
    );

    // A visibility no form offers: said at the field, what was typed kept, nothing made.
    let refused = post(
        &s,
        &olga,
        "/org/new",
        &[
            ("name", "hidden"),
            ("full_name", "Hidden Works"),
            ("visibility", "limited"),
        ],
    )
    .await;
    refused.expect(422);
    assert!(
        refused
            .body
            .contains(r#"id="visibility-error">visibility must be public or private"#),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(r#"value="Hidden Works""#));
    s.get("/api/v1/orgs/hidden", Some(&p.root))
        .await
        .expect_error(404, "not_found");

    let made = post(
        &s,
        &olga,
        "/org/new",
        &[
            ("name", "hidden"),
            ("full_name", "Hidden Works"),
            ("visibility", "private"),
        ],
    )
    .await;
    redirected(&made, "/hidden");
    let page = get(&s, &olga, "/hidden").await;
    page.expect(200);
    assert!(
        page.body
            .contains(r#"Hidden Works <span class="org-name">hidden</span>"#)
            && page.body.contains(r#"badge-private">Private"#),
        "{}",
        page.body
    );
    let api = s.get("/api/v1/orgs/hidden", Some(&p.olga)).await;
    api.expect(200);
    assert_eq!(api.json()["visibility"], "private");
    assert_eq!(api.json()["full_name"], "Hidden Works");
    // Outside it, it does not exist.
    let sam = logged_in_as(&s, &p.sam).await;
    get(&s, &sam, "/hidden").await.expect(404);
    s.get("/hidden", None).await.expect(404);
    s.get("/api/v1/orgs/hidden", Some(&p.sam))
        .await
        .expect_error(404, "not_found");
}

async fn the_page_shows_private_repositories_and_members_to_members_only(db: Db) {
    let s = TestServer::start(&db).await;
    let p = people(&s).await;
    acme(&s, &p).await;
    org_repo(&s, &p, "open", false).await;
    org_repo(&s, &p, "secret", true).await;

    // Anonymous and a stranger: the public repository, no members, no forms.
    let anonymous = s.get("/acme", None).await;
    let sam = logged_in_as(&s, &p.sam).await;
    let stranger = get(&s, &sam, "/acme").await;
    for page in [&anonymous, &stranger] {
        page.expect(200);
        assert!(page.body.contains(r#"href="/acme/open""#), "{}", page.body);
        assert!(!page.body.contains("secret"), "{}", page.body);
        assert!(!page.body.contains(r#"id="members""#), "{}", page.body);
        assert!(
            !page.body.contains("New repository</a>\n  </div>")
                && !page.body.contains("/repo/new?owner=acme")
        );
    }

    // A reader: the private one and the members with their roles, but no forms to manage them
    // and no "New repository".
    let rita = logged_in_as(&s, &p.rita).await;
    let reader = get(&s, &rita, "/acme").await;
    assert!(
        reader.body.contains(r#"href="/acme/secret""#),
        "{}",
        reader.body
    );
    assert!(reader.body.contains("badge-private"));
    assert!(reader.body.contains(r#"id="members""#));
    assert!(
        reader
            .body
            .contains(r#"<span class="badge badge-role">write</span>"#),
        "{}",
        reader.body
    );
    assert!(!reader.body.contains(r#"action="/org/acme/members""#));
    assert!(!reader.body.contains("/repo/new?owner=acme"));
    assert!(
        reader.body.contains(r#"action="/org/acme/leave""#),
        "a member may leave"
    );

    // A writer gets "New repository"; the owner the forms.
    let wendy = logged_in_as(&s, &p.wendy).await;
    assert!(
        get(&s, &wendy, "/acme")
            .await
            .body
            .contains(r#"href="/repo/new?owner=acme""#)
    );
    let olga = logged_in_as(&s, &p.olga).await;
    let owner = get(&s, &olga, "/acme").await;
    assert!(owner.body.contains(r#"action="/org/acme/members""#));
    assert!(
        owner
            .body
            .contains(r#"action="/org/acme/members/rita/role""#)
    );
    assert!(owner.body.contains(r#"action="/org/acme/delete""#));

    // A site admin, no member, sees and manages all.
    let root = logged_in_as(&s, &p.root).await;
    let admin = get(&s, &root, "/acme").await;
    assert!(admin.body.contains(r#"href="/acme/secret""#));
    assert!(admin.body.contains(r#"action="/org/acme/members""#));
    assert!(admin.body.contains(r#"action="/org/acme/delete""#));

    // A person's name is no organisation's page; nor is a name nobody has.
    s.get("/sam", None).await.expect(404);
    get(&s, &sam, "/nobody").await.expect(404);
    // The dashboard shows organisations' repositories with their owner, and the organisation.
    let dashboard = get(&s, &rita, "/").await;
    assert!(
        dashboard.body.contains(">acme/secret</a>"),
        "{}",
        dashboard.body
    );
    assert!(dashboard.body.contains(r#"<a href="/acme">acme</a>"#));
}

async fn the_repositories_come_thirty_a_page(db: Db) {
    let s = TestServer::start(&db).await;
    let p = people(&s).await;
    acme(&s, &p).await;
    for i in 1..=31 {
        org_repo(&s, &p, &format!("r{i:02}"), false).await;
    }
    let first = s.get("/acme", None).await;
    assert!(first.body.contains(r#"href="/acme/r30""#));
    assert!(!first.body.contains(r#"href="/acme/r31""#));
    assert!(
        first.body.contains(r#"href="/acme?page=2" rel="next""#),
        "{}",
        first.body
    );
    let second = s.get("/acme?page=2", None).await;
    assert!(second.body.contains(r#"href="/acme/r31""#));
    assert!(!second.body.contains(r#"href="/acme/r01""#));
    assert!(second.body.contains(r#"href="/acme?page=1" rel="prev""#));
    // A page that is no number is the first.
    assert!(
        s.get("/acme?page=x", None)
            .await
            .body
            .contains(r#"href="/acme/r01""#)
    );
}

async fn owners_add_change_and_remove_members(db: Db) {
    let s = TestServer::start(&db).await;
    let p = people(&s).await;
    acme(&s, &p).await;
    let olga = logged_in_as(&s, &p.olga).await;

    let added = post(
        &s,
        &olga,
        "/org/acme/members",
        &[("username", "sam"), ("role", "read")],
    )
    .await;
    redirected(&added, "/acme#members");
    let page = get(&s, &olga, "/acme").await;
    assert!(
        page.body.contains("sam is a member of acme with read."),
        "{}",
        page.body
    );
    // Removing takes a confirmation step.
    assert!(
        page.body.contains(r#"id="remove-sam-step""#),
        "{}",
        page.body
    );
    assert!(page.body.contains("Remove sam from acme?"));
    assert!(members(&s, &p).await.contains(&"sam:read".to_owned()));

    let changed = post(
        &s,
        &olga,
        "/org/acme/members/sam/role",
        &[("role", "write")],
    )
    .await;
    redirected(&changed, "/acme#members");
    assert!(members(&s, &p).await.contains(&"sam:write".to_owned()));

    // Nobody by that name, an organisation, a role that is none: said inline, nothing changed.
    for (username, role, field, says) in [
        (
            "ghost",
            "read",
            "username",
            "no user is named &#39;ghost&#39;",
        ),
        ("acme", "read", "username", "is an organisation"),
        ("sam", "boss", "role", "choose read, write or owner"),
    ] {
        let refused = post(
            &s,
            &olga,
            "/org/acme/members",
            &[("username", username), ("role", role)],
        )
        .await;
        refused.expect(422);
        let error = refused
            .body
            .split(&format!(r#"id="{field}-error">"#))
            .nth(1)
            .unwrap_or_default();
        assert!(error.contains(says), "{username}/{role}: {}", refused.body);
    }
    assert_eq!(
        members(&s, &p).await,
        ["olga:owner", "rita:read", "sam:write", "wendy:write"]
    );

    let removed = post(&s, &olga, "/org/acme/members/sam/remove", &[]).await;
    redirected(&removed, "/acme#members");
    assert!(!members(&s, &p).await.iter().any(|m| m.starts_with("sam:")));
    // Not a member (any more): 404.
    post(&s, &olga, "/org/acme/members/sam/remove", &[])
        .await
        .expect(404);
}

async fn the_last_owner_stays_and_a_busy_organisation_is_not_deleted(db: Db) {
    let s = TestServer::start(&db).await;
    let p = people(&s).await;
    acme(&s, &p).await;
    org_repo(&s, &p, "tool", false).await;
    let olga = logged_in_as(&s, &p.olga).await;

    let demoted = post(
        &s,
        &olga,
        "/org/acme/members/olga/role",
        &[("role", "write")],
    )
    .await;
    demoted.expect(409);
    assert!(
        demoted.body.contains("the last owner of &#39;acme&#39;"),
        "{}",
        demoted.body
    );
    assert!(demoted.body.contains(r#"class="form-error""#));
    let left = post(&s, &olga, "/org/acme/leave", &[]).await;
    left.expect(409);
    assert!(left.body.contains("the last owner"));
    assert!(members(&s, &p).await.contains(&"olga:owner".to_owned()));

    let deleted = post(&s, &olga, "/org/acme/delete", &[]).await;
    deleted.expect(409);
    assert!(
        deleted.body.contains("still owns 1 repository"),
        "{}",
        deleted.body
    );
    s.get("/acme", None).await.expect(200);

    // An empty one goes, with its memberships.
    call(
        &s,
        "POST",
        "/api/v1/orgs",
        &p.olga,
        Some(json!({"name": "empty-co"})),
    )
    .await
    .expect(201);
    let gone = post(&s, &olga, "/org/empty-co/delete", &[]).await;
    redirected(&gone, "/");
    s.get("/empty-co", None).await.expect(404);
    assert!(
        get(&s, &olga, "/")
            .await
            .body
            .contains("Organisation empty-co deleted.")
    );
}

async fn non_owners_are_refused_and_members_may_leave(db: Db) {
    let s = TestServer::start(&db).await;
    let p = people(&s).await;
    acme(&s, &p).await;
    let before = members(&s, &p).await;
    let wendy = logged_in_as(&s, &p.wendy).await;
    let sam = logged_in_as(&s, &p.sam).await;
    for browser in [&wendy, &sam] {
        for (path, form) in [
            (
                "/org/acme/members",
                vec![("username", "sam"), ("role", "owner")],
            ),
            ("/org/acme/members/rita/role", vec![("role", "owner")]),
            ("/org/acme/members/rita/remove", vec![]),
            ("/org/acme/delete", vec![]),
        ] {
            let refused = post(&s, browser, path, &form).await;
            refused.expect(403);
            assert!(
                refused.body.contains("only owners of &#39;acme&#39;"),
                "{path}: {}",
                refused.body
            );
        }
    }
    // A stranger cannot leave what they are not in.
    post(&s, &sam, "/org/acme/leave", &[]).await.expect(403);
    // Without a login: to the login page.
    let anonymous = s.send(s.browser().post(s.url("/org/acme/delete"))).await;
    assert_eq!(anonymous.status.as_u16(), 303);
    assert_eq!(members(&s, &p).await, before);

    let left = post(&s, &wendy, "/org/acme/leave", &[]).await;
    redirected(&left, "/");
    assert!(get(&s, &wendy, "/").await.body.contains("You left acme."));
    assert_eq!(members(&s, &p).await, ["olga:owner", "rita:read"]);
}

async fn the_new_repository_form_creates_in_an_organisation_for_writers_only(db: Db) {
    let s = TestServer::start(&db).await;
    let p = people(&s).await;
    acme(&s, &p).await;
    let wendy = logged_in_as(&s, &p.wendy).await;
    let (form, _) = form_page(&s, &wendy, "/repo/new?owner=ACME").await;
    assert!(
        form.body
            .contains(r#"<option value="wendy">wendy</option>"#),
        "{}",
        form.body
    );
    assert!(
        form.body
            .contains(r#"<option value="acme" selected>acme</option>"#),
        "{}",
        form.body
    );
    let (plain, _) = form_page(&s, &wendy, "/repo/new").await;
    assert!(
        plain
            .body
            .contains(r#"<option value="wendy" selected>wendy</option>"#)
    );

    let made = post(
        &s,
        &wendy,
        "/repo/new",
        &[("owner", "acme"), ("name", "tool"), ("private", "on")],
    )
    .await;
    redirected(&made, "/acme/tool");
    let repo = call(&s, "GET", "/api/v1/repos/acme/tool", &p.olga, None).await;
    repo.expect(200);
    assert_eq!(repo.json()["private"], true);
    let own = post(
        &s,
        &wendy,
        "/repo/new",
        &[("owner", "wendy"), ("name", "mine")],
    )
    .await;
    redirected(&own, "/wendy/mine");

    // A reader is offered only their own account, and refused at the owner field.
    let rita = logged_in_as(&s, &p.rita).await;
    let (offered, _) = form_page(&s, &rita, "/repo/new?owner=acme").await;
    assert!(
        !offered.body.contains(r#"value="acme""#),
        "{}",
        offered.body
    );
    let refused = post(
        &s,
        &rita,
        "/repo/new",
        &[("owner", "acme"), ("name", "sneaky")],
    )
    .await;
    refused.expect(403);
    assert!(
        refused
            .body
            .contains(r#"id="owner-error">you may not create repositories in &#39;acme&#39;"#),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(r#"value="sneaky""#));
    call(&s, "GET", "/api/v1/repos/acme/sneaky", &p.olga, None)
        .await
        .expect(404);
}

async fn the_import_form_imports_into_an_organisation_for_writers_only(db: Db) {
    let s = local_server(&db, |_| {}).await;
    let p = people(&s).await;
    acme(&s, &p).await;
    let remotes = GitBackend::start().await;
    let upstream = remotes.create("src").await;
    seed(&Git::new(), upstream.to_str().unwrap()).await;
    let url = remotes.url("src");

    let rita = logged_in_as(&s, &p.rita).await;
    let refused = post(
        &s,
        &rita,
        "/repo/import",
        &[("owner", "acme"), ("clone_url", &url), ("name", "copy")],
    )
    .await;
    refused.expect(403);
    assert!(
        refused
            .body
            .contains(r#"id="owner-error">you may not create"#),
        "{}",
        refused.body
    );
    call(&s, "GET", "/api/v1/repos/acme/copy", &p.olga, None)
        .await
        .expect(404);

    let wendy = logged_in_as(&s, &p.wendy).await;
    let (form, _) = form_page(&s, &wendy, "/repo/import?owner=acme").await;
    assert!(
        form.body
            .contains(r#"<option value="acme" selected>acme</option>"#),
        "{}",
        form.body
    );
    let made = post(
        &s,
        &wendy,
        "/repo/import",
        &[("owner", "acme"), ("clone_url", &url), ("name", "copy")],
    )
    .await;
    redirected(&made, "/acme/copy");
    call(&s, "GET", "/api/v1/repos/acme/copy", &p.olga, None)
        .await
        .expect(200);
}
