//! `/{owner}/{repo}/raw/{rev}/{path}`: a file's bytes, never a page: `text/plain` for text,
//! `application/octet-stream` otherwise, always with `Content-Security-Policy: sandbox` (an
//! HTML or SVG file cannot run script as this site). Files up to `RAW_IN_MEMORY` are read
//! whole; larger ones stream from `git cat-file`. `/{owner}/{repo}/media/…` answers the same,
//! except that a Git LFS pointer answers with its object from the LFS store (Gitea's path).

use axum::{
    Router,
    body::Body,
    extract::{Path, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use tokio_util::io::ReaderStream;

use crate::{
    error::{Error, PageError},
    git::browse::{
        self,
        blob::{Raw, is_binary},
        tree::Found,
    },
    lfs::{object_io, store::Oid},
    state::AppState,
    web::extract::{PageRepo, Read},
};

/// The raw and media routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/{owner}/{repo}/raw/{*rest}", get(raw))
        .route("/{owner}/{repo}/media/{*rest}", get(media))
}

/// How many leading bytes of a streamed file decide its type.
const TYPE_PROBE: usize = 8000;

/// The file's bytes.
async fn raw(
    State(state): State<AppState>,
    access: PageRepo<Read>,
    Path((_, _, rest)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let file = read_file(&state, &access, rest).await?;
    answer(&state, &access, file).await
}

/// The file's bytes, or the LFS object its pointer names.
async fn media(
    State(state): State<AppState>,
    access: PageRepo<Read>,
    Path((_, _, rest)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let file = read_file(&state, &access, rest).await?;
    let pointer = file
        .bytes
        .as_deref()
        .and_then(crate::git::fetch_push::lfs_pointers::parse);
    let Some(pointer) = pointer else {
        return answer(&state, &access, file).await;
    };
    let oid = Oid::parse(&pointer.oid).map_err(|_| Error::NotFound("LFS object"))?;
    let Some((object, size)) =
        object_io::download(&state.db, &state.lfs, access.repo.repo.id, &oid).await?
    else {
        return Err(Error::NotFound("LFS object").into());
    };
    let body = Body::from_stream(ReaderStream::new(object));
    Ok(bytes_response(body, Some(size), false))
}

/// The blob at the route's `rest` (404 for a directory or a submodule).
async fn read_file(state: &AppState, access: &PageRepo<Read>, rest: String) -> Result<Raw, Error> {
    browse::read(
        access.repo.repo.id,
        access.repo.path(&state.config),
        move |git| match browse::locate(git, &rest)?.found {
            Found::File(id) => browse::blob::raw(git, id),
            Found::Dir(_) | Found::Submodule(_) => Err(Error::NotFound("file")),
        },
    )
    .await
}

/// `file`'s bytes as the answer: from memory, or streamed from git when large.
async fn answer(
    state: &AppState,
    access: &PageRepo<Read>,
    file: Raw,
) -> Result<Response, PageError> {
    if let Some(bytes) = file.bytes {
        let text = !is_binary(&bytes);
        return Ok(bytes_response(Body::from(bytes), Some(file.size), text));
    }
    let (head, body) = state
        .git
        .cat_blob(&access.repo.path(&state.config), &file.id, TYPE_PROBE)
        .await
        .map_err(|e| Error::internal_msg(e.to_string()))?;
    Ok(bytes_response(body, Some(file.size), !is_binary(&head)))
}

/// An answer of bytes that no browser renders as a page of this site.
fn bytes_response(body: Body, length: Option<u64>, text: bool) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if text {
            "text/plain; charset=utf-8"
        } else {
            "application/octet-stream"
        }),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    if let Some(length) = length {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    response
}
