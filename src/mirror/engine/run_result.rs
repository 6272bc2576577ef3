//! How a run ended ([`RunResult`]), transfer by transfer ([`Target`]): what the pipeline
//! hands back and the run's record writes down.

use super::transfer::error::SyncError;
use crate::{git::fetch_push::TransferOutcome, mirror::state::Attempt};

/// Where one transfer of a run went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The pull from the upstream.
    Upstream,
    /// The push to the push mirror with this id.
    PushMirror(i64),
}

/// How a finished run ended.
#[derive(Debug)]
pub enum RunResult {
    /// Synced (or already up to date).
    Done(Vec<(Target, TransferOutcome)>),
    /// Cancelled: the transfers that ended before the cancel are kept.
    Cancelled(Vec<(Target, TransferOutcome)>),
    /// Failed with a sentence for the user.
    Failed {
        /// The message, free of credentials.
        message: String,
        /// Worth retrying sooner.
        transient: bool,
        /// The transfers that succeeded all the same (other push mirrors).
        done: Vec<(Target, TransferOutcome)>,
        /// Each push mirror that failed, with its sentence.
        failed_pushes: Vec<(i64, String)>,
        /// The pull's own failed attempt (its sentence; held by the mass-deletion guard or
        /// not) when the pull failed.
        pull_error: Option<Attempt>,
    },
}

impl RunResult {
    /// A failure before or instead of any transfer.
    #[must_use]
    pub fn failed(message: String, transient: bool) -> Self {
        Self::Failed {
            message,
            transient,
            done: Vec::new(),
            failed_pushes: Vec::new(),
            pull_error: None,
        }
    }

    /// The pull failed with `error` (and the pushes that were to follow were skipped).
    #[must_use]
    pub fn pull_failed(error: &SyncError, pushes_skipped: bool) -> Self {
        let sentence = error.to_string();
        let transient = error.is_transient();
        let mut message = format!("upstream: {sentence}");
        if pushes_skipped {
            message.push_str("; the push to the downstream was skipped");
        }
        Self::Failed {
            message,
            transient,
            done: Vec::new(),
            failed_pushes: Vec::new(),
            pull_error: Some(if error.is_mass_deletion() {
                Attempt::Held(sentence)
            } else {
                Attempt::Failed(sentence)
            }),
        }
    }
}
