//! The HTTP side of one mirror transfer, done by us (libgit2 keeps the git protocol): the
//! remote's host resolved and every address checked against the URL policy, a connection only
//! to a checked address (no DNS-rebinding window), TLS with the certificate checked and the
//! connector built once per process, `TCP_NODELAY`, one kept-alive connection for the whole
//! transfer, and no redirect (3xx) ever followed: the target is kept for the sync's sentence.

use std::{
    net::SocketAddr,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use base64::Engine;
use hyper::{
    Method, Request, Response, StatusCode,
    body::{Body as _, Incoming},
    client::conn::http1::SendRequest,
    header::{self, HeaderValue},
};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use url::{Host, Url};

mod body;
mod tls;

pub use self::body::{RequestBody, SizedBody};
use self::tls::{RemoteStream, tls_connector};
use super::{
    remote_url::RemoteUrl,
    url_policy::{self, ResolveError, redact},
};

/// The largest request body (of a length known in advance) whose answer must come within the
/// silence limit; a larger or streamed one is an upload, answered once it is all in.
const SMALL_BODY: u64 = 64 * 1024;

/// The service a push posts to.
const PUSH_SERVICE: &str = "git-receive-pack";

/// What the remote's `User-Agent` header says we are.
const USER_AGENT: &str = "git/2.0 (mirrorforge)";

/// Why no answer came back from the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectRefusal {
    /// The host resolved to an address the URL policy forbids.
    Blocked(String),
    /// The host did not resolve, no address of it accepted a connection, or the connection
    /// broke.
    Unreachable(String),
    /// The TLS handshake with the remote failed (the TLS library's message).
    Tls(String),
    /// The remote answered with a redirect to this URL (without credentials), which is
    /// never followed.
    Redirect(String),
    /// No answer within the time allowed.
    Timeout,
}

/// The one remote a transfer may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    tls: bool,
    /// Name or address to resolve (IPv6 without brackets); also the TLS server name.
    host: String,
    port: u16,
    /// `Host` header value: as in the URL, with the port when it is not the default.
    authority: String,
}

impl Origin {
    fn of(url: &Url) -> Option<Self> {
        let host = match url.host()? {
            Host::Domain(domain) => domain.to_owned(),
            Host::Ipv4(ip) => ip.to_string(),
            Host::Ipv6(ip) => ip.to_string(),
        };
        let authority = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str()?),
            None => url.host_str()?.to_owned(),
        };
        Some(Self {
            tls: url.scheme() == "https",
            host,
            port: url.port_or_known_default()?,
            authority,
        })
    }
}

/// The HTTP connection of one transfer to its one remote.
pub struct RemoteHttp {
    /// The repository's URL; requests go to paths below it.
    remote: Url,
    origin: Origin,
    allow_local: bool,
    /// Bounds the head of the answer to an upload (a large or streamed body).
    timeout: Duration,
    /// Bounds each connection attempt (TLS handshake included) and the head of the answer to
    /// a request with a small body: what a remote that took the connection and went quiet is
    /// given.
    silence: Duration,
    /// `Basic …`, sent with every request when credentials are set.
    authorization: Option<HeaderValue>,
    connection: tokio::sync::Mutex<Option<SendRequest<RequestBody>>>,
    refusal: Mutex<Option<ConnectRefusal>>,
    requests: AtomicUsize,
}

impl std::fmt::Debug for RemoteHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteHttp")
            .field("remote", &self.remote.as_str())
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "(set)"),
            )
            .finish_non_exhaustive()
    }
}

impl RemoteHttp {
    /// The way to `remote` for one transfer, with `credentials` (username, password) sent as
    /// Basic authentication when set.
    ///
    /// # Errors
    /// The URL has no host.
    pub fn new(
        remote: &RemoteUrl,
        allow_local: bool,
        timeout: Duration,
        credentials: Option<(&str, &str)>,
    ) -> Result<Self, ConnectRefusal> {
        let origin = Origin::of(remote.url())
            .ok_or_else(|| ConnectRefusal::Unreachable("the URL has no host".to_owned()))?;
        let authorization = credentials.and_then(|(user, password)| {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            let mut value = HeaderValue::from_str(&format!("Basic {encoded}")).ok()?;
            value.set_sensitive(true);
            Some(value)
        });
        Ok(Self {
            remote: remote.url().clone(),
            origin,
            allow_local,
            timeout,
            silence: timeout,
            authorization,
            connection: tokio::sync::Mutex::new(None),
            refusal: Mutex::new(None),
            requests: AtomicUsize::new(0),
        })
    }

    /// How long the remote may stay silent while a connection is opened (TLS included) or a
    /// request with a small body waits for its answer; never longer than the timeout.
    #[must_use]
    pub fn with_silence_limit(mut self, silence: Duration) -> Self {
        self.silence = silence.min(self.timeout);
        self
    }

    /// Whether credentials are sent.
    #[must_use]
    pub fn has_credentials(&self) -> bool {
        self.authorization.is_some()
    }

    /// The remote's repository URL.
    #[must_use]
    pub fn remote(&self) -> &Url {
        &self.remote
    }

    /// The first refusal of this transfer, if any.
    #[must_use]
    pub fn refusal(&self) -> Option<ConnectRefusal> {
        self.refusal.lock().ok().and_then(|r| r.clone())
    }

    /// Requests sent so far.
    #[must_use]
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// Keeps the first refusal, and hands it back.
    fn refuse(&self, refusal: ConnectRefusal) -> ConnectRefusal {
        if let Ok(mut kept) = self.refusal.lock() {
            kept.get_or_insert_with(|| refusal.clone());
        }
        refusal
    }

    /// The path and query of `service_path` (`info/refs`, `git-upload-pack`) below the
    /// repository, with `query` joined to the URL's own query.
    fn target(&self, service_path: &str, query: Option<&str>) -> String {
        let mut target = format!(
            "{}/{service_path}",
            self.remote.path().trim_end_matches('/')
        );
        let queries: Vec<&str> = [self.remote.query(), query].into_iter().flatten().collect();
        if !queries.is_empty() {
            target.push('?');
            target.push_str(&queries.join("&"));
        }
        target
    }

    /// Sends one request to `service_path` below the repository and returns the answer's head
    /// (its body streams). A 3xx answer is refused: nothing of it is returned.
    ///
    /// # Errors
    /// A [`ConnectRefusal`]: the address policy, the network, TLS, a redirect or the time limit.
    pub async fn send(
        &self,
        method: Method,
        service_path: &str,
        query: Option<&str>,
        content_type: Option<&str>,
        body: RequestBody,
    ) -> Result<Response<Incoming>, ConnectRefusal> {
        let mut request = Request::builder()
            .method(method)
            .uri(self.target(service_path, query))
            .header(header::HOST, &self.origin.authority)
            .header(header::USER_AGENT, USER_AGENT)
            .header(header::ACCEPT, "*/*")
            .header(header::PRAGMA, "no-cache");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        if let Some(authorization) = &self.authorization {
            request = request.header(header::AUTHORIZATION, authorization.clone());
        }
        // A push is answered once the remote's hooks have run, however small it is.
        let answer_within = if service_path == PUSH_SERVICE {
            self.timeout
        } else {
            self.answer_limit(&body)
        };
        self.dispatch(request, body, answer_within).await
    }

    /// POSTs `body` to the URL itself (a notification target, not a repository) with
    /// `headers` added, under the same rules as every transfer: checked address, no redirect.
    ///
    /// # Errors
    /// A [`ConnectRefusal`]: the address policy, the network, TLS, a redirect or the time limit.
    pub async fn post_to_url(
        &self,
        headers: hyper::HeaderMap,
        body: RequestBody,
    ) -> Result<Response<Incoming>, ConnectRefusal> {
        // Path and query exactly as in the URL.
        let target = &self.remote[url::Position::BeforePath..url::Position::AfterQuery];
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(target)
            .header(header::HOST, &self.origin.authority)
            .header(header::USER_AGENT, "mirrorforge-notify");
        if let Some(all) = request.headers_mut() {
            all.extend(headers);
        }
        let answer_within = self.answer_limit(&body);
        self.dispatch(request, body, answer_within).await
    }

    /// Sends `method` to `target`, a URL on this connection's own origin (an LFS batch endpoint
    /// or an object's href), with `headers`; the stored credentials go along only when
    /// `with_credentials` and `headers` hold no `Authorization` of their own.
    ///
    /// # Errors
    /// A [`ConnectRefusal`]: another origin, the address policy, the network, TLS, a redirect or the
    /// time limit.
    pub async fn send_to(
        &self,
        method: Method,
        target: &Url,
        headers: hyper::HeaderMap,
        with_credentials: bool,
        body: RequestBody,
    ) -> Result<Response<Incoming>, ConnectRefusal> {
        let same = Origin::of(target).is_some_and(|o| {
            o.tls == self.origin.tls && o.host == self.origin.host && o.port == self.origin.port
        });
        if !same {
            return Err(ConnectRefusal::Unreachable(format!(
                "{} is not on {}",
                url_policy::redact(target.as_str()),
                self.origin.authority
            )));
        }
        let mut request = Request::builder()
            .method(method)
            .uri(&target[url::Position::BeforePath..url::Position::AfterQuery])
            .header(header::HOST, &self.origin.authority)
            .header(header::USER_AGENT, USER_AGENT);
        let own_authorization = headers.contains_key(header::AUTHORIZATION);
        if let Some(all) = request.headers_mut() {
            all.extend(headers);
        }
        if with_credentials
            && !own_authorization
            && let Some(authorization) = &self.authorization
        {
            request = request.header(header::AUTHORIZATION, authorization.clone());
        }
        let answer_within = self.answer_limit(&body);
        self.dispatch(request, body, answer_within).await
    }

    /// How long the answer to a request with `body` may take: an upload (a large or streamed
    /// body) is answered only once it is all in; a small request at once.
    fn answer_limit(&self, body: &RequestBody) -> Duration {
        let small = body
            .size_hint()
            .exact()
            .is_some_and(|length| length <= SMALL_BODY);
        if small { self.silence } else { self.timeout }
    }

    /// Sends `request` with `body` on the kept-alive connection (or a new one) and returns the
    /// answer's head, waiting `answer_within` at most; a 3xx answer is refused.
    async fn dispatch(
        &self,
        request: hyper::http::request::Builder,
        body: RequestBody,
        answer_within: Duration,
    ) -> Result<Response<Incoming>, ConnectRefusal> {
        let request = request
            .body(body)
            .map_err(|e| self.refuse(ConnectRefusal::Unreachable(e.to_string())))?;
        let mut connection = self.connection.lock().await;
        // The kept-alive connection, if it is still good; else a new one.
        let reusable = match connection.as_mut() {
            Some(sender) if !sender.is_closed() => {
                matches!(
                    tokio::time::timeout(self.timeout, sender.ready()).await,
                    Ok(Ok(()))
                )
            }
            _ => false,
        };
        if !reusable {
            let mut sender = self.connect().await?;
            sender
                .ready()
                .await
                .map_err(|e| self.refuse(ConnectRefusal::Unreachable(e.to_string())))?;
            *connection = Some(sender);
        }
        let Some(sender) = connection.as_mut() else {
            return Err(self.refuse(ConnectRefusal::Unreachable("no connection".to_owned())));
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = tokio::time::timeout(answer_within, sender.send_request(request))
            .await
            .map_err(|_| self.refuse(self.no_answer(answer_within)))?
            .map_err(|e| self.refuse(ConnectRefusal::Unreachable(e.to_string())))?;
        if response.status().is_redirection() {
            *connection = None;
            let target = response
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map_or_else(
                    || "another URL".to_owned(),
                    |l| redirect_target(&self.remote, l),
                );
            // Not logged here: a sync's failure names the target in its sentence, and a
            // notification URL's path is a secret of its own.
            return Err(self.refuse(ConnectRefusal::Redirect(target)));
        }
        Ok(response)
    }

    /// Resolves, checks every address, connects to the first that answers, completes the TLS
    /// handshake for an `https://` remote, and starts HTTP/1 on the connection.
    async fn connect(&self) -> Result<SendRequest<RequestBody>, ConnectRefusal> {
        let Origin { host, port, .. } = &self.origin;
        let addrs = url_policy::resolve_allowed(host, *port, self.allow_local)
            .await
            .map_err(|e| {
                self.refuse(match e {
                    ResolveError::Blocked(message) => ConnectRefusal::Blocked(message),
                    ResolveError::Unresolved(message) => ConnectRefusal::Unreachable(message),
                })
            })?;
        let tcp = self.connect_any(&addrs).await?;
        let stream: Box<dyn RemoteStream> = if self.origin.tls {
            let connector = tls_connector().map_err(|e| self.refuse(ConnectRefusal::Tls(e.0)))?;
            match tokio::time::timeout(self.silence, connector.connect(host, tcp)).await {
                Ok(Ok(stream)) => Box::new(stream),
                Ok(Err(e)) => return Err(self.refuse(ConnectRefusal::Tls(e.to_string()))),
                Err(_) => return Err(self.refuse(self.no_answer(self.silence))),
            }
        } else {
            Box::new(tcp)
        };
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| self.refuse(ConnectRefusal::Unreachable(e.to_string())))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "mirror remote connection ended");
            }
        });
        Ok(sender)
    }

    /// The refusal for a wait of `waited` that ran out: the timeout itself, or a remote that
    /// went quiet well within it.
    fn no_answer(&self, waited: Duration) -> ConnectRefusal {
        if waited < self.timeout {
            ConnectRefusal::Unreachable(format!(
                "the connection opened but the remote did not answer within {} s",
                waited.as_secs()
            ))
        } else {
            ConnectRefusal::Timeout
        }
    }

    async fn connect_any(&self, addrs: &[SocketAddr]) -> Result<TcpStream, ConnectRefusal> {
        let mut last = String::from("no address");
        for addr in addrs {
            match tokio::time::timeout(self.silence, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Ok(Err(e)) => last = crate::net::error::connect_failure(&addr.to_string(), &e),
                Err(_) => last = format!("no answer from {addr}"),
            }
        }
        Err(self.refuse(ConnectRefusal::Unreachable(last)))
    }
}

/// Whether an answer's status means the remote wants (other) credentials.
#[must_use]
pub fn asks_for_credentials(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::UNAUTHORIZED
            | StatusCode::FORBIDDEN
            | StatusCode::PROXY_AUTHENTICATION_REQUIRED
    )
}

/// The repository URL a redirect points to: `location` resolved against the remote, without
/// the `/info/refs?…` suffix, without credentials, query or fragment.
fn redirect_target(remote: &Url, location: &str) -> String {
    // Without its query and fragment: a presigned URL's signature is a credential.
    let resolved = remote.join(location).map_or_else(
        |_| location.split(['?', '#']).next().unwrap_or("").to_owned(),
        |mut u| {
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        },
    );
    let repository = resolved
        .split_once("/info/refs")
        .or_else(|| resolved.split_once("/git-upload-pack"))
        .or_else(|| resolved.split_once("/git-receive-pack"))
        .map_or(resolved.as_str(), |(repo, _)| repo);
    redact(repository)
}

#[cfg(test)]
mod tests;
