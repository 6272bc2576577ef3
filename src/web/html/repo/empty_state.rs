//! What the repository page says when it has nothing to show, honestly: an import (mirror or
//! one-time) whose transfer failed, a first sync still running, a mirror not synced yet — and
//! push instructions only where a push would be accepted.

use crate::{
    entities::{mirror_enums::SyncStatus, repository},
    mirror::settings::rejects_push,
};

/// What the contents of an empty repository say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyState {
    /// A repository that takes pushes: how to push one.
    Push,
    /// Its import or first sync runs.
    Importing,
    /// A pull mirror not synced yet (or whose upstream is empty): pushes are refused here.
    NotSynced,
    /// Its import or first sync failed (the page says why at the top).
    Failed,
}

impl EmptyState {
    /// The state of `repo` when it has no refs.
    #[must_use]
    pub fn of(repo: &repository::Model) -> Self {
        let pull_mirror = rejects_push(repo);
        // A one-time import keeps no mirror settings; only its transfer sets a status.
        let one_time = !repo.mirror_enabled && repo.upstream_url.is_none();
        match repo.sync_status {
            SyncStatus::Syncing if pull_mirror || one_time => Self::Importing,
            SyncStatus::Failed if pull_mirror || !repo.mirror_enabled => Self::Failed,
            _ if pull_mirror => Self::NotSynced,
            _ => Self::Push,
        }
    }
}

/// How a failed import can be tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// A mirror with mirroring on: "Retry" starts a sync, as "Sync now" does.
    Sync,
    /// A mirror with mirroring off: only its settings can turn it back on.
    SettingsOnly,
    /// A one-time import: neither its URL nor its credentials were kept, so it can only be
    /// deleted and imported again.
    ImportAgain,
}

/// A repository whose import failed, as the top of its page says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFailure {
    /// The stored error (free of credentials, as the engine records it).
    pub error: String,
    /// What the owner can do about it.
    pub retry: Retry,
}

impl ImportFailure {
    /// The failure of `repo` when it has no refs (`empty`) and its last sync failed.
    #[must_use]
    pub fn of(repo: &repository::Model, empty: bool) -> Option<Self> {
        if !empty || EmptyState::of(repo) != EmptyState::Failed {
            return None;
        }
        let retry = match (&repo.upstream_url, repo.mirror_enabled) {
            (_, true) => Retry::Sync,
            (Some(_), false) => Retry::SettingsOnly,
            (None, false) => Retry::ImportAgain,
        };
        Some(Self {
            error: repo
                .sync_error
                .clone()
                .filter(|e| !e.trim().is_empty())
                .unwrap_or_else(|| "no reason was recorded".to_owned()),
            retry,
        })
    }

    /// Whether it is (or was) a mirror, with settings to edit.
    #[must_use]
    pub fn is_mirror(&self) -> bool {
        self.retry != Retry::ImportAgain
    }

    /// Whether "Retry" can start a sync.
    #[must_use]
    pub fn can_sync(&self) -> bool {
        self.retry == Retry::Sync
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::mirror_enums::MirrorDirection;

    fn repo(
        enabled: bool,
        direction: MirrorDirection,
        url: Option<&str>,
        status: SyncStatus,
    ) -> repository::Model {
        repository::Model {
            mirror_enabled: enabled,
            mirror_direction: direction,
            upstream_url: url.map(str::to_owned),
            sync_status: status,
            sync_error: Some("authentication failed".to_owned()),
            upstream_status: status,
            ..repository::Model::example(1)
        }
    }

    const UP: MirrorDirection = MirrorDirection::Upstream;
    const URL: Option<&str> = Some("https://example.com/x.git");

    #[test]
    fn a_plain_repository_offers_push_instructions() {
        assert_eq!(
            EmptyState::of(&repo(false, UP, None, SyncStatus::Idle)),
            EmptyState::Push
        );
        let down = repo(true, MirrorDirection::Downstream, None, SyncStatus::Success);
        assert_eq!(EmptyState::of(&down), EmptyState::Push, "pushes are taken");
    }

    #[test]
    fn a_pull_mirror_never_offers_push_instructions() {
        for status in [SyncStatus::Idle, SyncStatus::Success] {
            assert_eq!(
                EmptyState::of(&repo(true, UP, URL, status)),
                EmptyState::NotSynced
            );
        }
        assert_eq!(
            EmptyState::of(&repo(true, MirrorDirection::Both, URL, SyncStatus::Syncing)),
            EmptyState::Importing
        );
        assert_eq!(
            EmptyState::of(&repo(true, UP, URL, SyncStatus::Failed)),
            EmptyState::Failed
        );
    }

    #[test]
    fn a_one_time_import_importing_or_failed_says_so() {
        assert_eq!(
            EmptyState::of(&repo(false, UP, None, SyncStatus::Syncing)),
            EmptyState::Importing
        );
        let failed = repo(false, UP, None, SyncStatus::Failed);
        assert_eq!(EmptyState::of(&failed), EmptyState::Failed);
        let failure = ImportFailure::of(&failed, true).unwrap();
        assert_eq!(failure.retry, Retry::ImportAgain);
        assert_eq!(failure.error, "authentication failed");
        assert!(!failure.is_mirror());
    }

    #[test]
    fn only_an_empty_repository_whose_sync_failed_is_a_failed_import() {
        let failed = repo(true, UP, URL, SyncStatus::Failed);
        assert_eq!(ImportFailure::of(&failed, true).unwrap().retry, Retry::Sync);
        assert_eq!(ImportFailure::of(&failed, false), None, "it has refs");
        let off = repo(false, UP, URL, SyncStatus::Failed);
        assert_eq!(
            ImportFailure::of(&off, true).unwrap().retry,
            Retry::SettingsOnly
        );
        let ok = repo(true, UP, URL, SyncStatus::Success);
        assert_eq!(ImportFailure::of(&ok, true), None);
    }
}
