//! What the Git LFS tests share: content made to order, its oid, the LFS requests one call
//! each, and what lies under `DATA_DIR/lfs`.

use std::path::{Path, PathBuf};

use reqwest::RequestBuilder;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Resp, TestServer};

/// The LFS media type, of requests and answers.
pub const MEDIA_TYPE: &str = "application/vnd.git-lfs+json";

/// `len` pseudo-random bytes from `seed` (xorshift: the same every run, incompressible).
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The oid of `content`: its SHA-256 in hex.
pub fn oid_of(content: &[u8]) -> String {
    hex::encode(Sha256::digest(content))
}

/// Every file under `DATA_DIR/lfs` (objects and temporary files alike).
pub fn stored_files(data_dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&data_dir.join("lfs"), &mut out);
    out.sort();
    out
}

/// Where the object `oid` is stored.
pub fn object_path(data_dir: &Path, oid: &str) -> PathBuf {
    data_dir
        .join("lfs")
        .join(&oid[0..2])
        .join(&oid[2..4])
        .join(oid)
}

/// How a test call authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// No `Authorization`.
    Anonymous,
    /// `Bearer TOKEN`.
    Token(&'a str),
    /// `Basic USER:PASSWORD`.
    Basic(&'a str, &'a str),
}

impl Auth<'_> {
    fn apply(self, request: RequestBuilder) -> RequestBuilder {
        match self {
            Self::Anonymous => request,
            Self::Token(token) => request.bearer_auth(token),
            Self::Basic(user, password) => request.basic_auth(user, Some(password)),
        }
    }
}

/// `POST /OWNER/REPO.git/info/lfs/objects/batch` with `operation` and `(oid, size)` objects.
pub async fn batch(
    s: &TestServer,
    repo: &str,
    auth: Auth<'_>,
    operation: &str,
    objects: &[(&str, i64)],
) -> Resp {
    let objects: Vec<Value> = objects
        .iter()
        .map(|(oid, size)| json!({ "oid": oid, "size": size }))
        .collect();
    let body = json!({ "operation": operation, "transfers": ["basic"], "objects": objects });
    let request = s
        .http
        .post(s.url(&format!("/{repo}.git/info/lfs/objects/batch")))
        .header("accept", MEDIA_TYPE)
        .header("content-type", MEDIA_TYPE)
        .body(body.to_string());
    send_batch(s, auth.apply(request)).await
}

/// Sends a batch request. Its answer hands the caller's own `Authorization` back in each
/// action (so the transfers authenticate the same way): that one credential, and no other
/// secret, may be in it.
pub async fn send_batch(s: &TestServer, request: RequestBuilder) -> Resp {
    let request = request.build().expect("request");
    let own = request
        .headers()
        .get("authorization")
        .map(|v| v.to_str().expect("text").to_owned());
    let response = s.http.execute(request).await.expect("answers");
    let resp = Resp {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.expect("body"),
    };
    let mut rest = resp.body.clone();
    if let Some(own) = own {
        rest = rest.replace(&own, "(the caller's own)");
    }
    s.assert_no_secrets(&rest);
    resp
}

/// `PUT /OWNER/REPO.git/info/lfs/objects/OID` with `content`.
pub async fn put(s: &TestServer, repo: &str, auth: Auth<'_>, oid: &str, content: Vec<u8>) -> Resp {
    let request = s
        .http
        .put(s.url(&format!("/{repo}.git/info/lfs/objects/{oid}")))
        .header("content-type", "application/octet-stream")
        .body(content);
    s.send(auth.apply(request)).await
}

/// `GET /OWNER/REPO.git/info/lfs/objects/OID`; the body as bytes.
pub async fn get(s: &TestServer, repo: &str, auth: Auth<'_>, oid: &str) -> (u16, Vec<u8>) {
    let request = s
        .http
        .get(s.url(&format!("/{repo}.git/info/lfs/objects/{oid}")));
    let response = auth.apply(request).send().await.expect("answers");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

/// `POST /OWNER/REPO.git/info/lfs/verify` with `{"oid","size"}`.
pub async fn verify(s: &TestServer, repo: &str, auth: Auth<'_>, oid: &str, size: i64) -> Resp {
    let request = s
        .http
        .post(s.url(&format!("/{repo}.git/info/lfs/verify")))
        .header("content-type", MEDIA_TYPE)
        .body(json!({ "oid": oid, "size": size }).to_string());
    s.send(auth.apply(request)).await
}

/// Fails the test unless `resp` is an LFS error with `status` and a message; returns it.
#[track_caller]
pub fn expect_lfs_error(resp: &Resp, status: u16) -> String {
    resp.expect(status);
    assert_eq!(
        resp.header("content-type"),
        Some(MEDIA_TYPE),
        "content type of {status}"
    );
    let body = resp.json();
    let message = body["message"].as_str().unwrap_or_default().to_owned();
    assert!(!message.is_empty(), "no message in {body}");
    message
}
