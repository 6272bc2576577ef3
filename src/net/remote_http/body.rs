//! The bodies of requests to a remote: boxed, or of a length known in advance.

use bytes::Bytes;
use http_body_util::combinators::BoxBody;

/// The body of a request to the remote.
pub type RequestBody = BoxBody<Bytes, std::io::Error>;

/// A body of a length known in advance, so it goes out with `Content-Length` (some servers
/// refuse chunked uploads).
pub struct SizedBody<B> {
    inner: B,
    length: u64,
}

impl<B> SizedBody<B> {
    /// `inner`, announced as `length` bytes.
    pub fn new(inner: B, length: u64) -> Self {
        Self { inner, length }
    }
}

impl<B: hyper::body::Body + Unpin> hyper::body::Body for SizedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.length)
    }
}
