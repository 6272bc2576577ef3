//! Trusting an SSH host before the first sync, from the host keys page: "Check host key"
//! against a real `sshd` shows what `ssh-keygen -l` shows and pins nothing until "Trust this
//! key"; a pasted fingerprint or `known_hosts` line is pinned, bad input refused inline with
//! nothing stored; a pin by hand that does not match stops the first sync; only the owner or
//! an administrator, with the form's CSRF token, gets anywhere.

use mirrorforge::{mirror::host_keys, net::ssh_host_key::HostKey};
use serde_json::json;

use crate::support::{
    Db, Git, TestServer, TestUser,
    git_backend::refs_of,
    html::input_value,
    mirror::{patch, repo_with_ssh_key, seed, settle, start, sync_now},
    on_both_databases,
    web::{form_page, get, logged_in_as},
};

on_both_databases!(
    only_the_owner_with_the_forms_token_checks_or_pins,
    pasted_keys_are_pinned_and_bad_ones_refused_inline,
    check_host_key_shows_the_sshd_key_and_trust_pins_it,
    a_pin_by_hand_that_does_not_match_stops_the_first_sync,
);

/// An OpenSSH ed25519 public key and what `ssh-keygen -l -E sha256` prints for it.
const ED: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIKoS1IFxVgF6gkT69pr6jU9mbMM5J95+0gy3F6c0OEEZ";
const ED_SHA256: &str = "SHA256:p272llxp4ztEWTqHy61j+d3qyu54QXS7/7a2HD+tcK0";

/// The id of `owner/name`.
async fn repo_id(s: &TestServer, owner: &str, name: &str) -> i64 {
    mirrorforge::repos::find(&s.conn, owner, name)
        .await
        .unwrap()
        .unwrap()
        .repo
        .id
}

/// The host keys page of `owner/name`.
fn page_of(owner: &str, name: &str) -> String {
    format!("/{owner}/{name}/settings/mirror/ssh_host_keys")
}

async fn only_the_owner_with_the_forms_token_checks_or_pins(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    s.create_repo(&alice, "open", false).await;
    s.create_repo(&alice, "hidden", true).await;
    s.create_repo(&bob, "own", false).await;
    let bobs = logged_in_as(&s, &bob).await;
    let (_, bobs_token) = form_page(&s, &bobs, &page_of("bob", "own")).await;

    for name in ["open", "hidden"] {
        // Bob gets what the settings page gives him: 404 for a repository he cannot see.
        let settings = get(&s, &bobs, &format!("/alice/{name}/settings/mirror")).await;
        assert!(settings.status.is_client_error(), "{}", settings.status);
        if name == "hidden" {
            assert_eq!(settings.status.as_u16(), 404);
        }
        let page = get(&s, &bobs, &page_of("alice", name)).await;
        assert_eq!(page.status, settings.status, "{name}: the page");
        for (action, form) in [
            (
                "pin",
                vec![
                    ("key", ED_SHA256),
                    ("host", "h"),
                    ("key_type", "ssh-ed25519"),
                ],
            ),
            ("check", vec![("remote", "upstream")]),
        ] {
            let mut form = form.clone();
            form.push(("csrf_token", bobs_token.as_str()));
            let refused = s
                .send(
                    bobs.post(s.url(&format!("{}/{action}", page_of("alice", name))))
                        .form(&form),
                )
                .await;
            assert_eq!(refused.status, settings.status, "{name} {action}");
        }
        let id = repo_id(&s, "alice", name).await;
        assert!(host_keys::pinned(&s.conn, id).await.unwrap().is_empty());
    }

    // The owner without the form's token: 403, nothing pinned.
    let alices = logged_in_as(&s, &alice).await;
    let (page, _) = form_page(&s, &alices, &page_of("alice", "open")).await;
    assert!(page.body.contains("Pin a key by hand"), "{}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    for token in ["", "forged"] {
        let refused = s
            .send(
                alices
                    .post(s.url(&format!("{}/pin", page_of("alice", "open"))))
                    .form(&[
                        ("key", ED_SHA256),
                        ("host", "h"),
                        ("key_type", "ssh-ed25519"),
                        ("csrf_token", token),
                    ]),
            )
            .await;
        assert_eq!(refused.status.as_u16(), 403, "{token:?}: {}", refused.body);
    }
    let id = repo_id(&s, "alice", "open").await;
    assert!(host_keys::pinned(&s.conn, id).await.unwrap().is_empty());
}

async fn pasted_keys_are_pinned_and_bad_ones_refused_inline(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "r", false).await;
    let id = repo_id(&s, "owner", "r").await;
    let browser = logged_in_as(&s, &owner).await;
    let page = page_of("owner", "r");
    let (_, token) = form_page(&s, &browser, &page).await;
    let pin = |fields: Vec<(&'static str, String)>| {
        let mut fields = fields;
        fields.push(("csrf_token", token.clone()));
        s.send(browser.post(s.url(&format!("{page}/pin"))).form(&fields))
    };
    let fingerprint = |key: &str, host: &str| {
        vec![
            ("key", key.to_owned()),
            ("host", host.to_owned()),
            ("key_type", "ssh-ed25519".to_owned()),
        ]
    };

    // Bad input: 422, the sentence under the field it is about, the text kept, nothing pinned.
    for (fields, field, sentence) in [
        (
            fingerprint("SHA256:tooshort", "git.example"),
            "key",
            "43 base64 characters",
        ),
        (
            fingerprint("MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48", "h"),
            "key",
            "MD5 fingerprint",
        ),
        (
            fingerprint(ED_SHA256, "bad host name"),
            "host",
            "[name]:port",
        ),
        (
            fingerprint(&format!("|1|c2FsdA==|aGFzaA== ssh-ed25519 {ED}"), ""),
            "key",
            "the host name is hashed",
        ),
        (
            fingerprint(&format!("git.example ssh-rsa {ED}"), ""),
            "key",
            "the line says ssh-rsa but the key is ssh-ed25519",
        ),
        (
            fingerprint("git.example ssh-ed25519", ""),
            "key",
            "separated by spaces",
        ),
        (
            fingerprint("   ", "h"),
            "key",
            "paste a SHA256 fingerprint or a known_hosts line",
        ),
    ] {
        let typed = fields[0].1.clone();
        let refused = pin(fields).await;
        assert_eq!(refused.status.as_u16(), 422, "{typed}: {}", refused.body);
        let inline = format!(r#"<p class="field-error" id="{field}-error">"#);
        let at = refused
            .body
            .find(&inline)
            .unwrap_or_else(|| panic!("{typed}: no inline error under {field}:\n{}", refused.body));
        assert!(
            refused.body[at..].contains(sentence),
            "{typed}: {sentence}:\n{}",
            &refused.body[at..]
        );
        assert!(
            refused.body.contains(r#"aria-invalid="true""#),
            "{typed}: the field is marked"
        );
        if field == "key" && !typed.trim().is_empty() {
            assert!(refused.body.contains(&typed), "{typed}: kept");
        }
        assert!(
            host_keys::pinned(&s.conn, id).await.unwrap().is_empty(),
            "{typed}"
        );
    }

    // A fingerprint for a host: pinned, and the page says so.
    let pinned = pin(fingerprint(ED_SHA256, "[Git.Example]:2222")).await;
    pinned.expect(303);
    assert_eq!(pinned.header("location"), Some(page.as_str()));
    let shown = get(&s, &browser, &page).await;
    assert!(
        shown.body.contains("Pinned ssh-ed25519"),
        "the notice: {}",
        shown.body
    );
    assert!(shown.body.contains(ED_SHA256));
    let by_fingerprint = HostKey {
        host: "[git.example]:2222".to_owned(),
        key_type: "ssh-ed25519".to_owned(),
        fingerprint_sha256: ED_SHA256.to_owned(),
    };
    assert_eq!(
        host_keys::pinned(&s.conn, id).await.unwrap(),
        std::slice::from_ref(&by_fingerprint)
    );

    // ssh-keyscan's lines: one pin per host named, the fingerprint computed from the key.
    let scanned =
        format!("# git.example:22 SSH-2.0-OpenSSH\ngit.example,10.0.0.7 ssh-ed25519 {ED}\n");
    pin(vec![("key", scanned), ("host", String::new())])
        .await
        .expect(303);
    let hosts: Vec<(String, String)> = host_keys::pinned(&s.conn, id)
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.host, k.fingerprint_sha256))
        .collect();
    assert_eq!(
        hosts,
        [
            ("10.0.0.7".to_owned(), ED_SHA256.to_owned()),
            ("[git.example]:2222".to_owned(), ED_SHA256.to_owned()),
            ("git.example".to_owned(), ED_SHA256.to_owned()),
        ]
    );

    // Another key for a pinned host and type: 409, a warning naming the pin, nothing changed;
    // only the confirmed replace replaces it.
    let other = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let refused = pin(fingerprint(other, "[git.example]:2222")).await;
    assert_eq!(refused.status.as_u16(), 409, "{}", refused.body);
    assert!(refused.body.contains("Another key is pinned for this host"));
    assert!(
        refused
            .body
            .contains("id=\"host-key-paste-replace-confirm\"")
    );
    assert!(
        host_keys::pinned(&s.conn, id)
            .await
            .unwrap()
            .contains(&by_fingerprint)
    );
    let mut confirmed = fingerprint(other, "[git.example]:2222");
    confirmed.push(("replace", "1".to_owned()));
    pin(confirmed).await.expect(303);
    let now = host_keys::pinned(&s.conn, id).await.unwrap();
    assert!(!now.contains(&by_fingerprint), "{now:?}");
    assert!(
        now.iter()
            .any(|k| k.host == "[git.example]:2222" && k.fingerprint_sha256 == other),
        "{now:?}"
    );
    assert_eq!(now.len(), 3);

    // A remote that does not answer: 502 with the reason, nothing pinned.
    let port = crate::support::free_port();
    patch(
        &s,
        &owner,
        "r",
        json!({"mirror_enabled": true, "mirror_direction": "upstream",
               "upstream_url": format!("ssh://git@127.0.0.1:{port}/x.git"),
               "sync_schedule": "manual"}),
    )
    .await
    .expect(200);
    let failed = s
        .send(
            browser
                .post(s.url(&format!("{page}/check")))
                .form(&[("remote", "upstream"), ("csrf_token", token.as_str())]),
        )
        .await;
    assert_eq!(failed.status.as_u16(), 502, "{}", failed.body);
    assert!(
        failed
            .body
            .contains("Could not get the host key: ssh://git@127.0.0.1"),
        "{}",
        failed.body
    );
    assert!(!failed.body.contains("id=\"host-key-trust\""));
    assert_eq!(host_keys::pinned(&s.conn, id).await.unwrap().len(), 3);
}

/// `owner/m` pulling from `up` on an `sshd` that lets the repository's key in; the upstream
/// seeded, nothing synced yet.
async fn pulling_over_ssh(
    s: &TestServer,
    owner: &TestUser,
) -> (crate::support::sshd::Sshd, std::path::PathBuf) {
    let (_, sshd) = repo_with_ssh_key(s, owner, "m").await;
    let upstream = sshd.create("up").await;
    seed(&Git::new(), upstream.to_str().unwrap()).await;
    patch(
        s,
        owner,
        "m",
        json!({"mirror_enabled": true, "mirror_direction": "upstream",
               "upstream_url": sshd.url("up"), "sync_schedule": "manual"}),
    )
    .await
    .expect(200);
    (sshd, upstream)
}

async fn check_host_key_shows_the_sshd_key_and_trust_pins_it(db: Db) {
    let (s, owner) = start(&db).await;
    let (mut sshd, upstream) = pulling_over_ssh(&s, &owner).await;
    let id = repo_id(&s, "owner", "m").await;
    let browser = logged_in_as(&s, &owner).await;
    let page = page_of("owner", "m");
    let host = format!("[127.0.0.1]:{}", sshd.port());

    // The settings page leads here; the page offers the upstream to check.
    let settings = get(&s, &browser, "/owner/m/settings/mirror/ssh").await;
    assert!(
        settings.body.contains(&format!(r#"href="{page}""#)),
        "the link"
    );
    let (shown, token) = form_page(&s, &browser, &page).await;
    assert!(
        shown.body.contains(r#"id="check-upstream""#),
        "{}",
        shown.body
    );
    assert!(shown.body.contains(&sshd.url("up")));
    assert!(
        shown.body.contains(&format!(r#"value="{host}""#)),
        "the host field defaults"
    );

    // Checked: the same fingerprint ssh-keygen -l gives, no sign-in, nothing pinned.
    let checked = s
        .send(
            browser
                .post(s.url(&format!("{page}/check")))
                .form(&[("remote", "upstream"), ("csrf_token", token.as_str())]),
        )
        .await;
    checked.expect(200);
    assert_eq!(checked.header("cache-control"), Some("no-store"));
    let expected = sshd.fingerprint().await;
    let between = |body: &str, id: &str| {
        let start = body.find(&format!(r#"id="{id}">"#)).unwrap() + id.len() + 6;
        body[start..body[start..].find('<').unwrap() + start].to_owned()
    };
    assert_eq!(between(&checked.body, "checked-fingerprint"), expected);
    assert_eq!(between(&checked.body, "checked-host"), host);
    assert_eq!(between(&checked.body, "checked-type"), "ssh-ed25519");
    assert!(checked.body.contains("Compare the fingerprint"));
    assert!(checked.body.contains(r#"id="host-key-trust""#));
    assert!(host_keys::pinned(&s.conn, id).await.unwrap().is_empty());
    assert_eq!(
        sshd.log().matches("Accepted publickey").count(),
        0,
        "no sign-in"
    );

    // "Trust this key" posts what was shown: pinned.
    let trust = checked.body[checked.body.find("ssh_host_keys/pin").unwrap()..].to_owned();
    let field = |name: &str| input_value(&trust, name).unwrap();
    s.send(browser.post(s.url(&format!("{page}/pin"))).form(&[
        ("host", field("host")),
        ("key_type", field("key_type")),
        ("key", field("key")),
        ("csrf_token", token.clone()),
    ]))
    .await
    .expect(303);
    let trusted = HostKey {
        host: host.clone(),
        key_type: "ssh-ed25519".to_owned(),
        fingerprint_sha256: expected.clone(),
    };
    assert_eq!(
        host_keys::pinned(&s.conn, id).await.unwrap(),
        std::slice::from_ref(&trusted)
    );

    // The first sync goes through over that pin.
    sync_now(&s, &owner, "m").await.expect(202);
    let status = settle(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "success", "{status}");
    assert_eq!(
        refs_of(&s.repo_dir("owner", "m")).await,
        refs_of(&upstream).await
    );

    // Checked again: pinned already.
    let again = s
        .send(
            browser
                .post(s.url(&format!("{page}/check")))
                .form(&[("remote", "upstream"), ("csrf_token", token.as_str())]),
        )
        .await;
    again.expect(200);
    assert!(again.body.contains("Pinned already"), "{}", again.body);

    // A new host key: a warning naming both, the pin kept, replaced only when confirmed.
    sshd.replace_host_key().await;
    let second = sshd.fingerprint().await;
    let warned = s
        .send(
            browser
                .post(s.url(&format!("{page}/check")))
                .form(&[("remote", "upstream"), ("csrf_token", token.as_str())]),
        )
        .await;
    warned.expect(200);
    assert!(
        warned.body.contains("This is not the key pinned"),
        "{}",
        warned.body
    );
    assert!(warned.body.contains(&second) && warned.body.contains(&expected));
    assert!(
        !warned.body.contains(r#"id="host-key-trust""#),
        "no one-click trust"
    );
    assert!(warned.body.contains(r#"id="host-key-replace-confirm""#));
    assert_eq!(host_keys::pinned(&s.conn, id).await.unwrap(), [trusted]);

    // A push mirror over SSH is offered too; an unknown remote is 404.
    let unknown = s
        .send(
            browser
                .post(s.url(&format!("{page}/check")))
                .form(&[("remote", "push-999"), ("csrf_token", token.as_str())]),
        )
        .await;
    assert_eq!(unknown.status.as_u16(), 404);
}

async fn a_pin_by_hand_that_does_not_match_stops_the_first_sync(db: Db) {
    let (s, owner) = start(&db).await;
    let (sshd, _upstream) = pulling_over_ssh(&s, &owner).await;
    let browser = logged_in_as(&s, &owner).await;
    let page = page_of("owner", "m");
    let (_, token) = form_page(&s, &browser, &page).await;
    let host = format!("[127.0.0.1]:{}", sshd.port());

    // The forge's "published" fingerprint, pasted before the first sync, is not the key sshd
    // shows.
    s.send(browser.post(s.url(&format!("{page}/pin"))).form(&[
        ("key", ED_SHA256),
        ("host", host.as_str()),
        ("key_type", "ssh-ed25519"),
        ("csrf_token", token.as_str()),
    ]))
    .await
    .expect(303);
    assert_ne!(sshd.fingerprint().await, ED_SHA256);

    sync_now(&s, &owner, "m").await.expect(202);
    let status = settle(&s, &owner, "m").await;
    assert_eq!(status["sync_status"], "failed", "{status}");
    let error = status["sync_error"].as_str().unwrap();
    assert!(
        error.contains("the remote's SSH host key changed"),
        "{error}"
    );
    assert!(error.contains(&sshd.fingerprint().await), "{error}");
    assert!(refs_of(&s.repo_dir("owner", "m")).await.trim().is_empty());
    assert_eq!(
        sshd.log().matches("Accepted publickey").count(),
        0,
        "no sign-in"
    );
    let id = repo_id(&s, "owner", "m").await;
    let pins = host_keys::pinned(&s.conn, id).await.unwrap();
    assert_eq!(pins.len(), 1);
    assert_eq!(
        pins[0].fingerprint_sha256, ED_SHA256,
        "the pin by hand stays"
    );
}
