//! Preview: what the next sync of a repository would change, on each side and for each push
//! mirror, with the filters, `upstream_overwrite` and `keep_divergent_refs` applied — read from the remotes' ref
//! advertisements, with nothing fetched, pushed or written.

use std::{collections::BTreeMap, path::PathBuf, sync::Arc};

use git2::Oid;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{
    engine::transfer::remote::{Remote, Side, pull_rules, push_rules},
    push_mirrors,
    runs::action_of,
    secrets::SecretBox,
};
use crate::{
    config::Config,
    entities::{mirror_enums::RefAction, repository},
    error::{Error, Result},
    git::fetch_push::{
        Limits, RefChange, error::TransferError, ref_preview as preview, transport::Transfer,
    },
    repos::Repo,
};

/// How long a look at one remote may take.
const LOOK_TIMEOUT_SECS: u64 = 30;

/// What the next sync would do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    /// The pull, when the repository pulls.
    pub upstream: Option<SidePreview>,
    /// Each enabled push mirror, oldest first, when the repository pushes.
    pub push_mirrors: Vec<TargetPreview>,
}

/// The pull's side.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SidePreview {
    /// The upstream URL (never with credentials).
    pub url: String,
    /// The refs it would change here.
    pub updates: Vec<UpdateView>,
}

/// One push mirror's side.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetPreview {
    /// The push mirror's id.
    pub id: i64,
    /// Its URL (never with credentials).
    pub url: String,
    /// The refs a push would change there.
    pub updates: Vec<UpdateView>,
}

/// One ref a sync would change, as a run records it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UpdateView {
    /// Full ref name.
    #[serde(rename = "ref")]
    pub ref_name: String,
    /// Its id now (`None`: it would be created).
    pub old: Option<String>,
    /// Its id after (`None`: it would be deleted).
    pub new: Option<String>,
    /// `create`, `update`, `force`, `delete` or `diverged`.
    pub action: RefAction,
    /// Its name on the other side when a branch map renames it; left out when the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
}

impl From<&RefChange> for UpdateView {
    fn from(change: &RefChange) -> Self {
        Self {
            ref_name: change.name.clone(),
            old: change.old.clone(),
            new: change.new.clone(),
            action: action_of(change),
            source_ref: change.source_ref.clone(),
        }
    }
}

/// What a sync of `repo` would change now, on every side it syncs.
///
/// # Errors
/// A remote cannot be read ([`Error::Remote`], naming it), or the database failed.
pub async fn preview(
    db: &DatabaseConnection,
    config: &Config,
    secrets: &SecretBox,
    repo: &Repo,
) -> Result<Preview> {
    let row = &repo.repo;
    let path = repo.path(config);
    let direction = row.mirror_direction;
    let mut after = None;
    let upstream = match (direction.pulls(), row.upstream_url.clone()) {
        (false, _) => None,
        (true, None) => return Err(Error::Remote("no upstream URL is set".to_owned())),
        (true, Some(url)) => {
            let transfer = look(db, config, secrets, row, Side::Upstream, &url).await?;
            let rules = pull_rules(row);
            let plan = blocking(path.clone(), move |path| {
                let plan = preview::pull(&path, &transfer, &rules);
                transfer.finish();
                plan
            })
            .await
            .map_err(|e| Error::Remote(format!("upstream {url}: {e}")))?;
            after = Some(plan.after);
            Some(SidePreview {
                url,
                updates: plan.changes.iter().map(UpdateView::from).collect(),
            })
        }
    };
    let mut push_mirrors = Vec::new();
    if direction.pushes() {
        let local: Arc<BTreeMap<String, Oid>> = Arc::new(match after {
            Some(after) => after,
            None => blocking(path.clone(), |path| preview::local(&path))
                .await
                .map_err(|e| Error::internal_msg(e.to_string()))?,
        });
        for target in push_mirrors::list(db, row.id)
            .await?
            .into_iter()
            .filter(|t| t.enabled)
        {
            let url = target.remote_url.clone();
            let named =
                |e: &dyn std::fmt::Display| Error::Remote(format!("push mirror {url}: {e}"));
            let side = Side::PushMirror(&target);
            let transfer = look(db, config, secrets, row, side, &url).await?;
            let rules = push_rules(&target);
            let local = Arc::clone(&local);
            let changes = blocking(path.clone(), move |path| {
                let changes = preview::push(&path, &transfer, &rules, &local);
                transfer.finish();
                changes
            })
            .await
            .map_err(|e| named(&e))?;
            push_mirrors.push(TargetPreview {
                id: target.id,
                url: url.clone(),
                updates: changes.iter().map(UpdateView::from).collect(),
            });
        }
    }
    Ok(Preview {
        upstream,
        push_mirrors,
    })
}

/// A transfer of `repo` for one look at the refs of its remote on `side` (at `url`).
async fn look(
    db: &DatabaseConnection,
    config: &Config,
    secrets: &SecretBox,
    repo: &repository::Model,
    side: Side<'_>,
    url: &str,
) -> Result<Arc<Transfer>> {
    let named = match side {
        Side::PushMirror(_) => "push mirror",
        Side::Upstream | Side::OneTime(_) => "upstream",
    };
    let limits = Limits::new(LOOK_TIMEOUT_SECS, CancellationToken::new());
    let connected = Remote::connect(db, config, secrets, repo, side, limits)
        .await
        .map_err(|e| Error::Remote(format!("{named} {url}: {e}")))?;
    Ok(connected.transfer)
}

/// Runs `work` on the blocking pool (it opens the repository and waits for the remote).
async fn blocking<T: Send + 'static>(
    path: PathBuf,
    work: impl FnOnce(PathBuf) -> Result<T, TransferError> + Send + 'static,
) -> Result<T, TransferError> {
    tokio::task::spawn_blocking(move || work(path))
        .await
        .unwrap_or_else(|e| Err(TransferError::Other(format!("internal error: {e}"))))
}
