//! TLS for the remote's connection: the process's client configuration, built once.

use std::sync::OnceLock;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_native_tls::native_tls;

/// A connection to the remote: plain TCP or TLS over it.
pub(super) trait RemoteStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> RemoteStream for T {}

/// Why the process's TLS client configuration could not be built (the TLS library's words).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub(super) struct TlsSetupError(pub(super) String);

/// The process's TLS client configuration, built once: reading the system's CA bundle costs
/// tens of milliseconds of CPU.
pub(super) fn tls_connector() -> Result<tokio_native_tls::TlsConnector, TlsSetupError> {
    static CONNECTOR: OnceLock<Result<native_tls::TlsConnector, TlsSetupError>> = OnceLock::new();
    CONNECTOR
        .get_or_init(|| native_tls::TlsConnector::new().map_err(|e| TlsSetupError(e.to_string())))
        .clone()
        .map(tokio_native_tls::TlsConnector::from)
}
