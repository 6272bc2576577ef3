//! `Authorization` scheme names are case-insensitive (RFC 9110 §11.1) on every surface that
//! reads the header: the API (`Bearer`, `token`, `Basic`), git over HTTP, Git LFS and
//! `/metrics`.

use base64::Engine;
use serde_json::json;

use crate::support::{
    Db, TestServer,
    lfs::{MEDIA_TYPE, oid_of, send_batch},
    on_both_databases,
};

on_both_databases!(every_surface_reads_the_scheme_in_any_case);

/// `base64(user:password)`, as Basic carries it.
fn basic(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

async fn every_surface_reads_the_scheme_in_any_case(db: Db) {
    let s = TestServer::start_with(&db, |c| {
        c.metrics_token = Some("scrape-token-1".to_owned());
    })
    .await;
    let alice = s.create_admin("alice").await;
    s.create_repo(&alice, "secret", true).await;
    let token = &alice.token;
    let pair = basic("alice", &alice.password);
    let with_token = basic("alice", token);

    // The API.
    let api = [
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("Token {token}"),
        format!("TOKEN {token}"),
        format!("basic {pair}"),
        format!("BASIC {pair}"),
        format!("bAsIc {with_token}"),
    ];
    for header in &api {
        let resp = s
            .send(
                s.http
                    .get(s.url("/api/v1/user"))
                    .header("authorization", header),
            )
            .await;
        assert_eq!(
            resp.status.as_u16(),
            200,
            "API with {header:?}: {}",
            resp.body
        );
        assert_eq!(resp.json()["username"], "alice");
    }

    // git over HTTP: a private repository's refs.
    let info_refs = s.url("/alice/secret.git/info/refs?service=git-upload-pack");
    for header in [
        format!("basic {pair}"),
        format!("BASIC {with_token}"),
        format!("bearer {token}"),
    ] {
        let resp = s
            .send(s.http.get(&info_refs).header("authorization", &header))
            .await;
        assert_eq!(
            resp.status.as_u16(),
            200,
            "git with {header:?}: {}",
            resp.body
        );
    }

    // Git LFS: the batch API and a transfer of the private repository.
    let content = b"lfs content read with a lower-case scheme".to_vec();
    let oid = oid_of(&content);
    for header in [format!("basic {pair}"), format!("BEARER {token}")] {
        let body = json!({
            "operation": "upload", "transfers": ["basic"],
            "objects": [{ "oid": oid, "size": content.len() }],
        });
        let request = s
            .http
            .post(s.url("/alice/secret.git/info/lfs/objects/batch"))
            .header("accept", MEDIA_TYPE)
            .header("content-type", MEDIA_TYPE)
            .header("authorization", &header)
            .body(body.to_string());
        let resp = send_batch(&s, request).await;
        assert_eq!(
            resp.status.as_u16(),
            200,
            "LFS batch with {header:?}: {}",
            resp.body
        );
    }
    let put = s
        .send(
            s.http
                .put(s.url(&format!("/alice/secret.git/info/lfs/objects/{oid}")))
                .header("content-type", "application/octet-stream")
                .header("authorization", format!("basic {pair}"))
                .body(content.clone()),
        )
        .await;
    assert!(
        put.status.is_success(),
        "LFS upload: {} {}",
        put.status,
        put.body
    );

    // /metrics.
    for header in ["bearer scrape-token-1", "BEARER scrape-token-1"] {
        let resp = s
            .send(
                s.http
                    .get(s.url("/metrics"))
                    .header("authorization", header),
            )
            .await;
        assert_eq!(
            resp.status.as_u16(),
            200,
            "/metrics with {header:?}: {}",
            resp.body
        );
    }
}
