//! The way to a remote for one transfer or one look at its refs: the stored credentials
//! decrypted, the stored URL parsed, our own HTTP client (addresses checked when connecting,
//! no redirect followed) carrying them, bounded by the transfer's limits.

use std::{sync::Arc, time::Duration};

use super::{push_mirrors, secrets::SecretBox};
use crate::{
    config::Config,
    entities::{push_mirror, repository},
    git::mirror::{Credentials, Limits, error::TransferError, transport::Transfer},
    net::{remote_http::RemoteHttp, remote_url::RemoteUrl},
};

/// The upstream's stored username and decrypted password; the sentence when it will not
/// decrypt.
///
/// # Errors
/// The stored password cannot be decrypted (the secret key changed).
pub fn upstream_credentials(
    secrets: &SecretBox,
    repo: &repository::Model,
) -> Result<Credentials, String> {
    let password = repo
        .upstream_password
        .as_ref()
        .map(|sealed| secrets.decrypt(repo.id, "upstream_password", sealed))
        .transpose()
        .map_err(|e| e.to_string())?;
    Ok(Credentials {
        username: repo.upstream_username.clone(),
        password,
    })
}

/// A push mirror's stored username and decrypted password.
///
/// # Errors
/// The stored password cannot be decrypted (the secret key changed).
pub fn push_credentials(
    secrets: &SecretBox,
    target: &push_mirror::Model,
) -> Result<Credentials, String> {
    let password = push_mirrors::password(secrets, target).map_err(|e| e.to_string())?;
    Ok(Credentials {
        username: target.remote_username.clone(),
        password,
    })
}

/// A transfer to `url` with `creds`, within `limits`, its async work on the current runtime.
///
/// # Errors
/// The URL cannot be read.
pub fn transfer_to(
    config: &Config,
    url: &str,
    creds: &Credentials,
    limits: Limits,
) -> Result<Arc<Transfer>, TransferError> {
    // The stored URL's form, parsed once; its addresses are checked where they are used, at
    // the moment of connecting.
    let remote =
        RemoteUrl::parse(url, config.allow_local_networks).map_err(TransferError::Other)?;
    let login = creds.username.as_deref().unwrap_or("git");
    let credentials = creds
        .is_set()
        .then(|| (login, creds.password.as_deref().unwrap_or("")));
    let http = RemoteHttp::new(
        &remote,
        config.allow_local_networks,
        Duration::from_secs(limits.timeout_secs),
        credentials,
    )
    .map_err(|_| TransferError::Other("URL has no host".to_owned()))?;
    Ok(Arc::new(Transfer::new(
        Arc::new(http),
        tokio::runtime::Handle::current(),
        limits,
    )))
}
