//! Importing a repository from a URL: as an upstream mirror (its settings saved through
//! `settings::apply`, credentials encrypted) or as a one-time clone (credentials used once,
//! never stored). Answers at once; the transfer runs in the background (trigger `import`).

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::{
    engine::{Engine, OneTimeClone},
    secrets::SecretBox,
    settings::{self, SettingsPatch, check_interval, check_password, check_username},
};
use crate::{
    config::Config,
    entities::{mirror_enums::MirrorDirection, user},
    error::{Error, FieldErrors, Result},
    git::fetch_push::RemoteLogin,
    net::{
        error::{Schemes, UrlError},
        remote_url::RemoteUrl,
        ssh_url::SshUrl,
    },
    repos::{self, NewRepo, Repo},
};

/// Why an import does not take an SSH address, and the way to an SSH mirror instead.
const SSH_IMPORT: &str = "an SSH address cannot be imported directly: an SSH mirror signs in with the repository's own key, which is made after the repository. Create the repository, make its SSH key in Settings → Mirror and add it at the remote as a deploy key, then set this address as the upstream URL";

/// The clone URL left empty, named by the form's label.
const CLONE_URL_MISSING: &str = "Clone URL is required: the address of the repository to copy, e.g. https://github.com/user/repo.git";

/// No name given, and none could be taken from the clone URL.
const NAME_MISSING: &str = "Repository name needed: no name could be taken from the clone URL, so type one (letters, digits, '.', '_' and '-')";

/// Why `url` is not an http:// or https:// URL an import can fetch (the scheme only; the
/// address policy is checked with the rest). `None` when it is one, or is no URL at all
/// (which the full check explains).
fn not_http(url: &str) -> Option<UrlError> {
    let parsed = url::Url::parse(url).ok()?;
    (!matches!(parsed.scheme(), "http" | "https")).then_some(UrlError::BadScheme(Schemes::Http))
}

/// The name a clone URL suggests: its last path segment without `.git`
/// (`https://host/tools/ripgrep.git`, `git@host:tools/ripgrep.git` and `host/tools/ripgrep`
/// all give `ripgrep`); empty when there is none.
#[must_use]
pub fn name_from_url(url: &str) -> String {
    let url = url.trim();
    let path = match url::Url::parse(url) {
        Ok(parsed) if parsed.has_host() => parsed.path().to_owned(),
        // `user@host:path` (scp-like) or `host/path` without a scheme.
        _ => url
            .split_once(':')
            .filter(|(host, _)| !host.contains('/'))
            .map_or(url, |(_, path)| path)
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .to_owned(),
    };
    let last = path.split('/').rfind(|segment| !segment.is_empty());
    // Without a scheme a lone segment is the host, not a repository.
    let schemeless_host = url::Url::parse(url).is_err() && !path.contains('/');
    match last {
        Some(last) if !schemeless_host => last.strip_suffix(".git").unwrap_or(last).to_owned(),
        _ => String::new(),
    }
}

/// What the import form and `POST /repos/import` ask for.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    /// New repository name.
    pub name: String,
    /// Where to copy from.
    pub clone_url: String,
    /// Keep it as an upstream mirror.
    pub mirror: bool,
    /// Hide it from others.
    pub private: bool,
    /// Free text.
    pub description: String,
    /// Username for the source.
    pub auth_username: Option<String>,
    /// Password or token for the source.
    pub auth_password: Option<String>,
    /// Seconds between syncs (mirrors only).
    pub sync_interval: Option<i64>,
    /// Fetch the LFS objects too (and keep doing so, for a mirror).
    pub lfs: bool,
    /// The LFS server, when it is not at `<clone_url>/info/lfs` (empty or `None`: there).
    pub lfs_endpoint: Option<String>,
    /// Commits of each ref's history to fetch (`None` or `0`: the full history).
    pub depth: Option<i64>,
}

/// The services an import uses.
#[derive(Clone, Copy)]
pub struct Importer<'a> {
    /// Where repositories are recorded.
    pub db: &'a DatabaseConnection,
    /// Limits and the URL policy.
    pub config: &'a Config,
    /// Seals the mirror password.
    pub secrets: &'a SecretBox,
    /// Runs the first transfer.
    pub engine: &'a Arc<Engine>,
}

/// Settings fields as this form names them.
fn import_field(settings_field: String) -> String {
    match settings_field.as_str() {
        "upstream_url" => "clone_url".to_owned(),
        "upstream_username" => "auth_username".to_owned(),
        "upstream_password" => "auth_password".to_owned(),
        "upstream_depth" => "depth".to_owned(),
        _ => settings_field,
    }
}

impl Importer<'_> {
    /// Validates, creates the repository, saves its mirror settings through the one settings
    /// path and starts its first transfer in the background.
    ///
    /// # Errors
    /// Validation (422 naming each field), a taken name (409), the database or the disk.
    pub async fn import(self, owner: &user::Model, req: ImportRequest) -> Result<Repo> {
        let config = self.config;
        let mut fields = FieldErrors::new();
        let clone_url = req.clone_url.trim().to_owned();
        if req.name.trim().is_empty() {
            fields.insert("name".to_owned(), NAME_MISSING.to_owned());
        } else if let Err(message) = crate::names::check_repo_name(&req.name) {
            fields.insert("name".to_owned(), message);
        }
        if clone_url.is_empty() {
            fields.insert("clone_url".to_owned(), CLONE_URL_MISSING.to_owned());
        } else if SshUrl::looks_like(&clone_url) {
            // An SSH remote signs in with the repository's own key, which does not exist yet.
            fields.insert("clone_url".to_owned(), SSH_IMPORT.to_owned());
        } else if let Some(refusal) = not_http(&clone_url) {
            // An import takes only what it can fetch: the sentence lists no ssh:// (see above).
            fields.insert("clone_url".to_owned(), refusal.to_string());
        } else if !req.mirror
            && let Err(message) = RemoteUrl::check(&clone_url, config.allow_local_networks).await
        {
            // A mirror's URL is checked with its settings, below.
            fields.insert("clone_url".to_owned(), message.to_string());
        }
        let interval = req.sync_interval.unwrap_or(3600);
        if let Err(message) = check_interval(config, interval) {
            fields.insert("sync_interval".to_owned(), message);
        }
        let username = req.auth_username.filter(|u| !u.trim().is_empty());
        let password = req.auth_password.filter(|p| !p.is_empty());
        if let Some(Err(message)) = username.as_deref().map(check_username) {
            fields.insert("auth_username".to_owned(), message);
        }
        if let Some(Err(message)) = password.as_deref().map(check_password) {
            fields.insert("auth_password".to_owned(), message);
        }
        let mirror_patch = req.mirror.then(|| SettingsPatch {
            mirror_enabled: Some(true),
            mirror_direction: Some(MirrorDirection::Upstream.as_str().to_owned()),
            upstream_url: Some(clone_url.clone()),
            upstream_username: username.clone(),
            upstream_password: password.clone(),
            sync_interval: Some(interval),
            lfs_enabled: Some(req.lfs),
            lfs_endpoint: req.lfs_endpoint.clone(),
            upstream_depth: req.depth,
            ..SettingsPatch::default()
        });
        // A one-time copy with LFS or a depth keeps only those choices (its fetch reads them).
        let shallow_copy = req.depth.is_some_and(|d| d != 0);
        let lfs_patch = (!req.mirror && (req.lfs || shallow_copy)).then(|| SettingsPatch {
            lfs_enabled: Some(req.lfs),
            lfs_endpoint: req.lfs_endpoint.clone().filter(|_| req.lfs),
            upstream_depth: req.depth,
            ..SettingsPatch::default()
        });
        if let Some(patch) = mirror_patch.as_ref().or(lfs_patch.as_ref())
            && let Err(Error::Validation(invalid)) =
                settings::validate(config, &settings::Current::Blank, patch).await
        {
            for (field, message) in invalid {
                fields.entry(import_field(field)).or_insert(message);
            }
        }
        if !fields.is_empty() {
            return Err(Error::Validation(fields));
        }

        let Repo { repo: row, owner } = repos::create(
            self.db,
            config,
            owner,
            NewRepo {
                name: req.name.clone(),
                description: req.description.clone(),
                private: req.private,
                made_by: None,
                ..NewRepo::default()
            },
        )
        .await?;
        let (row, one_time) = match mirror_patch {
            Some(patch) => {
                let row = settings::apply(self.db, config, self.secrets, row, patch).await?;
                (row, None)
            }
            // For a one-time clone the credentials live only in memory, for this transfer.
            None => (
                match lfs_patch {
                    Some(lfs_only) => {
                        settings::apply(self.db, config, self.secrets, row, lfs_only).await?
                    }
                    None => row,
                },
                Some(OneTimeClone {
                    url: clone_url,
                    credentials: RemoteLogin { username, password },
                }),
            ),
        };
        // The scheduler may already have claimed a new mirror: then its sync is the first.
        self.engine.start_import(&row, one_time).await?;
        Ok(Repo { repo: row, owner })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_suggests_a_name() {
        assert_eq!(name_from_url("https://host/tools/ripgrep.git"), "ripgrep");
        assert_eq!(name_from_url("https://host/tools/ripgrep/"), "ripgrep");
        assert_eq!(name_from_url("http://127.0.0.1:9/a.git?x=1"), "a");
        assert_eq!(name_from_url("git@github.com:tools/ripgrep.git"), "ripgrep");
        assert_eq!(name_from_url("github.com/tools/ripgrep"), "ripgrep");
        assert_eq!(name_from_url("ftp://host/pub/app.git"), "app");
        assert_eq!(name_from_url("https://host"), "");
        assert_eq!(name_from_url("github.com"), "");
        assert_eq!(name_from_url(""), "");
    }

    #[test]
    fn only_http_is_named_for_an_import() {
        let refusal = not_http("ftp://host/r.git").unwrap().to_string();
        assert!(refusal.contains("http://") && refusal.contains("https://"));
        assert!(!refusal.contains("ssh"), "{refusal}");
        assert!(not_http("https://host/r.git").is_none());
        assert!(not_http("not a url").is_none());
    }
}
