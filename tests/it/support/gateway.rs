//! A reverse proxy in front of the server, as nginx would be: it passes connections through,
//! and while "down" answers every request with 502 Bad Gateway (what users see while the
//! server behind it restarts), dropping the connections it was passing through.

use std::net::SocketAddr;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
};

const BAD_GATEWAY: &[u8] = b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\n\
content-length: 24\r\nconnection: close\r\n\r\n<h1>502 Bad Gateway</h1>";

/// A TCP pass-through to one address that can be switched to 502.
pub struct Gateway {
    /// Where browsers connect.
    pub addr: SocketAddr,
    down: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Gateway {
    /// Listens on 127.0.0.1 and passes every connection on to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind gateway");
        let addr = listener.local_addr().expect("gateway address");
        let (down, _) = watch::channel(false);
        let watcher = down.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, upstream, watcher.subscribe()));
            }
        });
        Self { addr, down, task }
    }

    /// `http://ADDR/PATH` through the gateway.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Down: open connections are cut and every new request gets 502. Up: pass through again.
    pub fn set_down(&self, down: bool) {
        self.down.send_replace(down);
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut client: TcpStream, upstream: SocketAddr, mut down: watch::Receiver<bool>) {
    if *down.borrow_and_update() {
        // Read the request first, so the browser sees an answer rather than a reset.
        let mut buf = [0u8; 4096];
        let _ = client.read(&mut buf).await;
        let _ = client.write_all(BAD_GATEWAY).await;
        let _ = client.shutdown().await;
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = down.wait_for(|down| *down) => {}
    }
}
