//! The SSH host keys a repository's mirrors pin (trust on first use): shown in the settings
//! (`ssh_host_keys`) and on the settings page, never overwritten by a later key, forgotten by
//! the owner (API and page) and with the repository.

use mirrorforge::{entities::ssh_host_key, mirror::host_keys, net::ssh_host_key::HostKey};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::{
    Db, TestServer, TestUser,
    mirror::{call, patch, start},
    on_both_databases,
    web::{form_page, get, logged_in_as},
};

on_both_databases!(
    the_settings_show_the_pins_the_first_key_wins_and_delete_forgets_them,
    only_the_owner_or_an_admin_forgets_host_keys,
    the_settings_page_lists_the_host_keys_and_forgets_them,
    deleting_the_repository_deletes_its_host_keys,
);

/// A host key as a sync would pin it.
fn key(host: &str, key_type: &str, fingerprint: &str) -> HostKey {
    HostKey {
        host: host.to_owned(),
        key_type: key_type.to_owned(),
        fingerprint_sha256: format!("SHA256:{fingerprint}"),
    }
}

/// The JSON the settings show for `keys`, in that order.
fn shown(keys: &[&HostKey]) -> Value {
    keys.iter()
        .map(|k| {
            json!({
                "host": k.host,
                "key_type": k.key_type,
                "fingerprint_sha256": k.fingerprint_sha256,
            })
        })
        .collect()
}

/// The id of `owner/name`.
async fn repo_id(s: &TestServer, owner: &str, name: &str) -> i64 {
    mirrorforge::repos::find(&s.conn, owner, name)
        .await
        .unwrap()
        .unwrap()
        .repo
        .id
}

/// `ssh_host_keys` of the settings of `owner/name`, read as `user` (200).
async fn settings_keys(s: &TestServer, user: &TestUser, owner: &str, name: &str) -> Value {
    let settings = call(
        s,
        "GET",
        &format!("/api/v1/repos/{owner}/{name}/mirror"),
        user,
        None,
    )
    .await;
    settings.expect(200);
    settings.json()["ssh_host_keys"].clone()
}

/// Rows of `ssh_host_keys` for `repository_id`, counted in the table itself.
async fn rows(s: &TestServer, repository_id: i64) -> u64 {
    ssh_host_key::Entity::find()
        .filter(ssh_host_key::Column::RepositoryId.eq(repository_id))
        .count(&s.conn)
        .await
        .unwrap()
}

async fn the_settings_show_the_pins_the_first_key_wins_and_delete_forgets_them(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "r", false).await;
    s.create_repo(&owner, "other", false).await;
    let id = repo_id(&s, "owner", "r").await;
    let other_id = repo_id(&s, "owner", "other").await;

    // Always there, `[]` before the first SSH connection.
    assert_eq!(settings_keys(&s, &owner, "owner", "r").await, json!([]));
    assert!(host_keys::pinned(&s.conn, id).await.unwrap().is_empty());

    // Pinned in any order, shown by host then key type.
    let rsa = key("git.example", "ssh-rsa", "rsa+/1");
    let ed = key("git.example", "ssh-ed25519", "ed+/1");
    let ported = key("[git.example]:2222", "ssh-ed25519", "ported");
    host_keys::pin(&s.conn, id, &[rsa.clone(), ed.clone(), ported.clone()])
        .await
        .unwrap();
    let expected = [&ported, &ed, &rsa];
    assert_eq!(
        settings_keys(&s, &owner, "owner", "r").await,
        shown(&expected)
    );
    assert_eq!(
        host_keys::pinned(&s.conn, id).await.unwrap(),
        expected.map(Clone::clone)
    );
    // Another repository's pins are its own.
    assert_eq!(settings_keys(&s, &owner, "owner", "other").await, json!([]));

    // A different key for a pinned host and type does not replace the pin (trust on first
    // use); a new type for the host is pinned beside it; pinning the same again is no error.
    let ed_changed = key("git.example", "ssh-ed25519", "changed");
    let ecdsa = key("git.example", "ecdsa-sha2-nistp256", "ecdsa");
    host_keys::pin(&s.conn, id, &[ed_changed, ecdsa.clone()])
        .await
        .unwrap();
    host_keys::pin(&s.conn, id, std::slice::from_ref(&rsa))
        .await
        .unwrap();
    host_keys::pin(&s.conn, id, &[]).await.unwrap();
    let expected = [&ported, &ecdsa, &ed, &rsa];
    assert_eq!(
        settings_keys(&s, &owner, "owner", "r").await,
        shown(&expected)
    );

    // Two syncs pinning the same new host at once: both succeed, one key is kept.
    let first = key("race.example", "ssh-ed25519", "first");
    let second = key("race.example", "ssh-ed25519", "second");
    let (a, b) = tokio::join!(
        host_keys::pin(&s.conn, id, std::slice::from_ref(&first)),
        host_keys::pin(&s.conn, id, std::slice::from_ref(&second)),
    );
    a.unwrap();
    b.unwrap();
    let raced: Vec<HostKey> = host_keys::pinned(&s.conn, id)
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.host == "race.example")
        .collect();
    assert!(
        raced == [first.clone()] || raced == [second.clone()],
        "{raced:?}"
    );
    assert_eq!(rows(&s, id).await, 5);

    // PATCH answers with the same settings object, host keys included.
    let patched = patch(&s, &owner, "r", json!({ "sync_schedule": "manual" })).await;
    patched.expect(200);
    assert_eq!(
        patched.json()["ssh_host_keys"],
        settings_keys(&s, &owner, "owner", "r").await
    );
    assert_eq!(patched.json()["ssh_host_keys"].as_array().unwrap().len(), 5);

    // DELETE forgets them all (and only this repository's), again is still 204.
    host_keys::pin(&s.conn, other_id, std::slice::from_ref(&ed))
        .await
        .unwrap();
    let path = "/api/v1/repos/owner/r/mirror/ssh_host_keys";
    let forgotten = call(&s, "DELETE", path, &owner, None).await;
    forgotten.expect(204);
    assert!(forgotten.body.is_empty(), "{}", forgotten.body);
    assert_eq!(settings_keys(&s, &owner, "owner", "r").await, json!([]));
    assert_eq!(rows(&s, id).await, 0);
    assert_eq!(
        settings_keys(&s, &owner, "owner", "other").await,
        shown(&[&ed])
    );
    call(&s, "DELETE", path, &owner, None).await.expect(204);

    // The OpenAPI document describes both: the settings' list of host keys, and the DELETE.
    let doc = s.get("/api/v1/openapi.json", None).await.json();
    let schemas = &doc["components"]["schemas"];
    let list = &schemas["MirrorSettings"]["properties"]["ssh_host_keys"];
    assert_eq!(list["type"], "array", "{list}");
    assert_eq!(
        list["items"]["$ref"], "#/components/schemas/HostKey",
        "{list}"
    );
    let required = schemas["MirrorSettings"]["required"].as_array().unwrap();
    assert!(required.contains(&json!("ssh_host_keys")), "{required:?}");
    let host_key = &schemas["HostKey"];
    for field in ["host", "key_type", "fingerprint_sha256"] {
        assert_eq!(
            host_key["properties"][field]["type"], "string",
            "{host_key}"
        );
        assert!(
            host_key["required"]
                .as_array()
                .unwrap()
                .contains(&json!(field)),
            "{host_key}"
        );
    }
    let delete = &doc["paths"]["/api/v1/repos/{owner}/{repo}/mirror/ssh_host_keys"]["delete"];
    assert!(delete["responses"]["204"].is_object(), "{delete}");

    // After forgetting, the next key seen is pinned; forget counts what it removed.
    host_keys::pin(&s.conn, id, &[second.clone(), rsa.clone()])
        .await
        .unwrap();
    assert_eq!(
        settings_keys(&s, &owner, "owner", "r").await,
        shown(&[&rsa, &second])
    );
    assert_eq!(host_keys::forget(&s.conn, id).await.unwrap(), 2);
    assert_eq!(host_keys::forget(&s.conn, id).await.unwrap(), 0);
}

async fn only_the_owner_or_an_admin_forgets_host_keys(db: Db) {
    let s = TestServer::start(&db).await;
    let root = s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    let bob = s.create_user("bob").await;
    s.create_repo(&alice, "open", false).await;
    s.create_repo(&alice, "hidden", true).await;
    let pinned = key("git.example", "ssh-ed25519", "alice");
    for name in ["open", "hidden"] {
        let id = repo_id(&s, "alice", name).await;
        host_keys::pin(&s.conn, id, std::slice::from_ref(&pinned))
            .await
            .unwrap();
    }

    // Another user: 403 for a repository they may read, 404 for one they may not see, the
    // same answers as the SSH key's routes; nothing is forgotten.
    for (name, status, code) in [("open", 403, "forbidden"), ("hidden", 404, "not_found")] {
        let base = format!("/api/v1/repos/alice/{name}/mirror");
        let refused = call(&s, "DELETE", &format!("{base}/ssh_host_keys"), &bob, None).await;
        let body = refused.expect_error(status, code);
        let key_route = call(&s, "POST", &format!("{base}/ssh_key"), &bob, None).await;
        assert_eq!(key_route.expect_error(status, code), body, "{name}");
        // Anonymous: 401.
        let anonymous = s
            .send(s.http.delete(s.url(&format!("{base}/ssh_host_keys"))))
            .await;
        anonymous.expect_error(401, "unauthorized");
        assert_eq!(
            settings_keys(&s, &alice, "alice", name).await,
            shown(&[&pinned]),
            "{name}"
        );
    }

    // The owner forgets hers; an admin forgets anyone's.
    for (user, name) in [(&alice, "open"), (&root, "hidden")] {
        call(
            &s,
            "DELETE",
            &format!("/api/v1/repos/alice/{name}/mirror/ssh_host_keys"),
            user,
            None,
        )
        .await
        .expect(204);
        assert_eq!(
            settings_keys(&s, &alice, "alice", name).await,
            json!([]),
            "{name}"
        );
    }
}

async fn the_settings_page_lists_the_host_keys_and_forgets_them(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "r", false).await;
    let id = repo_id(&s, "owner", "r").await;
    let browser = logged_in_as(&s, &owner).await;
    let settings = "/owner/r/settings/mirror/ssh";
    let forget = "/owner/r/settings/mirror/ssh_host_keys/forget";

    let (page, token) = form_page(&s, &browser, settings).await;
    assert!(page.body.contains("Known host keys"));
    assert!(
        page.body
            .contains("No host key recorded yet: the first SSH connection records it, unless you pin one first."),
        "{}",
        page.body
    );
    assert!(page.body.contains("the remote's SSH host key changed"));
    assert!(!page.body.contains("Forget host keys"), "nothing to forget");

    let pinned = key("[git.example]:2222", "ecdsa-sha2-nistp256", "Fp+With/Slash");
    host_keys::pin(&s.conn, id, std::slice::from_ref(&pinned))
        .await
        .unwrap();
    let page = get(&s, &browser, settings).await;
    page.expect(200);
    for shown in [
        "[git.example]:2222",
        "ecdsa-sha2-nistp256",
        "SHA256:Fp+With/Slash",
        "Forget host keys",
    ] {
        assert!(page.body.contains(shown), "{shown} not on the page");
    }
    assert!(!page.body.contains("No host key recorded yet"));

    // Without the CSRF token, or as someone else, nothing is forgotten.
    let refused = s.send(browser.post(s.url(forget))).await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    let bob = s.create_user("bob").await;
    s.create_repo(&bob, "b", false).await;
    let bobs = logged_in_as(&s, &bob).await;
    let (_, bobs_token) = form_page(&s, &bobs, "/bob/b/settings/mirror").await;
    let refused = s
        .send(
            bobs.post(s.url(forget))
                .form(&[("csrf_token", bobs_token.as_str())]),
        )
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert_eq!(host_keys::pinned(&s.conn, id).await.unwrap(), [pinned]);

    // The button forgets them and comes back to the section, saying so.
    let forgotten = s
        .send(
            browser
                .post(s.url(forget))
                .form(&[("csrf_token", token.as_str())]),
        )
        .await;
    forgotten.expect(303);
    assert_eq!(
        forgotten.header("location"),
        Some("/owner/r/settings/mirror/ssh")
    );
    assert!(host_keys::pinned(&s.conn, id).await.unwrap().is_empty());
    let page = get(&s, &browser, settings).await;
    page.expect(200);
    assert!(page.body.contains("SSH host keys forgotten"), "the flash");
    assert!(page.body.contains("No host key recorded yet"));
    assert!(!page.body.contains("SHA256:Fp+With/Slash"));
    assert!(page.body.contains("id=\"ssh-host-keys\""), "the anchor");
}

async fn deleting_the_repository_deletes_its_host_keys(db: Db) {
    let (s, owner) = start(&db).await;
    s.create_repo(&owner, "gone", false).await;
    s.create_repo(&owner, "kept", false).await;
    let gone = repo_id(&s, "owner", "gone").await;
    let kept = repo_id(&s, "owner", "kept").await;
    let pinned = [
        key("git.example", "ssh-ed25519", "one"),
        key("git.example", "ssh-rsa", "two"),
    ];
    for id in [gone, kept] {
        host_keys::pin(&s.conn, id, &pinned).await.unwrap();
        assert_eq!(rows(&s, id).await, 2);
    }

    call(&s, "DELETE", "/api/v1/repos/owner/gone", &owner, None)
        .await
        .expect(204);
    assert_eq!(rows(&s, gone).await, 0, "the pins went with the repository");
    assert_eq!(rows(&s, kept).await, 2);
    // Pinning for a repository that is gone fails rather than leaving an orphan.
    assert!(host_keys::pin(&s.conn, gone, &pinned).await.is_err());
    assert_eq!(rows(&s, gone).await, 0);
}
