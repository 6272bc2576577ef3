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

mod gate;
mod http1;

use std::{
    net::Ipv4Addr,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{net::TcpListener, task::JoinSet};
use tracing::Instrument;
use url::{Host, Position, Url};

use self::gate::Gate;

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
    /// The URL libgit2 is given: the remote's path and query, on the egress.
    via: String,
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
        let origin = Origin::of(remote).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "the URL has no host")
        })?;
        let listener = bind_unguessable_loopback().await?;
        let local = listener.local_addr()?;
        let via = format!("http://{local}{}", &remote[Position::BeforePath..]);
        let refusal = Arc::new(Mutex::new(None));
        let gate = Gate {
            origin: Arc::new(origin),
            remote: remote.clone(),
            allow_local,
            connect_timeout,
            refusal: Arc::clone(&refusal),
        };
        // In the sync's span, so what the egress logs names the repository.
        let task = tokio::spawn(
            async move {
            // Owned here, so stopping the egress also ends every connection it carries.
            let mut connections = JoinSet::new();
            loop {
                let accepted = listener.accept().await;
                while connections.try_join_next().is_some() {}
                match accepted {
                    Ok((client, _)) => {
                        connections.spawn(gate.clone().serve(client).in_current_span());
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "mirror egress could not accept a connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
            .in_current_span(),
        );
        Ok(Self { via, refusal, task })
    }

    /// The URL libgit2 should be given: the remote's path and query, on the egress.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.via
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::{Router, body::Bytes, extract::Request, http::HeaderMap, routing::any};

    use tokio::{
        io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
        net::TcpStream,
    };

    use super::{http1::read_head, *};

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
        let via = Url::parse(egress.url()).unwrap();
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
        let via = Url::parse(egress.url()).unwrap();
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
        assert!(egress.url().starts_with("http://127."), "{}", egress.url());
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
    fn origins_are_host_port_and_host_header() {
        let origin = Origin::of(&Url::parse("http://[::1]:8080/r.git").unwrap()).unwrap();
        assert_eq!((origin.host.as_str(), origin.port), ("::1", 8080));
        assert_eq!(origin.authority, "[::1]:8080");
        let default_port = Origin::of(&Url::parse("https://example.com/r.git").unwrap()).unwrap();
        assert_eq!(
            (default_port.authority.as_str(), default_port.port),
            ("example.com", 443)
        );
    }
}
