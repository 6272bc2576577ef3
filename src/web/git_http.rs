//! Routes of the git smart HTTP protocol: `info/refs`, `git-upload-pack`, `git-receive-pack`,
//! with Basic authentication and the repository's read/write rules.

use std::{net::IpAddr, sync::Arc};

use axum::{
    Router,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;

use crate::{
    git::serve::{self, ServeError, Service},
    repos::Repo,
    state::AppState,
    web::extract::{
        ClientAddr,
        git_access::{self, Access, GitRefusal},
        repo_access::moved_location,
    },
};

/// The three smart-HTTP routes, for `OWNER/REPO.git` and `OWNER/REPO`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{owner}/{repo}/info/refs", get(info_refs))
        .route("/{owner}/{repo}/git-upload-pack", post(upload_pack))
        .route("/{owner}/{repo}/git-receive-pack", post(receive_pack))
}

/// A refusal in the form git clients understand: a status and a plain-text line.
fn refuse(status: StatusCode, message: &str) -> Response {
    let mut response = (status, format!("{message}\n")).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"mirrorforge\""),
        );
    }
    response
}

/// Finds the repository and checks the caller (from `client`) may use `service` on it; a
/// refusal in the form git clients understand.
async fn authorize(
    state: &AppState,
    (headers, uri): (&HeaderMap, &Uri),
    client: IpAddr,
    owner: &str,
    repo: &str,
    service: Service,
) -> Result<Repo, Response> {
    let access = if service == Service::ReceivePack {
        Access::Write
    } else {
        Access::Read
    };
    git_access::authorize(state, headers, client, owner, repo, access)
        .await
        .map_err(|refusal| match refusal {
            GitRefusal::Mirror(repo) => mirror_refusal(&repo),
            GitRefusal::Moved(to) => {
                let location = moved_location(uri, owner, repo, &to);
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, location)],
                )
                    .into_response()
            }
            refusal => refusal.respond_with(refuse),
        })
}

/// A push to a repository that pulls from elsewhere: git shows an `ERR` line as
/// "remote error: …", so the user reads why.
fn mirror_refusal(repo: &Repo) -> Response {
    let message = format!("ERR {}", git_access::mirror_refusal(repo));
    let mut body = serve::service_announcement(Service::ReceivePack);
    body.push_str(&serve::pkt_line(&message));
    no_cache(
        body.into_response(),
        &Service::ReceivePack.advertisement_type(),
    )
}

fn protocol_header(headers: &HeaderMap) -> Option<&str> {
    headers.get("git-protocol").and_then(|v| v.to_str().ok())
}

fn no_cache(mut response: Response, content_type: &str) -> Response {
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, max-age=0, must-revalidate"),
    );
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

#[derive(Deserialize)]
struct InfoRefsQuery {
    service: Option<String>,
}

async fn info_refs(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<InfoRefsQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(service) = query.service.as_deref().and_then(Service::from_name) else {
        return refuse(
            StatusCode::FORBIDDEN,
            "only the smart HTTP protocol is supported; use a git client of version 1.6.6 or newer",
        );
    };
    let repo = match authorize(&state, (&headers, &uri), client, &owner, &repo, service).await {
        Ok(repo) => repo,
        Err(response) => return response,
    };
    match state
        .git
        .advertise(
            service,
            &repo.path(&state.config),
            protocol_header(&headers),
        )
        .await
    {
        Ok(body) => no_cache(body.into_response(), &service.advertisement_type()),
        Err(e) => serve_failure(&e, &repo),
    }
}

/// 503 with `Retry-After` when git is busy; 500 (logged) when it failed.
fn serve_failure(error: &ServeError, repo: &Repo) -> Response {
    match error {
        ServeError::Busy => {
            tracing::warn!(repo = %repo.full_name(), "git request turned away: too many at once");
            let mut response = refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is busy; try again in a few seconds",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            response
        }
        ServeError::Git(e) => {
            tracing::error!(error = %e, repo = %repo.full_name(), "git request failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
        }
    }
}

async fn upload_pack(
    state: State<AppState>,
    client: ClientAddr,
    path: Path<(String, String)>,
    (headers, uri): (HeaderMap, Uri),
    body: Body,
) -> Response {
    rpc(
        state,
        client,
        path,
        (headers, uri),
        body,
        Service::UploadPack,
    )
    .await
}

async fn receive_pack(
    state: State<AppState>,
    client: ClientAddr,
    path: Path<(String, String)>,
    (headers, uri): (HeaderMap, Uri),
    body: Body,
) -> Response {
    rpc(
        state,
        client,
        path,
        (headers, uri),
        body,
        Service::ReceivePack,
    )
    .await
}

async fn rpc(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path((owner, repo)): Path<(String, String)>,
    (headers, uri): (HeaderMap, Uri),
    body: Body,
    service: Service,
) -> Response {
    let repo = match authorize(&state, (&headers, &uri), client, &owner, &repo, service).await {
        Ok(repo) => repo,
        Err(response) => return response,
    };
    // A push that went through starts the repository's sync-on-push targets.
    let after_push: Option<serve::AfterPush> = (service == Service::ReceivePack).then(|| {
        let (engine, repo_id) = (Arc::clone(&state.engine), repo.repo.id);
        Box::new(move || engine.pushed(repo_id)) as serve::AfterPush
    });
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip"));
    match state
        .git
        .rpc(
            service,
            &repo.path(&state.config),
            protocol_header(&headers),
            gzip,
            body,
            after_push,
        )
        .await
    {
        Ok(stream) => no_cache(stream.into_response(), &service.result_type()),
        Err(e) => serve_failure(&e, &repo),
    }
}
