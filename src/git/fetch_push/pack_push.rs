//! A full push to a remote that has nothing yet, sent as the one pack the repository already
//! is (as a fetch or `git gc` leaves it): for `git receive-pack` that pack is a valid answer
//! as it stands, so no delta is computed again — the reason libgit2's pack builder makes a
//! first push to an empty backup several times slower than `git push --mirror`.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, atomic::Ordering},
};

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use http_body_util::{BodyExt, StreamBody};
use hyper::{Method, body::Frame};
use tokio_util::io::ReaderStream;

use super::{
    Progress, RefChange, TransferOutcome, advertisement::Advertisement, error::TransferError,
    transport::Transfer,
};
use crate::net::remote_http::SizedBody;

/// The repository's one pack, when all of its objects are in exactly one pack (no loose
/// objects, no alternates): what can be sent as it is.
#[must_use]
pub fn single_pack(repo: &Path) -> Option<PathBuf> {
    let objects = repo.join("objects");
    if objects.join("info/alternates").exists() {
        return None;
    }
    for entry in std::fs::read_dir(&objects).ok()?.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Loose objects live in the two-hex-digit fan-out folders.
        if name.len() == 2
            && name.chars().all(|c| c.is_ascii_hexdigit())
            && std::fs::read_dir(entry.path()).ok()?.next().is_some()
        {
            return None;
        }
    }
    let packs: Vec<PathBuf> = std::fs::read_dir(objects.join("pack"))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .collect();
    match packs.as_slice() {
        [pack] if pack.with_extension("idx").exists() => Some(pack.clone()),
        _ => None,
    }
}

/// Whether `repo` has no ref beyond the `pushed` ones (notes, kept refs, `refs/pull/*`, …): else its
/// pack holds objects that only those refs reach, which the remote must not get.
#[must_use]
pub fn every_ref_pushed(repo: &git2::Repository, pushed: usize) -> bool {
    repo.references()
        .map(|refs| refs.flatten().filter(|r| r.target().is_some()).count() == pushed)
        .unwrap_or(false)
}

/// Whether the remote can take `pack` as it is: it advertises no ref at all (so it has none
/// of our objects), reports status, and reads offset deltas.
#[must_use]
pub fn fits(remote: &Advertisement) -> bool {
    remote.refs.is_empty() && remote.offers("report-status") && remote.offers("ofs-delta")
}

/// Bytes of the pack read and sent at a time: each read is a hop to tokio's blocking pool, so
/// the stream's default 4 KiB would cost tens of thousands of hops for a large pack.
const PACK_CHUNK: usize = 256 * 1024;

/// pkt-line framing of `data`.
fn pkt(data: &[u8]) -> Vec<u8> {
    let mut line = format!("{:04x}", data.len() + 4).into_bytes();
    line.extend_from_slice(data);
    line
}

/// The receive-pack commands creating `creates` (all new refs), then a flush.
fn commands(creates: &[RefChange], side_band: bool) -> Vec<u8> {
    let zero = "0".repeat(40);
    let mut out = Vec::new();
    for (i, change) in creates.iter().enumerate() {
        let new = change.new.as_deref().unwrap_or(&zero);
        let mut line = format!("{zero} {new} {}", change.name).into_bytes();
        if i == 0 {
            line.push(0);
            line.extend_from_slice(b"report-status");
            if side_band {
                line.extend_from_slice(b" side-band-64k");
            }
            line.extend_from_slice(b" agent=mirrorforge");
        }
        line.push(b'\n');
        out.extend(pkt(&line));
    }
    out.extend_from_slice(b"0000");
    out
}

/// Splits pkt-lines (flushes dropped); the rest of an incomplete one is left out.
fn payloads(mut data: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    while data.len() >= 4 {
        let Some(length) = std::str::from_utf8(&data[..4])
            .ok()
            .and_then(|hex| usize::from_str_radix(hex, 16).ok())
        else {
            break;
        };
        if length == 0 {
            data = &data[4..];
            continue;
        }
        let Some(payload) = data.get(4..length) else {
            break;
        };
        lines.push(payload);
        data = &data[length..];
    }
    lines
}

/// The refs the remote refused, from its report (under side band 1 when `side_band`).
///
/// # Errors
/// The remote could not unpack, or wrote an error on side band 3.
fn refused(answer: &[u8], side_band: bool) -> Result<Vec<String>, TransferError> {
    let report: Vec<u8> = if side_band {
        let mut report = Vec::new();
        for payload in payloads(answer) {
            match payload.split_first() {
                Some((1, data)) => report.extend_from_slice(data),
                Some((3, error)) => {
                    return Err(TransferError::Server(
                        String::from_utf8_lossy(error).trim().to_owned(),
                    ));
                }
                _ => {} // progress
            }
        }
        report
    } else {
        answer.to_vec()
    };
    let mut refused = Vec::new();
    for line in payloads(&report) {
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end();
        if let Some(status) = line.strip_prefix("unpack ") {
            if status != "ok" {
                return Err(TransferError::Server(format!(
                    "the remote could not unpack: {status}"
                )));
            }
        } else if let Some(rest) = line.strip_prefix("ng ") {
            let (name, reason) = rest.split_once(' ').unwrap_or((rest, "refused"));
            refused.push(format!("{name} ({reason})"));
        }
    }
    Ok(refused)
}

/// Sends `creates` with `pack` to the remote in one request.
///
/// # Errors
/// A [`TransferError`]; refs the remote refused are named in [`TransferError::Rejected`].
pub fn push(
    transfer: &Transfer,
    remote: &Advertisement,
    pack: &Path,
    creates: Vec<RefChange>,
    progress: &Arc<Progress>,
) -> Result<TransferOutcome, TransferError> {
    let http = transfer
        .http()
        .ok_or_else(|| TransferError::Other("a single-pack push goes over HTTP".to_owned()))?;
    let side_band = remote.offers("side-band-64k");
    let head = Bytes::from(commands(&creates, side_band));
    let pack_length = std::fs::metadata(pack)
        .map_err(|e| TransferError::Other(format!("cannot read the pack: {e}")))?
        .len();
    let objects = pack_objects(pack).unwrap_or(0);
    progress.objects_total.store(objects, Ordering::Relaxed);
    let pack = pack.to_path_buf();
    let length = head.len() as u64 + pack_length;
    let counter = Arc::clone(progress);
    let answer = transfer.block_on(async {
        let file = tokio::fs::File::open(&pack)
            .await
            .map_err(|e| TransferError::Other(format!("cannot read the pack: {e}")))?;
        let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(head)])
            .chain(ReaderStream::with_capacity(file, PACK_CHUNK))
            .map_ok(move |chunk| {
                counter
                    .bytes
                    .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                Frame::data(chunk)
            });
        let body = SizedBody::new(StreamBody::new(stream), length).boxed();
        let response = http
            .send(
                Method::POST,
                "git-receive-pack",
                None,
                Some("application/x-git-receive-pack-request"),
                body,
            )
            .await
            .map_err(|refusal| transfer.explain_refusal(refusal))?;
        transfer.check(&response, "application/x-git-receive-pack-result")?;
        transfer.read_whole(response).await
    })??;
    let refused = refused(&answer, side_band)?;
    if !refused.is_empty() {
        return Err(TransferError::Rejected(refused.join(", ")));
    }
    progress.objects_done.store(objects, Ordering::Relaxed);
    Ok(TransferOutcome {
        up_to_date: false,
        objects,
        bytes: length,
        requests: transfer.requests(),
        changes: creates,
        ..TransferOutcome::default()
    })
}

/// The object count in a pack's header (`PACK`, version, count).
fn pack_objects(pack: &Path) -> Option<u64> {
    use std::io::Read;
    let mut header = [0u8; 12];
    std::fs::File::open(pack)
        .ok()?
        .read_exact(&mut header)
        .ok()?;
    (&header[..4] == b"PACK").then(|| {
        u64::from(u32::from_be_bytes([
            header[8], header[9], header[10], header[11],
        ]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_create_every_ref_with_capabilities_on_the_first() {
        let creates = vec![
            RefChange {
                name: "refs/heads/main".to_owned(),
                old: None,
                new: Some("1".repeat(40)),
                forced: false,
                diverged: false,
                kept: false,
                source_ref: None,
            },
            RefChange {
                name: "refs/tags/v1".to_owned(),
                old: None,
                new: Some("2".repeat(40)),
                forced: false,
                diverged: false,
                kept: false,
                source_ref: None,
            },
        ];
        let text = String::from_utf8(commands(&creates, true)).unwrap();
        let zero = "0".repeat(40);
        let first = format!(
            "{zero} {} refs/heads/main\0report-status side-band-64k agent=mirrorforge\n",
            "1".repeat(40)
        );
        assert!(
            text.starts_with(&format!("{:04x}{first}", first.len() + 4)),
            "{text}"
        );
        assert!(text.contains(&format!("{zero} {} refs/tags/v1\n", "2".repeat(40))));
        assert!(text.ends_with("0000"));
    }

    #[test]
    fn reports_name_refused_refs_and_failed_unpacks() {
        let report = [
            pkt(b"unpack ok\n"),
            pkt(b"ok refs/heads/main\n"),
            pkt(b"ng refs/heads/locked pre-receive hook declined\n"),
            b"0000".to_vec(),
        ]
        .concat();
        let banded = [
            pkt(&[&[1u8][..], &report].concat()),
            pkt(b"\x02progress"),
            b"0000".to_vec(),
        ]
        .concat();
        assert_eq!(
            refused(&banded, true).unwrap(),
            ["refs/heads/locked (pre-receive hook declined)"]
        );
        assert_eq!(refused(&report, false).unwrap().len(), 1);
        let failed = [pkt(b"unpack index-pack abnormal exit\n"), b"0000".to_vec()].concat();
        assert!(refused(&failed, false).is_err());
        let error = [pkt(b"\x03disk full"), b"0000".to_vec()].concat();
        assert!(matches!(refused(&error, true), Err(TransferError::Server(m)) if m == "disk full"));
    }
}
