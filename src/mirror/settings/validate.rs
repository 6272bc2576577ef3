//! Checking a settings patch: every field against the rules and the current settings, every
//! bad field named, nothing saved.

use super::{
    DEFAULT_SYNC_INTERVAL, SHALLOW_CANNOT_PUSH, SettingsPatch, check_depth, check_interval,
    check_password, check_username,
};
use crate::{
    config::Config,
    entities::{
        mirror_enums::{MirrorDirection, UpstreamOverwrite},
        push_mirror, repository,
    },
    error::{Error, FieldErrors, Result},
    git::fetch_push::{filter::RefFilter, ref_map::RefMap},
    mirror::schedule::Schedule,
    net::{git_remote::GitRemote, remote_url::RemoteUrl},
};

/// A text field after a patch: unchanged, or set to a value (None = cleared).
pub(super) fn merged(patch: Option<&String>, current: Option<&String>) -> Option<String> {
    match patch {
        Some(v) if v.trim().is_empty() => None,
        Some(v) => Some(v.trim().to_owned()),
        None => current.cloned(),
    }
}

/// The settings a patch is checked against: a stored repository's, or a new one's.
#[derive(Debug, Clone, Copy)]
pub enum Current<'a> {
    /// A repository about to be created (mirroring off, upstream, hourly).
    Blank,
    /// A stored repository and its push mirrors, oldest first.
    Stored {
        /// The repository.
        repo: &'a repository::Model,
        /// Its push mirrors; the first is the downstream.
        push_mirrors: &'a [push_mirror::Model],
    },
}

impl<'a> Current<'a> {
    fn direction(self) -> MirrorDirection {
        match self {
            Self::Blank => MirrorDirection::Upstream,
            Self::Stored { repo, .. } => repo.mirror_direction,
        }
    }

    fn interval(self) -> i64 {
        match self {
            Self::Blank => DEFAULT_SYNC_INTERVAL,
            Self::Stored { repo, .. } => repo.sync_interval,
        }
    }

    fn enabled(self) -> bool {
        match self {
            Self::Blank => false,
            Self::Stored { repo, .. } => repo.mirror_enabled,
        }
    }

    fn upstream_url(self) -> Option<&'a String> {
        match self {
            Self::Blank => None,
            Self::Stored { repo, .. } => repo.upstream_url.as_ref(),
        }
    }

    fn depth(self) -> i32 {
        match self {
            Self::Blank => 0,
            Self::Stored { repo, .. } => repo.upstream_depth,
        }
    }

    /// The push mirrors: the first is the downstream.
    fn push_mirrors(self) -> &'a [push_mirror::Model] {
        match self {
            Self::Blank => &[],
            Self::Stored { push_mirrors, .. } => push_mirrors,
        }
    }
}

/// A patch that passed [`validate`]: the settings as they will be saved.
#[derive(Debug, Clone)]
pub struct Checked {
    pub(super) direction: MirrorDirection,
    pub(super) interval: i64,
    pub(super) enabled: bool,
    /// As parsed (normalised), or unset.
    pub(super) upstream_url: Option<String>,
    /// As parsed (normalised), or unset.
    pub(super) downstream_url: Option<String>,
    /// The new upstream ref filter as stored, when the patch sets one.
    pub(super) upstream_ref_filter: Option<String>,
    /// The new branch map of the pull as stored, when the patch sets one.
    pub(super) upstream_ref_map: Option<String>,
    /// The new schedule as stored, when the patch sets one.
    pub(super) sync_schedule: Option<String>,
    /// The new notification URL as parsed (`""`: none), when the patch sets one.
    pub(super) notify_url: Option<String>,
    /// The new LFS endpoint as parsed (`""`: derived), when the patch sets one.
    pub(super) lfs_endpoint: Option<String>,
    /// What a pull may overwrite, when the patch sets it.
    pub(super) upstream_overwrite: Option<UpstreamOverwrite>,
    /// The new history depth, when the patch sets it.
    pub(super) upstream_depth: Option<i32>,
}

/// Checks every field of `patch` against `current`: 422 names each bad one.
///
/// # Errors
/// Validation (422).
pub async fn validate(
    config: &Config,
    current: &Current<'_>,
    patch: &SettingsPatch,
) -> Result<Checked> {
    let current = *current;
    let mut fields = FieldErrors::new();
    let direction = match patch.mirror_direction.as_deref() {
        None => current.direction(),
        Some(word) => MirrorDirection::parse(word).unwrap_or_else(|| {
            fields.insert(
                "mirror_direction".to_owned(),
                "must be one of upstream, downstream, both".to_owned(),
            );
            current.direction()
        }),
    };
    let interval = patch.sync_interval.unwrap_or(current.interval());
    if let Some(Err(message)) = patch.sync_interval.map(|i| check_interval(config, i)) {
        fields.insert("sync_interval".to_owned(), message);
    }
    let enabled = patch.mirror_enabled.unwrap_or(current.enabled());
    // URLs are kept as parsed, so what is shown is what is connected to.
    let (mut upstream_given, mut downstream_given) = (None, None);
    for (field, given, slot) in [
        ("upstream_url", &patch.upstream_url, &mut upstream_given),
        (
            "downstream_url",
            &patch.downstream_url,
            &mut downstream_given,
        ),
    ] {
        if let Some(url) = given.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            match GitRemote::check(url, config.allow_local_networks).await {
                Ok(parsed) => *slot = Some(String::from(parsed)),
                Err(message) => {
                    fields.insert(field.to_owned(), message.to_string());
                }
            }
        }
    }
    let upstream_url = merged(
        upstream_given.as_ref().or(patch.upstream_url.as_ref()),
        current.upstream_url(),
    );
    let first_push = current.push_mirrors().first();
    let downstream_url = merged(
        downstream_given.as_ref().or(patch.downstream_url.as_ref()),
        first_push.map(|m| &m.remote_url),
    );
    // Clearing the downstream removes the first push mirror; the next one, if any, remains.
    let pushes_somewhere = downstream_url.is_some() || current.push_mirrors().len() > 1;
    if enabled
        && direction.pulls()
        && upstream_url.is_none()
        && !fields.contains_key("upstream_url")
    {
        fields.insert(
            "upstream_url".to_owned(),
            "required when mirroring upstream".to_owned(),
        );
    }
    if enabled && direction.pushes() && !pushes_somewhere && !fields.contains_key("downstream_url")
    {
        fields.insert(
            "downstream_url".to_owned(),
            "required when mirroring downstream".to_owned(),
        );
    }
    for (field, value) in [
        ("upstream_username", &patch.upstream_username),
        ("downstream_username", &patch.downstream_username),
        ("lfs_username", &patch.lfs_username),
    ] {
        if let Some(Err(message)) = value.as_deref().map(check_username) {
            fields.insert(field.to_owned(), message);
        }
    }
    for (field, value) in [
        ("upstream_password", &patch.upstream_password),
        ("downstream_password", &patch.downstream_password),
        ("lfs_password", &patch.lfs_password),
    ] {
        if let Some(Err(message)) = value.as_deref().map(check_password) {
            fields.insert(field.to_owned(), message);
        }
    }
    let upstream_ref_filter = match patch.upstream_ref_filter.as_deref().map(RefFilter::parse) {
        Some(Ok(filter)) => Some(filter.to_json()),
        Some(Err(message)) => {
            fields.insert("upstream_ref_filter".to_owned(), message.0);
            None
        }
        None => None,
    };
    let upstream_ref_map = match patch.upstream_ref_map.as_deref().map(RefMap::parse) {
        Some(Ok(map)) => Some(map.to_json()),
        Some(Err(message)) => {
            fields.insert("upstream_ref_map".to_owned(), message.0);
            None
        }
        None => None,
    };
    let sync_schedule = match patch
        .sync_schedule
        .as_deref()
        .map(|text| Schedule::parse(text, config.min_sync_interval))
    {
        Some(Ok(schedule)) => Some(schedule.as_stored()),
        Some(Err(e)) => {
            fields.insert("sync_schedule".to_owned(), e.to_string());
            None
        }
        None => None,
    };
    // The same rules and address policy as the remotes: the server POSTs there.
    let notify_url = match patch.notify_url.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(String::new()),
        Some(url) => match RemoteUrl::check(url, config.allow_local_networks).await {
            Ok(parsed) => Some(String::from(parsed)),
            Err(message) => {
                fields.insert("notify_url".to_owned(), message.to_string());
                None
            }
        },
    };
    // An LFS server is reached over HTTP(S) under the same address policy.
    let lfs_endpoint = match patch.lfs_endpoint.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(String::new()),
        Some(url) => match RemoteUrl::check(url, config.allow_local_networks).await {
            Ok(parsed) => Some(String::from(parsed)),
            Err(message) => {
                fields.insert("lfs_endpoint".to_owned(), message.to_string());
                None
            }
        },
    };
    let upstream_overwrite = patch.upstream_overwrite.as_deref().and_then(|word| {
        let parsed = UpstreamOverwrite::parse(word);
        if parsed.is_none() {
            fields.insert(
                "upstream_overwrite".to_owned(),
                "must be one of all, fast_forward".to_owned(),
            );
        }
        parsed
    });
    let upstream_depth = check_shallow(patch, current.depth(), pushes_somewhere, &mut fields);
    if !fields.is_empty() {
        return Err(Error::Validation(fields));
    }
    Ok(Checked {
        upstream_depth,
        upstream_overwrite,
        sync_schedule,
        notify_url,
        lfs_endpoint,
        direction,
        interval,
        enabled,
        upstream_url,
        downstream_url,
        upstream_ref_filter,
        upstream_ref_map,
    })
}

/// The depth a patch sets, checked: in range, and never shallow beside a push mirror. The
/// field named is the one that breaks the rule: `upstream_depth` when the patch changes it,
/// else `downstream_url` (a shallow repository given a downstream).
fn check_shallow(
    patch: &SettingsPatch,
    current_depth: i32,
    pushes_somewhere: bool,
    fields: &mut FieldErrors,
) -> Option<i32> {
    let depth = match patch.upstream_depth.map(check_depth).transpose() {
        Ok(depth) => depth,
        Err(message) => {
            fields.insert("upstream_depth".to_owned(), message);
            return None;
        }
    };
    let after = depth.unwrap_or(current_depth);
    if after > 0 && pushes_somewhere {
        let field = if after == current_depth {
            "downstream_url"
        } else {
            "upstream_depth"
        };
        fields
            .entry(field.to_owned())
            .or_insert_with(|| SHALLOW_CANNOT_PUSH.to_owned());
    }
    depth
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`check_shallow`] names for a patch setting `depth` on a repository of
    /// `current_depth`, with or without push mirrors after it.
    fn shallow_refusal(depth: Option<i64>, current_depth: i32, pushes: bool) -> FieldErrors {
        let patch = SettingsPatch {
            upstream_depth: depth,
            ..SettingsPatch::default()
        };
        let mut fields = FieldErrors::new();
        check_shallow(&patch, current_depth, pushes, &mut fields);
        fields
    }

    #[test]
    fn shallow_and_push_mirrors_exclude_each_other_naming_the_change() {
        assert!(shallow_refusal(Some(5), 0, false).is_empty());
        assert!(shallow_refusal(Some(0), 3, true).is_empty());
        assert!(shallow_refusal(None, 0, true).is_empty());
        let named = |f: FieldErrors| f.into_iter().collect::<Vec<_>>();
        assert_eq!(
            named(shallow_refusal(Some(5), 0, true)),
            [("upstream_depth".to_owned(), SHALLOW_CANNOT_PUSH.to_owned())]
        );
        assert_eq!(
            named(shallow_refusal(None, 3, true)),
            [("downstream_url".to_owned(), SHALLOW_CANNOT_PUSH.to_owned())]
        );
        assert!(shallow_refusal(Some(100_001), 0, false).contains_key("upstream_depth"));
        assert!(shallow_refusal(Some(-1), 0, false).contains_key("upstream_depth"));
    }

    #[test]
    fn merge_keeps_clears_and_trims() {
        let current = Some("a".to_owned());
        assert_eq!(merged(None, current.as_ref()), Some("a".into()));
        assert_eq!(merged(Some(&String::new()), current.as_ref()), None);
        assert_eq!(
            merged(Some(&" b ".to_owned()), current.as_ref()),
            Some("b".into())
        );
    }
}
