//! Start-up: open the database, migrate, build the router and serve until told to stop.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{Router, extract::ConnectInfo, http::Request};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;
use tower_sessions::ExpiredDeletion;

use crate::{
    auth::{session_store::DbSessionStore, throttle::LoginThrottle},
    config::Config,
    db,
    git::serve::GitProcesses,
    lfs::store::LfsStore,
    metrics::Metrics,
    mirror::{
        account_mirrors::{self, discover::Discoverer},
        engine::{Engine, scheduler},
        secrets::SecretBox,
    },
    state::AppState,
    web,
};

/// A server that is listening; dropping the handle does not stop it.
pub struct RunningServer {
    /// The address actually bound (useful with port 0).
    pub addr: SocketAddr,
    /// Resolves when the server has stopped.
    pub task: tokio::task::JoinHandle<anyhow::Result<()>>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl RunningServer {
    /// Asks the server to stop and waits for it.
    ///
    /// # Errors
    /// The server task failed.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await?
    }
}

/// Builds the shared state: database connected and migrated (under the migration lock).
///
/// # Errors
/// The database cannot be opened or migrated.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let db = db::open(&config).await?;
    std::fs::create_dir_all(config.repos_dir())?;
    let secrets = SecretBox::load(&config)?;
    let resealed = crate::mirror::push_mirrors::reseal_moved(&db, &secrets).await?;
    if resealed > 0 {
        tracing::info!(
            resealed,
            "downstreams moved by the upgrade re-sealed for their push mirrors"
        );
    }
    let throttle = Arc::new(LoginThrottle::new(config.login_throttle));
    let lfs = Arc::new(LfsStore::new(&config.data_dir));
    let config = Arc::new(config);
    let metrics = Arc::new(Metrics::new());
    let engine = Engine::new(
        db.clone(),
        Arc::clone(&config),
        secrets.clone(),
        Arc::clone(&metrics),
    );
    let git = Arc::new(GitProcesses::new(
        config.max_git_processes,
        config.git_queue_wait,
        config.git_idle_timeout,
    ));
    let discoverer = Discoverer::new(
        db.clone(),
        Arc::clone(&config),
        secrets.clone(),
        Arc::clone(&engine),
    );
    Ok(AppState {
        config,
        db,
        secrets,
        engine,
        discoverer,
        git,
        throttle,
        accounts: Arc::default(),
        repos: Arc::default(),
        metrics,
        lfs,
    })
}

/// Binds, logs `listening on http://ADDR` and serves in the background until [`RunningServer::stop`]
/// or a signal.
///
/// # Errors
/// The state cannot be built or the address cannot be bound.
pub async fn start(mut config: Config) -> anyhow::Result<RunningServer> {
    // Bound first: with port 0 only the listener knows the address that URLs must name.
    let listener = TcpListener::bind(config.listen).await?;
    config.listen = listener.local_addr()?;
    if config.public_url.is_none() && !config.listen.ip().is_loopback() {
        tracing::warn!(
            "MIRRORFORGE_PUBLIC_URL is not set: clone URLs name {}; set it to the URL users reach this server at",
            config.base_url()
        );
    }
    let state = build_state(config).await?;
    let store = DbSessionStore::new(state.db.clone());
    let cleanup = tokio::spawn(delete_expired_sessions(store.clone()));
    let recovered = state.engine.recover().await?;
    if recovered > 0 {
        tracing::warn!(
            recovered,
            "recorded interrupted mirror syncs from a previous run"
        );
    }
    // Triggers that were waiting when the previous process stopped run now.
    let waiting = state.engine.start_waiting().await?;
    if waiting > 0 {
        tracing::info!(
            waiting,
            "started syncs that webhooks or pushes left waiting"
        );
    }
    let cron = scheduler::start(Arc::clone(&state.engine), &state.config.scheduler_cron).await?;
    let discoveries =
        account_mirrors::schedule::start(state.discoverer.clone(), &state.config.scheduler_cron)
            .await?;
    let engine = Arc::clone(&state.engine);
    let limits = ConnectionLimits {
        header_read_timeout: state.config.header_read_timeout,
        max_connections: state.config.max_connections,
    };
    let addr = state.config.listen;
    let app = web::app(state, store);
    tracing::info!("listening on http://{addr}");
    let (shutdown, mut stop_rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        let stopped = async move {
            // A dropped handle closes the channel; that must not stop the server.
            if stop_rx.wait_for(|stop| *stop).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        serve(listener, app, limits, stopped).await;
        cron.shutdown().await;
        discoveries.shutdown().await;
        engine.shutdown().await;
        cleanup.abort();
        Ok(())
    });
    Ok(RunningServer {
        addr,
        task,
        shutdown,
    })
}

/// How long shutdown waits for open connections to finish their requests.
const CONNECTIONS_GRACE: Duration = Duration::from_secs(30);

/// What one process allows its connections.
#[derive(Debug, Clone, Copy)]
struct ConnectionLimits {
    /// A request's line and headers must arrive within it (also between requests).
    header_read_timeout: Duration,
    /// Connections open at once; past it, new ones wait to be accepted.
    max_connections: usize,
}

/// How often reaching `max_connections` is logged, at most.
const FULL_WARNING_EVERY: Duration = Duration::from_secs(60);

/// Serves HTTP/1 on `listener` until `stopped` resolves, then lets open connections finish
/// (for up to [`CONNECTIONS_GRACE`]). At most `max_connections` are open at once: the next is
/// accepted when one closes (until then it waits in the listen backlog). A connection that has
/// not sent a request's head within `header_read_timeout` — also between requests on a
/// kept-alive one — is closed. Each request carries its peer address as
/// `ConnectInfo<SocketAddr>`.
async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stopped: impl std::future::Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let mut warned: Option<Instant> = None;
    tokio::pin!(stopped);
    loop {
        let place = match Arc::clone(&places).try_acquire_owned() {
            Ok(place) => place,
            Err(_) => {
                if warned.is_none_or(|at| at.elapsed() >= FULL_WARNING_EVERY) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "MIRRORFORGE_MAX_CONNECTIONS connections are open; new ones wait for one to close"
                    );
                    warned = Some(Instant::now());
                }
                tokio::select! {
                    place = Arc::clone(&places).acquire_owned() => match place {
                        Ok(place) => place,
                        Err(_) => break,
                    },
                    () = &mut stopped => break,
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, most often: wait instead of spinning.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stopped => break,
        };
        // Answers go out as written: Nagle's algorithm against the client's delayed ACK
        // would hold back the last small segment of a streamed answer for tens of ms.
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // The place is given back when the connection is done.
            let _place = place;
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(CONNECTIONS_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after 30 s; closing them");
    }
}

/// Runs the server until ctrl-c or SIGTERM.
///
/// # Errors
/// Start-up failed.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let server = start(config).await?;
    shutdown_signal().await;
    tracing::info!("shutting down");
    server.stop().await
}

/// Removes expired sessions at start-up (the interval's first tick is immediate) and then once
/// an hour; failures are logged and retried next time.
async fn delete_expired_sessions(store: DbSessionStore) {
    let mut interval = tokio::time::interval(Duration::from_secs(3600));
    loop {
        interval.tick().await;
        if let Err(e) = store.delete_expired().await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
