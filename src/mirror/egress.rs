//! The way out for one mirror transfer: a loopback proxy between libgit2 and the remote. It
//! resolves the remote's host itself, checks every address against the URL policy and connects
//! to a checked one, so DNS that changes between the policy check and the connection (DNS
//! rebinding) cannot send a transfer to a local or private address.
//!
//! libgit2 tunnels only HTTPS through a proxy (`CONNECT`); for plain HTTP it would connect to
//! the server itself. So an `https://` remote gets the egress as its proxy, and an `http://`
//! remote is given to libgit2 as `http://127.0.0.1:PORT/path`, the egress passing each request
//! on with the real `Host`. Either way only the transfer's own remote is reached. A refusal is
//! kept, so the sync fails with a sentence rather than libgit2's "unexpected status".

use std::{
    net::Ipv4Addr,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinSet,
};
use url::{Host, Position, Url};

use super::{
    transfer::Route,
    url_policy::{self, ResolveError},
};

/// Longest request head passed on (request line and headers).
const MAX_HEAD: usize = 64 * 1024;

/// Longest single line (request line, header, chunk size).
const MAX_LINE: usize = 16 * 1024;

/// Why the egress did not open a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The host resolved to an address the URL policy forbids.
    Blocked(String),
    /// The host did not resolve, or no address of it accepted a connection.
    Unreachable(String),
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
    /// `connect_timeout` bounds each connection attempt to the remote.
    ///
    /// # Errors
    /// `remote` has no host, or no loopback port could be bound.
    pub async fn start(
        remote: &Url,
        allow_local: bool,
        connect_timeout: Duration,
    ) -> std::io::Result<Self> {
        let origin = Origin::of(remote).ok_or_else(|| invalid("the URL has no host"))?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let local = listener.local_addr()?;
        let route = if origin.tls {
            Route {
                url: remote.to_string(),
                proxy: Some(format!("http://{local}")),
            }
        } else {
            // The same path and query, on the egress.
            Route::direct(&format!(
                "http://{local}{}",
                &remote[Position::BeforePath..]
            ))
        };
        let refusal = Arc::new(Mutex::new(None));
        let gate = Gate {
            origin: Arc::new(origin),
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

    /// How libgit2 should reach the remote: an `https://` URL as it is, with the egress as
    /// its proxy; an `http://` URL pointed at the egress, without a proxy.
    #[must_use]
    pub fn route(&self) -> Route {
        self.route.clone()
    }

    /// The first connection the egress refused, if any.
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

/// The one remote a transfer may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    tls: bool,
    /// Name or address to resolve (IPv6 without brackets).
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

#[derive(Clone)]
struct Gate {
    origin: Arc<Origin>,
    allow_local: bool,
    connect_timeout: Duration,
    refusal: Arc<Mutex<Option<Refusal>>>,
}

impl Gate {
    /// One client connection: a `CONNECT` tunnel (https) or plain HTTP requests (http).
    async fn serve(self, client: TcpStream) {
        let (client_read, mut client_write) = client.into_split();
        let mut client_read = tokio::io::BufReader::new(client_read);
        let Ok(Some(head)) = read_head(&mut client_read).await else {
            return;
        };
        let tunnel = match self.expected(&head) {
            Some(tunnel) => tunnel,
            None => {
                let _ = respond(
                    &mut client_write,
                    "403 Forbidden",
                    "not this transfer's remote",
                )
                .await;
                return;
            }
        };
        let server = match self.connect().await {
            Ok(server) => server,
            Err(refusal) => {
                let status = match refusal {
                    Refusal::Blocked(_) => "403 Forbidden",
                    Refusal::Unreachable(_) => "502 Bad Gateway",
                };
                // Kept before answering: once libgit2 has the answer, the transfer may end
                // and the reason be read at any moment.
                if let Ok(mut kept) = self.refusal.lock() {
                    kept.get_or_insert(refusal);
                }
                let _ = respond(&mut client_write, status, "refused by mirrorforge").await;
                return;
            }
        };
        let _ = server.set_nodelay(true);
        if tunnel
            && client_write
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await
                .is_err()
        {
            return;
        }
        let (mut server_read, mut server_write) = server.into_split();
        let origin = Arc::clone(&self.origin);
        let requests = tokio::spawn(async move {
            let sent = if tunnel {
                tokio::io::copy(&mut client_read, &mut server_write)
                    .await
                    .map(drop)
            } else {
                forward_requests(&mut client_read, &mut server_write, head, &origin).await
            };
            if let Err(e) = sent {
                tracing::debug!(error = %e, "mirror egress stopped passing requests on");
            }
            let _ = server_write.shutdown().await;
        });
        // Answers go back as they come, until the remote closes the connection.
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
        requests.abort();
    }

    /// `Some(true)` for a `CONNECT` to the https origin, `Some(false)` for a plain request
    /// to the http origin, `None` for anything else.
    fn expected(&self, head: &[String]) -> Option<bool> {
        let (method, target, _) = request_line(head)?;
        if method.eq_ignore_ascii_case("CONNECT") {
            let url = Url::parse(&format!("https://{target}/")).ok()?;
            let asked = Origin::of(&url)?;
            let same =
                self.origin.tls && asked.host == self.origin.host && asked.port == self.origin.port;
            return same.then_some(true);
        }
        (!self.origin.tls && target.starts_with('/')).then_some(false)
    }

    /// Resolves, checks every address, and connects to the first that answers.
    async fn connect(&self) -> Result<TcpStream, Refusal> {
        let Origin { host, port, .. } = self.origin.as_ref();
        let addrs = url_policy::resolve_allowed(host, *port, self.allow_local)
            .await
            .map_err(|e| match e {
                ResolveError::Blocked(message) => Refusal::Blocked(message),
                ResolveError::Unresolved(message) => Refusal::Unreachable(message),
            })?;
        let mut last = String::from("no address");
        for addr in addrs {
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => return Ok(stream),
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => last = format!("no answer from {addr}"),
            }
        }
        Err(Refusal::Unreachable(last))
    }
}

/// Method, target and version of a head's first line.
fn request_line(head: &[String]) -> Option<(&str, &str, &str)> {
    let mut parts = head.first()?.split(' ');
    let line = (parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && line.2.starts_with("HTTP/1.")).then_some(line)
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

/// How a request's body is delimited.
#[derive(Debug, PartialEq, Eq)]
enum Body {
    Empty,
    Length(u64),
    Chunked,
}

/// The body framing the headers declare; `None` for a transfer coding other than chunked.
fn body_of(head: &[String]) -> Option<Body> {
    let mut body = Body::Empty;
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
        match request_line(&head) {
            Some((_, target, _)) if target.starts_with('/') => {}
            _ => return Err(invalid("not a request for this transfer's remote")),
        }
        server.write_all(&for_origin(&head, origin)).await?;
        match body_of(&head).ok_or_else(|| invalid("unsupported transfer coding"))? {
            Body::Empty => {}
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
async fn copy_chunked<R, W>(client: &mut R, server: &mut W) -> std::io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        let line = read_line(client).await?;
        server.write_all(&line).await?;
        let text = std::str::from_utf8(&line).map_err(|_| invalid("chunk size"))?;
        let size_text = text.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size_text, 16).map_err(|_| invalid("chunk size"))?;
        if size == 0 {
            // Trailers, then the empty line that ends the body.
            loop {
                let line = read_line(client).await?;
                server.write_all(&line).await?;
                if line.trim_ascii().is_empty() {
                    return Ok(());
                }
            }
        }
        copy_exactly(client, server, size).await?;
        let end = read_line(client).await?;
        server.write_all(&end).await?;
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

/// The request line and headers, without line endings; `None` when the client closed the
/// connection between requests.
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
            return Err(invalid("request head too large"));
        }
        let text = String::from_utf8(line).map_err(|_| invalid("request head"))?;
        let text = text.trim_end_matches(['\r', '\n']);
        match (text.is_empty(), lines.is_empty()) {
            (true, true) => {} // a stray line ending between requests
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
        assert_eq!(via.host_str(), Some("127.0.0.1"));
        assert_ne!(via.port(), Some(server.port()));
        assert_eq!((via.path(), via.query()), ("/r.git", Some("x=1")));
        assert_eq!(route.proxy, None);

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
    async fn https_tunnels_only_to_the_transfers_own_remote() {
        // A byte echo stands in for the TLS server: the tunnel does not look inside.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let remote = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut read, mut write) = stream.split();
                    let _ = tokio::io::copy(&mut read, &mut write).await;
                });
            }
        });
        let egress = egress_for(&format!("https://127.0.0.1:{}/r.git", remote.port()), true).await;
        let route = egress.route();
        assert_eq!(
            route.url,
            format!("https://127.0.0.1:{}/r.git", remote.port())
        );
        let proxy = Url::parse(&route.proxy.expect("a proxy for https")).unwrap();
        let proxy = proxy.socket_addrs(|| None).unwrap()[0];

        let mut tunnel = tokio::io::BufReader::new(TcpStream::connect(proxy).await.unwrap());
        let connect = format!(
            "CONNECT 127.0.0.1:{0} HTTP/1.1\r\nHost: 127.0.0.1:{0}\r\n\r\n",
            remote.port()
        );
        tunnel
            .get_mut()
            .write_all(connect.as_bytes())
            .await
            .unwrap();
        let head = read_head(&mut tunnel).await.unwrap().unwrap();
        assert!(head[0].contains("200"), "{head:?}");
        tunnel.get_mut().write_all(b"client hello").await.unwrap();
        let mut echoed = [0u8; 12];
        tunnel.read_exact(&mut echoed).await.unwrap();
        assert_eq!(&echoed, b"client hello");

        // Another port on the same host is not this transfer's remote.
        let mut other = tokio::io::BufReader::new(TcpStream::connect(proxy).await.unwrap());
        let (status, _) = exchange(
            &mut other,
            "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .await;
        assert!(status.contains("403"), "{status}");
        // Nor is a plain request.
        let mut plain = tokio::io::BufReader::new(TcpStream::connect(proxy).await.unwrap());
        let (status, _) = exchange(&mut plain, "GET /r.git HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(status.contains("403"), "{status}");
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
        assert_eq!(body_of(&head("Accept: */*")), Some(Body::Empty));
    }
}
