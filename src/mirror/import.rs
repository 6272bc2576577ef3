//! Importing a repository from a URL: as an upstream mirror (credentials kept, encrypted) or as
//! a one-time clone (credentials used once, never stored). Answers at once; the transfer runs
//! in the background as a run with trigger `import`.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};

use super::{
    engine::{OneTimeClone, Trigger},
    settings::{check_interval, check_password, check_username},
};
use crate::{
    entities::user,
    error::{Error, FieldErrors, Result},
    git::mirror::Credentials,
    net::remote_url::RemoteUrl,
    repos::{self, NewRepo, Repo},
    state::AppState,
};

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
}

/// Validates, creates the repository and starts its first transfer in the background.
///
/// # Errors
/// Validation (422 naming each field), a taken name (409), the database or the disk.
pub async fn import(state: &AppState, owner: &user::Model, req: ImportRequest) -> Result<Repo> {
    let config = &state.config;
    let mut fields = FieldErrors::new();
    if let Err(message) = crate::names::check_repo_name(&req.name) {
        fields.insert("name".to_owned(), message);
    }
    // Kept as parsed, so what is shown is what is connected to.
    let mut clone_url = req.clone_url.trim().to_owned();
    if clone_url.is_empty() {
        fields.insert("clone_url".to_owned(), "clone_url is required".to_owned());
    } else {
        match RemoteUrl::check(&clone_url, config.allow_local_networks).await {
            Ok(parsed) => clone_url = parsed.into(),
            Err(message) => {
                fields.insert("clone_url".to_owned(), message);
            }
        }
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
    if !fields.is_empty() {
        return Err(Error::Validation(fields));
    }

    let created = repos::create(
        &state.db,
        config,
        owner,
        NewRepo {
            name: req.name.clone(),
            description: req.description.clone(),
            private: req.private,
        },
    )
    .await?;
    let Repo { repo: row, owner } = created;
    let repo_id = row.id;
    // For a one-time clone these live only in memory, for this one transfer.
    let one_time_credentials = Credentials {
        username: username.clone(),
        password: password.clone(),
    };
    let row = if req.mirror {
        let sealed = password.as_deref().map(|p| {
            state
                .engine
                .secrets()
                .encrypt(repo_id, "upstream_password", p)
        });
        let mut active = row.into_active_model();
        active.mirror_enabled = Set(true);
        active.mirror_direction = Set("upstream".to_owned());
        active.upstream_url = Set(Some(clone_url.clone()));
        active.upstream_username = Set(username.map(|u| u.trim().to_owned()));
        active.upstream_password = Set(sealed);
        active.sync_interval = Set(interval);
        // The import run is the first sync; the scheduler takes over after one interval.
        active.next_sync_at = Set(Some(Utc::now() + chrono::TimeDelta::seconds(interval)));
        active.update(&state.db).await?
    } else {
        row
    };
    let one_time = (!req.mirror).then_some(OneTimeClone {
        url: clone_url,
        credentials: one_time_credentials,
    });
    state
        .engine
        .trigger_with(repo_id, Trigger::Import, one_time)
        .await?;
    Ok(Repo { repo: row, owner })
}
