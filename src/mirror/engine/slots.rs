//! The sync slots of one process: at most `max_total` syncs at once and at most
//! `max_per_owner` of one owner's repositories, with a free slot handed round the waiting
//! owners in turn, so one owner with many due mirrors cannot make everyone else wait.

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

#[derive(Debug, Default)]
struct State {
    running: usize,
    /// Slots held per owner (no entry for none).
    per_owner: HashMap<i64, usize>,
    /// Owners with a sync waiting, in the order they are served next.
    turns: VecDeque<i64>,
    /// Each waiting owner's syncs, first come first served.
    waiting: HashMap<i64, VecDeque<oneshot::Sender<SyncSlot>>>,
}

/// A place in the line for a slot.
#[derive(Debug)]
pub struct Queued {
    slots: Arc<Slots>,
    owner: i64,
    receiver: oneshot::Receiver<SyncSlot>,
}

impl Queued {
    /// Waits for the slot.
    pub async fn wait(self) -> SyncSlot {
        match self.receiver.await {
            Ok(slot) => slot,
            // Never: a sender is only dropped after sending, and `slots` keeps the state alive.
            Err(_) => Box::pin(self.slots.acquire(self.owner)).await,
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

    /// Waits for a slot for a sync of `owner`'s repository.
    pub async fn acquire(self: &Arc<Self>, owner: i64) -> SyncSlot {
        self.queue(owner).wait().await
    }

    /// Joins the line for a slot at once (so [`Slots::free`] counts it from now on); the
    /// slot comes with [`Queued::wait`].
    #[must_use]
    pub fn queue(self: &Arc<Self>, owner: i64) -> Queued {
        let (sender, receiver) = oneshot::channel();
        let mut state = self.lock();
        let queue = state.waiting.entry(owner).or_default();
        queue.push_back(sender);
        if queue.len() == 1 {
            state.turns.push_back(owner);
        }
        self.hand_out(&mut state);
        Queued {
            slots: Arc::clone(self),
            owner,
            receiver,
        }
    }

    /// Places neither taken nor waited for: how many more syncs could start now.
    #[must_use]
    pub fn free(&self) -> usize {
        let state = self.lock();
        let waiting: usize = state.waiting.values().map(VecDeque::len).sum();
        self.max_total.saturating_sub(state.running + waiting)
    }

    /// Syncs of `owner` running or waiting.
    #[must_use]
    pub fn load(&self, owner: i64) -> usize {
        let state = self.lock();
        state.per_owner.get(&owner).copied().unwrap_or(0)
            + state.waiting.get(&owner).map_or(0, VecDeque::len)
    }

    /// Syncs of one owner that may run at once.
    #[must_use]
    pub fn max_per_owner(&self) -> usize {
        self.max_per_owner
    }

    /// Gives free slots to waiting syncs: the first owner in turn who is below their limit,
    /// who then goes to the back of the line.
    fn hand_out(self: &Arc<Self>, state: &mut State) {
        while state.running < self.max_total {
            let Some(position) = state.turns.iter().position(|owner| {
                state.per_owner.get(owner).copied().unwrap_or(0) < self.max_per_owner
            }) else {
                return;
            };
            let Some(owner) = state.turns.remove(position) else {
                return;
            };
            let Some(queue) = state.waiting.get_mut(&owner) else {
                continue;
            };
            let Some(sender) = queue.pop_front() else {
                state.waiting.remove(&owner);
                continue;
            };
            if queue.is_empty() {
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

    async fn soon<T>(future: impl std::future::Future<Output = T>) -> Option<T> {
        tokio::time::timeout(Duration::from_millis(50), future)
            .await
            .ok()
    }

    #[tokio::test]
    async fn an_owner_is_held_to_their_share_and_the_others_go_first() {
        let slots = Slots::new(3, 2);
        let a1 = slots.acquire(1).await;
        let a2 = slots.acquire(1).await;
        assert_eq!(slots.running(1), (2, 2));
        // A third of owner 1 waits although a slot is free; owner 2 does not.
        let waiting = tokio::spawn({
            let slots = Arc::clone(&slots);
            async move { slots.acquire(1).await }
        });
        tokio::task::yield_now().await;
        let b1 = soon(slots.acquire(2))
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
        let first = slots.acquire(1).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        // Owner 1 queues three, then owners 2 and 3 one each.
        for owner in [1, 1, 1, 2, 3] {
            let (slots, order) = (Arc::clone(&slots), Arc::clone(&order));
            waiters.push(tokio::spawn(async move {
                let slot = slots.acquire(owner).await;
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
        let held = slots.acquire(1).await;
        assert!(soon(slots.acquire(2)).await.is_none());
        drop(held);
        assert_eq!(slots.running(2), (0, 0));
        assert!(soon(slots.acquire(3)).await.is_some());
    }
}
