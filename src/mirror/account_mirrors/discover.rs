//! A discovery: an account mirror's listing read to the end, the plan made from it, and the plan
//! applied here, under the account mirror's claim (one at a time, also across processes),
//! with its outcome recorded and announced. The preview reads and plans without applying.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::{
    claim::{self, Outcome},
    listing::Lister,
    plan::{self, Plan},
    providers::{AccountKind, Provider, SourceRepo},
    reconcile::{self, Applied, Reconciler},
    spec::AccountMirrorSpec,
    store::{self, AccountMirror},
};
use crate::{
    config::Config,
    error::{Error, Result},
    mirror::{engine::Engine, notify::Notifier, secrets::SecretBox},
};

/// Discoveries started per look of the scheduler.
const DUE_PER_LOOK: u64 = 16;
/// How long a stop waits for running discoveries to record their end.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs discoveries: on create, on "Discover now" and when due.
#[derive(Clone)]
pub struct Discoverer {
    db: DatabaseConnection,
    config: Arc<Config>,
    secrets: SecretBox,
    engine: Arc<Engine>,
    notifier: Notifier,
    /// This process's name in `claimed_by`.
    holder: Arc<str>,
    /// The discoveries running here.
    tasks: TaskTracker,
    /// Cancelled when the server stops: listings in progress give up.
    stop: CancellationToken,
}

impl std::fmt::Debug for Discoverer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discoverer")
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

/// What a discovery announces (`notify_url`).
#[derive(Debug, Serialize)]
struct DiscoveryNotice<'a> {
    /// `account_mirror.discovered` or `account_mirror.failed`.
    event: &'static str,
    account_mirror_id: i64,
    /// `provider:account`.
    account: String,
    /// Where the mirrors land.
    owner: &'a str,
    /// The account mirror's page.
    url: String,
    /// What changed (absent on failure).
    #[serde(skip_serializing_if = "Option::is_none")]
    changes: Option<&'a Applied>,
    /// The failure's sentence (`""` on success).
    error: String,
    at: DateTime<Utc>,
    /// One line for chat tools.
    text: String,
}

/// The listing of `account`'s source, ready to read.
fn lister(config: &Config, spec: &AccountMirrorSpec, token: Option<String>) -> Result<Lister> {
    Lister::new(
        spec.provider,
        spec.api_url.as_str(),
        &spec.account,
        spec.account_kind,
        token,
        config.allow_local_networks,
        config.remote_silence_limit,
    )
    .map_err(|e| Error::Remote(e.to_string()))
}

/// The settings of a stored account mirror, as a listing and a plan need them.
fn spec_of(row: &crate::entities::account_mirror::Model) -> Result<AccountMirrorSpec> {
    let broken = || Error::Conflict("the account mirror's stored settings are damaged".into());
    Ok(AccountMirrorSpec {
        provider: Provider::parse(&row.provider).ok_or_else(broken)?,
        api_url: url::Url::parse(&row.api_url).map_err(|_| broken())?,
        account: row.account.clone(),
        account_kind: AccountKind::parse(&row.account_kind).ok_or_else(broken)?,
        filters: plan::Filters {
            include: store::patterns(&row.include_patterns),
            exclude: store::patterns(&row.exclude_patterns),
            forks: row.forks,
            archived: row.archived,
        },
        lfs: row.lfs,
        sync_interval: row.sync_interval,
        discovery_interval: row.discovery_interval,
        on_removed: if row.on_removed == "keep" {
            super::spec::OnRemoved::Keep
        } else {
            super::spec::OnRemoved::Pause
        },
        enabled: row.enabled,
    })
}

impl Discoverer {
    /// Discoveries on `engine`'s database, configuration and secrets.
    #[must_use]
    pub fn new(
        db: DatabaseConnection,
        config: Arc<Config>,
        secrets: SecretBox,
        engine: Arc<Engine>,
    ) -> Self {
        let notifier = Notifier::new(Arc::clone(&config), secrets.clone());
        let nonce: u32 = rand::random();
        Self {
            db,
            config,
            secrets,
            engine,
            notifier,
            holder: format!("discover:{}:{nonce:08x}", std::process::id()).into(),
            tasks: TaskTracker::new(),
            stop: CancellationToken::new(),
        }
    }

    /// Stops taking discoveries; those listing give up and are recorded as interrupted (due at
    /// the next start), those already making mirrors finish (30 s at most).
    pub async fn shutdown(&self) {
        self.stop.cancel();
        self.tasks.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("account mirror discoveries still running after 30 s");
        }
    }

    /// Starts a discovery of account mirror `id` in the background.
    ///
    /// # Errors
    /// One runs already (409), or the database failed.
    pub async fn start(&self, id: i64) -> Result<()> {
        if !claim::claim(&self.db, id, &self.holder, false).await? {
            return Err(Error::Conflict(
                "a discovery is already running for this account mirror".to_owned(),
            ));
        }
        let me = self.clone();
        self.tasks.spawn(async move { me.run(id).await });
        Ok(())
    }

    /// Starts the discoveries that are due; how many started.
    pub async fn start_due(&self) -> usize {
        let due = match claim::due(&self.db, DUE_PER_LOOK).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "could not select due account mirrors");
                return 0;
            }
        };
        let mut started = 0;
        for id in due {
            match claim::claim(&self.db, id, &self.holder, true).await {
                Ok(true) => {
                    started += 1;
                    let me = self.clone();
                    self.tasks.spawn(async move { me.run(id).await });
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(error = %e, account_mirror_id = id, "could not claim a discovery")
                }
            }
        }
        started
    }

    /// Checks `changes` over `account` and saves them; a token set, changed or cleared reaches
    /// the mirrors it already made.
    ///
    /// # Errors
    /// A bad field (422, each named), or the database.
    pub async fn change(
        &self,
        account: AccountMirror,
        changes: &store::Changes,
    ) -> Result<AccountMirror> {
        let row =
            store::update(&self.db, &self.config, &self.secrets, account.row, changes).await?;
        let account = AccountMirror {
            row,
            owner: account.owner,
        };
        if changes.token.is_some() {
            self.relogin(&account).await?;
        }
        Ok(account)
    }

    /// Gives the mirrors `account` made the login its (new) token allows.
    ///
    /// # Errors
    /// The token no longer opens, or the database failed.
    pub async fn relogin(&self, account: &AccountMirror) -> Result<usize> {
        let token = store::token(&self.secrets, &account.row)?;
        Reconciler {
            db: &self.db,
            config: &self.config,
            secrets: &self.secrets,
            account,
            token: token.as_deref(),
        }
        .relogin()
        .await
    }

    /// What a discovery of `account` would do now; nothing is changed.
    ///
    /// # Errors
    /// The listing failed (502 with the forge's answer in words), or the database.
    pub async fn preview(&self, account: &AccountMirror) -> Result<Plan> {
        let spec = spec_of(&account.row)?;
        let token = store::token(&self.secrets, &account.row)?;
        let listing = self.listing(&spec, token, |_| async {}).await?;
        self.plan(account.owner.id, Some(account.row.id), &spec, &listing)
            .await
    }

    /// What an account mirror of `spec` with `token`, landing in `owner`, would make at its
    /// first discovery; nothing is made.
    ///
    /// # Errors
    /// The listing failed (502 with the forge's answer in words), or the database.
    pub async fn preview_new(
        &self,
        owner: &crate::entities::user::Model,
        spec: &AccountMirrorSpec,
        token: Option<String>,
    ) -> Result<Plan> {
        let listing = self.listing(spec, token, |_| async {}).await?;
        self.plan(owner.id, None, spec, &listing).await
    }

    /// The plan for `listing` against what account mirror `id` (if it exists) made in
    /// `owner_id`.
    async fn plan(
        &self,
        owner_id: i64,
        id: Option<i64>,
        spec: &AccountMirrorSpec,
        listing: &[SourceRepo],
    ) -> Result<Plan> {
        let made = match id {
            Some(id) => reconcile::made(&self.db, id).await?,
            None => Vec::new(),
        };
        let taken = reconcile::taken(&self.db, owner_id, id.unwrap_or(0)).await?;
        Ok(plan::plan(listing, &made, &taken, &spec.filters))
    }

    /// The whole listing of the account of `spec`, read with `token`; `waiting` is told of
    /// each rate-limit wait.
    async fn listing<F, Fut>(
        &self,
        spec: &AccountMirrorSpec,
        token: Option<String>,
        waiting: F,
    ) -> Result<Vec<SourceRepo>>
    where
        F: FnMut(std::time::Duration) -> Fut,
        Fut: Future<Output = ()>,
    {
        lister(&self.config, spec, token)?
            .all(waiting)
            .await
            .map_err(|e| Error::Remote(e.to_string()))
    }

    /// Runs the claimed discovery of `id` to its end and releases the claim.
    async fn run(&self, id: i64) {
        let account = match store::find(&self.db, id).await {
            Ok(Some(account)) => account,
            Ok(None) => return, // deleted meanwhile: the claim went with the row
            Err(e) => {
                tracing::error!(error = %e, account_mirror_id = id, "could not read an account mirror");
                return;
            }
        };
        let beat = {
            let (db, holder) = (self.db.clone(), Arc::clone(&self.holder));
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(claim::HEARTBEAT_EVERY).await;
                    if let Err(e) = claim::beat(&db, id, &holder, None).await {
                        tracing::warn!(error = %e, account_mirror_id = id, "discovery heartbeat failed");
                    }
                }
            })
        };
        let result = self.discover(&account).await;
        beat.abort();
        if result.is_err() && self.stop.is_cancelled() {
            if let Err(e) = claim::interrupt(&self.db, id, &self.holder).await {
                tracing::error!(error = %e, account_mirror_id = id, "could not record an interrupted discovery");
            }
            return;
        }
        // Deleted while it ran: the mirrors it made since are detached like the others.
        match store::exists(&self.db, id).await {
            Ok(true) => {}
            Ok(false) => {
                if let Err(e) = store::detach(&self.db, id).await {
                    tracing::error!(error = %e, account_mirror_id = id, "could not detach the mirrors of a deleted account mirror");
                }
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, account_mirror_id = id, "could not read an account mirror");
            }
        }
        let outcome = match &result {
            Ok(_) => Outcome {
                status: "success",
                error: String::new(),
            },
            Err(e) => Outcome {
                status: "failed",
                error: e.to_string(),
            },
        };
        if let Err(e) = claim::release(&self.db, &account.row, &self.holder, &outcome).await {
            tracing::error!(error = %e, account_mirror_id = id, "could not record a discovery's end");
        }
        match result {
            Ok(applied) => {
                tracing::info!(
                    account_mirror_id = id,
                    added = applied.added.len(),
                    paused = applied.paused.len(),
                    skipped = applied.skipped.len(),
                    "Account mirror discovered"
                );
                if !applied.added.is_empty() {
                    // The new mirrors are due: the scheduler looks now, not at its next tick.
                    self.engine.wake();
                }
                if applied.changed_anything() {
                    self.announce(&account, Some(&applied), String::new());
                }
            }
            Err(e) => {
                tracing::warn!(account_mirror_id = id, error = %e, "Account mirror discovery failed");
                self.announce(&account, None, e.to_string());
            }
        }
    }

    /// Reads, plans and applies one discovery of `account`.
    async fn discover(&self, account: &AccountMirror) -> Result<Applied> {
        let spec = spec_of(&account.row)?;
        let (db, holder, id) = (&self.db, &*self.holder, account.row.id);
        let token = store::token(&self.secrets, &account.row)?;
        // A stop interrupts the listing (a rate limit may keep it waiting long); the mirrors
        // are made to the end once it is read, so none is left half made.
        let listing = self.listing(&spec, token.clone(), |wait| async move {
            let message = format!(
                "waiting {} s for the forge's rate limit",
                wait.as_secs().max(1)
            );
            if let Err(e) = claim::beat(db, id, holder, Some(&message)).await {
                tracing::warn!(error = %e, account_mirror_id = id, "could not record a rate-limit wait");
            }
        });
        let listing = tokio::select! {
            listed = listing => listed?,
            () = self.stop.cancelled() => {
                return Err(Error::Remote(claim::INTERRUPTED.to_owned()));
            }
        };
        let plan = self
            .plan(account.owner.id, Some(id), &spec, &listing)
            .await?;
        Reconciler {
            db: &self.db,
            config: &self.config,
            secrets: &self.secrets,
            account,
            token: token.as_deref(),
        }
        .apply(plan)
        .await
    }

    /// Announces a discovery that changed something, or failed, to the account mirror's
    /// `notify_url`.
    fn announce(&self, account: &AccountMirror, changes: Option<&Applied>, error: String) {
        let row = &account.row;
        if row.notify_url.is_empty() {
            return;
        }
        let name = format!("{}:{}", row.provider, row.account);
        let url = format!("{}/account-mirrors/{}", self.config.base_url(), row.id);
        let (event, text) = match changes {
            Some(applied) => (
                "account_mirror.discovered",
                format!(
                    "Account mirror {name}: {} added, {} paused, {} back ({url})",
                    applied.added.len(),
                    applied.paused.len(),
                    applied.back.len()
                ),
            ),
            None => (
                "account_mirror.failed",
                format!("Account mirror {name} could not discover: {error} ({url})"),
            ),
        };
        let notice = DiscoveryNotice {
            event,
            account_mirror_id: row.id,
            account: name.clone(),
            owner: &account.owner.username,
            url,
            changes,
            error,
            at: Utc::now(),
            text,
        };
        self.notifier.post_event(
            &row.notify_url,
            &format!("account mirror {name}"),
            event,
            &notice,
        );
    }
}
