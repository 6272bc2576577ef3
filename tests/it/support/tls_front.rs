//! HTTPS in front of a plain test server, as GitHub serves git: TLS with a certificate made
//! for this test by the `openssl` command (for `localhost` and 127.0.0.1), whose PEM file a
//! server process trusts through `SSL_CERT_FILE`.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use tokio::net::{TcpListener, TcpStream};
use tokio_native_tls::{TlsAcceptor, native_tls};

/// A TLS terminator passing every connection on to one plain address.
pub struct TlsFront {
    /// Where clients connect with TLS.
    pub addr: SocketAddr,
    /// The self-signed certificate, PEM: trust it to connect.
    pub cert: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl TlsFront {
    /// Makes a certificate in `dir` and serves TLS on 127.0.0.1 in front of `plain`.
    pub async fn start(dir: &Path, plain: SocketAddr) -> Self {
        let (cert, key) = (dir.join("front.pem"), dir.join("front.key"));
        let made = tokio::process::Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=localhost"])
            .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .await
            .expect("the openssl command (make deps installs it)");
        assert!(
            made.status.success(),
            "openssl req: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        let identity = native_tls::Identity::from_pkcs8(
            &std::fs::read(&cert).expect("certificate"),
            &std::fs::read(&key).expect("key"),
        )
        .expect("identity");
        let acceptor = TlsAcceptor::from(native_tls::TlsAcceptor::new(identity).expect("tls"));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut secure) = acceptor.accept(client).await else {
                        return;
                    };
                    let Ok(mut server) = TcpStream::connect(plain).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut secure, &mut server).await;
                });
            }
        });
        Self { addr, cert, task }
    }

    /// `https://localhost:PORT/NAME.git`.
    pub fn url(&self, name: &str) -> String {
        format!("https://localhost:{}/{name}.git", self.addr.port())
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}
