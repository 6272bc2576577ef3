//! The way out for one mirror transfer: a loopback HTTP proxy between libgit2 and the remote.
//! It resolves the remote's host itself, checks every address against the URL policy and
//! connects to a checked one, so DNS that changes between the policy check and the connection
//! (DNS rebinding) cannot send a transfer to a local or private address.
//!
//! libgit2 speaks plain HTTP to the egress for every remote (`http://127.x.y.z:PORT/path`);
//! the egress passes each request on with the remote's own `Host`, over TLS with the
//! certificate checked for an `https://` remote. It reads every answer before passing it back
//! and relays no redirect (3xx) at all: libgit2 would follow one to another port or path of
//! "the same host" — which for it is the egress's loopback address — without a word. The
//! egress listens on a random address in 127.0.0.0/8, so nothing a remote can name is "the
//! same host" to libgit2 either. A refusal is kept, so the sync fails with a sentence rather
//! than libgit2's "unexpected status".

use std::{
    net::{Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use tokio::{
    io::{
        AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt,
        BufReader,
    },
    net::{TcpListener, TcpStream},
    task::JoinSet,
};
use tokio_native_tls::native_tls;
use url::{Host, Position, Url};

use super::{
    transfer::Route,
    url_policy::{self, ResolveError, redact},
};

/// Longest request or answer head passed on (first line and headers).
const MAX_HEAD: usize = 64 * 1024;

/// Longest single line (first line, header, chunk size).
const MAX_LINE: usize = 16 * 1024;

/// Why the egress did not open a connection, or did not pass an answer on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The host resolved to an address the URL policy forbids.
    Blocked(String),
    /// The host did not resolve, or no address of it accepted a connection.
    Unreachable(String),
    /// The TLS handshake with the remote failed (the TLS library's message).
    Tls(String),
    /// The remote answered with a redirect to this URL (without credentials), which is
    /// never followed.
    Redirect(String),
}

/// A running egress for one transfer; it stops, with every connection, when dropped.
#[derive(Debug)]
pub struct Egress {
    route: Route,
    refusal: Arc<Mutex<Option<Refusal>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Egress {
    /// Listens on a free loopback port for transfers to `remote` (an `http`/`https` URL).
    /// `connect_timeout` bounds each connection attempt to the remote, TLS handshake included.
    ///
    /// # Errors
    /// `remote` has no host, or no loopback port could be bound.
    pub async fn start(
        remote: &Url,
        allow_local: bool,
        connect_timeout: Duration,
    ) -> std::io::Result<Self> {
        let origin = Origin::of(remote).ok_or_else(|| invalid("the URL has no host"))?;
        let listener = bind_unguessable_loopback().await?;
        let local = listener.local_addr()?;
        // The same path and query, on the egress.
        let route = Route::direct(&format!(
            "http://{local}{}",
            &remote[Position::BeforePath..]
        ));
        let refusal = Arc::new(Mutex::new(None));
        let gate = Gate {
            origin: Arc::new(origin),
            remote: remote.clone(),
            allow_local,
            connect_timeout,
            refusal: Arc::clone(&refusal),
        };
        let task = tokio::spawn(async move {
            // Owned here, so stopping the egress also ends every connection it carries.
            let mut connections = JoinSet::new();
            loop {
                let accepted = listener.accept().await;
                while connections.try_join_next().is_some() {}
                match accepted {
                    Ok((client, _)) => {
                        connections.spawn(gate.clone().serve(client));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "mirror egress could not accept a connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        });
        Ok(Self {
            route,
            refusal,
            task,
        })
    }

    /// How libgit2 should reach the remote: the remote's path and query on the egress.
    #[must_use]
    pub fn route(&self) -> Route {
        self.route.clone()
    }

    /// The first refusal of the egress, if any.
    #[must_use]
    pub fn refusal(&self) -> Option<Refusal> {
        self.refusal.lock().ok().and_then(|r| r.clone())
    }
}

impl Drop for Egress {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A listener on a random address of 127.0.0.0/8 (all of it is loopback on Linux), so that
/// no URL a remote can write names the host libgit2 is talking to; 127.0.0.1 where the
/// system routes only that address.
async fn bind_unguessable_loopback() -> std::io::Result<TcpListener> {
    for _ in 0..3 {
        let [a, b, c]: [u8; 3] = rand::random();
        // Not 127.0.0.0/16 (127.0.0.1 and its neighbours are what people name), nor .255.
        let address = Ipv4Addr::new(127, a.max(1), b, c.clamp(1, 254));
        if let Ok(listener) = TcpListener::bind((address, 0)).await {
            return Ok(listener);
        }
    }
    tracing::debug!("only 127.0.0.1 is bindable here; the mirror egress listens there");
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await
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

/// A connection to the remote: plain TCP or TLS over it.
trait RemoteStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> RemoteStream for T {}

/// The process's TLS client configuration, built once: reading the system's CA bundle costs
/// tens of milliseconds of CPU.
fn tls_connector() -> Result<tokio_native_tls::TlsConnector, String> {
    static CONNECTOR: OnceLock<Result<native_tls::TlsConnector, String>> = OnceLock::new();
    CONNECTOR
        .get_or_init(|| native_tls::TlsConnector::new().map_err(|e| e.to_string()))
        .clone()
        .map(tokio_native_tls::TlsConnector::from)
}

#[derive(Clone)]
struct Gate {
    origin: Arc<Origin>,
    /// The remote's URL, to say where a redirect pointed.
    remote: Url,
    allow_local: bool,
    connect_timeout: Duration,
    refusal: Arc<Mutex<Option<Refusal>>>,
}

impl Gate {
    /// Keeps the first refusal: once libgit2 has the answer the transfer may end, and the
    /// reason be read, at any moment.
    fn keep(&self, refusal: Refusal) {
        if let Ok(mut kept) = self.refusal.lock() {
            kept.get_or_insert(refusal);
        }
    }

    /// One client connection: plain HTTP requests, passed on to the remote one after another.
    async fn serve(self, client: TcpStream) {
        let _ = client.set_nodelay(true);
        let (client_read, mut client_write) = client.into_split();
        let mut client_read = BufReader::new(client_read);
        let Ok(Some(head)) = read_head(&mut client_read).await else {
            return;
        };
        if !is_origin_request(&head) {
            let _ = respond(
                &mut client_write,
                "403 Forbidden",
                "not this transfer's remote",
            )
            .await;
            return;
        }
        let server = match self.connect().await {
            Ok(server) => server,
            Err(refusal) => {
                let status = match refusal {
                    Refusal::Blocked(_) => "403 Forbidden",
                    _ => "502 Bad Gateway",
                };
                self.keep(refusal);
                let _ = respond(&mut client_write, status, "refused by mirrorforge").await;
                return;
            }
        };
        let (server_read, mut server_write) = tokio::io::split(server);
        let origin = Arc::clone(&self.origin);
        let requests = tokio::spawn(async move {
            let sent = forward_requests(&mut client_read, &mut server_write, head, &origin).await;
            if let Err(e) = sent {
                tracing::debug!(error = %e, "mirror egress stopped passing requests on");
            }
            let _ = server_write.shutdown().await;
        });
        let mut server_read = BufReader::new(server_read);
        match forward_answers(&mut server_read, &mut client_write).await {
            Ok(Some(location)) => {
                let target = location.map_or_else(
                    || "another URL".to_owned(),
                    |l| redirect_target(&self.remote, &l),
                );
                tracing::warn!(remote = %redact(self.remote.as_str()), %target, "mirror remote redirected; not followed");
                self.keep(Refusal::Redirect(target));
                let _ = respond(
                    &mut client_write,
                    "502 Bad Gateway",
                    "refused by mirrorforge: the remote redirected",
                )
                .await;
            }
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "mirror egress stopped passing answers back"),
        }
        let _ = client_write.shutdown().await;
        requests.abort();
    }

    /// Resolves, checks every address, connects to the first that answers, and for an
    /// `https://` remote completes the TLS handshake with its certificate checked.
    async fn connect(&self) -> Result<Box<dyn RemoteStream>, Refusal> {
        let Origin { host, port, .. } = self.origin.as_ref();
        let addrs = url_policy::resolve_allowed(host, *port, self.allow_local)
            .await
            .map_err(|e| match e {
                ResolveError::Blocked(message) => Refusal::Blocked(message),
                ResolveError::Unresolved(message) => Refusal::Unreachable(message),
            })?;
        let tcp = self.connect_any(&addrs).await?;
        if !self.origin.tls {
            return Ok(Box::new(tcp));
        }
        let connector = tls_connector().map_err(Refusal::Tls)?;
        match tokio::time::timeout(self.connect_timeout, connector.connect(host, tcp)).await {
            Ok(Ok(stream)) => Ok(Box::new(stream)),
            Ok(Err(e)) => Err(Refusal::Tls(e.to_string())),
            Err(_) => Err(Refusal::Unreachable(format!(
                "no TLS handshake with {host} within {} s",
                self.connect_timeout.as_secs()
            ))),
        }
    }

    async fn connect_any(&self, addrs: &[SocketAddr]) -> Result<TcpStream, Refusal> {
        let mut last = String::from("no address");
        for addr in addrs {
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(stream);
                }
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => last = format!("no answer from {addr}"),
            }
        }
        Err(Refusal::Unreachable(last))
    }
}

/// Method, target and version of a request head's first line.
fn request_line(head: &[String]) -> Option<(&str, &str, &str)> {
    let mut parts = head.first()?.split(' ');
    let line = (parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && line.2.starts_with("HTTP/1.")).then_some(line)
}

/// A `GET` or `POST` of a path (what libgit2 sends): never `CONNECT`, never another host,
/// never a method whose answer has no body (`HEAD`), which would confuse the framing.
fn is_origin_request(head: &[String]) -> bool {
    request_line(head).is_some_and(|(method, target, _)| {
        matches!(method, "GET" | "POST") && target.starts_with('/')
    })
}

/// The status code of an answer head's first line (`HTTP/1.1 200 OK`).
fn status_of(head: &[String]) -> Option<u16> {
    let mut parts = head.first()?.splitn(3, ' ');
    let version = parts.next()?;
    let code = parts.next()?;
    (version.starts_with("HTTP/1.") && code.len() == 3)
        .then(|| code.parse().ok())
        .flatten()
}

/// The value of the first header called `name`.
fn header<'h>(head: &'h [String], name: &str) -> Option<&'h str> {
    head[1..].iter().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}

/// The head as the remote expects it: its own `Host`, and no proxy headers.
fn for_origin(head: &[String], origin: &Origin) -> Vec<u8> {
    let mut out = String::new();
    out.push_str(&head[0]);
    out.push_str("\r\n");
    let mut host_sent = false;
    for header in &head[1..] {
        let name = header.split(':').next().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("proxy-connection")
            || name.eq_ignore_ascii_case("proxy-authorization")
        {
            continue;
        }
        if name.eq_ignore_ascii_case("host") {
            if host_sent {
                continue;
            }
            host_sent = true;
            out.push_str("Host: ");
            out.push_str(&origin.authority);
        } else {
            out.push_str(header);
        }
        out.push_str("\r\n");
    }
    if !host_sent {
        out.push_str("Host: ");
        out.push_str(&origin.authority);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// A head as it came, line endings restored.
fn as_sent(head: &[String]) -> Vec<u8> {
    let mut out = head.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out
}

/// How a message's body is delimited.
#[derive(Debug, PartialEq, Eq)]
enum Body {
    /// No length given: a request has no body, an answer runs until the connection closes.
    Unframed,
    Length(u64),
    Chunked,
}

/// The body framing the headers declare; `None` for a transfer coding other than chunked.
fn body_of(head: &[String]) -> Option<Body> {
    let mut body = Body::Unframed;
    for header in &head[1..] {
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("transfer-encoding") {
            if !value.eq_ignore_ascii_case("chunked") {
                return None;
            }
            body = Body::Chunked;
        } else if name.eq_ignore_ascii_case("content-length") && body != Body::Chunked {
            body = Body::Length(value.parse().ok()?);
        }
    }
    Some(body)
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

/// Passes plain HTTP requests on, one after another, until the client stops.
async fn forward_requests<R, W>(
    client: &mut R,
    server: &mut W,
    first: Vec<String>,
    origin: &Origin,
) -> std::io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut head = first;
    loop {
        if !is_origin_request(&head) {
            return Err(invalid("not a request for this transfer's remote"));
        }
        server.write_all(&for_origin(&head, origin)).await?;
        match body_of(&head).ok_or_else(|| invalid("unsupported transfer coding"))? {
            Body::Unframed => {}
            Body::Length(length) => copy_exactly(client, server, length).await?,
            Body::Chunked => copy_chunked(client, server).await?,
        }
        server.flush().await?;
        match read_head(client).await? {
            Some(next) => head = next,
            None => return Ok(()),
        }
    }
}

/// Passes the remote's answers back, one after another, until it closes the connection.
/// Stops at the first redirect, passing none of it: `Ok(Some(location))`.
async fn forward_answers<R, W>(
    server: &mut R,
    client: &mut W,
) -> std::io::Result<Option<Option<String>>>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        let Some(head) = read_head(server).await? else {
            return Ok(None);
        };
        let status = status_of(&head).ok_or_else(|| invalid("not an HTTP answer"))?;
        if (300..400).contains(&status) {
            return Ok(Some(header(&head, "location").map(str::to_owned)));
        }
        client.write_all(&as_sent(&head)).await?;
        if (100..200).contains(&status) {
            client.flush().await?;
            continue; // an interim answer: the final one follows
        }
        if !matches!(status, 204 | 304) {
            match body_of(&head).ok_or_else(|| invalid("unsupported transfer coding"))? {
                Body::Unframed => {
                    tokio::io::copy(server, client).await?;
                    return Ok(None);
                }
                Body::Length(length) => copy_exactly(server, client, length).await?,
                Body::Chunked => copy_chunked(server, client).await?,
            }
        }
        client.flush().await?;
    }
}

/// The repository URL a redirect points to: `location` resolved against the remote, without
/// the `/info/refs?…` suffix and without credentials.
fn redirect_target(remote: &Url, location: &str) -> String {
    let resolved = remote
        .join(location)
        .map_or_else(|_| location.to_owned(), |u| u.to_string());
    let repository = resolved
        .split_once("/info/refs")
        .or_else(|| resolved.split_once("/git-upload-pack"))
        .or_else(|| resolved.split_once("/git-receive-pack"))
        .map_or(resolved.as_str(), |(repo, _)| repo);
    redact(repository)
}

async fn copy_exactly<R, W>(from: &mut R, to: &mut W, length: u64) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let copied = tokio::io::copy(&mut from.take(length), to).await?;
    if copied == length {
        Ok(())
    } else {
        Err(std::io::ErrorKind::UnexpectedEof.into())
    }
}

/// Copies a chunked body as it is, reading the chunk sizes to know where it ends.
async fn copy_chunked<R, W>(from: &mut R, to: &mut W) -> std::io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        let line = read_line(from).await?;
        to.write_all(&line).await?;
        let text = std::str::from_utf8(&line).map_err(|_| invalid("chunk size"))?;
        let size_text = text.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size_text, 16).map_err(|_| invalid("chunk size"))?;
        if size == 0 {
            // Trailers, then the empty line that ends the body.
            loop {
                let line = read_line(from).await?;
                to.write_all(&line).await?;
                if line.trim_ascii().is_empty() {
                    return Ok(());
                }
            }
        }
        copy_exactly(from, to, size).await?;
        let end = read_line(from).await?;
        to.write_all(&end).await?;
    }
}

/// One line with its line ending; an error at the end of the stream or past [`MAX_LINE`].
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    reader
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut line)
        .await?;
    if line.ends_with(b"\n") {
        Ok(line)
    } else if line.len() >= MAX_LINE {
        Err(invalid("line too long"))
    } else {
        Err(std::io::ErrorKind::UnexpectedEof.into())
    }
}

/// The first line and headers, without line endings; `None` when the peer closed the
/// connection between messages.
async fn read_head<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<Option<Vec<String>>> {
    let mut lines = Vec::new();
    let mut total = 0;
    loop {
        if lines.is_empty() && reader.fill_buf().await?.is_empty() {
            return Ok(None);
        }
        let line = read_line(reader).await?;
        total += line.len();
        if total > MAX_HEAD {
            return Err(invalid("message head too large"));
        }
        let text = String::from_utf8(line).map_err(|_| invalid("message head"))?;
        let text = text.trim_end_matches(['\r', '\n']);
        match (text.is_empty(), lines.is_empty()) {
            (true, true) => {} // a stray line ending between messages
            (true, false) => return Ok(Some(lines)),
            (false, _) => lines.push(text.to_owned()),
        }
    }
}

/// A short answer of the proxy's own, then the end of the connection.
async fn respond<W: AsyncWrite + Unpin>(
    writer: &mut W,
    status: &str,
    body: &str,
) -> std::io::Result<()> {
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    writer.write_all(answer.as_bytes()).await?;
    writer.shutdown().await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::{Router, body::Bytes, extract::Request, http::HeaderMap, routing::any};

    use super::*;

    /// An HTTP server that answers each request with what it received, and counts them.
    async fn echo_server() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&seen);
        let app = Router::new().fallback(any(move |headers: HeaderMap, request: Request| {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                let (parts, body) = request.into_parts();
                let body: Bytes = axum::body::to_bytes(body, 1 << 20)
                    .await
                    .unwrap_or_default();
                format!(
                    "{} {} host={} proxy={} body={}",
                    parts.method,
                    parts.uri,
                    headers
                        .get("host")
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or("-"),
                    headers.contains_key("proxy-connection"),
                    String::from_utf8_lossy(&body)
                )
            }
        }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (addr, seen)
    }

    const INFO_REFS: &str = "GET /r.git/info/refs HTTP/1.1\r\nHost: x\r\n\r\n";

    /// A connection to the egress of an http remote, as libgit2 makes it.
    async fn connect_to(egress: &Egress) -> tokio::io::BufReader<TcpStream> {
        let via = Url::parse(&egress.route().url).unwrap();
        let stream = TcpStream::connect(via.socket_addrs(|| None).unwrap()[0])
            .await
            .unwrap();
        tokio::io::BufReader::new(stream)
    }

    async fn egress_for(url: &str, allow_local: bool) -> Egress {
        Egress::start(
            &Url::parse(url).unwrap(),
            allow_local,
            Duration::from_secs(5),
        )
        .await
        .unwrap()
    }

    /// Sends raw bytes, then reads one answer: status line and body.
    async fn exchange<S>(stream: &mut tokio::io::BufReader<S>, request: &str) -> (String, String)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        stream
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .unwrap();
        let head = read_head(stream).await.unwrap().expect("an answer");
        let length = head
            .iter()
            .find_map(|h| {
                let (name, value) = h.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await.unwrap();
        (head[0].clone(), String::from_utf8(body).unwrap())
    }

    #[tokio::test]
    async fn http_requests_reach_the_remote_with_its_own_host_on_one_connection() {
        let (server, seen) = echo_server().await;
        let egress = egress_for(
            &format!("http://localhost:{}/r.git?x=1", server.port()),
            true,
        )
        .await;
        let route = egress.route();
        let via = Url::parse(&route.url).unwrap();
        let Some(Host::Ipv4(ip)) = via.host() else {
            panic!("{via}")
        };
        assert!(ip.is_loopback() && ip.octets()[1] != 0, "{ip}");
        assert_ne!(via.port(), Some(server.port()));
        assert_eq!((via.path(), via.query()), ("/r.git", Some("x=1")));

        let mut client = connect_to(&egress).await;
        let get = "GET /r.git/info/refs?service=git-upload-pack HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                   Proxy-Connection: keep-alive\r\n\r\n";
        let (status, body) = exchange(&mut client, get).await;
        assert!(status.contains("200"), "{status}");
        let expected_host = format!("host=localhost:{}", server.port());
        assert_eq!(
            body,
            format!(
                "GET /r.git/info/refs?service=git-upload-pack {expected_host} proxy=false body="
            )
        );
        // A chunked POST and a sized one follow on the same connection.
        let chunked = "POST /r.git/git-upload-pack HTTP/1.1\r\nHost: x\r\n\
                       Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
        let (_, body) = exchange(&mut client, chunked).await;
        assert!(
            body.ends_with(&format!("{expected_host} proxy=false body=hello world")),
            "{body}"
        );
        let sized =
            "POST /r.git/git-receive-pack HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nPACK";
        let (_, body) = exchange(&mut client, sized).await;
        assert!(body.ends_with("body=PACK"), "{body}");
        assert_eq!(seen.load(Ordering::SeqCst), 3);
        assert_eq!(egress.refusal(), None);
    }

    #[tokio::test]
    async fn a_host_that_resolves_to_a_forbidden_address_is_never_connected_to() {
        let (server, seen) = echo_server().await;
        let egress = egress_for(&format!("http://localhost:{}/r.git", server.port()), false).await;
        let mut client = connect_to(&egress).await;
        let (status, _) = exchange(&mut client, INFO_REFS).await;
        assert!(status.contains("403"), "{status}");
        assert_eq!(seen.load(Ordering::SeqCst), 0);
        match egress.refusal() {
            Some(Refusal::Blocked(message)) => {
                assert!(message.contains("not allowed"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn connect_tunnels_and_other_methods_are_refused_and_reach_nothing() {
        let (server, seen) = echo_server().await;
        let egress = egress_for(&format!("https://127.0.0.1:{}/r.git", server.port()), true).await;
        let route = egress.route();
        assert!(route.url.starts_with("http://127."), "{}", route.url);
        for request in [
            format!(
                "CONNECT 127.0.0.1:{0} HTTP/1.1\r\nHost: 127.0.0.1:{0}\r\n\r\n",
                server.port()
            ),
            "GET http://127.0.0.1:1/r.git HTTP/1.1\r\nHost: x\r\n\r\n".to_owned(),
            "HEAD /r.git/info/refs HTTP/1.1\r\nHost: x\r\n\r\n".to_owned(),
        ] {
            let mut client = connect_to(&egress).await;
            let (status, _) = exchange(&mut client, &request).await;
            assert!(status.contains("403"), "{request}: {status}");
        }
        assert_eq!(seen.load(Ordering::SeqCst), 0);
    }

    /// A server that answers every request with `302 Location: <location>`.
    async fn redirecting_server(location: &'static str) -> std::net::SocketAddr {
        let app = Router::new().fallback(any(move || async move {
            (
                axum::http::StatusCode::FOUND,
                [(axum::http::header::LOCATION, location)],
                "moved",
            )
        }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    #[tokio::test]
    async fn no_redirect_is_passed_back_and_the_target_is_kept_without_credentials() {
        for (location, expected) in [
            (
                "http://u:p@127.0.0.1:1/other.git/info/refs?service=git-upload-pack",
                "http://127.0.0.1:1/other.git".to_owned(),
            ),
            (
                "/moved.git/info/refs?service=git-upload-pack",
                String::new(),
            ),
        ] {
            let server = redirecting_server(location).await;
            let remote = format!("http://127.0.0.1:{}/r.git", server.port());
            let egress = egress_for(&remote, true).await;
            let mut client = connect_to(&egress).await;
            let (status, body) = exchange(&mut client, INFO_REFS).await;
            assert!(status.contains("502"), "{status}");
            assert!(!body.contains("moved"), "{body}");
            let expected = if expected.is_empty() {
                format!("http://127.0.0.1:{}/moved.git", server.port())
            } else {
                expected
            };
            assert_eq!(egress.refusal(), Some(Refusal::Redirect(expected)));
        }
    }

    #[test]
    fn answer_heads_are_read_for_status_and_headers() {
        let head: Vec<String> = ["HTTP/1.1 302 Found", "Location: /x", "content-length: 0"]
            .map(str::to_owned)
            .into();
        assert_eq!(status_of(&head), Some(302));
        assert_eq!(header(&head, "LOCATION"), Some("/x"));
        assert_eq!(body_of(&head), Some(Body::Length(0)));
        assert_eq!(status_of(&["HTTP/1.1 20 OK".to_owned()]), None);
        assert_eq!(status_of(&["SSH-2.0-x".to_owned()]), None);
    }

    #[tokio::test]
    async fn a_remote_that_refuses_connections_is_reported_unreachable() {
        let closed = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let egress = egress_for(&format!("http://127.0.0.1:{}/r.git", closed.port()), true).await;
        let mut client = connect_to(&egress).await;
        let (status, _) = exchange(&mut client, INFO_REFS).await;
        assert!(status.contains("502"), "{status}");
        assert!(matches!(egress.refusal(), Some(Refusal::Unreachable(_))));
    }

    #[test]
    fn the_host_header_is_the_remotes_and_proxy_headers_are_dropped() {
        let origin = Origin::of(&Url::parse("http://[::1]:8080/r.git").unwrap()).unwrap();
        assert_eq!((origin.host.as_str(), origin.port), ("::1", 8080));
        let head: Vec<String> = [
            "GET /r.git HTTP/1.1",
            "host: 127.0.0.1:5",
            "Proxy-Authorization: x",
            "Accept: */*",
        ]
        .map(str::to_owned)
        .into();
        let out = String::from_utf8(for_origin(&head, &origin)).unwrap();
        assert_eq!(
            out,
            "GET /r.git HTTP/1.1\r\nHost: [::1]:8080\r\nAccept: */*\r\n\r\n"
        );
        let default_port = Origin::of(&Url::parse("https://example.com/r.git").unwrap()).unwrap();
        assert_eq!(
            (default_port.authority.as_str(), default_port.port),
            ("example.com", 443)
        );
    }

    #[test]
    fn body_framing_follows_the_headers() {
        let head =
            |extra: &str| -> Vec<String> { vec!["POST / HTTP/1.1".to_owned(), extra.to_owned()] };
        assert_eq!(body_of(&head("Content-Length: 12")), Some(Body::Length(12)));
        assert_eq!(
            body_of(&head("transfer-encoding: chunked")),
            Some(Body::Chunked)
        );
        assert_eq!(body_of(&head("Transfer-Encoding: gzip")), None);
        assert_eq!(body_of(&head("Content-Length: nope")), None);
        assert_eq!(body_of(&head("Accept: */*")), Some(Body::Unframed));
    }
}
