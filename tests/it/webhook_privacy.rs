//! The webhook tells a caller without the secret nothing about private repositories: an
//! unsigned or wrongly signed call to one answers exactly as a missing repository does; on a
//! public repository the refusal says the signature does not match.

use serde_json::{Value, json};

use crate::support::{Db, Resp, TestServer, TestUser, hmac_sha256_hex, on_both_databases};

on_both_databases!(a_private_repository_is_not_revealed_by_the_webhook);

/// POSTs `body` to the webhook of `alice/repo` with `headers` and no credentials.
async fn hook(s: &TestServer, repo: &str, headers: &[(&str, String)], body: &[u8]) -> Resp {
    let mut request = s
        .http
        .post(s.url(&format!("/api/v1/repos/alice/{repo}/mirror/webhook")))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    s.send(request).await
}

/// Makes the webhook secret of `alice/repo`.
async fn make_secret(s: &TestServer, alice: &TestUser, repo: &str) -> String {
    let resp = s
        .send_allowing_secrets(
            s.http
                .post(s.url(&format!("/api/v1/repos/alice/{repo}/mirror/webhook_secret")))
                .bearer_auth(&alice.token),
        )
        .await;
    resp.expect(201);
    resp.json()["secret"].as_str().unwrap().to_owned()
}

/// What a caller can see of an answer: status, body and headers but the date.
fn seen(resp: &Resp) -> (u16, String, Vec<(String, String)>) {
    let mut headers: Vec<(String, String)> = resp
        .headers
        .iter()
        .filter(|(name, _)| *name != "date")
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("?").to_owned()))
        .collect();
    headers.sort();
    (resp.status.as_u16(), resp.body.clone(), headers)
}

async fn a_private_repository_is_not_revealed_by_the_webhook(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    s.create_repo(&alice, "hidden", true).await;
    s.create_repo(&alice, "open", false).await;
    let hidden = make_secret(&s, &alice, "hidden").await;
    let open = make_secret(&s, &alice, "open").await;
    s.forbid_in_answers(&hidden);
    s.forbid_in_answers(&open);
    let body = br#"{"ref":"refs/heads/main"}"#;
    let refused = |secret: &str| -> Vec<(&'static str, Vec<(&'static str, String)>)> {
        vec![
            ("unsigned", vec![]),
            (
                "signed with another key",
                vec![(
                    "x-hub-signature-256",
                    format!("sha256={}", hmac_sha256_hex("a guess", body)),
                )],
            ),
            (
                "a wrong GitLab token",
                vec![("x-gitlab-token", format!("{secret}x"))],
            ),
            (
                "the owner's token",
                vec![("authorization", format!("Bearer {}", alice.token))],
            ),
        ]
    };

    // What a repository that does not exist answers.
    let missing = hook(&s, "ghost", &[], body).await;
    missing.expect_error(404, "not_found");
    let missing = seen(&missing);

    // A private repository with a secret answers exactly the same to a caller without it.
    for (what, headers) in refused(&hidden) {
        let answer = hook(&s, "hidden", &headers, body).await;
        assert_eq!(seen(&answer), missing, "private repository, {what}");
    }
    // The secret still works.
    let signed = [(
        "x-hub-signature-256",
        format!("sha256={}", hmac_sha256_hex(&hidden, body)),
    )];
    let accepted = hook(&s, "hidden", &signed, body).await;
    assert_ne!(accepted.status.as_u16(), 404, "{}", accepted.body);
    assert_ne!(accepted.status.as_u16(), 401, "{}", accepted.body);

    // A public repository is no secret: the refusal says why.
    for (what, headers) in refused(&open) {
        let answer = hook(&s, "open", &headers, body).await;
        assert_eq!(answer.status.as_u16(), 401, "public repository, {what}");
        let answer: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(
            answer,
            json!({"error": "signature does not match", "code": "bad_signature"}),
            "public repository, {what}"
        );
    }
}
