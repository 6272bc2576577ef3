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

use super::{error::LfsObjectsError, remote::Remote};
use crate::{
    config::Config,
    entities::repository,
    git::fetch_push::{RemoteLogin, transport::Transfer},
    lfs::{
        batch::{ObjectAnswer, Operation},
        client::{BATCH_SIZE, LfsError, LfsRemote},
        links,
        ssh_access::SshLfsAccess,
        store::{LfsStore, Oid},
    },
    mirror::secrets::SecretBox,
    net::{error::UrlError, git_remote::GitRemote, remote_url::RemoteUrl},
};

/// Downloads or uploads under way at once, each on a connection of its own: the reference
/// client's default `lfs.concurrenttransfers`.
const CONCURRENT_TRANSFERS: usize = 8;

/// The LFS side of one transfer of `repo` to or from `remote`, over `transfer`'s connection.
pub struct LfsObjects<'a> {
    /// Where the links between repositories and objects are kept.
    pub db: &'a DatabaseConnection,
    /// The data directory, the address policy and the limits.
    pub config: &'a Config,
    /// Opens the repository's LFS login.
    pub secrets: &'a SecretBox,
    /// The repository.
    pub repo: &'a repository::Model,
    /// The git remote of the transfer.
    pub remote: &'a Remote,
    /// The transfer (its deadline; over SSH, its connection).
    pub transfer: &'a Arc<Transfer>,
}

/// What both ways start from: the store, the objects of the pointers, and those of them
/// linked to the repository already.
struct Wanted {
    store: LfsStore,
    objects: Vec<(Oid, u64)>,
    linked: HashSet<Oid>,
}

/// Where a pull's LFS objects come from: the repository's `lfs_endpoint` when set (parsed
/// once, here; refused only when it is asked), else the remote's own LFS server; and the login
/// for it.
struct PullSource {
    /// The `lfs_endpoint`, when set.
    endpoint: Option<Result<RemoteUrl, UrlError>>,
    /// The login sent to the LFS server.
    login: RemoteLogin,
}

/// The source of a pull from `remote`. Its login: the repository's LFS username and password
/// when set; else the upstream's, but only when the LFS server has the upstream's scheme,
/// host and port (no `lfs_endpoint`, or one on that origin); else none, so an endpoint
/// elsewhere never collects the upstream's password.
///
/// # Errors
/// The stored LFS password cannot be decrypted (the secret key changed).
fn pull_source(
    secrets: &SecretBox,
    config: &Config,
    repo: &repository::Model,
    remote: &Remote,
) -> Result<PullSource, LfsObjectsError> {
    let password = repo
        .lfs_password
        .as_ref()
        .map(|sealed| secrets.decrypt(repo.id, "lfs_password", sealed))
        .transpose()?;
    let own = RemoteLogin {
        username: repo.lfs_username.clone(),
        password,
    };
    let endpoint = Some(repo.lfs_endpoint.as_str())
        .filter(|e| !e.trim().is_empty())
        .map(|e| RemoteUrl::parse(e, config.allow_local_networks));
    let same_origin = match (&endpoint, &remote.url) {
        (None, _) => true,
        (Some(Ok(endpoint)), GitRemote::Http(url)) => url.same_origin(endpoint),
        // An endpoint that is refused is never asked: no login goes anywhere.
        _ => false,
    };
    let login = if own.is_set() {
        own
    } else if same_origin {
        remote.login.clone()
    } else {
        RemoteLogin::default()
    };
    Ok(PullSource { endpoint, login })
}

impl LfsObjects<'_> {
    /// Fetches every object of `pointers` (oid → size) that the repository does not have yet
    /// from `source` (the repository's `lfs_endpoint`, else the remote's LFS server; over SSH,
    /// the one `git-lfs-authenticate` names on the transfer's connection) with its login, each
    /// checked against its oid and size. Returns the objects and bytes downloaded.
    ///
    /// # Errors
    /// The object or the LFS server's trouble; nothing is linked for an object that did not
    /// arrive whole.
    pub async fn pull(
        &self,
        pointers: &BTreeMap<String, u64>,
    ) -> Result<(u64, u64), LfsObjectsError> {
        let source = &pull_source(self.secrets, self.config, self.repo, self.remote)?;
        let Wanted {
            store,
            objects,
            linked,
        } = self.wanted(pointers).await?;
        // Stored already for another repository or not: it is downloaded and checked all the
        // same, since knowing an oid must never be enough to get another's content.
        let missing: Vec<(Oid, u64)> = objects
            .into_iter()
            .filter(|(oid, _)| !linked.contains(oid))
            .collect();
        if missing.is_empty() {
            return Ok((0, 0));
        }
        // The upstream's pointers say how much will arrive: nothing above this server's limit.
        let limit = self.config.lfs_max_object_size;
        if let Some((oid, size)) = missing.iter().find(|(_, size)| *size > limit) {
            return Err(LfsObjectsError::TooLarge {
                oid: oid.clone(),
                size: *size,
                limit,
            });
        }
        let (endpoint, login) = (source.endpoint.as_ref(), &source.login);
        let remote = self.server(endpoint, login, Operation::Download).await?;
        let (remote, store) = (&remote, &store);
        let (mut objects, mut bytes) = (0, 0);
        for chunk in missing.chunks(BATCH_SIZE) {
            let answers = remote
                .batch(Operation::Download, chunk)
                .await
                .map_err(|e| match e {
                    // An endpoint with no login sent: say which one it takes.
                    LfsError::Refused(_) if endpoint.is_some() && !login.is_set() => {
                        LfsObjectsError::NoLoginSent(e)
                    }
                    e => e.into(),
                })?;
            let by_oid: HashMap<&str, &ObjectAnswer> =
                answers.iter().map(|a| (a.oid.as_str(), a)).collect();
            let mut jobs = Vec::with_capacity(chunk.len());
            for (oid, size) in chunk {
                let answer = by_oid
                    .get(oid.as_str())
                    .ok_or_else(|| LfsError::Missing(oid.to_string()))?;
                // The answer's size bounds what the download writes: it must be the pointer's.
                if u64::try_from(answer.size).ok() != Some(*size) {
                    return Err(LfsObjectsError::SizeMismatch {
                        oid: oid.clone(),
                        announced: answer.size,
                        pointer: *size,
                    });
                }
                jobs.push(async move {
                    let got = remote.download(answer, store).await?;
                    Ok::<_, LfsError>(((oid.clone(), *size), got))
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
            links::link_all(self.db, self.repo.id, &arrived)
                .await
                .map_err(LfsObjectsError::Record)?;
            objects += arrived.len() as u64;
            if let Some(e) = failure {
                return Err(e.into());
            }
        }
        tracing::info!(objects, bytes, "LFS objects fetched");
        Ok((objects, bytes))
    }

    /// Uploads to the LFS server of the push mirror (with its login) every object of
    /// `pointers` it lacks; each must be one of this repository's own objects. Returns the
    /// objects and bytes uploaded.
    ///
    /// # Errors
    /// The object (not here, refused there) or the LFS server's trouble.
    pub async fn push(
        &self,
        pointers: &BTreeMap<String, u64>,
    ) -> Result<(u64, u64), LfsObjectsError> {
        if pointers.is_empty() {
            return Ok((0, 0));
        }
        let Wanted {
            store,
            objects: wanted,
            linked: ours,
        } = self.wanted(pointers).await?;
        for (oid, size) in &wanted {
            // Only this repository's own objects: knowing an oid gives nobody another's content.
            if !ours.contains(oid) || store.size_of(oid).await != Some(*size) {
                return Err(LfsObjectsError::NotOurs(oid.clone()));
            }
        }
        let remote = self
            .server(None, &self.remote.login, Operation::Upload)
            .await?;
        let (remote, store) = (&remote, &store);
        let (mut objects, mut bytes) = (0, 0);
        for chunk in wanted.chunks(BATCH_SIZE) {
            let answers = remote.batch(Operation::Upload, chunk).await?;
            let jobs: Vec<_> = answers
                .iter()
                .map(|answer| remote.upload(answer, store))
                .collect();
            let mut uploads = stream::iter(jobs).buffer_unordered(CONCURRENT_TRANSFERS);
            // The first failure ends the run (the uploads under way are dropped).
            while let Some(sent) = uploads.next().await {
                let sent = sent?;
                if sent > 0 {
                    objects += 1;
                    bytes += sent;
                }
            }
        }
        tracing::info!(objects, bytes, "LFS objects pushed");
        Ok((objects, bytes))
    }

    /// The store, `pointers` (oid → size) as objects, and those of them linked to the
    /// repository already (one query).
    async fn wanted(&self, pointers: &BTreeMap<String, u64>) -> Result<Wanted, LfsObjectsError> {
        let objects: Vec<(Oid, u64)> = pointers
            .iter()
            .filter_map(|(oid, size)| Some((Oid::parse(oid).ok()?, *size)))
            .collect();
        let oids: Vec<Oid> = objects.iter().map(|(oid, _)| oid.clone()).collect();
        let linked = links::linked_among(self.db, self.repo.id, &oids)
            .await
            .map_err(LfsObjectsError::Database)?;
        Ok(Wanted {
            store: LfsStore::new(&self.config.data_dir),
            objects,
            linked,
        })
    }

    /// The LFS server of the remote for `operation`: `endpoint` when set; over SSH, what
    /// `git-lfs-authenticate` hands out on the transfer's own connection (the repository's
    /// key, the pinned host key), as the reference client does; else `<url>.git/info/lfs`
    /// with `login`.
    async fn server(
        &self,
        endpoint: Option<&Result<RemoteUrl, UrlError>>,
        login: &RemoteLogin,
        operation: Operation,
    ) -> Result<LfsRemote, LfsObjectsError> {
        let allow_local = self.config.allow_local_networks;
        // An upload may take what is left of the sync; a silent remote gets the silence limit.
        let timeout = self
            .transfer
            .limits()
            .deadline
            .saturating_duration_since(Instant::now());
        let silence = self.config.remote_silence_limit;
        let (endpoint, login) = match (endpoint, &self.remote.url) {
            (Some(endpoint), _) => (endpoint.clone().map_err(LfsError::Url)?, owned(login)),
            (None, GitRemote::Http(url)) => (LfsRemote::endpoint_of(url), owned(login)),
            (None, GitRemote::Ssh(_)) => {
                let working = Arc::clone(self.transfer);
                let word = match operation {
                    Operation::Download => "download",
                    Operation::Upload => "upload",
                };
                let said = tokio::task::spawn_blocking(move || working.lfs_authenticate(word))
                    .await
                    .map_err(|e| LfsObjectsError::Internal(e.to_string()))??;
                let access = SshLfsAccess::parse(&said)?;
                // The href is another URL, handed out now: parsed once, here.
                let href = RemoteUrl::parse(&access.href, allow_local).map_err(LfsError::Url)?;
                let remote = LfsRemote::new(&href, allow_local, timeout, None)
                    .with_silence_limit(silence)
                    .with_endpoint_headers(&access.header);
                return Ok(remote);
            }
        };
        Ok(LfsRemote::new(&endpoint, allow_local, timeout, login).with_silence_limit(silence))
    }
}

/// The Basic credentials of `login`, owned by the LFS client.
fn owned(login: &RemoteLogin) -> Option<(String, String)> {
    login
        .basic()
        .map(|(login, password)| (login.to_owned(), password.to_owned()))
}
