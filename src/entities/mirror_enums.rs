//! The states and kinds of mirroring, typed: each is stored as its word in an existing text
//! column, and shown and serialised as that same word.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Where a repository's mirror stands (`repositories.sync_status`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// Never synced.
    #[sea_orm(string_value = "idle")]
    Idle,
    /// A sync is claimed: running or waiting for a slot.
    #[sea_orm(string_value = "syncing")]
    Syncing,
    /// The last sync succeeded.
    #[sea_orm(string_value = "success")]
    Success,
    /// The last sync failed.
    #[sea_orm(string_value = "failed")]
    Failed,
}

/// How one run ended, or that it still runs (`mirror_runs.status`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still running.
    #[sea_orm(string_value = "running")]
    Running,
    /// Changed refs.
    #[sea_orm(string_value = "success")]
    Success,
    /// Nothing to change.
    #[sea_orm(string_value = "up_to_date")]
    UpToDate,
    /// Failed, with an error.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// The process running it stopped.
    #[sea_orm(string_value = "interrupted")]
    Interrupted,
    /// Someone cancelled it.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

/// Which way a mirror syncs (`repositories.mirror_direction`, `mirror_runs.direction`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum MirrorDirection {
    /// Pull from the upstream.
    #[sea_orm(string_value = "upstream")]
    Upstream,
    /// Push to the downstream.
    #[sea_orm(string_value = "downstream")]
    Downstream,
    /// Pull, then push.
    #[sea_orm(string_value = "both")]
    Both,
}

impl MirrorDirection {
    /// Parses the submitted word.
    #[must_use]
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "upstream" => Some(Self::Upstream),
            "downstream" => Some(Self::Downstream),
            "both" => Some(Self::Both),
            _ => None,
        }
    }

    /// Whether this direction pulls.
    #[must_use]
    pub fn pulls(self) -> bool {
        matches!(self, Self::Upstream | Self::Both)
    }

    /// Whether this direction pushes.
    #[must_use]
    pub fn pushes(self) -> bool {
        matches!(self, Self::Downstream | Self::Both)
    }
}

/// What started a run (`mirror_runs.trigger`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// "Sync now" or `POST …/sync`.
    #[sea_orm(string_value = "manual")]
    Manual,
    /// The scheduler found it due.
    #[sea_orm(string_value = "scheduled")]
    Scheduled,
    /// The first sync of an imported repository.
    #[sea_orm(string_value = "import")]
    Import,
    /// A `git push` into the repository, for its sync-on-push targets.
    #[sea_orm(string_value = "push")]
    Push,
    /// A signed webhook call from the forge the repository mirrors.
    #[sea_orm(string_value = "webhook")]
    Webhook,
    /// A restore of an earlier run: its ref changes here put back.
    #[sea_orm(string_value = "restore")]
    Restore,
}

/// Where a run changed a ref (`mirror_ref_updates.side`): here (pulled from the upstream) or
/// on the downstream (pushed).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RefSide {
    /// Changed here by a pull.
    #[sea_orm(string_value = "upstream")]
    Upstream,
    /// Changed on the downstream by a push.
    #[sea_orm(string_value = "downstream")]
    Downstream,
}

/// What a run did to one ref (`mirror_ref_updates.action`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum RefAction {
    /// Created.
    #[sea_orm(string_value = "create")]
    Create,
    /// Moved forward (the old value is an ancestor of the new one).
    #[sea_orm(string_value = "update")]
    Update,
    /// Moved to a value that does not descend from the old one.
    #[sea_orm(string_value = "force")]
    Force,
    /// Deleted.
    #[sea_orm(string_value = "delete")]
    Delete,
    /// Left as it was on a target that keeps divergent refs.
    #[sea_orm(string_value = "diverged")]
    Diverged,
}

/// Which place a stored push-mirror password was sealed for (`push_mirrors.password_sealed_for`):
/// its push mirror, or, moved by the upgrade and not re-sealed yet, its repository's downstream.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum SealedFor {
    /// The push mirror's own row.
    #[sea_orm(string_value = "push_mirror")]
    PushMirror,
    /// The repository's former `downstream_password`.
    #[sea_orm(string_value = "repository")]
    Repository,
}

/// What a pull may do to refs here (`repositories.upstream_overwrite`).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum UpstreamOverwrite {
    /// An exact copy: every move and deletion upstream is applied.
    #[default]
    #[sea_orm(string_value = "all")]
    All,
    /// Only fast-forwards: a ref the upstream rewrote or deleted stays as it is here.
    #[sea_orm(string_value = "fast_forward")]
    FastForward,
}

impl UpstreamOverwrite {
    /// The value of a stored or typed word, `None` for any other.
    #[must_use]
    pub fn parse(word: &str) -> Option<Self> {
        <Self as sea_orm::Iterable>::iter().find(|v| v.as_str() == word)
    }
}

/// `as_str` (the stored word, as pages show it) and `Display` for the enums above; the test
/// below holds each word to its `string_value`.
macro_rules! words {
    ($($ty:ident { $($variant:ident => $word:literal),+ $(,)? })+) => {$(
        impl $ty {
            /// The stored word.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word),+
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )+};
}

words! {
    SyncStatus { Idle => "idle", Syncing => "syncing", Success => "success", Failed => "failed" }
    RunStatus {
        Running => "running",
        Success => "success",
        UpToDate => "up_to_date",
        Failed => "failed",
        Interrupted => "interrupted",
        Cancelled => "cancelled",
    }
    MirrorDirection { Upstream => "upstream", Downstream => "downstream", Both => "both" }
    Trigger { Manual => "manual", Scheduled => "scheduled", Import => "import", Push => "push",
        Webhook => "webhook", Restore => "restore" }
    RefSide { Upstream => "upstream", Downstream => "downstream" }
    RefAction {
        Create => "create",
        Update => "update",
        Force => "force",
        Delete => "delete",
        Diverged => "diverged",
    }
    SealedFor { PushMirror => "push_mirror", Repository => "repository" }
    UpstreamOverwrite { All => "all", FastForward => "fast_forward" }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    /// Each variant's stored word, `as_str` and JSON are one and the same.
    fn same_word<E>()
    where
        E: ActiveEnum<Value = String> + Serialize + Copy + std::fmt::Display,
    {
        for variant in E::iter() {
            let stored = variant.to_value();
            assert_eq!(variant.to_string(), stored);
            assert_eq!(
                serde_json::to_value(variant).unwrap(),
                serde_json::Value::String(stored)
            );
        }
    }

    #[test]
    fn stored_shown_and_serialised_as_the_same_word() {
        same_word::<SyncStatus>();
        same_word::<RunStatus>();
        same_word::<MirrorDirection>();
        same_word::<Trigger>();
        same_word::<RefSide>();
        same_word::<RefAction>();
        same_word::<SealedFor>();
        same_word::<UpstreamOverwrite>();
        assert_eq!(
            UpstreamOverwrite::parse("fast_forward"),
            Some(UpstreamOverwrite::FastForward)
        );
        assert_eq!(UpstreamOverwrite::parse("some"), None);
        assert_eq!(RunStatus::UpToDate.as_str(), "up_to_date");
        for direction in MirrorDirection::iter() {
            assert_eq!(MirrorDirection::parse(direction.as_str()), Some(direction));
        }
        assert_eq!(MirrorDirection::parse("sideways"), None);
        assert!(MirrorDirection::Both.pulls() && MirrorDirection::Both.pushes());
    }
}
