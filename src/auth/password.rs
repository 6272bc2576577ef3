//! Password hashing with argon2id on a few threads of its own, one per core.
//!
//! Each hash or check needs a 19 MiB work area. Run on the blocking pool, a flood of logins held
//! one area per request (and glibc keeps what a thread freed for that thread), so memory grew
//! with the flood. Here jobs wait for one of a fixed set of threads instead, and each thread
//! allocates its work area once and reuses it: one area per thread, whatever arrives.

use std::{
    num::NonZeroUsize,
    panic::AssertUnwindSafe,
    sync::{Arc, Mutex, OnceLock, mpsc},
    thread,
};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
};
use rand::Rng;
use tokio::sync::{Semaphore, SemaphorePermit, oneshot};

use crate::error::{Error, Result};

/// A hashing thread's argon2 work area, kept from one job to the next.
type Area = Vec<Block>;

/// Work for a hashing thread, given that thread's work area.
type Job = Box<dyn FnOnce(&mut Area) + Send>;

/// The largest work area a stored hash may ask for (256 MiB); ours ask for 19 MiB.
const MAX_BLOCKS: usize = 256 * 1024;

/// The hashing threads and the queue in front of them.
struct Pool {
    /// One permit per thread: whoever holds one has a thread ready for its job.
    free: Semaphore,
    /// Where the threads take their jobs from.
    jobs: mpsc::Sender<Job>,
}

impl Pool {
    /// Starts one thread per core (as many as start; an error if none does).
    fn start() -> Result<Self, String> {
        let wanted = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let mut started = 0;
        for i in 0..wanted {
            let queue = Arc::clone(&queue);
            match thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || work(&queue))
            {
                Ok(_) => started += 1,
                Err(e) => tracing::warn!(error = %e, "could not start a password hashing thread"),
            }
        }
        if started == 0 {
            return Err("no password hashing thread could be started".to_owned());
        }
        tracing::debug!(threads = started, "password hashing threads started");
        Ok(Self {
            free: Semaphore::new(started),
            jobs,
        })
    }
}

/// A hashing thread's life: take the next job, run it on the thread's own work area, until the
/// queue is gone.
fn work(queue: &Mutex<mpsc::Receiver<Job>>) {
    let mut area = Area::new();
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok(job) = next else { return };
        // A panic in one job must not cost the pool its thread.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut area)));
        // Nothing derived from a password stays behind in the area.
        area.fill(Block::default());
    }
}

/// The first `blocks` blocks of the work area, growing it (once) when it is smaller.
fn area_of(area: &mut Area, blocks: usize) -> &mut [Block] {
    if area.len() < blocks {
        area.resize(blocks, Block::default());
    }
    &mut area[..blocks]
}

/// Hashes `password` with the default parameters and a random salt, into a PHC string.
fn hash_with(area: &mut Area, password: &[u8]) -> Result<String> {
    let (algorithm, version, params) = (Algorithm::Argon2id, Version::V0x13, Params::default());
    let salt_bytes: [u8; argon2::RECOMMENDED_SALT_LEN] = rand::rng().random();
    let salt = Salt::new(&salt_bytes).map_err(Error::internal)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let blocks = params.block_count();
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(password, &salt_bytes, &mut out, area_of(area, blocks))
        .map_err(Error::internal)?;
    let phc = PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(version.into()),
        params: ParamsString::try_from(&params).map_err(Error::internal)?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(Error::internal)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored` (with the parameters written in it).
fn verify_with(area: &mut Area, password: &[u8], stored: &str) -> bool {
    let Ok(phc) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(phc.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = phc
        .version
        .map_or(Ok(Version::default()), Version::try_from)
    else {
        return false;
    };
    let Ok(params) = Params::try_from(&phc) else {
        return false;
    };
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return false;
    }
    let mut buffer = [0u8; Output::MAX_LENGTH];
    let Some(out) = buffer.get_mut(..expected.len()) else {
        return false;
    };
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt.as_ref(), out, area_of(area, blocks))
        .is_ok()
        // `Output` compares in constant time.
        && Output::new(out).is_ok_and(|computed| &computed == expected)
}

/// The process's hashing threads, started on first use.
fn pool() -> Result<&'static Pool> {
    static POOL: OnceLock<Result<Pool, String>> = OnceLock::new();
    POOL.get_or_init(Pool::start)
        .as_ref()
        .map_err(|e| Error::internal_msg(e.clone()))
}

/// A hashing thread reserved for one job; a flood of logins queues while waiting for one.
pub struct HashingPermit {
    /// Given back when the job's answer has arrived (or the caller gave up).
    _permit: SemaphorePermit<'static>,
    /// Where the job goes.
    pool: &'static Pool,
}

/// Waits until a hashing thread is free and reserves it.
///
/// # Errors
/// No hashing thread could be started.
pub async fn permit() -> Result<HashingPermit> {
    let pool = pool()?;
    let permit = pool.free.acquire().await.map_err(Error::internal)?;
    Ok(HashingPermit {
        _permit: permit,
        pool,
    })
}

impl HashingPermit {
    /// Runs `f` on the reserved thread and waits for its answer.
    async fn run<T: Send + 'static>(
        self,
        f: impl FnOnce(&mut Area) -> T + Send + 'static,
    ) -> Result<T> {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |area| {
            // Whoever asked has gone (the client hung up): spend nothing on it.
            if !answer.is_closed() {
                let _ = answer.send(f(area));
            }
        });
        self.pool
            .jobs
            .send(job)
            .map_err(|_| Error::internal_msg("the password hashing threads have stopped"))?;
        answered
            .await
            .map_err(|_| Error::internal_msg("a password hashing job failed"))
    }

    /// Hashes a password into a PHC string (argon2id, random salt).
    ///
    /// # Errors
    /// The hashing thread failed.
    pub async fn hash(self, password: &str) -> Result<String> {
        let password = password.to_owned();
        self.run(move |area| hash_with(area, password.as_bytes()))
            .await?
    }

    /// True when `password` matches the stored PHC string; false for any mismatch or bad hash.
    pub async fn verify(self, password: &str, stored: &str) -> bool {
        let password = password.to_owned();
        let stored = stored.to_owned();
        let checked = self
            .run(move |area| verify_with(area, password.as_bytes(), &stored))
            .await;
        checked.unwrap_or_else(|e| {
            tracing::error!(error = %e, "password check failed");
            false
        })
    }
}

/// Hashes a password into a PHC string (argon2id, random salt), waiting for a hashing thread.
///
/// # Errors
/// No hashing thread could be started, or it failed.
pub async fn hash(password: &str) -> Result<String> {
    permit().await?.hash(password).await
}

/// True when `password` matches the stored PHC string, waiting for a hashing thread; false for
/// any mismatch, bad hash or failure.
pub async fn verify(password: &str, stored: &str) -> bool {
    match permit().await {
        Ok(permit) => permit.verify(password, stored).await,
        Err(e) => {
            tracing::error!(error = %e, "password check failed");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use argon2::{Argon2, PasswordHasher, PasswordVerifier};

    use super::*;

    #[test]
    fn our_hashes_and_argon2s_own_check_each_other() {
        let mut area = Area::new();
        let ours = hash_with(&mut area, b"correct horse").unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        // A hash made before (by argon2's own hasher) still verifies, and the area is reused.
        let theirs = Argon2::default()
            .hash_password(b"battery staple")
            .unwrap()
            .to_string();
        assert!(verify_with(&mut area, b"battery staple", &theirs));
        assert!(!verify_with(&mut area, b"battery stapler", &theirs));
        assert!(verify_with(&mut area, b"correct horse", &ours));
        assert_eq!(area.len(), Params::default().block_count());
        assert!(!verify_with(
            &mut area,
            b"x",
            "$argon2id$v=19$m=999999999,t=2,p=1$c2FsdHNhbHQ$aGFzaA"
        ));
    }
    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = super::hash("correct horse").await.unwrap();
        let b = super::hash("correct horse").await.unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salts must differ");
        assert!(super::verify("correct horse", &a).await);
        assert!(!super::verify("wrong", &a).await);
        assert!(!super::verify("x", "not a hash").await);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_checks_at_once_all_get_their_own_answer() {
        let stored = super::hash("right").await.unwrap();
        let checks = (0..12).map(|i| {
            let stored = stored.clone();
            tokio::spawn(async move {
                let password = if i % 3 == 0 { "right" } else { "wrong" };
                (i, super::verify(password, &stored).await)
            })
        });
        for check in futures_util::future::join_all(checks).await {
            let (i, ok) = check.unwrap();
            assert_eq!(ok, i % 3 == 0, "check {i}");
        }
    }
}
