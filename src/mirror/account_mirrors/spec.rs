//! An account mirror as asked for: each field checked, the defaults filled in, every bad field
//! named at once (the API's 422 and the form's inline errors come from here).

use url::Url;

use super::{
    plan::{Filters, check_patterns},
    providers::{AccountKind, Provider},
};
use crate::{
    config::Config,
    error::{Error, FieldErrors},
    mirror::settings::check_interval,
    net::url_policy,
};

/// Syncs of the mirrors an account mirror makes: every 8 hours unless told (Gitea's default).
pub const DEFAULT_SYNC_INTERVAL: i64 = 8 * 3600;
/// Discoveries: hourly unless told.
pub const DEFAULT_DISCOVERY_INTERVAL: i64 = 3600;
/// Least time between discoveries: they page through a forge's API, which has rate limits.
pub const MIN_DISCOVERY_INTERVAL: i64 = 300;
/// Most time between discoveries: a week.
pub const MAX_DISCOVERY_INTERVAL: i64 = 7 * 24 * 3600;
/// Longest account name accepted (a GitLab group path may be nested).
const MAX_ACCOUNT_LEN: usize = 255;

/// What happens to a mirror whose repository left the account (or is newly left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRemoved {
    /// Mirroring off, marked "gone from the source"; nothing deleted.
    Pause,
    /// Left as it is.
    Keep,
}

impl OnRemoved {
    /// The word stored and shown.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pause => "pause",
            Self::Keep => "keep",
        }
    }
}

/// The fields of an account mirror as a caller sends them; `None` is "not given".
#[derive(Debug, Clone, Default)]
pub struct AccountMirrorInput {
    /// `github`, `gitlab`, `gitea`, `forgejo` or `mirrorforge`.
    pub provider: Option<String>,
    /// The API's base URL.
    pub api_url: Option<String>,
    /// The account's name (a GitLab group's full path).
    pub account: Option<String>,
    /// `org`, `user` or `group`.
    pub account_kind: Option<String>,
    /// Name globs to include.
    pub include: Option<Vec<String>>,
    /// Name globs to leave out.
    pub exclude: Option<Vec<String>>,
    /// Mirror forks too.
    pub forks: Option<bool>,
    /// Mirror archived repositories too.
    pub archived: Option<bool>,
    /// Fetch LFS objects too.
    pub lfs: Option<bool>,
    /// Seconds between the mirrors' syncs.
    pub sync_interval: Option<i64>,
    /// Seconds between discoveries.
    pub discovery_interval: Option<i64>,
    /// `pause` or `keep`.
    pub on_removed: Option<String>,
    /// Discoveries on or off.
    pub enabled: Option<bool>,
}

/// An account mirror's settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountMirrorSpec {
    /// The forge.
    pub provider: Provider,
    /// Its API's base URL.
    pub api_url: Url,
    /// The account watched.
    pub account: String,
    /// What kind of account.
    pub account_kind: AccountKind,
    /// Which of its repositories are mirrored.
    pub filters: Filters,
    /// LFS objects too.
    pub lfs: bool,
    /// Seconds between the mirrors' syncs.
    pub sync_interval: i64,
    /// Seconds between discoveries.
    pub discovery_interval: i64,
    /// What a repository leaving the account does here.
    pub on_removed: OnRemoved,
    /// Discoveries on.
    pub enabled: bool,
}

/// Checks `input`, filling in the defaults; every bad field is named.
///
/// # Errors
/// [`Error::Validation`] naming each bad field.
pub fn check(config: &Config, input: &AccountMirrorInput) -> Result<AccountMirrorSpec, Error> {
    let mut fields = FieldErrors::new();
    let mut bad = |field: &str, message: String| {
        fields.insert(field.to_owned(), message);
    };
    let provider = match input.provider.as_deref().map(str::trim) {
        None | Some("") => {
            bad("provider", "provider is required".to_owned());
            None
        }
        Some(word) => Provider::parse(word).or_else(|| {
            bad(
                "provider",
                "must be one of github, gitlab, gitea, forgejo, mirrorforge".to_owned(),
            );
            None
        }),
    };
    let api_url = match (
        input
            .api_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty()),
        provider,
    ) {
        (Some(raw), _) => url_policy::check_syntax(raw, config.allow_local_networks)
            .map_err(|e| bad("api_url", e.to_string()))
            .ok(),
        (None, Some(p)) => match p.default_api_url() {
            Some(default) => Url::parse(default).ok(),
            None => {
                bad("api_url", format!("{p} needs the server's base URL"));
                None
            }
        },
        (None, None) => None,
    };
    let account = input
        .account
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if account.is_empty() {
        bad("account", "account is required".to_owned());
    } else if account.len() > MAX_ACCOUNT_LEN
        || account.chars().any(|c| c.is_whitespace() || c.is_control())
        || account.starts_with('/')
        || account.ends_with('/')
        || account
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
    {
        bad(
            "account",
            "must be the account's name as the forge writes it (no spaces; a GitLab subgroup as group/subgroup)"
                .to_owned(),
        );
    }
    let account_kind = match input.account_kind.as_deref().map(str::trim) {
        None | Some("") => provider.map(|p| {
            if p == Provider::Gitlab {
                AccountKind::Group
            } else {
                AccountKind::Org
            }
        }),
        Some(word) => AccountKind::parse(word).or_else(|| {
            bad("account_kind", "must be org, user or group".to_owned());
            None
        }),
    };
    if let (Some(p), Some(kind)) = (provider, account_kind) {
        if !p.takes(kind) {
            bad(
                "account_kind",
                if p == Provider::Gitlab {
                    "GitLab accounts are a group or a user".to_owned()
                } else {
                    format!("{p} accounts are an org or a user")
                },
            );
        }
        if p != Provider::Gitlab && account.contains('/') {
            bad("account", format!("{p} account names have no '/'"));
        }
    }
    let include = input
        .include
        .clone()
        .unwrap_or_else(|| vec!["*".to_owned()]);
    let exclude = input.exclude.clone().unwrap_or_default();
    if let Err(message) = check_patterns(&include) {
        bad("include", message);
    }
    if let Err(message) = check_patterns(&exclude) {
        bad("exclude", message);
    }
    let sync_interval = input.sync_interval.unwrap_or(DEFAULT_SYNC_INTERVAL);
    if let Err(message) = check_interval(config, sync_interval) {
        bad("sync_interval", message);
    }
    let discovery_interval = input
        .discovery_interval
        .unwrap_or(DEFAULT_DISCOVERY_INTERVAL);
    if !(MIN_DISCOVERY_INTERVAL..=MAX_DISCOVERY_INTERVAL).contains(&discovery_interval) {
        bad(
            "discovery_interval",
            format!(
                "must be between {MIN_DISCOVERY_INTERVAL} and {MAX_DISCOVERY_INTERVAL} seconds"
            ),
        );
    }
    let on_removed = match input.on_removed.as_deref().map(str::trim) {
        None | Some("") | Some("pause") => OnRemoved::Pause,
        Some("keep") => OnRemoved::Keep,
        Some(_) => {
            bad("on_removed", "must be pause or keep".to_owned());
            OnRemoved::Pause
        }
    };
    match (provider, api_url, account_kind) {
        (Some(provider), Some(api_url), Some(account_kind)) if fields.is_empty() => {
            Ok(AccountMirrorSpec {
                provider,
                api_url,
                account,
                account_kind,
                filters: Filters {
                    include,
                    exclude,
                    forks: input.forks.unwrap_or(false),
                    archived: input.archived.unwrap_or(true),
                },
                lfs: input.lfs.unwrap_or(false),
                sync_interval,
                discovery_interval,
                on_removed,
                enabled: input.enabled.unwrap_or(true),
            })
        }
        _ => Err(Error::Validation(fields)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::for_data_dir(std::path::PathBuf::from("/nonexistent"))
    }

    #[test]
    fn defaults_fill_in_for_github() {
        let spec = check(
            &config(),
            &AccountMirrorInput {
                provider: Some("github".into()),
                account: Some("rust-lang".into()),
                ..AccountMirrorInput::default()
            },
        )
        .unwrap();
        assert_eq!(spec.api_url.as_str(), "https://api.github.com/");
        assert_eq!(spec.account_kind, AccountKind::Org);
        assert_eq!(spec.filters.include, ["*"]);
        assert!(!spec.filters.forks && spec.filters.archived);
        assert_eq!(
            (spec.sync_interval, spec.discovery_interval),
            (28_800, 3600)
        );
        assert_eq!(spec.on_removed, OnRemoved::Pause);
        let gitlab = check(
            &config(),
            &AccountMirrorInput {
                provider: Some("gitlab".into()),
                account: Some("grp/sub".into()),
                ..AccountMirrorInput::default()
            },
        )
        .unwrap();
        assert_eq!(gitlab.account_kind, AccountKind::Group);
    }

    #[test]
    fn every_bad_field_is_named() {
        let err = check(
            &config(),
            &AccountMirrorInput {
                provider: Some("gitea".into()),
                account: Some("a b".into()),
                account_kind: Some("group".into()),
                include: Some(vec!["a/b".into()]),
                sync_interval: Some(1),
                discovery_interval: Some(10),
                on_removed: Some("delete".into()),
                ..AccountMirrorInput::default()
            },
        )
        .unwrap_err();
        let Error::Validation(fields) = err else {
            panic!("not a validation error")
        };
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            [
                "account",
                "account_kind",
                "api_url",
                "discovery_interval",
                "include",
                "on_removed",
                "sync_interval"
            ]
        );
        let missing = check(&config(), &AccountMirrorInput::default()).unwrap_err();
        let Error::Validation(fields) = missing else {
            panic!("not a validation error")
        };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["account", "provider"]);
    }
}
