//! Confirmations and Copy buttons in a real browser: rotating or removing the webhook secret,
//! forgetting host keys, revoking a token and removing a push mirror take two clicks (the
//! first only opens a box that says what will happen); afterwards the page says what
//! happened; the Copy buttons show with JavaScript and put the value on the clipboard. Each
//! page at 1280 and 390 px with a confirmation open, and no sideways scroll.
//! Screenshots: `confirm-webhook-{1280,390}`, `confirm-ssh-{1280,390}`,
//! `confirm-token-{1280,390}`, `host-keys-page-{1280,390}`.

use mirrorforge::{mirror::host_keys, net::ssh_host_key::HostKey};

use crate::support::{
    Db,
    browser::Browser,
    mirror::{call, local_server},
};

/// Has the page remember what it writes to the clipboard (headless Chromium will not let a
/// page read the clipboard back), still writing it.
async fn watch_clipboard(b: &Browser) {
    b.eval(
        "var clip = navigator.clipboard; var write = clip.writeText.bind(clip); \
         clip.writeText = function (text) { window.copiedText = text; return write(text); }; \
         window.copiedText = null; return 1;",
    )
    .await;
}

/// What the page last wrote to the clipboard.
async fn clipboard(b: &Browser) -> String {
    b.eval("return window.copiedText;")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Clicks the Copy button of element `target` and waits for it to say "Copied" (the write to
/// the clipboard succeeded); returns what was written.
async fn copy(b: &Browser, target: &str) -> String {
    let button = format!("button[data-copy='{target}']");
    assert_eq!(
        b.attr(&button, "hidden").await,
        None,
        "{target}: the Copy button shows with JavaScript"
    );
    watch_clipboard(b).await;
    b.click(&button).await;
    b.wait_until(&format!("{target} copied"), 5, || async {
        b.text(&button).await == "Copied"
    })
    .await;
    clipboard(b).await
}

/// Shoots the page at 1280 and at 390 px (`NAME-1280`, `NAME-390`), checking at 390 px that
/// nothing scrolls sideways; back at 1280 px after.
async fn both_widths(b: &Browser, what: &str, name: &str, focus: &str) {
    b.client.set_window_size(1280, 1000).await.expect("resize");
    let _ = b
        .eval(&format!(
            "document.querySelector(\"{focus}\").scrollIntoView({{block: 'center'}}); return 1;"
        ))
        .await;
    b.screenshot(&format!("{name}-1280")).await;
    b.assert_fits(what, 390, 900).await;
    let _ = b
        .eval(&format!(
            "document.querySelector(\"{focus}\").scrollIntoView({{block: 'center'}}); return 1;"
        ))
        .await;
    b.screenshot(&format!("{name}-390")).await;
    b.client.set_window_size(1280, 1000).await.expect("resize");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirmations_and_copy_buttons_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |_| {}).await;
    let owner = s.create_admin("wendy").await;
    s.create_repo(&owner, "m", false).await;
    let repo_id = mirrorforge::repos::find(&s.conn, "wendy", "m")
        .await
        .unwrap()
        .unwrap()
        .repo
        .id;
    b.log_in(&s.url("/"), "wendy", &owner.password).await;
    let settings = s.url("/wendy/m/settings/mirror/events");
    b.goto(&settings).await;

    // The webhook URL points at 127.0.0.1 here: the page says so, and what each forge needs.
    assert!(
        b.text("#webhook-local")
            .await
            .contains("MIRRORFORGE_PUBLIC_URL"),
        "{}",
        b.text("#webhook").await
    );
    b.click(".webhook-howto summary").await;
    let howto = b.text(".webhook-howto").await;
    for needed in [
        "ALLOWED_HOST_LIST = loopback, private",
        "Admin → Settings → Network → Outbound requests → “Allow requests to the local network from webhooks and integrations”",
        "GitHub calls from the internet, so it can only reach a public URL",
    ] {
        assert!(howto.contains(needed), "{needed}: {howto}");
    }
    b.screenshot_of("#webhook", "webhook-local-howto").await;
    let url = b.text("#webhook-url").await;
    assert_eq!(copy(&b, "webhook-url").await, url);

    // Creating a secret where there is none needs no confirmation; it is shown once, copyable.
    b.click("#webhook-rotate").await;
    b.wait_until("the secret shown", 10, || async {
        b.text("#webhook-secret-once")
            .await
            .contains("shown only this once")
    })
    .await;
    let first = b.text("#webhook-secret").await;
    assert_eq!(first.len(), 43, "{first}");
    assert_eq!(copy(&b, "webhook-secret").await, first);

    // Rotating: the first click only asks.
    b.goto(&settings).await;
    b.click("#webhook-rotate").await;
    b.wait_until("the rotate question", 5, || async {
        b.text("#webhook-rotate-question")
            .await
            .contains("Rotate the secret?")
    })
    .await;
    assert!(
        b.text("#webhook-rotate-question")
            .await
            .contains("The forge's webhook stops working until you paste the new one")
    );
    assert!(b.text("#webhook-state").await.starts_with("set"));
    assert!(b.text("main").await.contains("Rotate it"));
    assert!(
        !b.text("main").await.contains("shown only this once"),
        "not rotated yet"
    );
    both_widths(
        &b,
        "the webhook with the rotate question",
        "confirm-webhook",
        "#webhook-rotate-step",
    )
    .await;
    b.click("#webhook-rotate-confirm").await;
    b.wait_until("the new secret shown", 10, || async {
        b.text("#webhook-secret-once")
            .await
            .contains("New secret made")
    })
    .await;
    assert_ne!(b.text("#webhook-secret").await, first);

    // Removing: asks, then says it is removed.
    b.goto(&settings).await;
    b.click("#webhook-remove").await;
    assert!(
        b.text("#webhook-state").await.starts_with("set"),
        "not removed yet"
    );
    b.click("#webhook-remove-confirm").await;
    b.wait_until("the removed notice", 10, || async {
        b.text(".flash").await.contains("Webhook secret removed")
    })
    .await;
    assert!(b.text("#webhook-state").await.contains("none yet"));

    // The notification key: made (copyable), then removed after asking.
    b.click("#notify-key-rotate").await;
    b.wait_until("the key shown", 10, || async {
        b.text("#notify-key-once")
            .await
            .contains("shown only this once")
    })
    .await;
    let key = b.text("#notify-key-secret").await;
    assert_eq!(copy(&b, "notify-key-secret").await, key);
    b.goto(&settings).await;
    b.click("#notify-key-remove").await;
    assert!(
        b.text("#notify-key-state").await.starts_with("set"),
        "not removed yet"
    );
    b.click("#notify-key-remove-confirm").await;
    b.wait_until("the key removed", 10, || async {
        b.text(".flash").await.contains("Notification key removed")
    })
    .await;

    // SSH: the public key copyable, the deploy key's access said per direction; forgetting
    // the host keys asks first.
    let settings = s.url("/wendy/m/settings/mirror/ssh");
    b.goto(&settings).await;
    b.click("#ssh-key form button[type=submit]").await;
    b.wait_until("the public key", 10, || async {
        b.text("#ssh-public-key").await.starts_with("ssh-ed25519 ")
    })
    .await;
    let public = b.text("#ssh-public-key").await;
    assert_eq!(copy(&b, "ssh-public-key").await, public);
    assert!(
        b.text("#ssh-deploy-key-hint")
            .await
            .contains("Read access is enough for pulling")
    );
    let pinned = HostKey {
        host: "git.example".to_owned(),
        key_type: "ssh-ed25519".to_owned(),
        fingerprint_sha256: "SHA256:p272llxp4ztEWTqHy61j+d3qyu54QXS7/7a2HD+tcK0".to_owned(),
    };
    host_keys::pin(&s.conn, repo_id, std::slice::from_ref(&pinned))
        .await
        .unwrap();
    b.goto(&settings).await;
    b.click("#ssh-host-keys-forget").await;
    assert!(
        b.text("#ssh-host-keys-forget-question")
            .await
            .contains("Forget every pinned host key?")
    );
    assert_eq!(
        host_keys::pinned(&s.conn, repo_id).await.unwrap(),
        std::slice::from_ref(&pinned)
    );
    both_widths(
        &b,
        "the SSH section with the forget question",
        "confirm-ssh",
        "#ssh-host-keys-forget-step",
    )
    .await;
    b.click("#ssh-host-keys-forget-confirm").await;
    b.wait_until("the host keys forgotten", 10, || async {
        b.text(".flash").await.contains("SSH host keys forgotten")
    })
    .await;
    assert!(
        host_keys::pinned(&s.conn, repo_id)
            .await
            .unwrap()
            .is_empty()
    );

    // The host keys page: a bad paste is refused next to the field.
    b.click("#ssh-host-keys-check").await;
    b.wait_until("the host keys page", 10, || async {
        b.text("h1").await.contains("SSH host keys")
    })
    .await;
    b.fill("#key", "|1|c2FsdA==|aGFzaA== ssh-ed25519 AAAA")
        .await;
    b.click("#host-key-pin").await;
    b.wait_until("the inline error", 10, || async {
        b.text("#key-error").await.contains("hashed")
    })
    .await;
    both_widths(
        &b,
        "the host keys page",
        "host-keys-page",
        "#host-key-paste",
    )
    .await;

    // A push mirror: removing asks first.
    call(
        &s,
        "POST",
        "/api/v1/repos/wendy/m/push_mirrors",
        &owner,
        Some(serde_json::json!({"remote_url": "https://git.example/backup.git"})),
    )
    .await
    .expect(201);
    // Mirroring off: the last push mirror of a repository that pushes may then go.
    crate::support::mirror::patch(
        &s,
        &owner,
        "m",
        serde_json::json!({"mirror_enabled": false}),
    )
    .await
    .expect(200);
    b.goto(&s.url("/wendy/m/settings/mirror/push")).await;
    b.click(".push-mirror summary[id^='push-remove-']").await;
    assert!(
        b.text(".push-mirror .confirm-box")
            .await
            .contains("Remove this push mirror?"),
        "{}",
        b.text(".push-mirror").await
    );
    assert!(
        b.text(".push-list")
            .await
            .contains("git.example/backup.git")
    );
    b.click(".push-mirror form[action$='/delete'] button").await;
    b.wait_until("the push mirror gone", 10, || async {
        b.text("#push-mirrors")
            .await
            .contains("No push mirror yet.")
    })
    .await;
    assert!(b.text(".flash").await.contains("removed"));

    // Tokens: the new one copyable; revoking asks, then says what it did.
    b.goto(&s.url("/user/settings/tokens")).await;
    assert!(
        b.text(".token-table thead")
            .await
            .contains("Last characters")
    );
    assert!(!b.text("main").await.contains("Ends in"));
    b.fill("#name", "ci").await;
    b.click("form[action='/user/settings/tokens'] button[type=submit]")
        .await;
    b.wait_until("the new token", 10, || async {
        b.text("#new-token-title").await.contains("ci")
    })
    .await;
    let secret = b.attr("#new-token-value", "value").await.unwrap();
    assert_eq!(copy(&b, "new-token-value").await, secret);
    let as_ci = s
        .send(s.http.get(s.url("/api/v1/user")).bearer_auth(&secret))
        .await;
    as_ci.expect(200);
    let revoke = b
        .eval(
            "var rows = document.querySelectorAll('.token-table tbody tr'); \
               for (var i = 0; i < rows.length; i++) { \
                 if (rows[i].querySelector('.token-name').textContent === 'ci') { \
                   return rows[i].querySelector('summary').id; } } return '';",
        )
        .await;
    let revoke = revoke.as_str().unwrap().to_owned();
    assert!(revoke.starts_with("revoke-"), "{revoke}");
    b.click(&format!("#{revoke}")).await;
    assert!(
        b.text(&format!("#{revoke}-question"))
            .await
            .contains("Revoke “ci”?")
    );
    s.send(s.http.get(s.url("/api/v1/user")).bearer_auth(&secret))
        .await
        .expect(200);
    both_widths(
        &b,
        "the tokens page with the revoke question",
        "confirm-token",
        ".token-table",
    )
    .await;
    b.click(&format!("#{revoke}-confirm")).await;
    b.wait_until("the revoked notice", 10, || async {
        b.text(".flash")
            .await
            .contains("Token “ci” revoked: scripts using it now get 401.")
    })
    .await;
    s.send(s.http.get(s.url("/api/v1/user")).bearer_auth(&secret))
        .await
        .expect_error(401, "unauthorized");
    b.finish().await;
}

/// "Check host key" in a real browser against a real `sshd`: the key shown with its
/// fingerprint (what `ssh-keygen -l` prints), trusted with one more click, the page saying
/// what is pinned. Screenshots: `host-key-checked-{1280,390}`, `host-key-trusted`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_key_checked_and_trusted_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let s = local_server(&Db::Sqlite, |_| {}).await;
    let owner = s.create_admin("owner").await;
    let (_, sshd) = crate::support::mirror::repo_with_ssh_key(&s, &owner, "m").await;
    sshd.create("up").await;
    crate::support::mirror::patch(
        &s,
        &owner,
        "m",
        serde_json::json!({"mirror_enabled": true, "mirror_direction": "upstream",
               "upstream_url": sshd.url("up"), "sync_schedule": "manual"}),
    )
    .await
    .expect(200);
    b.log_in(&s.url("/"), "owner", &owner.password).await;
    b.goto(&s.url("/owner/m/settings/mirror/ssh")).await;
    b.click("#ssh-host-keys-check").await;
    b.wait_until("the upstream to check", 10, || async {
        b.text("#host-key-check").await.contains(&sshd.url("up"))
    })
    .await;
    b.click("#check-upstream").await;
    b.wait_until("the key shown", 15, || async {
        !b.text("#checked-fingerprint").await.is_empty()
    })
    .await;
    let expected = sshd.fingerprint().await;
    assert_eq!(b.text("#checked-fingerprint").await, expected);
    assert_eq!(b.text("#checked-type").await, "ssh-ed25519");
    assert_eq!(
        b.text("#checked-host").await,
        format!("[127.0.0.1]:{}", sshd.port())
    );
    assert!(
        b.text("#checked-compare")
            .await
            .contains("Compare the fingerprint")
    );
    assert_eq!(copy(&b, "checked-fingerprint").await, expected);
    both_widths(
        &b,
        "the checked host key",
        "host-key-checked",
        "#host-key-checked",
    )
    .await;
    b.click("#host-key-trust").await;
    b.wait_until("the pinned notice", 10, || async {
        b.text(".flash").await.contains("Pinned ssh-ed25519")
    })
    .await;
    assert!(b.text("#host-keys-table").await.contains(&expected));
    b.screenshot("host-key-trusted").await;
    b.finish().await;
}
