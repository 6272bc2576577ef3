//! Git LFS in mirrors: the LFS objects a pull's commits point to, fetched from the upstream's
//! LFS server into this server's store and linked to the repository, so its clones get them;
//! and the objects a push mirror's refs need, uploaded to its LFS server before the refs.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
    time::Instant,
};

use futures_util::{StreamExt, stream};
use sea_orm::DatabaseConnection;

use crate::{
    config::Config,
    entities::repository,
    git::mirror::{Credentials, transport::Transfer},
    lfs::{
        batch::{ObjectAnswer, Operation},
        client::{BATCH_SIZE, LfsError, LfsRemote},
        refs,
        ssh_access::SshLfsAccess,
        store::{LfsStore, Oid},
    },
    net::ssh_url::SshUrl,
};

/// Downloads or uploads under way at once, each on a connection of its own: the reference
/// client's default `lfs.concurrenttransfers`.
const CONCURRENT_TRANSFERS: usize = 8;

/// Fetches every object of `pointers` (oid → size) that `repo` does not have yet from the
/// LFS server of `url` (or the repository's `lfs_endpoint`; over SSH, the one
/// `git-lfs-authenticate` names on `transfer`'s connection) with `creds` (the LFS server's
/// login, as `connect::lfs_credentials` chose it), each checked against its oid and size.
/// Returns the objects and bytes downloaded.
///
/// # Errors
/// A sentence naming the object or the LFS server's trouble; nothing is linked for an object
/// that did not arrive whole.
pub async fn pull_objects(
    db: &DatabaseConnection,
    config: &Config,
    repo: &repository::Model,
    url: &str,
    creds: &Credentials,
    transfer: &Arc<Transfer>,
    pointers: &BTreeMap<String, u64>,
) -> Result<(u64, u64), String> {
    let store = LfsStore::new(&config.data_dir);
    let (wanted, linked) = with_links(db, repo, pointers).await?;
    // Stored already for another repository or not: it is downloaded and checked all the
    // same, since knowing an oid must never be enough to get another's content.
    let missing: Vec<(Oid, u64)> = wanted
        .into_iter()
        .filter(|(oid, _)| !linked.contains(oid))
        .collect();
    if missing.is_empty() {
        return Ok((0, 0));
    }
    // The upstream's pointers say how much will arrive: nothing above this server's own limit.
    let limit = config.lfs_max_object_size;
    if let Some((oid, size)) = missing.iter().find(|(_, size)| *size > limit) {
        return Err(format!(
            "LFS object {oid} is {size} bytes, above this server's limit of {limit} bytes (MIRRORFORGE_LFS_MAX_OBJECT_SIZE)"
        ));
    }
    let endpoint = Some(repo.lfs_endpoint.as_str()).filter(|e| !e.is_empty());
    let remote = lfs_remote(config, url, endpoint, creds, transfer, Operation::Download).await?;
    let (remote, store) = (&remote, &store);
    let (mut objects, mut bytes) = (0, 0);
    for chunk in missing.chunks(BATCH_SIZE) {
        let answers = remote
            .batch(Operation::Download, chunk)
            .await
            .map_err(|e| match e {
                // An endpoint with no login sent: say which one it takes.
                LfsError::Refused(_) if endpoint.is_some() && !creds.is_set() => format!(
                    "{e}; no login was sent to the LFS endpoint (the upstream's goes only to \
                     its own scheme, host and port): set lfs_username and lfs_password for it"
                ),
                e => e.to_string(),
            })?;
        let by_oid: HashMap<&str, &ObjectAnswer> =
            answers.iter().map(|a| (a.oid.as_str(), a)).collect();
        let mut jobs = Vec::with_capacity(chunk.len());
        for (oid, size) in chunk {
            let answer = by_oid
                .get(oid.as_str())
                .ok_or_else(|| format!("LFS object {oid} is missing on the remote"))?;
            // The answer's size bounds what the download writes: it must be the pointer's.
            if u64::try_from(answer.size).ok() != Some(*size) {
                return Err(format!(
                    "LFS object {oid}: the remote announced {} bytes where the pointer says {size}",
                    answer.size
                ));
            }
            jobs.push(async move {
                let got = remote
                    .download(answer, store)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(((oid.clone(), *size), got))
            });
        }
        let mut downloads = stream::iter(jobs).buffer_unordered(CONCURRENT_TRANSFERS);
        // The first failure ends the run; the downloads still under way are dropped, and
        // with them their temporary files. What arrived whole is linked all the same (in
        // one statement), so the next run does not fetch it again.
        let mut arrived = Vec::with_capacity(chunk.len());
        let mut failure = None;
        while let Some(done) = downloads.next().await {
            match done {
                Ok((object, got)) => {
                    arrived.push(object);
                    bytes += got;
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        drop(downloads);
        refs::link_all(db, repo.id, &arrived)
            .await
            .map_err(|e| format!("LFS objects could not be recorded: {e}"))?;
        objects += arrived.len() as u64;
        if let Some(e) = failure {
            return Err(e);
        }
    }
    tracing::info!(objects, bytes, "LFS objects fetched");
    Ok((objects, bytes))
}

/// Uploads to the LFS server of the push mirror at `url` (with `creds`) every object of
/// `pointers` it lacks; each must be one of this repository's own objects. Returns the objects
/// and bytes uploaded.
///
/// # Errors
/// A sentence naming the object (not here, refused there) or the LFS server's trouble.
pub async fn push_objects(
    db: &DatabaseConnection,
    config: &Config,
    repo: &repository::Model,
    url: &str,
    creds: &Credentials,
    transfer: &Arc<Transfer>,
    pointers: &BTreeMap<String, u64>,
) -> Result<(u64, u64), String> {
    if pointers.is_empty() {
        return Ok((0, 0));
    }
    let store = LfsStore::new(&config.data_dir);
    let (wanted, ours) = with_links(db, repo, pointers).await?;
    for (oid, size) in &wanted {
        // Only this repository's own objects: knowing an oid gives nobody another's content.
        if !ours.contains(oid) || store.size_of(oid).await != Some(*size) {
            return Err(format!(
                "LFS object {oid} is not in this repository's LFS store, so it cannot be pushed (turn LFS on for the pull, or push it here with git lfs push)"
            ));
        }
    }
    let remote = lfs_remote(config, url, None, creds, transfer, Operation::Upload).await?;
    let (remote, store) = (&remote, &store);
    let (mut objects, mut bytes) = (0, 0);
    for chunk in wanted.chunks(BATCH_SIZE) {
        let answers = remote
            .batch(Operation::Upload, chunk)
            .await
            .map_err(|e| e.to_string())?;
        let jobs: Vec<_> = answers
            .iter()
            .map(|answer| remote.upload(answer, store))
            .collect();
        let mut uploads = stream::iter(jobs).buffer_unordered(CONCURRENT_TRANSFERS);
        // The first failure ends the run (the uploads under way are dropped).
        while let Some(sent) = uploads.next().await {
            let sent = sent.map_err(|e| e.to_string())?;
            if sent > 0 {
                objects += 1;
                bytes += sent;
            }
        }
    }
    tracing::info!(objects, bytes, "LFS objects pushed");
    Ok((objects, bytes))
}

/// `pointers` (oid → size) as objects, and those of them linked to `repo` already (one query).
async fn with_links(
    db: &DatabaseConnection,
    repo: &repository::Model,
    pointers: &BTreeMap<String, u64>,
) -> Result<(Vec<(Oid, u64)>, HashSet<Oid>), String> {
    let objects: Vec<(Oid, u64)> = pointers
        .iter()
        .filter_map(|(oid, size)| Some((Oid::parse(oid).ok()?, *size)))
        .collect();
    let oids: Vec<Oid> = objects.iter().map(|(oid, _)| oid.clone()).collect();
    let linked = refs::linked_among(db, repo.id, &oids)
        .await
        .map_err(|e| e.to_string())?;
    Ok((objects, linked))
}

/// The LFS server of the remote at `url` for `operation`: `endpoint` when set; over SSH, what
/// `git-lfs-authenticate` hands out on the transfer's own connection (the repository's key,
/// the pinned host key), as the reference client does; else `<url>.git/info/lfs` with `creds`.
async fn lfs_remote(
    config: &Config,
    url: &str,
    endpoint: Option<&str>,
    creds: &Credentials,
    transfer: &Arc<Transfer>,
    operation: Operation,
) -> Result<LfsRemote, String> {
    let allow_local = config.allow_local_networks;
    // An upload may take what is left of the sync; a silent remote gets the silence limit.
    let timeout = transfer
        .limits()
        .deadline
        .saturating_duration_since(Instant::now());
    let silence = config.remote_silence_limit;
    if endpoint.is_none() && SshUrl::looks_like(url) {
        let working = Arc::clone(transfer);
        let word = match operation {
            Operation::Download => "download",
            Operation::Upload => "upload",
        };
        let said = tokio::task::spawn_blocking(move || working.lfs_authenticate(word))
            .await
            .map_err(|e| format!("internal error: {e}"))?
            .map_err(|e| e.to_string())?;
        let access = SshLfsAccess::parse(&said)?;
        return LfsRemote::new(url, Some(&access.href), allow_local, timeout, None)
            .map(|remote| {
                remote
                    .with_silence_limit(silence)
                    .with_endpoint_headers(&access.header)
            })
            .map_err(|e| e.to_string());
    }
    LfsRemote::new(url, endpoint, allow_local, timeout, owned(creds))
        .map(|remote| remote.with_silence_limit(silence))
        .map_err(|e| e.to_string())
}

/// The Basic credentials of `creds`, owned by the LFS client.
fn owned(creds: &Credentials) -> Option<(String, String)> {
    creds
        .basic()
        .map(|(login, password)| (login.to_owned(), password.to_owned()))
}
