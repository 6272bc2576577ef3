//! A TCP pass-through to a git host that can go quiet half-way: after a set number of bytes of
//! answers on one connection it forwards nothing more and closes nothing (a remote that stopped
//! answering mid-transfer).

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// The proxy; it passes everything through until [`StallingProxy::stall_after`] is set.
pub struct StallingProxy {
    /// Listening address.
    pub addr: SocketAddr,
    budget: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl StallingProxy {
    /// Listens on 127.0.0.1 and passes every connection on to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let budget = Arc::new(AtomicUsize::new(usize::MAX));
        let per_connection = Arc::clone(&budget);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let limit = per_connection.load(Ordering::SeqCst);
                tokio::spawn(serve(client, upstream, limit));
            }
        });
        Self { addr, budget, task }
    }

    /// `http://ADDR/PATH` through the proxy.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// New connections go quiet after `bytes` bytes of answers (`usize::MAX`: never).
    pub fn stall_after(&self, bytes: usize) {
        self.budget.store(bytes, Ordering::SeqCst);
    }
}

impl Drop for StallingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(client: TcpStream, upstream: SocketAddr, limit: usize) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let requests = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    });
    let mut sent = 0usize;
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = server_read.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let allowed = n.min(limit.saturating_sub(sent));
        if allowed > 0 && client_write.write_all(&buf[..allowed]).await.is_err() {
            break;
        }
        sent += allowed;
        if sent >= limit {
            // Quiet from here on, with the connection held open until the client gives up.
            let mut drain = [0u8; 1];
            let _ = client_write.write(&[]).await;
            let _ = requests.await;
            let _ = server_read.read(&mut drain).await;
            return;
        }
    }
    let _ = client_write.shutdown().await;
    requests.abort();
}
