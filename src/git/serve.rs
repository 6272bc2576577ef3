//! The smart HTTP protocol, served by the stock `git upload-pack` / `git receive-pack`
//! in `--stateless-rpc` mode, with request and response bodies streamed (never held whole).

use std::{path::Path, process::Stdio};

use async_compression::tokio::bufread::GzipDecoder;
use axum::body::{Body, Bytes};
use futures_util::TryStreamExt;
use tokio::{io::AsyncWriteExt, process::Command};
use tokio_util::io::{ReaderStream, StreamReader};

use crate::error::{Error, Result};

/// The two services of the smart protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Fetch and clone.
    UploadPack,
    /// Push.
    ReceivePack,
}

impl Service {
    /// Parses `git-upload-pack` / `git-receive-pack`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "git-upload-pack" => Some(Self::UploadPack),
            "git-receive-pack" => Some(Self::ReceivePack),
            _ => None,
        }
    }

    /// `git-upload-pack` / `git-receive-pack`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::UploadPack => "git-upload-pack",
            Self::ReceivePack => "git-receive-pack",
        }
    }

    fn subcommand(self) -> &'static str {
        match self {
            Self::UploadPack => "upload-pack",
            Self::ReceivePack => "receive-pack",
        }
    }

    /// Content type of the `info/refs` answer.
    #[must_use]
    pub fn advertisement_type(self) -> String {
        format!("application/x-{}-advertisement", self.name())
    }

    /// Content type of the RPC answer.
    #[must_use]
    pub fn result_type(self) -> String {
        format!("application/x-{}-result", self.name())
    }
}

/// Encodes one pkt-line.
#[must_use]
pub fn pkt_line(data: &str) -> String {
    format!("{:04x}{data}", data.len() + 4)
}

/// The `# service=…` pkt-line and flush that open a v0/v1 `info/refs` answer.
#[must_use]
pub fn service_announcement(service: Service) -> String {
    format!(
        "{}0000",
        pkt_line(&format!("# service={}\n", service.name()))
    )
}

/// Only `version=N` items pass from the client's `Git-Protocol` header to git.
fn sanitize_protocol(header: Option<&str>) -> Option<String> {
    let value = header?;
    let ok = value.split(':').all(|item| {
        item.starts_with("version=")
            && item.len() <= 12
            && item[8..].chars().all(|c| c.is_ascii_digit())
    });
    ok.then(|| value.to_owned())
}

fn git_command(service: Service, protocol: Option<&str>) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg(service.subcommand())
        .arg("--stateless-rpc")
        .env_remove("GIT_PROTOCOL")
        .env("GIT_TERMINAL_PROMPT", "0");
    if let Some(protocol) = sanitize_protocol(protocol) {
        cmd.env("GIT_PROTOCOL", protocol);
    }
    cmd
}

/// The `info/refs?service=…` answer: the ref advertisement (v0/v1) or capabilities (v2).
///
/// # Errors
/// git could not be run or failed.
pub async fn advertise(service: Service, repo: &Path, protocol: Option<&str>) -> Result<Vec<u8>> {
    let v2 = sanitize_protocol(protocol).is_some_and(|p| p.contains("version=2"));
    let output = git_command(service, protocol)
        .arg("--advertise-refs")
        .arg(repo)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(Error::internal)?;
    if !output.status.success() {
        return Err(Error::internal(format!(
            "git {} --advertise-refs failed: {}",
            service.subcommand(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let mut body = Vec::with_capacity(output.stdout.len() + 64);
    if !(v2 && service == Service::UploadPack) {
        body.extend_from_slice(service_announcement(service).as_bytes());
    }
    body.extend_from_slice(&output.stdout);
    Ok(body)
}

/// Runs one RPC: the request body (gunzipped if `gzip`) streams into git's stdin and git's
/// stdout streams back as the response body.
///
/// # Errors
/// git could not be started.
pub fn rpc(
    service: Service,
    repo: &Path,
    protocol: Option<&str>,
    gzip: bool,
    request: Body,
) -> Result<Body> {
    let mut child = git_command(service, protocol)
        .arg(repo)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(Error::internal)?;
    let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(Error::internal("git started without pipes"));
    };
    let stream = request.into_data_stream().map_err(std::io::Error::other);
    let reader = StreamReader::new(stream);
    let name = service.name();
    tokio::spawn(async move {
        let copied = if gzip {
            let mut decoder = GzipDecoder::new(reader);
            tokio::io::copy(&mut decoder, &mut stdin).await
        } else {
            let mut reader = reader;
            tokio::io::copy(&mut reader, &mut stdin).await
        };
        if let Err(e) = copied {
            tracing::debug!(service = name, error = %e, "request body ended early");
        }
        let _ = stdin.shutdown().await;
        drop(stdin);
        let mut errors = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut stderr, &mut errors).await;
        match child.wait().await {
            Ok(status) if status.success() => {}
            Ok(status) => tracing::warn!(
                service = name,
                %status,
                stderr = %String::from_utf8_lossy(&errors).trim(),
                "git exited with an error"
            ),
            Err(e) => tracing::warn!(service = name, error = %e, "could not wait for git"),
        }
    });
    Ok(Body::from_stream(
        ReaderStream::new(stdout).map_ok(Bytes::from),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkt_lines_and_protocol_filter() {
        assert_eq!(
            pkt_line("# service=git-upload-pack\n"),
            "001e# service=git-upload-pack\n"
        );
        assert_eq!(
            sanitize_protocol(Some("version=2")),
            Some("version=2".into())
        );
        assert_eq!(sanitize_protocol(Some("version=2; rm -rf")), None);
        assert_eq!(sanitize_protocol(None), None);
    }
}
