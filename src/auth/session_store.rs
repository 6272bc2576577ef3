//! A tower-sessions store over the `sessions` table, serving SQLite and PostgreSQL alike.
//! Sessions read are remembered for a few seconds ([`super::recent`]), and a save that only
//! moves the expiry by less than [`EXPIRY_SLACK`] writes nothing.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::OnConflict,
};
use tower_sessions::{
    ExpiredDeletion, SessionStore,
    session::{Id, Record},
    session_store,
};

use super::recent::Recent;
use crate::entities::session;

/// How far a session's stored expiry may lag behind the one its cookie was given before it is
/// written again: a session used every second is then written once a minute, not each time.
const EXPIRY_SLACK: time::Duration = time::Duration::minutes(1);

/// Sessions persisted in the database, so a restart logs nobody out.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
    /// Records as last read from or written to the database.
    recent: Arc<Recent<Id, Record>>,
}

impl DbSessionStore {
    /// A store on the given connection pool.
    #[must_use]
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            recent: Arc::default(),
        }
    }

    /// Whether the database already holds `record` but for an expiry less than
    /// [`EXPIRY_SLACK`] older.
    fn stored_already(&self, record: &Record) -> bool {
        self.recent.get(&record.id).is_some_and(|stored| {
            stored.data == record.data
                && stored.expiry_date <= record.expiry_date
                && record.expiry_date - stored.expiry_date < EXPIRY_SLACK
        })
    }

    async fn upsert(&self, record: &Record) -> session_store::Result<()> {
        let row = to_row(record)?;
        session::Entity::insert(row)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([session::Column::Data, session::Column::ExpiresAt])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(backend)?;
        self.recent.remember(record.id, record.clone());
        Ok(())
    }
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn to_chrono(t: time::OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}

fn to_row(record: &Record) -> session_store::Result<session::ActiveModel> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    Ok(session::ActiveModel {
        id: Set(record.id.to_string()),
        data: Set(data),
        expires_at: Set(to_chrono(record.expiry_date)),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A collision of 128 random bits is not expected; retry with a new id if it happens.
        loop {
            let row = to_row(record)?;
            match session::Entity::insert(row).exec(&self.db).await {
                Ok(_) => {
                    self.recent.remember(record.id, record.clone());
                    return Ok(());
                }
                Err(e) if crate::db::is_unique_violation(&e) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        if self.stored_already(record) {
            return Ok(());
        }
        self.upsert(record).await
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        if let Some(record) = self.recent.get(session_id) {
            return Ok((record.expiry_date > time::OffsetDateTime::now_utc()).then_some(record));
        }
        let row = session::Entity::find_by_id(session_id.to_string())
            .filter(session::Column::ExpiresAt.gt(Utc::now()))
            .one(&self.db)
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expires_at.timestamp())
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let record = Record {
            id: *session_id,
            data,
            expiry_date,
        };
        self.recent.remember(*session_id, record.clone());
        Ok(Some(record))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.recent.forget(session_id);
        session::Entity::delete_by_id(session_id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(Utc::now()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
