//! The sync slots of one process: at most `max_total` syncs at once and at most
//! `max_per_owner` of one owner's repositories, with a free slot handed round the waiting
//! owners in turn, so one owner with many due mirrors cannot make everyone else wait. A sync a
//! person or an event asked for takes the next free slot before any scheduled one that waits
//! (within its owner's share), and each waiting sync can say its place in line.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
};

use tokio::sync::oneshot;

/// The slots, shared by every sync of the process.
#[derive(Debug)]
pub struct Slots {
    max_total: usize,
    max_per_owner: usize,
    state: Mutex<State>,
}

/// How soon a sync wants its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Asked for by a person or an event ("Sync now", a webhook, a push, a restore): the next
    /// free slot, before any scheduled sync that waits.
    Asked,
    /// Found due by the scheduler.
    Scheduled,
}

/// Who is in line for a slot.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    /// The repository's owner (their share limits them).
    pub owner: i64,
    /// The repository.
    pub repo_id: i64,
    /// How soon it wants the slot.
    pub urgency: Urgency,
}

/// One sync waiting for a slot.
#[derive(Debug)]
struct Waiter {
    repo_id: i64,
    sender: oneshot::Sender<SyncSlot>,
}

/// One owner's waiting syncs: those asked for first, then the scheduled ones, each first come
/// first served.
#[derive(Debug, Default)]
struct OwnerLine {
    asked: VecDeque<Waiter>,
    scheduled: VecDeque<Waiter>,
}

impl OwnerLine {
    fn len(&self) -> usize {
        self.asked.len() + self.scheduled.len()
    }

    fn pop(&mut self) -> Option<Waiter> {
        self.asked
            .pop_front()
            .or_else(|| self.scheduled.pop_front())
    }
}

#[derive(Debug, Default)]
struct State {
    running: usize,
    /// Slots held per owner (no entry for none).
    per_owner: HashMap<i64, usize>,
    /// Owners with a sync waiting, in the order they are served next.
    turns: VecDeque<i64>,
    /// Each waiting owner's syncs.
    waiting: HashMap<i64, OwnerLine>,
}

/// The place in `turns` of the owner served next: the first with a sync asked for
/// (`has_asked`), else the first; only owners `may_run` lets through.
fn next_turn(
    turns: &VecDeque<i64>,
    may_run: impl Fn(i64) -> bool,
    has_asked: impl Fn(i64) -> bool,
) -> Option<usize> {
    turns
        .iter()
        .position(|owner| may_run(*owner) && has_asked(*owner))
        .or_else(|| turns.iter().position(|owner| may_run(*owner)))
}

/// A place in the line for a slot.
#[derive(Debug)]
pub struct Queued {
    slots: Arc<Slots>,
    place: Place,
    receiver: oneshot::Receiver<SyncSlot>,
}

impl Queued {
    /// Waits for the slot.
    pub async fn wait(self) -> SyncSlot {
        match self.receiver.await {
            Ok(slot) => slot,
            // Never: a sender is only dropped after sending, and `slots` keeps the state alive.
            Err(_) => Box::pin(self.slots.queue(self.place).wait()).await,
        }
    }
}

/// One sync's place; given back when dropped.
#[derive(Debug)]
pub struct SyncSlot {
    slots: Arc<Slots>,
    owner: i64,
    /// False for a slot that never reached its waiter (the waiter gave up).
    held: bool,
}

impl Slots {
    /// Slots for `max_total` syncs at once, `max_per_owner` of one owner (both at least 1).
    #[must_use]
    pub fn new(max_total: usize, max_per_owner: usize) -> Arc<Self> {
        Arc::new(Self {
            max_total: max_total.max(1),
            max_per_owner: max_per_owner.max(1),
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every change is a few integers.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Joins the line for a slot at once (so [`Slots::free`] counts it from now on); the
    /// slot comes with [`Queued::wait`].
    #[must_use]
    pub fn queue(self: &Arc<Self>, place: Place) -> Queued {
        let (sender, receiver) = oneshot::channel();
        let mut state = self.lock();
        let line = state.waiting.entry(place.owner).or_default();
        let waiter = Waiter {
            repo_id: place.repo_id,
            sender,
        };
        match place.urgency {
            Urgency::Asked => line.asked.push_back(waiter),
            Urgency::Scheduled => line.scheduled.push_back(waiter),
        }
        if line.len() == 1 {
            state.turns.push_back(place.owner);
        }
        self.hand_out(&mut state);
        Queued {
            slots: Arc::clone(self),
            place,
            receiver,
        }
    }

    /// Places neither taken nor waited for: how many more syncs could start now.
    #[must_use]
    pub fn free(&self) -> usize {
        let state = self.lock();
        let waiting: usize = state.waiting.values().map(OwnerLine::len).sum();
        self.max_total.saturating_sub(state.running + waiting)
    }

    /// Syncs of `owner` running or waiting.
    #[must_use]
    pub fn load(&self, owner: i64) -> usize {
        let state = self.lock();
        state.per_owner.get(&owner).copied().unwrap_or(0)
            + state.waiting.get(&owner).map_or(0, OwnerLine::len)
    }

    /// The place in line of `repo_id`'s sync waiting for a slot (1: the next to start), if it
    /// waits: the order slots would go in were they freed one by one now, shares aside.
    #[must_use]
    pub fn position(&self, repo_id: i64) -> Option<usize> {
        let state = self.lock();
        let waits = state
            .waiting
            .values()
            .flat_map(|line| line.asked.iter().chain(&line.scheduled))
            .any(|w| w.repo_id == repo_id);
        if !waits {
            return None;
        }
        // The same turns as `hand_out`, on a copy holding only the repository ids.
        let mut turns = state.turns.clone();
        let mut lines: HashMap<i64, (VecDeque<i64>, VecDeque<i64>)> = state
            .waiting
            .iter()
            .map(|(owner, line)| {
                let ids = |q: &VecDeque<Waiter>| q.iter().map(|w| w.repo_id).collect();
                (*owner, (ids(&line.asked), ids(&line.scheduled)))
            })
            .collect();
        let mut place = 0;
        while !turns.is_empty() {
            let has_asked = |owner| lines.get(&owner).is_some_and(|(a, _)| !a.is_empty());
            let at = next_turn(&turns, |_| true, has_asked)?;
            let owner = turns.remove(at)?;
            let Some((asked, scheduled)) = lines.get_mut(&owner) else {
                continue;
            };
            let Some(next) = asked.pop_front().or_else(|| scheduled.pop_front()) else {
                continue;
            };
            place += 1;
            if next == repo_id {
                return Some(place);
            }
            if !asked.is_empty() || !scheduled.is_empty() {
                turns.push_back(owner);
            }
        }
        None
    }

    /// Syncs of one owner that may run at once.
    #[must_use]
    pub fn max_per_owner(&self) -> usize {
        self.max_per_owner
    }

    /// Gives free slots to waiting syncs: the first owner in turn who is below their limit
    /// and has a sync asked for, else the first below their limit; who then goes to the back
    /// of the line.
    fn hand_out(self: &Arc<Self>, state: &mut State) {
        while state.running < self.max_total {
            let below_share =
                |owner: i64| state.per_owner.get(&owner).copied().unwrap_or(0) < self.max_per_owner;
            let has_asked = |owner| {
                state
                    .waiting
                    .get(&owner)
                    .is_some_and(|line| !line.asked.is_empty())
            };
            let Some(position) = next_turn(&state.turns, below_share, has_asked) else {
                return;
            };
            let Some(owner) = state.turns.remove(position) else {
                return;
            };
            let Some(queue) = state.waiting.get_mut(&owner) else {
                continue;
            };
            let Some(Waiter { sender, .. }) = queue.pop() else {
                state.waiting.remove(&owner);
                continue;
            };
            if queue.len() == 0 {
                state.waiting.remove(&owner);
            } else {
                state.turns.push_back(owner);
            }
            state.running += 1;
            *state.per_owner.entry(owner).or_default() += 1;
            let slot = SyncSlot {
                slots: Arc::clone(self),
                owner,
                held: true,
            };
            if let Err(mut unwanted) = sender.send(slot) {
                // The waiter is gone: take the slot back here, under the lock already held.
                unwanted.held = false;
                release(state, owner);
            }
        }
    }

    /// Syncs running now, in all and for `owner`.
    #[must_use]
    pub fn running(&self, owner: i64) -> (usize, usize) {
        let state = self.lock();
        (
            state.running,
            state.per_owner.get(&owner).copied().unwrap_or(0),
        )
    }
}

fn release(state: &mut State, owner: i64) {
    state.running = state.running.saturating_sub(1);
    if let Some(count) = state.per_owner.get_mut(&owner) {
        *count = count.saturating_sub(1);
        if *count == 0 {
            state.per_owner.remove(&owner);
        }
    }
}

impl Drop for SyncSlot {
    fn drop(&mut self) {
        if !self.held {
            return;
        }
        let slots = Arc::clone(&self.slots);
        let mut state = slots.lock();
        release(&mut state, self.owner);
        slots.hand_out(&mut state);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A place of `owner` (repository `owner * 100 + n`, scheduled unless `asked`).
    fn place(owner: i64, n: i64, asked: bool) -> Place {
        Place {
            owner,
            repo_id: owner * 100 + n,
            urgency: if asked {
                Urgency::Asked
            } else {
                Urgency::Scheduled
            },
        }
    }

    /// Waits for a slot of a scheduled sync of `owner` (repository `owner * 100`).
    async fn acquire(slots: &Arc<Slots>, owner: i64) -> SyncSlot {
        slots.queue(place(owner, 0, false)).wait().await
    }

    async fn soon<T>(future: impl std::future::Future<Output = T>) -> Option<T> {
        tokio::time::timeout(Duration::from_millis(50), future)
            .await
            .ok()
    }

    #[tokio::test]
    async fn an_owner_is_held_to_their_share_and_the_others_go_first() {
        let slots = Slots::new(3, 2);
        let a1 = acquire(&slots, 1).await;
        let a2 = acquire(&slots, 1).await;
        assert_eq!(slots.running(1), (2, 2));
        // A third of owner 1 waits although a slot is free; owner 2 does not.
        let waiting = tokio::spawn({
            let slots = Arc::clone(&slots);
            async move { acquire(&slots, 1).await }
        });
        tokio::task::yield_now().await;
        let b1 = soon(acquire(&slots, 2))
            .await
            .expect("owner 2 gets the free slot");
        assert_eq!(slots.running(2), (3, 1));
        drop(a1);
        let a3 = soon(waiting)
            .await
            .expect("owner 1's next one runs")
            .unwrap();
        assert_eq!(slots.running(1), (3, 2));
        drop((a2, a3, b1));
        assert_eq!(slots.running(1), (0, 0));
    }

    #[tokio::test]
    async fn a_free_slot_goes_round_the_waiting_owners() {
        let slots = Slots::new(1, 5);
        let first = acquire(&slots, 1).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        // Owner 1 queues three, then owners 2 and 3 one each.
        for owner in [1, 1, 1, 2, 3] {
            let (slots, order) = (Arc::clone(&slots), Arc::clone(&order));
            waiters.push(tokio::spawn(async move {
                let slot = acquire(&slots, owner).await;
                order.lock().unwrap().push(owner);
                drop(slot);
            }));
            tokio::task::yield_now().await;
        }
        drop(first);
        for waiter in waiters {
            waiter.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [1, 2, 3, 1, 1]);
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_does_not_keep_a_slot() {
        let slots = Slots::new(1, 1);
        let held = acquire(&slots, 1).await;
        assert!(soon(acquire(&slots, 2)).await.is_none());
        drop(held);
        assert_eq!(slots.running(2), (0, 0));
        assert!(soon(acquire(&slots, 3)).await.is_some());
    }

    #[tokio::test]
    async fn a_sync_asked_for_takes_the_next_slot_before_scheduled_ones() {
        let slots = Slots::new(1, 10);
        let busy = acquire(&slots, 9).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        // Five scheduled syncs of three owners wait, then "Sync now" of a fourth.
        let places = [
            place(1, 1, false),
            place(2, 1, false),
            place(1, 2, false),
            place(3, 1, false),
            place(2, 2, false),
            place(4, 1, true),
        ];
        for p in places {
            let queued = slots.queue(p);
            let order = Arc::clone(&order);
            waiters.push(tokio::spawn(async move {
                let slot = queued.wait().await;
                order.lock().unwrap().push(p.repo_id);
                drop(slot);
            }));
        }
        assert_eq!(slots.position(401), Some(1), "the asked one is next");
        assert_eq!(slots.position(101), Some(2));
        assert_eq!(slots.position(202), Some(6));
        assert_eq!(slots.position(999), None, "not waiting");
        drop(busy);
        for waiter in waiters {
            waiter.await.unwrap();
        }
        // Then the owners in turn, as before.
        assert_eq!(*order.lock().unwrap(), [401, 101, 201, 301, 102, 202]);
        assert_eq!(slots.position(401), None);
    }

    #[tokio::test]
    async fn a_sync_asked_for_still_keeps_within_its_owners_share() {
        let slots = Slots::new(2, 1);
        let held = acquire(&slots, 1).await;
        // Owner 1 is at their share: their "Sync now" waits, owner 2's scheduled one runs.
        let asked = slots.queue(place(1, 1, true));
        let other = soon(slots.queue(place(2, 1, false)).wait())
            .await
            .expect("owner 2 takes the free slot");
        assert_eq!(slots.position(101), Some(1));
        drop(held);
        assert!(soon(asked.wait()).await.is_some());
        drop(other);
    }
}
