//! The Git LFS server every repository speaks, under `OWNER/REPO.git/info/lfs` (and
//! `OWNER/REPO/info/lfs`): the batch API, the basic transfers of one object (`GET`/`PUT`) and
//! `verify`. The same credentials and rules as git over HTTP; every answer but a download's
//! content is `application/vnd.git-lfs+json`, errors as `{"message"}`.

use std::collections::BTreeMap;

use axum::{
    Router,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tokio_util::io::ReaderStream;

use crate::{
    accounts::tokens::{READ_ONLY, TokenScope},
    lfs::{
        batch::{self, BatchEndpoint, BatchError, BatchRequest, Operation},
        object_io::{self, UploadError, UploadLimits, Verified},
        store::{Oid, READ_CHUNK},
    },
    repos::Repo,
    state::AppState,
    web::{
        body::{ReadError, read_whole},
        extract::{
            ClientAddr,
            git_access::{self, Access, GitRefusal},
            repo_access::moved_location,
        },
    },
};

/// The LFS routes whose bodies are read whole (the batch API and `verify`), for
/// `OWNER/REPO.git` and `OWNER/REPO`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{owner}/{repo}/info/lfs/objects/batch", post(batch))
        .route("/{owner}/{repo}/info/lfs/verify", post(verify))
}

/// The transfers of one object, streamed to and from disk (an upload keeps its own idle rule).
pub fn transfers() -> Router<AppState> {
    Router::new().route(
        "/{owner}/{repo}/info/lfs/objects/{oid}",
        get(download).put(upload),
    )
}

/// Whether the client takes the batch API's answer: an `Accept` naming its media type (with
/// parameters or not), any JSON, or anything; no `Accept` at all takes anything too.
fn accepts_lfs_json(headers: &HeaderMap) -> bool {
    let mut accepts = headers.get_all(header::ACCEPT).iter().peekable();
    if accepts.peek().is_none() {
        return true;
    }
    accepts
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|item| item.split(';').next().unwrap_or("").trim())
        .any(|media| {
            media.eq_ignore_ascii_case(batch::MEDIA_TYPE)
                || media.eq_ignore_ascii_case("application/json")
                || media == "application/*"
                || media == "*/*"
        })
}

/// An LFS error: `{"message"}` in the LFS media type; 401 asks for Basic credentials, as git
/// over HTTP does, so `git lfs` fills them in the same way.
fn lfs_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut response = lfs_json(status, body);
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"mirrorforge\""),
        );
    }
    response
}

fn lfs_json(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(batch::MEDIA_TYPE),
        )],
        body,
    )
        .into_response()
}

fn internal(error: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %error, "LFS request failed");
    lfs_error(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
}

/// Finds the repository and checks the caller may have `access` to it, exactly as for git.
async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    client: std::net::IpAddr,
    (owner, repo): &(String, String),
    access: Access,
) -> Result<Repo, Response> {
    git_access::authorize(state, headers, client, owner, repo, access)
        .await
        .map_err(|refusal| refusal.respond_with(lfs_error))
}

async fn batch(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(names): Path<(String, String)>,
    (headers, uri): (HeaderMap, Uri),
    body: Body,
) -> Response {
    if !accepts_lfs_json(&headers) {
        return lfs_error(
            StatusCode::NOT_ACCEPTABLE,
            &format!(
                "the batch API answers {}: send Accept: {0}",
                batch::MEDIA_TYPE
            ),
        );
    }
    // Who calls, and whether they may read, is known before the body is read: a stranger is
    // turned away without the server holding what they send.
    let (viewer, scope) = match git_access::caller_with_scope(&state, &headers, client).await {
        Ok(Some((user, scope))) => (Some(user), Some(scope)),
        Ok(None) => (None, None),
        Err(refusal) => return refusal.respond_with(lfs_error),
    };
    let (owner, name) = &names;
    let repo = match git_access::permit(&state, viewer.as_ref(), owner, name, Access::Read).await {
        Ok(repo) => repo,
        // A renamed repository: git lfs repeats its POST at the new path on a 307.
        Err(GitRefusal::Moved(to)) => {
            let location = moved_location(&uri, owner, name, &to);
            return (
                StatusCode::TEMPORARY_REDIRECT,
                [(header::LOCATION, location)],
            )
                .into_response();
        }
        Err(refusal) => return refusal.respond_with(lfs_error),
    };
    let request: BatchRequest = match read_whole(body, batch::MAX_REQUEST_BYTES).await {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(request) => request,
            Err(e) => {
                return lfs_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &format!("the batch request is not valid: {e}"),
                );
            }
        },
        Err(e @ ReadError::TooLarge(_)) => {
            return lfs_error(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string());
        }
        Err(e @ ReadError::Stalled) => {
            return lfs_error(StatusCode::REQUEST_TIMEOUT, &e.to_string());
        }
        Err(e @ ReadError::Broken(_)) => return lfs_error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let repo = match request.operation {
        Operation::Download => repo,
        Operation::Upload => {
            // A read-only token may not upload.
            if scope == Some(TokenScope::Read) {
                return GitRefusal::Forbidden(READ_ONLY).respond_with(lfs_error);
            }
            match git_access::allows(&state, repo, viewer.as_ref(), Access::Write).await {
                Ok(repo) => repo,
                Err(refusal) => return refusal.respond_with(lfs_error),
            }
        }
    };
    // The transfers authenticate as this request did.
    let header: BTreeMap<String, String> = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| ("Authorization".to_owned(), v.to_owned()))
        .into_iter()
        .collect();
    let endpoint = BatchEndpoint {
        db: &state.db,
        store: &state.lfs,
        repository_id: repo.repo.id,
        endpoint: format!(
            "{}/{}.git/info/lfs",
            state.config.base_url(),
            repo.full_name()
        ),
        header,
        max_object_size: state.config.lfs_max_object_size,
    };
    match endpoint.answer(request).await {
        Ok(answer) => match serde_json::to_string(&answer) {
            Ok(body) => lfs_json(StatusCode::OK, body),
            Err(e) => internal(&e),
        },
        Err(BatchError::Internal(e)) => internal(&e),
        Err(e @ BatchError::TooManyObjects(_)) => {
            lfs_error(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string())
        }
        Err(e) => lfs_error(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string()),
    }
}

async fn download(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path((owner, repo, oid)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let repo = match authorize(&state, &headers, client, &(owner, repo), Access::Read).await {
        Ok(repo) => repo,
        Err(response) => return response,
    };
    let oid = match Oid::parse(&oid) {
        Ok(oid) => oid,
        Err(message) => return lfs_error(StatusCode::UNPROCESSABLE_ENTITY, &message.to_string()),
    };
    match object_io::download(&state.db, &state.lfs, repo.repo.id, &oid).await {
        Ok(Some((file, size))) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                ),
                (header::CONTENT_LENGTH, HeaderValue::from(size)),
            ],
            // Read and sent a piece at a time: never the whole object in memory.
            Body::from_stream(ReaderStream::with_capacity(file, READ_CHUNK)),
        )
            .into_response(),
        Ok(None) => lfs_error(StatusCode::NOT_FOUND, &format!("object {oid} not found")),
        Err(e) => internal(&e),
    }
}

async fn upload(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path((owner, repo, oid)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let repo = match authorize(&state, &headers, client, &(owner, repo), Access::Write).await {
        Ok(repo) => repo,
        Err(response) => return response,
    };
    let oid = match Oid::parse(&oid) {
        Ok(oid) => oid,
        Err(message) => return lfs_error(StatusCode::UNPROCESSABLE_ENTITY, &message.to_string()),
    };
    // The size the content must have: what the client says it sends.
    let Some(size) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return lfs_error(
            StatusCode::LENGTH_REQUIRED,
            "an upload needs a Content-Length: the size of the object",
        );
    };
    match object_io::upload(
        &state.db,
        &state.lfs,
        repo.repo.id,
        (&oid, size),
        UploadLimits {
            max_object_size: state.config.lfs_max_object_size,
            // Like a git push: a client that stops sending is let go.
            idle_timeout: state.config.git_idle_timeout,
        },
        body.into_data_stream(),
    )
    .await
    {
        Ok(()) => lfs_json(StatusCode::OK, String::new()),
        Err(e @ UploadError::TooLarge { .. }) => {
            lfs_error(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string())
        }
        Err(e @ UploadError::Mismatch(_)) => {
            lfs_error(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string())
        }
        Err(e @ UploadError::Interrupted(_)) => lfs_error(StatusCode::BAD_REQUEST, &e.to_string()),
        Err(e @ UploadError::Stalled(_)) => lfs_error(StatusCode::REQUEST_TIMEOUT, &e.to_string()),
        Err(UploadError::Internal(e)) => internal(&e),
    }
}

/// The body of a verify request.
#[derive(Deserialize)]
struct VerifyRequest {
    oid: String,
    size: i64,
}

async fn verify(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(names): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let repo = match authorize(&state, &headers, client, &names, Access::Write).await {
        Ok(repo) => repo,
        Err(response) => return response,
    };
    let parsed = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            serde_json::from_slice::<VerifyRequest>(&bytes).map_err(|e| e.to_string())
        });
    let (oid, size) = match parsed.and_then(|r| {
        let oid = Oid::parse(&r.oid)?;
        let size = u64::try_from(r.size).map_err(|_| "the size must not be negative")?;
        Ok((oid, size))
    }) {
        Ok(found) => found,
        Err(message) => {
            return lfs_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("the verify request is not valid: {message}"),
            );
        }
    };
    match object_io::verify(&state.db, &state.lfs, repo.repo.id, &oid, size).await {
        Ok(Verified::Stored) => lfs_json(StatusCode::OK, String::new()),
        Ok(Verified::Missing) => {
            lfs_error(StatusCode::NOT_FOUND, &format!("object {oid} not found"))
        }
        Ok(Verified::OtherSize(stored)) => lfs_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("object {oid} has {stored} bytes, not {size}"),
        ),
        Err(e) => internal(&e),
    }
}
