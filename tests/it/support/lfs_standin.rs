//! A stand-in for a stock LFS server as GitHub and GitLab run one, written from the batch API
//! spec and sharing no code with mirrorforge: the batch API on 127.0.0.1 wants HTTP Basic and
//! hands out hrefs on another host, an "object storage" on 127.0.0.2 that takes only the
//! `RemoteAuth` token of the action (or, presigned like S3, a token in the href itself) and
//! records every request it gets.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path as UrlPath, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

use super::lfs::MEDIA_TYPE;

/// One request as a listener of the stand-in got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `GET`, `PUT`, `POST`.
    pub method: String,
    /// The path (no query).
    pub path: String,
    /// Every `Authorization` header as sent, joined with `, ` (a second one is not lost).
    pub authorization: Option<String>,
}

#[derive(Clone)]
struct StandInState {
    user: String,
    password: String,
    /// What the actions' `Authorization: RemoteAuth …` header carries.
    token: String,
    /// Hrefs carry the token in their query (`?X-Amz-Signature=…`) and the actions no header.
    presigned: bool,
    /// `http://127.0.0.2:PORT`, where the hrefs point.
    storage_base: String,
    objects: PathBuf,
    batches: Arc<Mutex<Vec<Seen>>>,
    storage: Arc<Mutex<Vec<Seen>>>,
    /// When set, a download href is answered with a 302 to this URL + the request path.
    redirect_downloads: Arc<Mutex<Option<String>>>,
}

/// A stock LFS server: the batch API (`/NAME.git/info/lfs/objects/batch`, Basic auth) on
/// 127.0.0.1, its object storage on 127.0.0.2.
pub struct LfsStandIn {
    /// Where the batch API listens on its own (an LFS endpoint away from any git host).
    pub api_addr: SocketAddr,
    /// The token the actions carry as `Authorization: RemoteAuth TOKEN`.
    pub token: String,
    state: StandInState,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl LfsStandIn {
    /// Starts the batch API (answering only `user` with `password`) and the object storage,
    /// whose actions carry `Authorization: RemoteAuth TOKEN`.
    pub async fn start(user: &str, password: &str) -> Self {
        Self::start_with(user, password, false).await
    }

    /// Like [`Self::start`], but with presigned hrefs: the token in the URL, no header at all
    /// in the actions (S3 behind GitLab).
    pub async fn start_presigned(user: &str, password: &str) -> Self {
        Self::start_with(user, password, true).await
    }

    async fn start_with(user: &str, password: &str, presigned: bool) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let storage_listener = TcpListener::bind("127.0.0.2:0")
            .await
            .expect("bind 127.0.0.2");
        let storage_addr = storage_listener.local_addr().expect("addr");
        let token = hex::encode(rand::random::<[u8; 16]>());
        let state = StandInState {
            user: user.to_owned(),
            password: password.to_owned(),
            token: token.clone(),
            presigned,
            storage_base: format!("http://{storage_addr}"),
            objects: dir.path().to_path_buf(),
            batches: Arc::default(),
            storage: Arc::default(),
            redirect_downloads: Arc::default(),
        };
        let storage_app = Router::new()
            .route("/objects/{oid}", get(download).put(upload))
            .route("/verify", post(verify))
            .with_state(state.clone());
        let api_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let api_addr = api_listener.local_addr().expect("addr");
        let api_app = api_router(state.clone());
        let tasks = vec![
            tokio::spawn(async move {
                let _ = axum::serve(storage_listener, storage_app).await;
            }),
            tokio::spawn(async move {
                let _ = axum::serve(api_listener, api_app).await;
            }),
        ];
        Self {
            api_addr,
            token,
            state,
            tasks,
            _dir: dir,
        }
    }

    /// The batch API's routes, for a git host to serve below its repositories' URLs (so
    /// `<repo url>/info/lfs` is the LFS server, as on GitHub).
    pub fn router(&self) -> Router {
        api_router(self.state.clone())
    }

    /// `http://127.0.0.1:PORT/NAME.git/info/lfs` on the batch API's own listener.
    pub fn endpoint(&self, name: &str) -> String {
        format!("http://{}/{name}.git/info/lfs", self.api_addr)
    }

    /// That endpoint with the Basic login in it, for the stock `git lfs` client's `lfs.url`.
    pub fn endpoint_with_login(&self, name: &str) -> String {
        format!(
            "http://{}:{}@{}/{name}.git/info/lfs",
            self.state.user, self.state.password, self.api_addr
        )
    }

    /// From now on, every download href answers with a 302 to `target` + its path.
    pub fn redirect_downloads_to(&self, target: &str) {
        *self.state.redirect_downloads.lock().unwrap() = Some(target.to_owned());
    }

    /// The batch requests got since the last call.
    pub fn take_batch_requests(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.state.batches.lock().unwrap())
    }

    /// The object storage's requests got since the last call.
    pub fn take_storage_requests(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.state.storage.lock().unwrap())
    }

    /// Whether the object storage holds `oid`.
    pub fn has(&self, oid: &str) -> bool {
        self.state.objects.join(oid).is_file()
    }
}

impl Drop for LfsStandIn {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn api_router(state: StandInState) -> Router {
    Router::new()
        .route("/{repo}/info/lfs/objects/batch", post(batch))
        .route("/{repo}/info/lfs/locks/verify", post(locks_verify))
        .with_state(state)
}

fn seen(method: &Method, path: &str, headers: &HeaderMap) -> Seen {
    Seen {
        method: method.to_string(),
        path: path.to_owned(),
        authorization: Some(
            headers
                .get_all(header::AUTHORIZATION)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect::<Vec<_>>()
                .join(", "),
        )
        .filter(|all| !all.is_empty()),
    }
}

/// An LFS answer: the LFS media type on a JSON body.
fn lfs_json(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE))],
        body.to_string(),
    )
        .into_response()
}

/// `None` when the request carries the Basic login; else the 401 a stock server sends.
fn basic_refusal(state: &StandInState, headers: &HeaderMap) -> Option<Response> {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", state.user, state.password))
    );
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if given == Some(expected.as_str()) {
        return None;
    }
    let mut response = lfs_json(
        StatusCode::UNAUTHORIZED,
        &json!({"message": "Credentials needed"}),
    );
    response.headers_mut().insert(
        "LFS-Authenticate",
        HeaderValue::from_static("Basic realm=\"stand-in\""),
    );
    Some(response)
}

fn is_oid(oid: &str) -> bool {
    oid.len() == 64
        && oid
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn size_on_disk(objects: &Path, oid: &str) -> Option<u64> {
    std::fs::metadata(objects.join(oid)).ok().map(|m| m.len())
}

async fn batch(State(state): State<StandInState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    state
        .batches
        .lock()
        .unwrap()
        .push(seen(&parts.method, parts.uri.path(), &parts.headers));
    if let Some(refusal) = basic_refusal(&state, &parts.headers) {
        return refusal;
    }
    let body = axum::body::to_bytes(body, 10 << 20)
        .await
        .unwrap_or_default();
    let Ok(asked) = serde_json::from_slice::<Value>(&body) else {
        return lfs_json(StatusCode::BAD_REQUEST, &json!({"message": "bad JSON"}));
    };
    let operation = asked["operation"].as_str().unwrap_or("");
    let action = |path: &str| {
        if state.presigned {
            json!({"href": format!("{}{path}?X-Amz-Signature={}", state.storage_base, state.token),
                   "expires_in": 3600})
        } else {
            json!({"href": format!("{}{path}", state.storage_base),
                   "header": {"Authorization": format!("RemoteAuth {}", state.token)},
                   "expires_in": 3600})
        }
    };
    let mut objects = Vec::new();
    for object in asked["objects"].as_array().cloned().unwrap_or_default() {
        let oid = object["oid"].as_str().unwrap_or("").to_owned();
        let size = object["size"].as_u64().unwrap_or(0);
        let href = format!("/objects/{oid}");
        let stored = is_oid(&oid)
            .then(|| size_on_disk(&state.objects, &oid))
            .flatten();
        objects.push(match (operation, stored) {
            ("download", Some(stored)) => json!({
                "oid": oid, "size": stored, "authenticated": true,
                "actions": {"download": action(&href)},
            }),
            ("download", None) => json!({
                "oid": oid, "size": size,
                "error": {"code": 404, "message": "Object does not exist"},
            }),
            ("upload", Some(_)) => json!({"oid": oid, "size": size, "authenticated": true}),
            ("upload", None) if is_oid(&oid) => json!({
                "oid": oid, "size": size, "authenticated": true,
                "actions": {"upload": action(&href), "verify": action("/verify")},
            }),
            _ => json!({
                "oid": oid, "size": size,
                "error": {"code": 422, "message": "Invalid object"},
            }),
        });
    }
    lfs_json(
        StatusCode::OK,
        &json!({"transfer": "basic", "objects": objects, "hash_algo": "sha256"}),
    )
}

/// No locks here: the stock client asks before it pushes.
async fn locks_verify(State(state): State<StandInState>, headers: HeaderMap) -> Response {
    if let Some(refusal) = basic_refusal(&state, &headers) {
        return refusal;
    }
    lfs_json(StatusCode::OK, &json!({"ours": [], "theirs": []}))
}

/// Records the storage request; `None` when it carries the action's token (in the header, or
/// in the query when presigned), else a 403.
fn storage_refusal(
    state: &StandInState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<Response> {
    state
        .storage
        .lock()
        .unwrap()
        .push(seen(method, uri.path(), headers));
    let allowed = if state.presigned {
        uri.query() == Some(format!("X-Amz-Signature={}", state.token).as_str())
    } else {
        let expected = format!("RemoteAuth {}", state.token);
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            == Some(expected.as_str())
    };
    (!allowed)
        .then(|| (StatusCode::FORBIDDEN, "storage wants its RemoteAuth token").into_response())
}

async fn download(
    State(state): State<StandInState>,
    UrlPath(oid): UrlPath<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(refusal) = storage_refusal(&state, &method, &uri, &headers) {
        return refusal;
    }
    let redirect = state.redirect_downloads.lock().unwrap().clone();
    if let Some(target) = redirect {
        let location = format!("{target}{}", uri.path());
        return (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
    }
    if !is_oid(&oid) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match std::fs::read(state.objects.join(&oid)) {
        Ok(content) => (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            content,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn upload(
    State(state): State<StandInState>,
    UrlPath(oid): UrlPath<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = storage_refusal(&state, &method, &uri, &headers) {
        return refusal;
    }
    if !is_oid(&oid) || hex::encode(Sha256::digest(&body)) != oid {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "content does not match the oid",
        )
            .into_response();
    }
    std::fs::write(state.objects.join(&oid), &body).expect("store object");
    StatusCode::OK.into_response()
}

async fn verify(
    State(state): State<StandInState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(refusal) = storage_refusal(&state, &method, &uri, &headers) {
        return refusal;
    }
    let object: Value = serde_json::from_slice(&body).unwrap_or_default();
    let oid = object["oid"].as_str().unwrap_or("");
    let stored = is_oid(oid)
        .then(|| size_on_disk(&state.objects, oid))
        .flatten();
    if stored.is_some() && stored == object["size"].as_u64() {
        lfs_json(StatusCode::OK, &json!({"message": "ok"}))
    } else {
        lfs_json(
            StatusCode::NOT_FOUND,
            &json!({"message": "Object does not exist"}),
        )
    }
}
