//! The repository's SSH key: made by the server, its public half shown (API and settings page),
//! replaced on request; the private half sealed in the database and nowhere else — not in a
//! response, a page or a file of the data directory.

use base64::Engine;
use serde_json::Value;

use crate::support::{
    Db, TestServer, TestUser,
    mirror::{call, files_under, key_body, make_ssh_key, private_ssh_key, start},
    on_both_databases,
    web::{form_page, get, logged_in_as},
};

on_both_databases!(
    the_server_makes_a_key_shows_its_public_half_and_keeps_the_private_one_sealed,
    the_settings_page_shows_the_key_and_replaces_it,
);

/// `GET …/mirror/ssh_key` as `user` (200): the public key line.
async fn shown_key(s: &TestServer, user: &TestUser, repo: &str) -> String {
    let shown = call(
        s,
        "GET",
        &format!("/api/v1/repos/owner/{repo}/mirror/ssh_key"),
        user,
        None,
    )
    .await;
    shown.expect(200);
    shown.json()["public_key"].as_str().unwrap().to_owned()
}

/// The private key of `owner/repo` as the server holds it, opened with the server's key.
async fn private_key(s: &TestServer, repo: &str) -> String {
    let stored = mirrorforge::repos::find(&s.conn, "owner", repo)
        .await
        .unwrap()
        .unwrap();
    let sealed = stored.repo.ssh_private_key.clone().unwrap();
    assert!(sealed.starts_with("v1:"), "stored sealed");
    assert!(!sealed.contains("PRIVATE KEY"));
    private_ssh_key(s, repo).await
}

async fn the_server_makes_a_key_shows_its_public_half_and_keeps_the_private_one_sealed(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "r", false).await;
    let path = "/api/v1/repos/owner/r/mirror/ssh_key";
    // None yet.
    call(&s, "GET", path, &owner, None)
        .await
        .expect_error(404, "not_found");

    let public = make_ssh_key(&s, &owner, "r").await;
    assert!(public.starts_with("ssh-ed25519 AAAA"), "{public}");
    assert!(public.ends_with(" mirrorforge:owner/r"), "{public}");
    let shown = call(&s, "GET", path, &owner, None).await;
    shown.expect(200);
    assert_eq!(shown.json(), serde_json::json!({ "public_key": public }));

    // The private key opens with the server's key and belongs to the public one.
    let private = private_key(&s, "r").await;
    let parsed = ssh_key::PrivateKey::from_openssh(private.as_bytes()).unwrap();
    assert_eq!(parsed.public_key().to_openssh().unwrap(), public);
    let body = key_body(&private);
    s.forbid_in_answers(&body);
    // The raw 32-byte seed, as base64, is no more visible than the encoded key.
    let seed = match parsed.key_data() {
        ssh_key::private::KeypairData::Ed25519(pair) => pair.private.to_bytes(),
        other => panic!("not Ed25519: {other:?}"),
    };
    s.forbid_in_answers(&base64::engine::general_purpose::STANDARD.encode(seed));

    // Not in the settings, not in any file of the data directory.
    let settings: Value = call(&s, "GET", "/api/v1/repos/owner/r/mirror", &owner, None)
        .await
        .json();
    assert!(!settings.to_string().contains("PRIVATE"));
    for (file, bytes) in files_under(s.data_dir()) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("OPENSSH PRIVATE KEY") && !text.contains(&body[..40]),
            "{} holds the private key",
            file.display()
        );
        assert!(
            !bytes.windows(seed.len()).any(|w| w == seed),
            "{} holds the raw private key",
            file.display()
        );
    }

    // Again: a new key replaces the old one.
    let replaced = make_ssh_key(&s, &owner, "r").await;
    assert_ne!(replaced, public);
    assert_ne!(key_body(&private_key(&s, "r").await), body);

    // Only the owner (or an admin): another user is refused, an anonymous caller too.
    let bob = s.create_user("bob").await;
    for method in ["GET", "POST"] {
        call(&s, method, path, &bob, None)
            .await
            .expect_error(403, "forbidden");
    }
    let anonymous = s.send(s.http.post(s.url(path))).await;
    anonymous.expect(401);
    assert_eq!(shown_key(&s, &owner, "r").await, replaced);
}

async fn the_settings_page_shows_the_key_and_replaces_it(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "r", false).await;
    let browser = logged_in_as(&s, &owner).await;
    let (page, token) = form_page(&s, &browser, "/owner/r/settings/mirror/ssh").await;
    assert!(page.body.contains("Make SSH key"), "no key yet");
    assert!(!page.body.contains("id=\"ssh-public-key\""));

    for round in 0..2 {
        let made = s
            .send(
                browser
                    .post(s.url("/owner/r/settings/mirror/ssh_key"))
                    .form(&[("csrf_token", token.as_str())]),
            )
            .await;
        made.expect(303);
        assert_eq!(
            made.header("location"),
            Some("/owner/r/settings/mirror/ssh")
        );
        let page = get(&s, &browser, "/owner/r/settings/mirror/ssh").await;
        page.expect(200);
        let public = shown_key(&s, &owner, "r").await;
        assert!(
            page.body.contains(&public),
            "round {round}: the page shows the key"
        );
        // Read access is enough to pull; write access only where this repository pushes.
        assert!(
            page.body
                .contains("<strong>Read access</strong> is enough for pulling from the upstream")
        );
        assert!(
            page.body
                .contains("tick <strong>write access</strong> only where this repository pushes")
        );
        assert!(!page.body.contains("deploy key with write access"));
        assert!(page.body.contains("Replace key"));
        assert!(!page.body.contains("PRIVATE KEY"));
    }
    // Without the CSRF token nothing changes.
    let before = shown_key(&s, &owner, "r").await;
    let refused = s
        .send(browser.post(s.url("/owner/r/settings/mirror/ssh_key")))
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    let after = shown_key(&s, &owner, "r").await;
    assert_eq!(before, after);
}
