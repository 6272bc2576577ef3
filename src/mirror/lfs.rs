//! Git LFS in mirrors: the LFS objects a pull's commits point to, fetched from the upstream's
//! LFS server into this server's store and linked to the repository, so its clones get them;
//! and the objects a push mirror's refs need, uploaded to its LFS server before the refs.

use std::{
    collections::{BTreeMap, HashMap},
    time::Duration,
};

use futures_util::{StreamExt, stream};
use sea_orm::DatabaseConnection;

use crate::{
    config::Config,
    entities::repository,
    git::mirror::Credentials,
    lfs::{
        batch::{ObjectAnswer, Operation},
        client::{BATCH_SIZE, LfsRemote},
        refs,
        store::{LfsStore, Oid},
    },
    net::ssh_url::SshUrl,
};

/// How long one LFS request may wait for an answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Downloads or uploads under way at once, each on a connection of its own: the reference
/// client's default `lfs.concurrenttransfers`.
const CONCURRENT_TRANSFERS: usize = 8;

/// Fetches every object of `pointers` (oid → size) that `repo` does not have yet from the
/// LFS server of `url` (or the repository's `lfs_endpoint`) with `creds`, each checked
/// against its oid and size. Returns the objects and bytes downloaded.
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
    pointers: &BTreeMap<String, u64>,
) -> Result<(u64, u64), String> {
    let store = LfsStore::new(&config.data_dir);
    let wanted: Vec<(Oid, u64)> = pointers
        .iter()
        .filter_map(|(oid, size)| Some((Oid::parse(oid).ok()?, *size)))
        .collect();
    let oids: Vec<Oid> = wanted.iter().map(|(oid, _)| oid.clone()).collect();
    let linked = refs::linked_among(db, repo.id, &oids)
        .await
        .map_err(|e| e.to_string())?;
    // Stored already for another repository or not: it is downloaded and checked all the
    // same, since knowing an oid must never be enough to get another's content.
    let missing: Vec<(Oid, u64)> = wanted
        .into_iter()
        .filter(|(oid, _)| !linked.contains(oid))
        .collect();
    if missing.is_empty() {
        return Ok((0, 0));
    }
    let endpoint = Some(repo.lfs_endpoint.as_str()).filter(|e| !e.is_empty());
    if SshUrl::looks_like(url) && endpoint.is_none() {
        return Err(
            "LFS over an SSH upstream needs the LFS endpoint (its https:// LFS URL) in the mirror settings"
                .to_owned(),
        );
    }
    let remote = LfsRemote::new(
        url,
        endpoint,
        config.allow_local_networks,
        REQUEST_TIMEOUT,
        owned(creds),
    )
    .map_err(|e| e.to_string())?;
    let (remote, store) = (&remote, &store);
    let (mut objects, mut bytes) = (0, 0);
    for chunk in missing.chunks(BATCH_SIZE) {
        let answers = remote
            .batch(Operation::Download, chunk)
            .await
            .map_err(|e| e.to_string())?;
        let by_oid: HashMap<&str, &ObjectAnswer> =
            answers.iter().map(|a| (a.oid.as_str(), a)).collect();
        let mut jobs = Vec::with_capacity(chunk.len());
        for (oid, size) in chunk {
            let answer = by_oid
                .get(oid.as_str())
                .ok_or_else(|| format!("LFS object {oid} is missing on the remote"))?;
            jobs.push(fetch_one(db, repo.id, remote, store, (oid, *size), answer));
        }
        let mut downloads = stream::iter(jobs).buffer_unordered(CONCURRENT_TRANSFERS);
        // The first failure ends the run; the downloads still under way are dropped, and
        // with them their temporary files.
        while let Some(got) = downloads.next().await {
            bytes += got?;
            objects += 1;
        }
    }
    tracing::info!(objects, bytes, "LFS objects fetched");
    Ok((objects, bytes))
}

/// Downloads the object `answer` offers, checked against its oid and size, and links it to
/// the repository only once it arrived whole; the bytes received.
async fn fetch_one(
    db: &DatabaseConnection,
    repo_id: i64,
    remote: &LfsRemote,
    store: &LfsStore,
    (oid, size): (&Oid, u64),
    answer: &ObjectAnswer,
) -> Result<u64, String> {
    let got = remote
        .download(answer, store)
        .await
        .map_err(|e| e.to_string())?;
    refs::link(db, repo_id, oid, size)
        .await
        .map_err(|e| format!("LFS object {oid}: {e}"))?;
    Ok(got)
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
    pointers: &BTreeMap<String, u64>,
) -> Result<(u64, u64), String> {
    if pointers.is_empty() {
        return Ok((0, 0));
    }
    if SshUrl::looks_like(url) {
        return Err(
            "LFS objects cannot be pushed to an SSH push mirror yet: use its https:// URL"
                .to_owned(),
        );
    }
    let store = LfsStore::new(&config.data_dir);
    let wanted: Vec<(Oid, u64)> = pointers
        .iter()
        .filter_map(|(oid, size)| Some((Oid::parse(oid).ok()?, *size)))
        .collect();
    let oids: Vec<Oid> = wanted.iter().map(|(oid, _)| oid.clone()).collect();
    let ours = refs::linked_among(db, repo.id, &oids)
        .await
        .map_err(|e| e.to_string())?;
    for (oid, size) in &wanted {
        // Only this repository's own objects: knowing an oid gives nobody another's content.
        if !ours.contains(oid) || store.size_of(oid).await != Some(*size) {
            return Err(format!(
                "LFS object {oid} is not in this repository's LFS store, so it cannot be pushed (turn LFS on for the pull, or push it here with git lfs push)"
            ));
        }
    }
    let remote = LfsRemote::new(
        url,
        None,
        config.allow_local_networks,
        REQUEST_TIMEOUT,
        owned(creds),
    )
    .map_err(|e| e.to_string())?;
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

/// The Basic credentials of `creds`, owned by the LFS client.
fn owned(creds: &Credentials) -> Option<(String, String)> {
    creds
        .basic()
        .map(|(login, password)| (login.to_owned(), password.to_owned()))
}
