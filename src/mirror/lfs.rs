//! Git LFS in mirrors: the LFS objects a pull's commits point to, fetched from the upstream's
//! LFS server into this server's store and linked to the repository, so its clones get them;
//! and the objects a push mirror's refs need, uploaded to its LFS server before the refs.

use std::{collections::BTreeMap, time::Duration};

use sea_orm::DatabaseConnection;

use crate::{
    config::Config,
    entities::repository,
    git::mirror::Credentials,
    lfs::{
        batch::Operation,
        client::LfsRemote,
        refs,
        store::{LfsStore, Oid},
    },
    net::ssh_url::SshUrl,
};

/// How long one LFS request may wait for an answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

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
    let mut missing = Vec::new();
    for (oid, size) in pointers {
        let Ok(oid) = Oid::parse(oid) else { continue };
        if refs::linked(db, repo.id, &oid)
            .await
            .map_err(|e| e.to_string())?
        {
            continue;
        }
        // Stored already for another repository or not: it is downloaded and checked all
        // the same, since knowing an oid must never be enough to get another's content.
        missing.push((oid, *size));
    }
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
    let answers = remote
        .batch(Operation::Download, &missing)
        .await
        .map_err(|e| e.to_string())?;
    let (mut objects, mut bytes) = (0, 0);
    for (oid, size) in &missing {
        let answer = answers
            .iter()
            .find(|a| a.oid == oid.as_str())
            .ok_or_else(|| format!("LFS object {oid} is missing on the remote"))?;
        let got = remote
            .download(answer, &store)
            .await
            .map_err(|e| e.to_string())?;
        refs::link(db, repo.id, oid, *size)
            .await
            .map_err(|e| e.to_string())?;
        objects += 1;
        bytes += got;
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
    let mut wanted = Vec::new();
    for (oid, size) in pointers {
        let Ok(oid) = Oid::parse(oid) else { continue };
        // Only this repository's own objects: knowing an oid gives nobody another's content.
        let ours = refs::linked(db, repo.id, &oid)
            .await
            .map_err(|e| e.to_string())?;
        if !ours || store.size_of(&oid).await != Some(*size) {
            return Err(format!(
                "LFS object {oid} is not in this repository's LFS store, so it cannot be pushed (turn LFS on for the pull, or push it here with git lfs push)"
            ));
        }
        wanted.push((oid, *size));
    }
    let remote = LfsRemote::new(
        url,
        None,
        config.allow_local_networks,
        REQUEST_TIMEOUT,
        owned(creds),
    )
    .map_err(|e| e.to_string())?;
    let answers = remote
        .batch(Operation::Upload, &wanted)
        .await
        .map_err(|e| e.to_string())?;
    let (mut objects, mut bytes) = (0, 0);
    for answer in &answers {
        let sent = remote
            .upload(answer, &store)
            .await
            .map_err(|e| e.to_string())?;
        if sent > 0 {
            objects += 1;
            bytes += sent;
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
