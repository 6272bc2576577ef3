//! Transfers over SSH: the service runs as one command on the remote, and the whole
//! conversation is that command's input and output (libgit2's stateful mode). Our code reads
//! the ref advertisement first and, when a transfer follows, hands the running command to
//! libgit2 with the advertisement replayed; when none follows, it ends the command cleanly.

use std::{
    io::{self, Read, Write},
    sync::Arc,
};

use bytes::Bytes;
use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream};

use super::{GitService, SSH_SCHEME, Transfer, Wire, ended, lookup};
use crate::{
    git::fetch_push::{
        advertisement::{self, Advertisement},
        error::TransferError,
    },
    net::remote_ssh::{RemoteSsh, SshChannel, SshFailure},
};

/// The command that hands out LFS access over SSH.
const LFS_AUTHENTICATE: &str = "git-lfs-authenticate";

/// The longest answer of [`LFS_AUTHENTICATE`] read.
const MAX_LFS_ACCESS: u64 = 64 * 1024;

/// The longest advertisement read (a remote with very many refs still fits).
const MAX_ADVERTISEMENT: usize = 256 * 1024 * 1024;

/// A command whose advertisement our code read, waiting for libgit2 (or for the end).
pub(super) struct OpenCommand {
    service: GitService,
    advertisement: Bytes,
    channel: Option<SshChannel>,
}

impl Drop for OpenCommand {
    /// Unused: a flush tells the service there is nothing to do, and it ends at once.
    fn drop(&mut self) {
        if let Some(channel) = &mut self.channel {
            let _ = channel.write_all(b"0000");
            channel.finish();
        }
    }
}

impl Transfer {
    /// Runs `service` over SSH, reads its advertisement and keeps the command open.
    pub(super) fn advertise_ssh(
        &self,
        ssh: &RemoteSsh,
        service: GitService,
    ) -> Result<Advertisement, TransferError> {
        let mut channel = ssh
            .run(service.name(), self.limits.deadline, &self.limits.cancel)
            .map_err(|failure| self.ssh_failure(failure))?;
        let body =
            read_advertisement(&mut channel).map_err(|e| self.channel_error(&channel, &e))?;
        if body.is_empty() {
            return Err(self.said_nothing(&mut channel));
        }
        let parsed = advertisement::parse_ssh(&body).map_err(|e| {
            tracing::debug!(error = %e, "not a ref advertisement");
            TransferError::Other(
                "the remote did not answer as a git server (is the path a repository?)".to_owned(),
            )
        })?;
        if let Ok(mut open) = self.open_command.lock() {
            *open = Some(OpenCommand {
                service,
                advertisement: body,
                channel: Some(channel),
            });
        }
        Ok(parsed)
    }

    /// Runs `git-lfs-authenticate '<path>' <operation>` on the SSH remote, as the reference
    /// LFS client does: its output (JSON naming the LFS API and the headers to send it).
    ///
    /// # Errors
    /// The transfer is not over SSH, the connection failed, or the remote has no such command
    /// (then the sentence says to set the LFS endpoint).
    pub fn lfs_authenticate(&self, operation: &'static str) -> Result<Vec<u8>, TransferError> {
        let Wire::Ssh(ssh) = &self.wire else {
            return Err(TransferError::Other(
                "LFS access over SSH was asked of a remote that is not SSH".to_owned(),
            ));
        };
        let mut channel = ssh
            .run_with(
                LFS_AUTHENTICATE,
                operation,
                self.limits.deadline,
                &self.limits.cancel,
            )
            .map_err(|failure| self.ssh_failure(failure))?;
        let mut out = Vec::new();
        (&mut channel)
            .take(MAX_LFS_ACCESS)
            .read_to_end(&mut out)
            .map_err(|e| self.channel_error(&channel, &e))?;
        let said = first_line(&channel.stderr_text());
        match channel.exit_status() {
            Some(0) if !out.is_empty() => Ok(out),
            _ => Err(TransferError::Other(format!(
                "the SSH remote gave no LFS access ({LFS_AUTHENTICATE} {operation}{}): set the mirror's LFS endpoint to the remote's https:// LFS URL",
                if said.is_empty() {
                    String::new()
                } else {
                    format!(": {said}")
                }
            ))),
        }
    }

    /// The sentence for a connection that did not get as far as the service.
    fn ssh_failure(&self, failure: SshFailure) -> TransferError {
        match failure {
            SshFailure::Blocked(message) => TransferError::Other(message),
            SshFailure::Unreachable(detail) | SshFailure::Protocol(detail) => {
                TransferError::Connect {
                    url: self.remote_shown(),
                    detail,
                }
            }
            silent @ SshFailure::Silent(_) => TransferError::Connect {
                url: self.remote_shown(),
                detail: silent.to_string(),
            },
            SshFailure::Timeout => TransferError::Timeout(self.limits.timeout_secs),
            SshFailure::Cancelled => TransferError::Cancelled,
            other @ (SshFailure::HostKeyChanged { .. }
            | SshFailure::NoKey
            | SshFailure::KeyDenied) => TransferError::Ssh(other.to_string()),
        }
    }

    /// The sentence for a read or write that failed on a running command.
    fn channel_error(&self, channel: &SshChannel, error: &io::Error) -> TransferError {
        match channel.cut_short() {
            Some(failure) => self.ssh_failure(failure),
            None => TransferError::Connect {
                url: self.remote_shown(),
                detail: format!("the SSH connection broke: {error}"),
            },
        }
    }

    /// The sentence for a command that ended without a word on its output: what it said on
    /// its error output ("does not appear to be a git repository", "Repository not found").
    fn said_nothing(&self, channel: &mut SshChannel) -> TransferError {
        let said = channel.stderr_text();
        let line = first_line(&said);
        let lower = said.to_ascii_lowercase();
        if [
            "not appear to be a git repository",
            "repository not found",
            "not found",
            "no such file",
            "does not exist",
        ]
        .iter()
        .any(|sign| lower.contains(sign))
        {
            TransferError::NotFound(self.remote_shown())
        } else if line.is_empty() {
            TransferError::Other(
                "the remote ended the SSH command without answering (is it a git server?)"
                    .to_owned(),
            )
        } else {
            TransferError::Other(format!("the remote refused: {line}"))
        }
    }
}

/// The first line of what a remote wrote to its error output, without control characters
/// and cut at 200 characters: safe to show.
fn first_line(said: &str) -> String {
    said.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect()
}

/// Reads pkt-lines up to and with the first flush: the advertisement. Empty when the
/// command ended without a byte.
fn read_advertisement(channel: &mut SshChannel) -> io::Result<Bytes> {
    let mut body = Vec::new();
    loop {
        let mut length = [0u8; 4];
        match channel.read_exact(&mut length) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && body.is_empty() => {
                return Ok(Bytes::new());
            }
            other => other?,
        }
        body.extend_from_slice(&length);
        let length = std::str::from_utf8(&length)
            .ok()
            .and_then(|hex| usize::from_str_radix(hex, 16).ok())
            .ok_or_else(|| io::Error::other("not a pkt-line"))?;
        if length == 0 {
            return Ok(Bytes::from(body));
        }
        if length < 4 || body.len() + length > MAX_ADVERTISEMENT {
            return Err(io::Error::other("not a ref advertisement"));
        }
        let start = body.len();
        body.resize(start + length - 4, 0);
        channel.read_exact(&mut body[start..])?;
    }
}

/// What libgit2 asks for: a command's stream, kept for the whole conversation.
pub(super) struct Subtransport;

impl SmartSubtransport for Subtransport {
    fn action(
        &self,
        url: &str,
        action: Service,
    ) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let transfer = lookup(url, SSH_SCHEME).ok_or_else(ended)?;
        let super::Wire::Ssh(ssh) = &transfer.wire else {
            return Err(ended());
        };
        let service = match action {
            Service::UploadPackLs => GitService::UploadPack,
            Service::ReceivePackLs => GitService::ReceivePack,
            // Stateful: libgit2 goes on with the stream of the listing.
            Service::UploadPack | Service::ReceivePack => {
                return Err(git2::Error::from_str("no SSH command is open"));
            }
        };
        let kept = transfer
            .open_command
            .lock()
            .ok()
            .and_then(|mut open| open.take())
            .filter(|open| open.service == service);
        let (replay, channel) = match kept {
            Some(mut open) => (std::mem::take(&mut open.advertisement), open.channel.take()),
            None => (Bytes::new(), None),
        };
        let channel = match channel {
            Some(channel) => channel,
            None => ssh
                .run(
                    service.name(),
                    transfer.limits.deadline,
                    &transfer.limits.cancel,
                )
                .map_err(|failure| {
                    let failure = transfer.ssh_failure(failure);
                    git2::Error::from_str(&transfer.fail(failure).to_string())
                })?,
        };
        Ok(Box::new(Stream {
            transfer: Arc::clone(&transfer),
            replay,
            channel,
        }))
    }

    fn close(&self) -> Result<(), git2::Error> {
        Ok(())
    }
}

/// The running command as libgit2 reads and writes it.
struct Stream {
    transfer: Arc<Transfer>,
    /// The advertisement our code read already, given to libgit2 first.
    replay: Bytes,
    channel: SshChannel,
}

impl Read for Stream {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if !self.replay.is_empty() {
            let n = out.len().min(self.replay.len());
            out[..n].copy_from_slice(&self.replay.split_to(n));
            return Ok(n);
        }
        self.channel.read(out).map_err(|e| {
            let failure = self.transfer.channel_error(&self.channel, &e);
            self.transfer.fail(failure)
        })
    }
}

impl Write for Stream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.channel.write_all(data).map_err(|e| {
            let failure = self.transfer.channel_error(&self.channel, &e);
            self.transfer.fail(failure)
        })?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.channel.flush()
    }
}
