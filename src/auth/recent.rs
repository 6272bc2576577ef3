//! A few seconds' memory of what every request asks again (which user a token, a session or
//! an id stands for), so a page polled by many clients does not read the database for it each
//! time. What this process changes, it forgets at once; what another process sharing the
//! database changes (a revoked token, a logout) is seen here within [`REMEMBERED_FOR`].

use std::{
    collections::HashMap,
    hash::Hash,
    sync::Mutex,
    time::{Duration, Instant},
};

/// How long an answer read from the database is trusted without reading it again.
pub const REMEMBERED_FOR: Duration = Duration::from_secs(5);

/// Entries kept at most; when full, the expired ones go, and if none has, all of them.
const CAPACITY: usize = 10_000;

/// Answers remembered for a short time, by key.
#[derive(Debug)]
pub struct Recent<K, V> {
    entries: Mutex<HashMap<K, (V, Instant)>>,
    ttl: Duration,
}

impl<K: Eq + Hash, V: Clone> Default for Recent<K, V> {
    fn default() -> Self {
        Self::new(REMEMBERED_FOR)
    }
}

impl<K: Eq + Hash, V: Clone> Recent<K, V> {
    /// An empty memory whose entries are trusted for `ttl`.
    #[must_use]
    pub fn new(ttl: Duration) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// The answer remembered for `key`, if it is recent enough.
    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (value, at) = entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// Remembers `value` for `key` from now.
    pub fn remember(&self, key: K, value: V) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CAPACITY {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| at.elapsed() < ttl);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, (value, Instant::now()));
    }

    /// Forgets `key`.
    pub fn forget(&self, key: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }

    /// Forgets every entry for which `matches` holds.
    pub fn forget_where(&self, matches: impl Fn(&K, &V) -> bool) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|key, (value, _)| !matches(key, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_forgotten_when_told_or_when_old() {
        let recent = Recent::new(Duration::from_millis(50));
        recent.remember("a", 1);
        recent.remember("b", 2);
        assert_eq!(recent.get(&"a"), Some(1));
        recent.forget(&"a");
        assert_eq!(recent.get(&"a"), None);
        recent.forget_where(|_, v| *v == 2);
        assert_eq!(recent.get(&"b"), None);
        recent.remember("c", 3);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(recent.get(&"c"), None, "too old");
    }

    #[test]
    fn a_full_memory_makes_room() {
        let recent = Recent::new(Duration::from_secs(60));
        for i in 0..=CAPACITY {
            recent.remember(i, i);
        }
        assert_eq!(recent.get(&CAPACITY), Some(CAPACITY));
        assert!(recent.entries.lock().unwrap().len() <= CAPACITY);
    }
}
