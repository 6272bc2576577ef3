//! Account mirrors kept: made, changed, found, listed and deleted. Its token is sealed to its
//! row; a deleted account mirror's repositories stay, as ordinary mirrors.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use super::spec::{self, AccountMirrorInput, AccountMirrorSpec};
use crate::{
    accounts::members,
    config::Config,
    entities::{account_mirror, repository, user},
    error::{Error, FieldErrors, Result},
    mirror::{
        secrets::{SealedField, SecretBox},
        settings::check_password,
    },
    net::remote_url::RemoteUrl,
};

/// An account mirror with the owner its mirrors land in.
#[derive(Debug, Clone)]
pub struct AccountMirror {
    /// Its row.
    pub row: account_mirror::Model,
    /// Where its mirrors land.
    pub owner: user::Model,
}

/// What a caller sends to make or change an account mirror; `None` is "not given".
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// The checked fields.
    pub fields: AccountMirrorInput,
    /// The forge's token (`""` clears it).
    pub token: Option<String>,
    /// Where discoveries are announced (`""`: nowhere).
    pub notify_url: Option<String>,
}

/// The fields of `row`, as a caller would send them.
fn input_of(row: &account_mirror::Model) -> AccountMirrorInput {
    AccountMirrorInput {
        provider: Some(row.provider.clone()),
        api_url: Some(row.api_url.clone()),
        account: Some(row.account.clone()),
        account_kind: Some(row.account_kind.clone()),
        include: Some(patterns(&row.include_patterns)),
        exclude: Some(patterns(&row.exclude_patterns)),
        forks: Some(row.forks),
        archived: Some(row.archived),
        lfs: Some(row.lfs),
        sync_interval: Some(row.sync_interval),
        discovery_interval: Some(row.discovery_interval),
        on_removed: Some(row.on_removed.clone()),
        enabled: Some(row.enabled),
    }
}

/// A stored JSON list of patterns.
#[must_use]
pub fn patterns(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

/// `base` with every field `over` gives.
fn overlaid(base: AccountMirrorInput, over: &AccountMirrorInput) -> AccountMirrorInput {
    let or = |o: &Option<String>, b: Option<String>| o.clone().or(b);
    AccountMirrorInput {
        provider: or(&over.provider, base.provider),
        api_url: or(&over.api_url, base.api_url),
        account: or(&over.account, base.account),
        account_kind: or(&over.account_kind, base.account_kind),
        include: over.include.clone().or(base.include),
        exclude: over.exclude.clone().or(base.exclude),
        forks: over.forks.or(base.forks),
        archived: over.archived.or(base.archived),
        lfs: over.lfs.or(base.lfs),
        sync_interval: over.sync_interval.or(base.sync_interval),
        discovery_interval: over.discovery_interval.or(base.discovery_interval),
        on_removed: or(&over.on_removed, base.on_removed),
        enabled: over.enabled.or(base.enabled),
    }
}

/// The checked settings, notification URL and token of `changes` over `base`; every bad
/// field named at once.
async fn check(
    config: &Config,
    input: &AccountMirrorInput,
    changes: &Changes,
) -> Result<(AccountMirrorSpec, Option<String>)> {
    let mut fields = FieldErrors::new();
    let spec = match spec::check(config, input) {
        Ok(spec) => Some(spec),
        Err(Error::Validation(bad)) => {
            fields.extend(bad);
            None
        }
        Err(other) => return Err(other),
    };
    let notify_url = match changes.notify_url.as_deref().map(str::trim) {
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
    if let Some(Err(message)) = changes.token.as_deref().map(check_password) {
        fields.insert("token".to_owned(), message);
    }
    match spec {
        Some(spec) if fields.is_empty() => Ok((spec, notify_url)),
        _ => Err(Error::Validation(fields)),
    }
}

/// The row's columns set from `spec`.
fn set_spec(active: &mut account_mirror::ActiveModel, spec: &AccountMirrorSpec) {
    let json = |list: &Vec<String>| serde_json::to_string(list).unwrap_or_else(|_| "[]".into());
    active.provider = Set(spec.provider.as_str().to_owned());
    active.api_url = Set(spec.api_url.as_str().trim_end_matches('/').to_owned());
    active.account = Set(spec.account.clone());
    active.account_kind = Set(spec.account_kind.as_str().to_owned());
    active.include_patterns = Set(json(&spec.filters.include));
    active.exclude_patterns = Set(json(&spec.filters.exclude));
    active.forks = Set(spec.filters.forks);
    active.archived = Set(spec.filters.archived);
    active.lfs = Set(spec.lfs);
    active.sync_interval = Set(spec.sync_interval);
    active.discovery_interval = Set(spec.discovery_interval);
    active.on_removed = Set(spec.on_removed.as_str().to_owned());
    active.enabled = Set(spec.enabled);
}

/// The token of `changes` sealed for account mirror `id`: `None` keeps the stored one,
/// `Some(None)` clears it.
fn sealed_token(secrets: &SecretBox, id: i64, token: Option<&str>) -> Option<Option<String>> {
    match token? {
        "" => Some(None),
        token => Some(Some(
            secrets.seal(&SealedField::account_mirror_token(id), token),
        )),
    }
}

/// Checks `changes` and makes an account mirror landing in `owner`; its first discovery is
/// the caller's to start.
///
/// # Errors
/// A bad field (422, each named), or the database.
pub async fn create(
    db: &DatabaseConnection,
    config: &Config,
    secrets: &SecretBox,
    owner: &user::Model,
    changes: &Changes,
) -> Result<account_mirror::Model> {
    let (spec, notify_url) = check(config, &changes.fields, changes).await?;
    let now = Utc::now();
    let mut active = account_mirror::ActiveModel {
        owner_id: Set(owner.id),
        token: Set(None),
        notify_url: Set(notify_url.unwrap_or_default()),
        last_status: Set("idle".to_owned()),
        last_error: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    set_spec(&mut active, &spec);
    active.next_discovery_at = Set(spec.enabled.then_some(now));
    let txn = crate::db::begin_write(db).await?;
    let row = active.insert(&txn).await?;
    // The token is sealed to the row, so it is written once the row has its id.
    let row = match sealed_token(secrets, row.id, changes.token.as_deref()) {
        Some(token @ Some(_)) => {
            let mut active = row.into_active_model();
            active.token = Set(token);
            active.update(&txn).await?
        }
        _ => row,
    };
    txn.commit().await?;
    Ok(row)
}

/// Checks `changes` over `row` and saves them: a new interval or switch reschedules the next
/// discovery.
///
/// # Errors
/// A bad field (422, each named), or the database.
pub async fn update(
    db: &DatabaseConnection,
    config: &Config,
    secrets: &SecretBox,
    row: account_mirror::Model,
    changes: &Changes,
) -> Result<account_mirror::Model> {
    let input = overlaid(input_of(&row), &changes.fields);
    let (spec, notify_url) = check(config, &input, changes).await?;
    let now = Utc::now();
    let same_source = spec.provider.as_str() == row.provider
        && spec.api_url.as_str().trim_end_matches('/') == row.api_url
        && spec.account == row.account
        && spec.account_kind.as_str() == row.account_kind;
    let next = if !spec.enabled {
        None
    } else if !same_source {
        Some(now) // another account: look at it at once
    } else if row.enabled && spec.discovery_interval == row.discovery_interval {
        row.next_discovery_at.or(Some(now))
    } else {
        Some(row.last_discovered_at.map_or(now, |at| {
            (at + Duration::seconds(spec.discovery_interval)).max(now)
        }))
    };
    let token = sealed_token(secrets, row.id, changes.token.as_deref());
    let mut active = row.into_active_model();
    set_spec(&mut active, &spec);
    active.next_discovery_at = Set(next);
    if let Some(url) = notify_url {
        active.notify_url = Set(url);
    }
    if let Some(token) = token {
        active.token = Set(token);
    }
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

/// Deletes the account mirror; the repositories it made stay, as ordinary mirrors.
///
/// # Errors
/// The database failed.
pub async fn delete(db: &DatabaseConnection, row: account_mirror::Model) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    detach(&txn, row.id).await?;
    account_mirror::Entity::delete_by_id(row.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Makes the repositories account mirror `id` made ordinary mirrors: they no longer belong
/// to it (its deletion, or a discovery that went on making mirrors after it).
///
/// # Errors
/// The database failed.
pub async fn detach<C: ConnectionTrait>(conn: &C, id: i64) -> Result<()> {
    repository::Entity::update_many()
        .col_expr(
            repository::Column::AccountMirrorId,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            repository::Column::SourceId,
            Expr::value(Option::<String>::None),
        )
        .filter(repository::Column::AccountMirrorId.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Whether account mirror `id` still exists.
///
/// # Errors
/// The database failed.
pub async fn exists(db: &DatabaseConnection, id: i64) -> Result<bool> {
    Ok(account_mirror::Entity::find_by_id(id).count(db).await? > 0)
}

/// The account mirror `id` with its owner.
///
/// # Errors
/// The database failed.
pub async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<AccountMirror>> {
    let found = account_mirror::Entity::find_by_id(id)
        .find_also_related(user::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(row, owner)| Some(AccountMirror { row, owner: owner? })))
}

/// The account mirrors `viewer` manages (those landing in their account or in organisations
/// they own), or with `all` (a site admin's) everyone's; newest last.
///
/// # Errors
/// The database failed.
pub async fn list(
    db: &DatabaseConnection,
    viewer: &user::Model,
    all: bool,
) -> Result<Vec<AccountMirror>> {
    let mut query = account_mirror::Entity::find().find_also_related(user::Entity);
    if !(all && viewer.is_admin) {
        let owners: Vec<i64> = members::administered_owners(db, viewer)
            .await?
            .iter()
            .map(|o| o.id)
            .collect();
        query = query.filter(account_mirror::Column::OwnerId.is_in(owners));
    }
    let rows = query
        .order_by_asc(account_mirror::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(row, owner)| Some(AccountMirror { row, owner: owner? }))
        .collect())
}

/// How many repositories account mirror `id` has made (and still holds).
///
/// # Errors
/// The database failed.
pub async fn repository_count(db: &DatabaseConnection, id: i64) -> Result<u64> {
    Ok(repository::Entity::find()
        .filter(repository::Column::AccountMirrorId.eq(id))
        .count(db)
        .await?)
}

/// How many repositories each of the account mirrors `ids` made, in one query (none: 0).
///
/// # Errors
/// The database failed.
pub async fn repository_counts(
    db: &DatabaseConnection,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, u64>> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let counts: Vec<(Option<i64>, i64)> = repository::Entity::find()
        .select_only()
        .column(repository::Column::AccountMirrorId)
        .column_as(repository::Column::Id.count(), "count")
        .filter(repository::Column::AccountMirrorId.is_in(ids.iter().copied()))
        .group_by(repository::Column::AccountMirrorId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts
        .into_iter()
        .filter_map(|(id, count)| Some((id?, u64::try_from(count).unwrap_or(0))))
        .collect())
}

/// The repositories account mirror `id` made, by name.
///
/// # Errors
/// The database failed.
pub async fn repositories(db: &DatabaseConnection, id: i64) -> Result<Vec<repository::Model>> {
    Ok(repository::Entity::find()
        .filter(repository::Column::AccountMirrorId.eq(id))
        .order_by_asc(repository::Column::LowerName)
        .all(db)
        .await?)
}

/// The stored token of `row`, opened; `None` when it has none.
///
/// # Errors
/// The token no longer opens (the secret key changed).
pub fn token(secrets: &SecretBox, row: &account_mirror::Model) -> Result<Option<String>> {
    row.token
        .as_deref()
        .map(|stored| {
            secrets
                .open(&SealedField::account_mirror_token(row.id), stored)
                .map_err(|_| {
                    Error::Conflict(
                        "the stored token can no longer be read (the secret key changed): set it again"
                            .to_owned(),
                    )
                })
        })
        .transpose()
}
