//! A stand-in for GitHub: stock `git http-backend` served over HTTP on 127.0.0.1, with optional
//! Basic auth and optional LFS routes answering first (`lfs_standin`); plus a remote that
//! accepts connections and never answers (a hung host) and one that only redirects.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine;
use tokio::{io::AsyncWriteExt, net::TcpListener, process::Command};

/// A git host serving every bare repository under its root.
pub struct GitBackend {
    /// Folder holding `NAME.git` repositories.
    pub root: PathBuf,
    /// Listening address.
    pub addr: SocketAddr,
    seen: Arc<std::sync::Mutex<Vec<String>>>,
    authorizations: Arc<std::sync::Mutex<Vec<String>>>,
    damage_packs: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

#[derive(Clone)]
struct BackendState {
    root: PathBuf,
    auth: Option<(String, String)>,
    delay: Option<std::time::Duration>,
    /// Redirect every request but the ref advertisement (`GET …/info/refs`) to this target
    /// followed by the request's path and query.
    redirect_after_refs: Option<String>,
    /// Every request served, as `METHOD last-path-segment` (`GET refs`, `POST git-upload-pack`).
    seen: Arc<std::sync::Mutex<Vec<String>>>,
    /// Every `Authorization` header it was sent.
    authorizations: Arc<std::sync::Mutex<Vec<String>>>,
    /// Flip a byte inside each pack it sends (`pack_damage`).
    damage_packs: Arc<AtomicBool>,
}

impl GitBackend {
    /// Serves without authentication.
    pub async fn start() -> Self {
        Self::start_inner(None, None).await
    }

    /// Serves only to `user` with `password` (Basic auth), like a private GitHub repository.
    pub async fn with_auth(user: &str, password: &str) -> Self {
        Self::start_inner(Some((user.to_owned(), password.to_owned())), None).await
    }

    /// Serves without authentication, but waits `delay` before each answer (a slow host).
    pub async fn slow(delay: std::time::Duration) -> Self {
        Self::start_inner(None, Some(delay)).await
    }

    /// Serves the ref advertisement, and redirects every request after it (the negotiation
    /// and the pack) to `target` + the request path: a remote whose first answer looks fine.
    pub async fn redirecting_after_refs(target: &str) -> Self {
        Self::start_with_state(None, None, Some(target.to_owned()), None).await
    }

    /// Serves only to `user` with `password` (Basic auth), with `lfs` answering below the
    /// repositories first (`NAME.git/info/lfs/…`), like GitHub's LFS beside its git.
    pub async fn with_auth_and_lfs(user: &str, password: &str, lfs: Router) -> Self {
        let auth = Some((user.to_owned(), password.to_owned()));
        Self::start_with_state(auth, None, None, Some(lfs)).await
    }

    async fn start_inner(
        auth: Option<(String, String)>,
        delay: Option<std::time::Duration>,
    ) -> Self {
        Self::start_with_state(auth, delay, None, None).await
    }

    async fn start_with_state(
        auth: Option<(String, String)>,
        delay: Option<std::time::Duration>,
        redirect_after_refs: Option<String>,
        lfs: Option<Router>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_path_buf();
        let state = Arc::new(BackendState {
            root: root.clone(),
            auth,
            delay,
            redirect_after_refs,
            seen: Arc::new(std::sync::Mutex::new(Vec::new())),
            authorizations: Arc::new(std::sync::Mutex::new(Vec::new())),
            damage_packs: Arc::new(AtomicBool::new(false)),
        });
        let seen = Arc::clone(&state.seen);
        let authorizations = Arc::clone(&state.authorizations);
        let damage_packs = Arc::clone(&state.damage_packs);
        let git = Router::new().fallback(cgi).with_state(state);
        let app = match lfs {
            Some(lfs) => lfs.fallback_service(git),
            None => git,
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            root,
            addr,
            seen,
            authorizations,
            damage_packs,
            task,
            _dir: dir,
        }
    }

    /// The requests served since the last call, as `METHOD last-path-segment`.
    pub fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.seen.lock().expect("requests lock"))
    }

    /// Every `Authorization` header the git host was sent, decoded when Basic (`user:password`).
    pub fn authorizations(&self) -> Vec<String> {
        self.authorizations
            .lock()
            .expect("authorizations lock")
            .clone()
    }

    /// From now on, every pack served has one byte of an object flipped (its checksum made
    /// right again), or, with `false`, packs are served as git makes them.
    pub fn damage_packs(&self, on: bool) {
        self.damage_packs.store(on, Ordering::SeqCst);
    }

    /// `http://127.0.0.1:PORT/NAME.git`.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}.git", self.addr)
    }

    /// The bare repository `NAME.git` on disk.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(format!("{name}.git"))
    }

    /// Creates an empty bare repository `NAME.git` that accepts pushes.
    pub async fn create(&self, name: &str) -> PathBuf {
        let path = self.path(name);
        let status = Command::new("git")
            .args(["init", "-q", "--bare", "-b", "main"])
            .arg(&path)
            .status()
            .await
            .expect("git init");
        assert!(status.success());
        path
    }

    /// Installs a pre-receive hook refusing any update of `refname` (a protected branch).
    pub fn protect(&self, name: &str, refname: &str) {
        let hook = self.path(name).join("hooks").join("pre-receive");
        let script = format!(
            "#!/bin/sh\nwhile read old new ref; do\n  if [ \"$ref\" = \"{refname}\" ]; then echo \"{refname} is protected\" >&2; exit 1; fi\ndone\nexit 0\n"
        );
        std::fs::write(&hook, script).expect("hook");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }
}

impl Drop for GitBackend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn authorized(state: &BackendState, headers: &HeaderMap) -> bool {
    let Some((user, password)) = &state.auth else {
        return true;
    };
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    );
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected)
}

async fn cgi(State(state): State<Arc<BackendState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if let Ok(mut seen) = state.seen.lock() {
        let last = parts.uri.path().rsplit('/').next().unwrap_or("");
        seen.push(format!("{} {last}", parts.method));
    }
    if let Some(value) = parts.headers.get(header::AUTHORIZATION)
        && let Ok(mut kept) = state.authorizations.lock()
    {
        let text = value.to_str().unwrap_or("");
        let decoded = text
            .strip_prefix("Basic ")
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok());
        kept.push(decoded.unwrap_or_else(|| text.to_owned()));
    }
    if let Some(target) = &state.redirect_after_refs
        && !parts.uri.path().ends_with("/info/refs")
    {
        let location = format!(
            "{target}{}",
            parts.uri.path_and_query().map_or("", |p| p.as_str())
        );
        return (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
    }
    if let Some(delay) = state.delay {
        tokio::time::sleep(delay).await;
    }
    if !authorized(&state, &parts.headers) {
        let mut response = (StatusCode::UNAUTHORIZED, "auth required").into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"stand-in\""),
        );
        return response;
    }
    let body: Bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let header = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let mut child = Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", &state.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", parts.uri.path())
        .env("QUERY_STRING", parts.uri.query().unwrap_or(""))
        .env("REQUEST_METHOD", parts.method.as_str())
        .env("CONTENT_TYPE", header(header::CONTENT_TYPE))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("HTTP_CONTENT_ENCODING", header(header::CONTENT_ENCODING))
        .env(
            "GIT_PROTOCOL",
            parts
                .headers
                .get("git-protocol")
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
        )
        .env("REMOTE_USER", "tester")
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("git http-backend");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(&body).await;
    });
    let output = child.wait_with_output().await.expect("http-backend output");
    let _ = writer.await;
    let response = cgi_response(&output.stdout);
    if state.damage_packs.load(Ordering::SeqCst) && parts.uri.path().ends_with("/git-upload-pack") {
        let (mut head, body) = response.into_parts();
        head.headers.remove(header::CONTENT_LENGTH);
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        let damaged = super::pack_damage::damage_upload_pack_response(&body);
        return Response::from_parts(head, Body::from(damaged));
    }
    response
}

fn cgi_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((end, sep)) = split else {
        return (StatusCode::BAD_GATEWAY, "bad CGI answer").into_response();
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut builder = Response::builder();
    let mut status = StatusCode::OK;
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            status = value
                .split_whitespace()
                .next()
                .and_then(|c| c.parse().ok())
                .and_then(|c| StatusCode::from_u16(c).ok())
                .unwrap_or(StatusCode::OK);
        } else {
            builder = builder.header(name.trim(), value);
        }
    }
    builder
        .status(status)
        .body(Body::from(raw[end + sep..].to_vec()))
        .expect("response")
}

/// A host that accepts connections and never says a word.
pub struct HungRemote {
    /// Listening address.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl HungRemote {
    /// Starts listening on 127.0.0.1.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        Self { addr, task }
    }

    /// A repository URL on the hung host.
    pub fn url(&self) -> String {
        format!("http://{}/hung.git", self.addr)
    }
}

impl Drop for HungRemote {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A listener on 127.0.0.1 that counts the connections it accepts and closes each at once:
/// where nothing may ever arrive.
pub struct CountingListener {
    /// Listening address.
    pub addr: SocketAddr,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl CountingListener {
    /// Starts listening.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                drop(socket);
            }
        });
        Self {
            addr,
            accepted,
            task,
        }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for CountingListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A host that answers every request with a redirect to `target`.
pub struct RedirectingRemote {
    /// Listening address.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl RedirectingRemote {
    /// Redirects everything to `target` + the request path.
    pub async fn start(target: String) -> Self {
        let app = Router::new().fallback(move |request: Request| {
            let target = target.clone();
            async move {
                let location = format!(
                    "{target}{}",
                    request.uri().path_and_query().map_or("", |p| p.as_str())
                );
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, location)],
                )
                    .into_response()
            }
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, task }
    }

    /// A repository URL on the redirecting host.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}.git", self.addr)
    }
}

impl Drop for RedirectingRemote {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Paths of a repository's refs as `git show-ref` prints them, for comparisons.
pub async fn refs_of(path: &Path) -> String {
    let output = Command::new("git")
        .arg("--git-dir")
        .arg(path)
        .args([
            "for-each-ref",
            "--format=%(objectname) %(refname)",
            "refs/heads",
            "refs/tags",
            "refs/notes",
        ])
        .output()
        .await
        .expect("git for-each-ref");
    String::from_utf8_lossy(&output.stdout).into_owned()
}
