//! `/api/v1/user` and `/api/v1/user/tokens`: who the caller is, and tokens made with a password.

use serde_json::json;

use crate::support::{Db, TestServer, on_both_databases};

on_both_databases!(
    bearer_and_token_schemes_identify_the_caller,
    missing_or_bad_credentials_are_401_in_the_contract_shape,
    token_creation_needs_the_password,
    token_creation_validates_the_name,
    a_second_token_with_a_taken_name_is_a_409,
    the_migration_renames_tokens_that_share_a_name,
    first_account_is_admin_and_user_json_has_only_public_fields,
    the_caller_changes_their_email_and_a_bad_one_changes_nothing,
);

async fn bearer_and_token_schemes_identify_the_caller(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;

    for scheme in ["Bearer", "token", "bearer"] {
        let resp = s
            .send(
                s.http
                    .get(s.url("/api/v1/user"))
                    .header("Authorization", format!("{scheme} {}", alice.token)),
            )
            .await;
        resp.expect(200);
        let body = resp.json();
        assert_eq!(
            body["username"],
            alice.username.as_str(),
            "with scheme {scheme}"
        );
        assert_eq!(body["id"], alice.id);
        assert_eq!(body["email"], "alice@example.com");
        assert_eq!(body["is_admin"], false);
    }
}

async fn missing_or_bad_credentials_are_401_in_the_contract_shape(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;

    let none = s.get("/api/v1/user", None).await;
    none.expect_error(401, "unauthorized");
    assert!(
        none.header("www-authenticate").is_some(),
        "401 names a scheme"
    );

    let bad_token = format!("{}x", alice.token);
    for header in [
        format!("Bearer {bad_token}"),
        "token mf_0000000000000000000000000000000000000000".to_owned(),
        "Bearer ".to_owned(),
        "Digest abc".to_owned(),
        // Basic with a wrong password never turns into an anonymous caller.
        format!(
            "Basic {}",
            base64_encode(&format!("alice:{}-wrong", alice.password))
        ),
    ] {
        s.send(
            s.http
                .get(s.url("/api/v1/user"))
                .header("Authorization", &header),
        )
        .await
        .expect_error(401, "unauthorized");
    }
    // A repository list needs a caller too.
    s.get("/api/v1/user/repos", None)
        .await
        .expect_error(401, "unauthorized");
}

async fn token_creation_needs_the_password(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    s.create_user("bob").await;

    let resp = s
        .send_allowing_secrets(
            s.http
                .post(s.url("/api/v1/user/tokens"))
                .basic_auth("alice", Some(&alice.password))
                .json(&json!({ "name": "laptop" })),
        )
        .await;
    resp.expect(201);
    let body = resp.json();
    let token = body["token"]
        .as_str()
        .expect("token is a string")
        .to_owned();
    assert!(body["id"].as_i64().is_some(), "id in {body}");
    assert_eq!(body["name"], "laptop");
    // The first part's three fields, and the terms the forge-basics part added.
    let mut fields: Vec<&String> = body.as_object().expect("object").keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        ["expires_at", "id", "name", "scope", "token"],
        "exactly id, name, token, scope, expires_at: {body}"
    );
    assert_eq!(
        (body["scope"].as_str(), body["expires_at"].is_null()),
        (Some("write"), true)
    );
    // Shown once: from now on no answer may contain it.
    s.forbid_in_answers(&token);

    // The new token works, and names its owner.
    let me = s
        .send(s.http.get(s.url("/api/v1/user")).bearer_auth(&token))
        .await;
    me.expect(200);
    assert_eq!(me.json()["username"], "alice");

    // Wrong password, unknown user, someone else's password, or no Basic at all: 401.
    let attempts = [
        Some(("alice", format!("{}-nope", alice.password))),
        Some(("nobody", alice.password.clone())),
        Some(("bob", alice.password.clone())),
        None,
    ];
    for attempt in attempts {
        let mut request = s
            .http
            .post(s.url("/api/v1/user/tokens"))
            .json(&json!({ "name": "stolen" }));
        request = match &attempt {
            Some((user, password)) => request.basic_auth(user, Some(password)),
            None => request.bearer_auth(&alice.token),
        };
        s.send(request).await.expect_error(401, "unauthorized");
    }
    // None of those made a token: alice has the helper's token and "laptop" only.
    let names: Vec<String> = mirrorforge::accounts::tokens::list(&s.conn, alice.id)
        .await
        .expect("db")
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["laptop", "test"]);
}

async fn token_creation_validates_the_name(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    for name in [json!(""), json!("   "), json!("x".repeat(101))] {
        let body = s
            .send(
                s.http
                    .post(s.url("/api/v1/user/tokens"))
                    .basic_auth("alice", Some(&alice.password))
                    .json(&json!({ "name": name })),
            )
            .await
            .expect_error(422, "validation_failed");
        assert!(body["fields"]["name"].is_string(), "fields.name in {body}");
    }
    s.send(
        s.http
            .post(s.url("/api/v1/user/tokens"))
            .basic_auth("alice", Some(&alice.password))
            .header("Content-Type", "application/json")
            .body("{\"name\": "),
    )
    .await
    .expect_error(400, "bad_request");
}

/// Token names tell a user's tokens apart on the tokens page: one name, one token.
async fn a_second_token_with_a_taken_name_is_a_409(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    let create = |name: &'static str| {
        s.http
            .post(s.url("/api/v1/user/tokens"))
            .basic_auth("alice", Some(&alice.password))
            .json(&json!({ "name": name }))
    };
    s.send_allowing_secrets(create("laptop")).await.expect(201);
    let again = s.send(create("laptop")).await;
    let body = again.expect_error(409, "conflict");
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("laptop")),
        "{body}"
    );
    s.send_allowing_secrets(create("desktop")).await.expect(201);
    // Another user may use the same name.
    let bob = s.create_user("bob").await;
    s.send_allowing_secrets(
        s.http
            .post(s.url("/api/v1/user/tokens"))
            .basic_auth("bob", Some(&bob.password))
            .json(&json!({ "name": "laptop" })),
    )
    .await
    .expect(201);
}

/// An instance from before names were unique keeps every token: a repeated name gets the
/// token's id appended.
async fn the_migration_renames_tokens_that_share_a_name(db: Db) {
    use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

    let (dir, conn) =
        crate::support::db::migrated_before(&db, "m20261201_000003_unique_token_names").await;
    conn.execute_unprepared(
        "INSERT INTO users (username, lower_name, email, password_hash, is_admin, created_at) \
         VALUES ('old', 'old', 'old@example.com', 'x', TRUE, '2026-11-30T00:00:00Z')",
    )
    .await
    .expect("insert user");
    for hash in ["h1", "h2", "h3"] {
        conn.execute_unprepared(&format!(
            "INSERT INTO access_tokens (user_id, name, token_hash, token_last_eight, created_at) \
             SELECT id, 'laptop', '{hash}', '12345678', '2026-11-30T00:00:00Z' FROM users"
        ))
        .await
        .expect("insert token");
    }
    let conn = crate::support::db::migrate_rest(&db, &dir, conn).await;
    let tokens = mirrorforge::entities::access_token::Entity::find()
        .order_by_asc(mirrorforge::entities::access_token::Column::Id)
        .all(&conn)
        .await
        .expect("db");
    let names: Vec<String> = tokens.iter().map(|t| t.name.clone()).collect();
    assert_eq!(
        names,
        [
            "laptop".to_owned(),
            format!("laptop #{}", tokens[1].id),
            format!("laptop #{}", tokens[2].id)
        ]
    );
}

async fn first_account_is_admin_and_user_json_has_only_public_fields(db: Db) {
    let s = TestServer::start(&db).await;
    // Asked for a plain account, but the first one ever is an administrator.
    let first = s.make_user("first", false).await;
    let later = s.create_user("later").await;
    let row = mirrorforge::accounts::users::find_by_id(&s.conn, first.id)
        .await
        .expect("db")
        .expect("exists");
    assert!(row.is_admin);

    let body = s.get("/api/v1/user", Some(&first)).await.json();
    assert_eq!(body["is_admin"], true);
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "avatar_url",
            "created",
            "email",
            "full_name",
            "id",
            "is_admin",
            "login",
            "username",
            "visibility"
        ]
    );
    assert_eq!(body["login"], body["username"]);
    assert_eq!(
        s.get("/api/v1/user", Some(&later)).await.json()["is_admin"],
        false
    );
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

async fn the_caller_changes_their_email_and_a_bad_one_changes_nothing(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let patch = |body: serde_json::Value, token: Option<&str>| {
        let mut request = s.http.patch(s.url("/api/v1/user")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        s.send(request)
    };

    let changed = patch(
        json!({"email": "  alice@new.example.org "}),
        Some(&alice.token),
    )
    .await;
    changed.expect(200);
    assert_eq!(changed.json()["email"], "alice@new.example.org");
    assert_eq!(changed.json()["username"], "alice");
    let me = s.get("/api/v1/user", Some(&alice)).await;
    assert_eq!(me.json()["email"], "alice@new.example.org");

    for bad in ["nope", "a@b", "two words@example.org", ""] {
        let refused = patch(json!({"email": bad}), Some(&alice.token)).await;
        let body = refused.expect_error(422, "validation_failed");
        assert!(body["fields"]["email"].is_string(), "{bad:?}: {body}");
    }
    patch(json!({"email": 5}), Some(&alice.token))
        .await
        .expect_error(400, "bad_request");
    let unchanged = patch(json!({}), Some(&alice.token)).await;
    unchanged.expect(200);
    assert_eq!(unchanged.json()["email"], "alice@new.example.org");
    patch(json!({"email": "eve@example.org"}), None)
        .await
        .expect_error(401, "unauthorized");
    let me = s.get("/api/v1/user", Some(&alice)).await;
    assert_eq!(
        me.json()["email"],
        "alice@new.example.org",
        "nothing changed"
    );
}
