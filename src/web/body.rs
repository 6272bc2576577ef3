//! Request bodies that are read whole: timed while they arrive (a client that stops sending
//! loses its connection, and what it sent is freed), bounded in size, and read only after the
//! route has checked what it can without them.

use std::time::Duration;

use axum::{Router, body::Body, http::Request};
use bytes::Bytes;
use tower::ServiceBuilder;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutBody, TimeoutError};

use crate::state::AppState;

/// Times the request bodies of every route in `router`: a body that sends nothing for `idle`
/// fails, so the route answers, the body is dropped and the connection, with a body it never
/// finished, is closed.
pub fn timed(router: Router<AppState>, idle: Duration) -> Router<AppState> {
    router.layer(
        ServiceBuilder::new()
            .layer(RequestBodyTimeoutLayer::new(idle))
            .map_request(|request: Request<TimeoutBody<Body>>| request.map(Body::new)),
    )
}

/// Why a body could not be read whole.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// It is larger than the route takes.
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    /// The client stopped sending it.
    #[error("the request body stopped arriving")]
    Stalled,
    /// The connection broke or the body was malformed.
    #[error("the request body could not be read: {0}")]
    Broken(String),
}

/// Reads `body` whole, at most `limit` bytes.
///
/// # Errors
/// The body is larger than `limit`, stopped arriving, or broke off.
pub async fn read_whole(body: Body, limit: usize) -> Result<Bytes, ReadError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let causes = || std::iter::successors(Some(&e as &dyn std::error::Error), |e| e.source());
        if causes().any(|cause| cause.is::<TimeoutError>()) {
            ReadError::Stalled
        } else if causes().any(|cause| cause.is::<http_body_util::LengthLimitError>()) {
            ReadError::TooLarge(limit)
        } else {
            ReadError::Broken(e.to_string())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_that_stops_is_told_from_one_too_large() {
        let silent =
            Body::from_stream(futures_util::stream::pending::<Result<Bytes, std::io::Error>>());
        let timed = Body::new(TimeoutBody::new(Duration::from_millis(50), silent));
        assert!(matches!(
            read_whole(timed, 10).await,
            Err(ReadError::Stalled)
        ));
        assert!(matches!(
            read_whole(Body::from(vec![0u8; 11]), 10).await,
            Err(ReadError::TooLarge(10))
        ));
        assert_eq!(read_whole(Body::from("ok"), 10).await.unwrap(), "ok");
    }
}
