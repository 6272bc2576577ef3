//! Tests of the HTTP side of a transfer, against small local servers.

use std::sync::{Arc, atomic::AtomicUsize};

use axum::{Router, extract::Request, http::HeaderMap, routing::any};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use tokio::net::TcpListener;

use super::*;

/// A server that answers each request with what it saw; counts requests and connections.
async fn echo_server() -> (SocketAddr, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let requests = Arc::new(AtomicUsize::new(0));
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let app = Router::new().fallback(any(move |headers: HeaderMap, request: Request| {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            let seen = |name: &str| {
                headers
                    .get(name)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("-")
                    .to_owned()
            };
            format!(
                "{} {} host={} auth={}",
                request.method(),
                request.uri(),
                seen("host"),
                seen("authorization")
            )
        }
    }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            accepted.fetch_add(1, Ordering::SeqCst);
            let app = app.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    tower::ServiceExt::oneshot(app.clone(), request)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, requests, connections)
}

fn http_to(url: &str, allow_local: bool, credentials: Option<(&str, &str)>) -> RemoteHttp {
    let remote = RemoteUrl::parse(url, true).unwrap();
    RemoteHttp::new(&remote, allow_local, Duration::from_secs(5), credentials).unwrap()
}

fn empty() -> RequestBody {
    Empty::new().map_err(|e| match e {}).boxed()
}

async fn text(response: Response<Incoming>) -> String {
    let body = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test]
async fn requests_go_below_the_repository_on_one_kept_alive_connection() {
    let (server, requests, connections) = echo_server().await;
    let http = http_to(
        &format!("http://localhost:{}/team/r.git?x=1", server.port()),
        true,
        Some(("u", "Pass-1")),
    );
    let first = http
        .send(
            Method::GET,
            "info/refs",
            Some("service=git-upload-pack"),
            None,
            empty(),
        )
        .await
        .unwrap();
    let seen = text(first).await;
    assert!(
        seen.starts_with(&format!(
            "GET /team/r.git/info/refs?x=1&service=git-upload-pack host=localhost:{}",
            server.port()
        )),
        "{seen}"
    );
    assert!(seen.contains("auth=Basic dTpQYXNzLTE="), "{seen}");
    let second = http
        .send(Method::POST, "git-upload-pack", None, None, empty())
        .await
        .unwrap();
    assert!(
        text(second)
            .await
            .starts_with("POST /team/r.git/git-upload-pack?x=1")
    );
    assert_eq!(requests.load(Ordering::SeqCst), 2);
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    assert_eq!(http.requests(), 2);
    assert_eq!(http.refusal(), None);
    assert!(!format!("{http:?}").contains("Pass-1"));
}

/// A server that takes connections and answers nothing.
async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

/// A server that reads one request's body a 64 KiB piece per `pause`, then answers 200.
async fn slow_reader(pause: Duration) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                return;
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
        let mut left: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0);
        let mut piece = vec![0u8; 64 * 1024];
        while left > 0 {
            tokio::time::sleep(pause).await;
            let wanted = left.min(piece.len());
            let n = stream.read(&mut piece[..wanted]).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            left -= n;
        }
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        let _ = stream.write_all(answer).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    });
    addr
}

fn quiet_after_one_second(addr: SocketAddr) -> RemoteHttp {
    let remote = RemoteUrl::parse(&format!("http://{addr}/r.git"), true).unwrap();
    RemoteHttp::new(&remote, true, Duration::from_secs(30), None)
        .unwrap()
        .with_silence_limit(Duration::from_secs(1))
}

#[tokio::test]
async fn a_silent_remote_gets_the_silence_limit_and_an_upload_the_whole_timeout() {
    // Took the connection, then nothing: refused once the silence limit has passed.
    let http = quiet_after_one_second(silent_server().await);
    let started = std::time::Instant::now();
    let refused = http
        .send(Method::GET, "info/refs", None, None, empty())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let ConnectRefusal::Unreachable(message) = refused else {
        panic!("{refused:?}")
    };
    assert!(
        message.contains("the connection opened but the remote did not answer within 1 s"),
        "{message}"
    );

    // An upload the remote takes in slowly (over 3 s) is answered after the silence limit,
    // and that is no failure: an upload may take the whole timeout.
    let http = quiet_after_one_second(slow_reader(Duration::from_millis(100)).await);
    let started = std::time::Instant::now();
    let answer = http
        .send(Method::PUT, "objects/upload", None, None, bytes(2 << 20))
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(started.elapsed() > Duration::from_secs(2));

    // So may a push, however small: the remote answers once its hooks have run.
    let http = quiet_after_one_second(slow_reader(Duration::from_millis(1500)).await);
    let answer = http
        .send(Method::POST, "git-receive-pack", None, None, bytes(1024))
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
}

fn bytes(length: usize) -> RequestBody {
    http_body_util::Full::new(Bytes::from(vec![7u8; length]))
        .map_err(|e| match e {})
        .boxed()
}

#[tokio::test]
async fn a_host_that_resolves_to_a_forbidden_address_is_never_connected_to() {
    let (server, requests, connections) = echo_server().await;
    let http = http_to(
        &format!("http://localhost:{}/r.git", server.port()),
        false,
        None,
    );
    let refused = http
        .send(Method::GET, "info/refs", None, None, empty())
        .await
        .unwrap_err();
    let ConnectRefusal::Blocked(message) = refused else {
        panic!("{refused:?}")
    };
    assert!(message.contains("not allowed"), "{message}");
    assert_eq!(connections.load(Ordering::SeqCst), 0);
    assert_eq!(requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn no_redirect_is_followed_and_its_target_is_kept_without_credentials_or_query() {
    for (location, expected) in [
        (
            "http://u:p@127.0.0.1:1/other.git/info/refs?service=git-upload-pack",
            "http://127.0.0.1:1/other.git".to_owned(),
        ),
        (
            "/moved.git/info/refs?service=git-upload-pack",
            String::new(),
        ),
        // A presigned object-storage URL: its signature is a credential.
        (
            "http://127.0.0.1:1/bucket/obj?X-Amz-Signature=s3cr3t&X-Amz-Credential=k3y#f",
            "http://127.0.0.1:1/bucket/obj".to_owned(),
        ),
    ] {
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
        let http = http_to(
            &format!("http://127.0.0.1:{}/r.git", addr.port()),
            true,
            None,
        );
        let refused = http
            .send(Method::GET, "info/refs", None, None, empty())
            .await
            .unwrap_err();
        let expected = if expected.is_empty() {
            format!("http://127.0.0.1:{}/moved.git", addr.port())
        } else {
            expected
        };
        assert_eq!(refused, ConnectRefusal::Redirect(expected.clone()));
        assert_eq!(http.refusal(), Some(ConnectRefusal::Redirect(expected)));
    }
}

#[tokio::test]
async fn a_remote_that_refuses_connections_is_reported_unreachable() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let http = http_to(
        &format!("http://127.0.0.1:{}/r.git", closed.port()),
        true,
        None,
    );
    let refused = http
        .send(Method::GET, "info/refs", None, None, empty())
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ConnectRefusal::Unreachable(_)),
        "{refused:?}"
    );
}

#[test]
fn origins_are_host_port_and_host_header() {
    let origin = Origin::of(&Url::parse("http://[::1]:8080/r.git").unwrap()).unwrap();
    assert_eq!((origin.host.as_str(), origin.port), ("::1", 8080));
    assert_eq!(origin.authority, "[::1]:8080");
    let default_port = Origin::of(&Url::parse("https://example.com/r.git").unwrap()).unwrap();
    assert_eq!(
        (
            default_port.authority.as_str(),
            default_port.port,
            default_port.tls
        ),
        ("example.com", 443, true)
    );
}
