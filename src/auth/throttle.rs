//! Password guessing, slowed down: after too many wrong passwords for one account from one
//! client address within a window, that account answers 429 to that address until the window
//! has passed; a much higher limit per address covers guessing across many accounts.
//!
//! Kept in memory (a restart forgets it) and bounded: at most [`MAX_ENTRIES`] of each kind,
//! expired ones pruned first, then the stalest. Filling it takes one argon2 check per entry,
//! far slower than entries expire.

use std::{
    collections::{HashMap, VecDeque},
    net::{IpAddr, Ipv6Addr},
    sync::{Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use crate::{config::LoginLimits, error::Error};

/// Most (account, address) pairs, and most addresses, remembered at once.
pub const MAX_ENTRIES: usize = 10_000;

/// Longest account name kept in a key (real names have at most 40 characters).
const MAX_NAME_BYTES: usize = 64;

/// Where attempts come from: an IPv4 address, or an IPv6 /64 (what one subscriber gets, so
/// hopping through its addresses does not escape the limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Source(IpAddr);

impl Source {
    fn of(addr: IpAddr) -> Self {
        match addr.to_canonical() {
            IpAddr::V6(v6) => {
                let s = v6.segments();
                Self(IpAddr::V6(Ipv6Addr::new(
                    s[0], s[1], s[2], s[3], 0, 0, 0, 0,
                )))
            }
            v4 @ IpAddr::V4(_) => Self(v4),
        }
    }
}

/// Failures of one address in its current window.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// When the first failure of this window happened.
    started: Instant,
    /// Failures since then.
    failures: u32,
}

/// What the throttle remembers.
#[derive(Debug, Default)]
struct State {
    /// The latest failures of each (lowercased account, source), oldest first, at most
    /// `per_account` of them: the limit is reached while the oldest is within the window.
    accounts: HashMap<(String, Source), VecDeque<Instant>>,
    /// Failures of each source, in fixed windows.
    sources: HashMap<Source, Window>,
}

/// One password check that took its place in the count: a failure unless it succeeded.
#[derive(Debug)]
#[must_use = "an attempt counts as a failure unless it is given back as a success"]
pub struct Attempt {
    key: (String, Source),
    at: Instant,
}

/// Counts wrong passwords per account and client address, and says when to wait.
#[derive(Debug)]
pub struct LoginThrottle {
    limits: LoginLimits,
    state: Mutex<State>,
}

impl LoginThrottle {
    /// A throttle with nothing counted yet.
    #[must_use]
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a place for checking one password for `account` from `client`: refused while
    /// the limit is reached, else counted as a failure at once (in the same step as the look
    /// at the limit), so parallel attempts can never check more passwords than the limit. A
    /// right password gives its place back with [`LoginThrottle::succeeded`].
    ///
    /// # Errors
    /// [`Error::TooManyRequests`] with the seconds left until an attempt may be made.
    pub fn reserve(&self, account: &str, client: IpAddr) -> Result<Attempt, Error> {
        let now = Instant::now();
        let key = key(account, client);
        let mut state = self.lock();
        if let Some(wait) = self.wait(&state, &key, now) {
            return Err(Error::TooManyRequests {
                retry_after_secs: whole_seconds(wait),
            });
        }
        self.count_failure(&mut state, &key, now);
        Ok(Attempt { key, at: now })
    }

    /// How long `key` must wait before its next attempt, if it must.
    fn wait(&self, state: &State, key: &(String, Source), now: Instant) -> Option<Duration> {
        let by_account = state
            .accounts
            .get(key)
            .filter(|failures| failures.len() >= self.per_account())
            .and_then(VecDeque::front)
            .and_then(|oldest| self.until(*oldest, now));
        let by_source = state
            .sources
            .get(&key.1)
            .filter(|window| window.failures >= self.limits.per_address)
            .and_then(|window| self.until(window.started, now));
        by_account.max(by_source)
    }

    /// Counts a wrong password (or one being checked) for `key` at `now`.
    fn count_failure(&self, state: &mut State, key: &(String, Source), now: Instant) {
        let limit = self.per_account();
        let window = self.limits.window;

        let failures = state.accounts.entry(key.clone()).or_default();
        while failures
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            failures.pop_front();
        }
        failures.push_back(now);
        while failures.len() > limit {
            failures.pop_front();
        }
        if failures.len() == limit {
            tracing::warn!(
                account = %key.0,
                client = %key.1.0,
                "too many wrong passwords: throttling this account for this address"
            );
        }

        let source = state.sources.entry(key.1).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now.saturating_duration_since(source.started) >= window {
            *source = Window {
                started: now,
                failures: 0,
            };
        }
        source.failures = source.failures.saturating_add(1);
        if source.failures == self.limits.per_address {
            tracing::warn!(
                client = %key.1.0,
                "too many wrong passwords from one address: throttling every account for it"
            );
        }

        if state.accounts.len() > MAX_ENTRIES || state.sources.len() > MAX_ENTRIES {
            self.prune(state, now);
        }
    }

    /// The password of `attempt` was right: the account's failures are forgotten, and the
    /// address gets back the place the attempt took (its other failures stay, or one valid
    /// account would reset the count for guessing others).
    pub fn succeeded(&self, attempt: Attempt) {
        let mut state = self.lock();
        state.accounts.remove(&attempt.key);
        if let Some(source) = state.sources.get_mut(&attempt.key.1)
            && source.started <= attempt.at
        {
            source.failures = source.failures.saturating_sub(1);
        }
    }

    /// Drops what has expired; if still over [`MAX_ENTRIES`], the stalest entries go.
    fn prune(&self, state: &mut State, now: Instant) {
        let window = self.limits.window;
        let live = |t: Instant| now.saturating_duration_since(t) < window;
        state
            .accounts
            .retain(|_, failures| failures.back().is_some_and(|t| live(*t)));
        state.sources.retain(|_, w| live(w.started));
        while state.accounts.len() > MAX_ENTRIES {
            let stalest = state
                .accounts
                .iter()
                .min_by_key(|(_, failures)| failures.back().copied())
                .map(|(key, _)| key.clone());
            let Some(stalest) = stalest else { break };
            state.accounts.remove(&stalest);
        }
        while state.sources.len() > MAX_ENTRIES {
            let stalest = state
                .sources
                .iter()
                .min_by_key(|(_, w)| w.started)
                .map(|(source, _)| *source);
            let Some(stalest) = stalest else { break };
            state.sources.remove(&stalest);
        }
    }

    /// The account limit as a count (at least 1).
    fn per_account(&self) -> usize {
        usize::try_from(self.limits.per_account.max(1)).unwrap_or(usize::MAX)
    }

    /// How long until `since + window`, if that is still ahead of `now`.
    fn until(&self, since: Instant, now: Instant) -> Option<Duration> {
        let end = since.checked_add(self.limits.window)?;
        (end > now).then(|| end - now)
    }

    /// How many (account, address) pairs are remembered.
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.lock().accounts.len()
    }
}

/// The key of an attempt: the name as looked up (ASCII lowercase), cut to a sane length.
fn key(account: &str, client: IpAddr) -> (String, Source) {
    let mut name = account.to_ascii_lowercase();
    if name.len() > MAX_NAME_BYTES {
        let mut end = MAX_NAME_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    (name, Source::of(client))
}

/// A wait as whole seconds for `Retry-After`, rounded up, at least 1.
fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn limits(per_account: u32, per_address: u32, window_secs: u64) -> LoginLimits {
        LoginLimits {
            per_account,
            per_address,
            window: Duration::from_secs(window_secs),
        }
    }

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const AWAY: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));

    /// A wrong password for `account` from `client`, which must have been allowed.
    fn fail(t: &LoginThrottle, account: &str, client: IpAddr) {
        let _wrong = t.reserve(account, client).expect("not throttled yet");
    }

    /// Whether an attempt for `account` from `client` is allowed now (a right password).
    fn allowed(t: &LoginThrottle, account: &str, client: IpAddr) -> bool {
        match t.reserve(account, client) {
            Ok(attempt) => {
                t.succeeded(attempt);
                true
            }
            Err(_) => false,
        }
    }

    #[test]
    fn the_limit_is_per_account_and_address() {
        let t = LoginThrottle::new(limits(3, 100, 300));
        fail(&t, "alice", HOME);
        fail(&t, "Alice", HOME);
        fail(&t, "alice", HOME);
        let Err(Error::TooManyRequests { retry_after_secs }) = t.reserve("ALICE", HOME) else {
            panic!("not throttled")
        };
        assert!(
            (299..=300).contains(&retry_after_secs),
            "{retry_after_secs}"
        );
        // Other accounts from here, and alice from elsewhere, are not affected.
        assert!(allowed(&t, "bob", HOME));
        assert!(allowed(&t, "alice", AWAY));
    }

    #[test]
    fn attempts_in_flight_count_so_no_more_than_the_limit_are_checked() {
        let t = LoginThrottle::new(limits(10, 1000, 300));
        // A hundred attempts that all took their place before any password was checked.
        let (taken, refused): (Vec<_>, Vec<_>) = (0..100)
            .map(|_| t.reserve("alice", HOME))
            .partition(Result::is_ok);
        assert_eq!((taken.len(), refused.len()), (10, 90));
    }

    #[test]
    fn a_success_forgets_the_account_failures_not_the_address() {
        let t = LoginThrottle::new(limits(3, 5, 300));
        fail(&t, "alice", HOME);
        fail(&t, "alice", HOME);
        assert!(allowed(&t, "alice", HOME), "the right password");
        fail(&t, "alice", HOME);
        fail(&t, "alice", HOME);
        // Two since the success: under alice's limit of 3.
        assert!(allowed(&t, "alice", HOME));
        // Five failures from this address in all (successes not counted): every account from
        // it waits now.
        fail(&t, "carol", HOME);
        assert!(!allowed(&t, "bob", HOME));
        assert!(allowed(&t, "bob", AWAY));
    }

    #[test]
    fn an_ipv6_network_counts_as_one_address() {
        let t = LoginThrottle::new(limits(2, 100, 300));
        fail(&t, "alice", "2001:db8:1:2::1".parse().unwrap());
        fail(&t, "alice", "2001:db8:1:2:ffff::9".parse().unwrap());
        assert!(!allowed(&t, "alice", "2001:db8:1:2::77".parse().unwrap()));
        assert!(allowed(&t, "alice", "2001:db8:1:3::1".parse().unwrap()));
        // An IPv4-mapped address is the IPv4 address.
        fail(&t, "bob", "::ffff:192.0.2.1".parse().unwrap());
        fail(&t, "bob", HOME);
        assert!(!allowed(&t, "bob", HOME));
    }

    #[test]
    fn the_window_passes() {
        let t = LoginThrottle::new(LoginLimits {
            per_account: 2,
            per_address: 2,
            window: Duration::from_millis(50),
        });
        fail(&t, "alice", HOME);
        fail(&t, "alice", HOME);
        let Err(Error::TooManyRequests { retry_after_secs }) = t.reserve("alice", HOME) else {
            panic!("not throttled")
        };
        assert_eq!(retry_after_secs, 1, "rounded up to a whole second");
        std::thread::sleep(Duration::from_millis(60));
        assert!(allowed(&t, "alice", HOME));
    }

    #[test]
    fn memory_stays_bounded() {
        let t = LoginThrottle::new(limits(10, u32::MAX, 300));
        for i in 0..MAX_ENTRIES + 50 {
            fail(&t, &format!("user{i}"), HOME);
        }
        assert_eq!(t.tracked(), MAX_ENTRIES);
        // The stalest went; the latest are still counted.
        fail(&t, &format!("user{}", MAX_ENTRIES + 49), HOME);
        assert_eq!(t.tracked(), MAX_ENTRIES);
        let long = "x".repeat(10_000);
        fail(&t, &long, HOME);
        assert!(
            t.lock()
                .accounts
                .keys()
                .all(|(name, _)| name.len() <= MAX_NAME_BYTES)
        );
    }
}
