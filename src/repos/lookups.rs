//! Repository lookups shared while they run: every page, fragment and API call of a repository
//! starts by finding it, and a page polled by many clients at once would otherwise send the
//! same query once per request. Whoever asks while the same lookup is under way waits for its
//! answer instead (nothing is kept once it is answered, so no answer is ever stale).

use std::{collections::HashMap, sync::Mutex};

use futures_util::{
    FutureExt,
    future::{BoxFuture, Shared},
};
use sea_orm::DatabaseConnection;

use super::{Repo, find};
use crate::error::Result;

/// A lookup under way: `None` when it failed (each waiter then asks again, for its own error).
type Flight = Shared<BoxFuture<'static, Option<Option<Repo>>>>;

/// Owner and repository name, lowercased.
type Key = (String, String);

/// Lookups under way, by repository.
#[derive(Default)]
pub struct RepoLookups {
    flights: Mutex<HashMap<Key, Flight>>,
}

impl std::fmt::Debug for RepoLookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoLookups").finish_non_exhaustive()
    }
}

/// Takes a flight off the board when its first asker is done with it, also when that request
/// is dropped half-way (a client gone), so nobody joins an answer given earlier.
struct Landing<'a> {
    lookups: &'a RepoLookups,
    key: Key,
    flight: Flight,
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        if let Ok(mut flights) = self.lookups.flights.lock()
            && flights
                .get(&self.key)
                .is_some_and(|f| Shared::ptr_eq(f, &self.flight))
        {
            flights.remove(&self.key);
        }
    }
}

impl RepoLookups {
    /// Finds `owner/name` (case-insensitive) as [`find`] does, sharing the query with whoever
    /// asks for the same repository while it runs.
    ///
    /// # Errors
    /// The database failed.
    pub async fn find(
        &self,
        db: &DatabaseConnection,
        owner: &str,
        name: &str,
    ) -> Result<Option<Repo>> {
        let key = (owner.to_ascii_lowercase(), name.to_ascii_lowercase());
        let joined = {
            let Ok(mut flights) = self.flights.lock() else {
                return find(db, owner, name).await;
            };
            match flights.get(&key) {
                Some(flight) => Ok(flight.clone()),
                None => {
                    let (db, (owner, name)) = (db.clone(), key.clone());
                    let flight: Flight = async move { find(&db, &owner, &name).await.ok() }
                        .boxed()
                        .shared();
                    flights.insert(key.clone(), flight.clone());
                    Err(flight)
                }
            }
        };
        let answer = match joined {
            Ok(flight) => flight.await,
            Err(flight) => {
                let _landing = Landing {
                    lookups: self,
                    key,
                    flight: flight.clone(),
                };
                flight.await
            }
        };
        match answer {
            Some(found) => Ok(found),
            None => find(db, owner, name).await,
        }
    }
}
