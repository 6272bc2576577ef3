//! The little of HTTP/1.1 the egress needs: message heads read line by line, bodies copied by
//! their declared framing, so requests and answers are passed on one at a time.

use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt,
};

/// Longest request or answer head passed on (first line and headers).
const MAX_HEAD: usize = 64 * 1024;

/// Longest single line (first line, header, chunk size).
const MAX_LINE: usize = 16 * 1024;

/// Method, target and version of a request head's first line.
pub(super) fn request_line(head: &[String]) -> Option<(&str, &str, &str)> {
    let mut parts = head.first()?.split(' ');
    let line = (parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && line.2.starts_with("HTTP/1.")).then_some(line)
}

/// A `GET` or `POST` of a path (what libgit2 sends): never `CONNECT`, never another host,
/// never a method whose answer has no body (`HEAD`), which would confuse the framing.
pub(super) fn is_origin_request(head: &[String]) -> bool {
    request_line(head).is_some_and(|(method, target, _)| {
        matches!(method, "GET" | "POST") && target.starts_with('/')
    })
}

/// The status code of an answer head's first line (`HTTP/1.1 200 OK`).
pub(super) fn status_of(head: &[String]) -> Option<u16> {
    let mut parts = head.first()?.splitn(3, ' ');
    let version = parts.next()?;
    let code = parts.next()?;
    (version.starts_with("HTTP/1.") && code.len() == 3)
        .then(|| code.parse().ok())
        .flatten()
}

/// The value of the first header called `name`.
pub(super) fn header<'h>(head: &'h [String], name: &str) -> Option<&'h str> {
    head[1..].iter().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}

/// The head as the remote expects it: its own `Host` (`authority`), and no proxy headers.
pub(super) fn for_origin(head: &[String], authority: &str) -> Vec<u8> {
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
            out.push_str(authority);
        } else {
            out.push_str(header);
        }
        out.push_str("\r\n");
    }
    if !host_sent {
        out.push_str("Host: ");
        out.push_str(authority);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// A head as it came, line endings restored.
pub(super) fn as_sent(head: &[String]) -> Vec<u8> {
    let mut out = head.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out
}

/// How a message's body is delimited.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Body {
    /// No length given: a request has no body, an answer runs until the connection closes.
    Unframed,
    Length(u64),
    Chunked,
}

/// The body framing the headers declare; `None` for a transfer coding other than chunked.
pub(super) fn body_of(head: &[String]) -> Option<Body> {
    let mut body = Body::Unframed;
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
pub(super) async fn forward_requests<R, W>(
    client: &mut R,
    server: &mut W,
    first: Vec<String>,
    authority: &str,
) -> std::io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut head = first;
    loop {
        if !is_origin_request(&head) {
            return Err(invalid("not a request for this transfer's remote"));
        }
        server.write_all(&for_origin(&head, authority)).await?;
        match body_of(&head).ok_or_else(|| invalid("unsupported transfer coding"))? {
            Body::Unframed => {}
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

/// Passes the remote's answers back, one after another, until it closes the connection.
/// Stops at the first redirect, passing none of it: `Ok(Some(location))`.
pub(super) async fn forward_answers<R, W>(
    server: &mut R,
    client: &mut W,
) -> std::io::Result<Option<Option<String>>>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        let Some(head) = read_head(server).await? else {
            return Ok(None);
        };
        let status = status_of(&head).ok_or_else(|| invalid("not an HTTP answer"))?;
        if (300..400).contains(&status) {
            return Ok(Some(header(&head, "location").map(str::to_owned)));
        }
        client.write_all(&as_sent(&head)).await?;
        if (100..200).contains(&status) {
            client.flush().await?;
            continue; // an interim answer: the final one follows
        }
        if !matches!(status, 204 | 304) {
            match body_of(&head).ok_or_else(|| invalid("unsupported transfer coding"))? {
                Body::Unframed => {
                    tokio::io::copy(server, client).await?;
                    return Ok(None);
                }
                Body::Length(length) => copy_exactly(server, client, length).await?,
                Body::Chunked => copy_chunked(server, client).await?,
            }
        }
        client.flush().await?;
    }
}

pub(super) async fn copy_exactly<R, W>(from: &mut R, to: &mut W, length: u64) -> std::io::Result<()>
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
pub(super) async fn copy_chunked<R, W>(from: &mut R, to: &mut W) -> std::io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        let line = read_line(from).await?;
        to.write_all(&line).await?;
        let text = std::str::from_utf8(&line).map_err(|_| invalid("chunk size"))?;
        let size_text = text.split(';').next().unwrap_or_default().trim();
        let size = u64::from_str_radix(size_text, 16).map_err(|_| invalid("chunk size"))?;
        if size == 0 {
            // Trailers, then the empty line that ends the body.
            loop {
                let line = read_line(from).await?;
                to.write_all(&line).await?;
                if line.trim_ascii().is_empty() {
                    return Ok(());
                }
            }
        }
        copy_exactly(from, to, size).await?;
        let end = read_line(from).await?;
        to.write_all(&end).await?;
    }
}

/// One line with its line ending; an error at the end of the stream or past [`MAX_LINE`].
pub(super) async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Vec<u8>> {
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

/// The first line and headers, without line endings; `None` when the peer closed the
/// connection between messages.
pub(super) async fn read_head<R: AsyncBufRead + Unpin>(
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
            return Err(invalid("message head too large"));
        }
        let text = String::from_utf8(line).map_err(|_| invalid("message head"))?;
        let text = text.trim_end_matches(['\r', '\n']);
        match (text.is_empty(), lines.is_empty()) {
            (true, true) => {} // a stray line ending between messages
            (true, false) => return Ok(Some(lines)),
            (false, _) => lines.push(text.to_owned()),
        }
    }
}

/// A short answer of the proxy's own, then the end of the connection.
pub(super) async fn respond<W: AsyncWrite + Unpin>(
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
    use super::*;

    #[test]
    fn answer_heads_are_read_for_status_and_headers() {
        let head: Vec<String> = ["HTTP/1.1 302 Found", "Location: /x", "content-length: 0"]
            .map(str::to_owned)
            .into();
        assert_eq!(status_of(&head), Some(302));
        assert_eq!(header(&head, "LOCATION"), Some("/x"));
        assert_eq!(body_of(&head), Some(Body::Length(0)));
        assert_eq!(status_of(&["HTTP/1.1 20 OK".to_owned()]), None);
        assert_eq!(status_of(&["SSH-2.0-x".to_owned()]), None);
    }

    #[test]
    fn the_host_header_is_the_remotes_and_proxy_headers_are_dropped() {
        let head: Vec<String> = [
            "GET /r.git HTTP/1.1",
            "host: 127.0.0.1:5",
            "Proxy-Authorization: x",
            "Accept: */*",
        ]
        .map(str::to_owned)
        .into();
        let out = String::from_utf8(for_origin(&head, "[::1]:8080")).unwrap();
        assert_eq!(
            out,
            "GET /r.git HTTP/1.1\r\nHost: [::1]:8080\r\nAccept: */*\r\n\r\n"
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
        assert_eq!(body_of(&head("Accept: */*")), Some(Body::Unframed));
    }
}
