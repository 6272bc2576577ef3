//! Received packs indexed on every core. libgit2 keeps the protocol (negotiation, shallow
//! lines, sideband, refs) but its indexer resolves deltas on one thread; this module adds an
//! object-database backend whose only capability is writing packs, ahead of libgit2's own, so
//! the pack a fetch receives streams into gitoxide's indexer (`gix-pack`) instead. Nothing is
//! trusted on the way: every object is inflated, resolved and hashed (SHA-1 with collision
//! detection), the pack's trailing checksum is checked, and only a pack that passes lands in
//! `objects/pack` — before any ref moves, as with libgit2's indexer.
//!
//! The crate's one `unsafe` module: libgit2's backend interface is C structs of function
//! pointers, and the pack read back is memory-mapped (`releasing_map`); each unsafe block says
//! what libgit2 or the kernel guarantees for it. Writing the pack (`write`) is safe code.
#![allow(unsafe_code)]

use std::{
    ffi::{CString, c_int, c_void},
    io::{self, Read},
    panic::{AssertUnwindSafe, catch_unwind},
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
        mpsc::{self, Receiver, RecvTimeoutError, SyncSender},
    },
    thread::{self, JoinHandle},
    time::Duration,
};

use git2::{Binding, ObjectType, Repository};
use gix_utils::progress::{self as gix_progress, Count, NestedProgress};
use libgit2_sys as raw;
use write::{Limits, write_pack};

mod releasing_map;
mod write;

/// Ahead of libgit2's own pack (1) and loose (2) backends: the first backend that writes packs
/// is the one a fetch uses.
const PRIORITY: c_int = 100;

/// Received chunks waiting for the indexer (sideband packets are at most 64 KiB each, so at
/// most 4 MiB wait in memory).
const QUEUED_CHUNKS: usize = 64;

/// The largest object or delta buffer the indexer allocates: a remote claiming more is refused
/// rather than believed.
const LARGEST_OBJECT: usize = 4 << 30;

/// How often the commit step reports how far resolving has come.
const REPORT_EVERY: Duration = Duration::from_millis(100);

/// Makes every pack that `repo` receives from now on go through the parallel indexer.
/// `thin_bases` lets a thin pack (deltas against objects already here) be completed from
/// the repository; without it, as for a first import, the pack is indexed as it streams.
///
/// # Errors
/// The object database cannot be opened or refuses the backend.
pub fn install(repo: &Repository, thin_bases: bool) -> Result<(), git2::Error> {
    let odb = repo.odb()?;
    let backend = Box::into_raw(Box::new(Backend {
        // SAFETY: a C struct of integers, pointers and optional function pointers: all zero
        // is its "unset" value, and `git_odb_init_backend` sets the version below.
        parent: unsafe { std::mem::zeroed() },
        repo_path: repo.path().to_path_buf(),
        thin_bases,
    }));
    // SAFETY: `backend` is a live, uniquely owned allocation whose first field is the
    // `git_odb_backend` libgit2 sees; on success the odb owns it and calls `free_backend` once.
    unsafe {
        let rc =
            raw::git_odb_init_backend(&raw mut (*backend).parent, raw::GIT_ODB_BACKEND_VERSION);
        if rc < 0 {
            drop(Box::from_raw(backend));
            return Err(git2::Error::last_error(rc));
        }
        (*backend).parent.writepack = Some(start_writepack);
        (*backend).parent.free = Some(free_backend);
        let rc = raw::git_odb_add_backend(odb.raw(), backend.cast(), PRIORITY);
        if rc < 0 {
            drop(Box::from_raw(backend));
            return Err(git2::Error::last_error(rc));
        }
    }
    Ok(())
}

/// The backend libgit2 holds: the C part first, then what a pack write needs.
#[repr(C)]
struct Backend {
    parent: raw::git_odb_backend,
    repo_path: PathBuf,
    thin_bases: bool,
}

/// One pack being received: the C part first, then the indexer fed through a channel.
#[repr(C)]
struct Writepack {
    parent: raw::git_odb_writepack,
    odb: *mut raw::git_odb,
    chunks: Option<SyncSender<Vec<u8>>>,
    indexer: Option<JoinHandle<()>>,
    outcome: Receiver<Result<Indexed, String>>,
    interrupt: Arc<AtomicBool>,
    counters: Counters,
    report: Report,
    /// The pack's first 12 bytes (signature, version, object count), as they arrive.
    header: Vec<u8>,
}

/// libgit2's progress callback, as the fetch gave it.
struct Report {
    callback: raw::git_indexer_progress_cb,
    payload: *mut c_void,
}

impl Report {
    /// Hands `stats` to the callback; false when it asks to stop.
    fn fire(&self, stats: &raw::git_indexer_progress) -> bool {
        self.callback
            .is_none_or(|callback| callback(stats, self.payload) == 0)
    }
}

/// What the indexer made.
struct Indexed {
    objects: usize,
    keep: Option<PathBuf>,
}

extern "C" fn free_backend(backend: *mut raw::git_odb_backend) {
    // SAFETY: libgit2 calls this once, with the pointer `install` made from a `Box<Backend>`.
    drop(unsafe { Box::from_raw(backend.cast::<Backend>()) });
}

extern "C" fn start_writepack(
    out: *mut *mut raw::git_odb_writepack,
    backend: *mut raw::git_odb_backend,
    odb: *mut raw::git_odb,
    callback: raw::git_indexer_progress_cb,
    payload: *mut c_void,
) -> c_int {
    // SAFETY: libgit2 passes the backend `install` registered, alive while its odb is.
    let backend = unsafe { &*backend.cast::<Backend>() };
    let started = catch_unwind(AssertUnwindSafe(|| {
        Writepack::start(backend, odb, Report { callback, payload })
    }));
    match started {
        Ok(Ok(writepack)) => {
            let writepack = Box::into_raw(Box::new(writepack));
            // SAFETY: `out` is libgit2's out-parameter; the box is freed by `free_writepack`.
            unsafe {
                (*writepack).parent.backend = (&raw const backend.parent).cast_mut();
                *out = writepack.cast();
            }
            0
        }
        Ok(Err(message)) => fail(&message),
        Err(_) => fail("the pack indexer could not start"),
    }
}

extern "C" fn append(
    writepack: *mut raw::git_odb_writepack,
    data: *const c_void,
    size: usize,
    stats: *mut raw::git_indexer_progress,
) -> c_int {
    // SAFETY: libgit2 passes the writepack `start_writepack` made, `size` readable bytes at
    // `data`, and its own progress struct, none of them shared with another thread.
    let (writepack, data, stats) = unsafe {
        (
            &mut *writepack.cast::<Writepack>(),
            std::slice::from_raw_parts(data.cast::<u8>(), size),
            &mut *stats,
        )
    };
    match catch_unwind(AssertUnwindSafe(|| writepack.append(data, stats))) {
        Ok(Ok(())) => 0,
        Ok(Err(message)) => fail(&message),
        Err(_) => fail("the pack indexer failed"),
    }
}

unsafe extern "C" fn commit(
    writepack: *mut raw::git_odb_writepack,
    stats: *mut raw::git_indexer_progress,
) -> c_int {
    // SAFETY: as for `append`.
    let (writepack, stats) = unsafe { (&mut *writepack.cast::<Writepack>(), &mut *stats) };
    match catch_unwind(AssertUnwindSafe(|| writepack.commit(stats))) {
        Ok(Ok(())) => 0,
        Ok(Err(message)) => fail(&message),
        Err(_) => fail("the pack indexer failed"),
    }
}

unsafe extern "C" fn free_writepack(writepack: *mut raw::git_odb_writepack) {
    // SAFETY: libgit2 calls this once, with the pointer `start_writepack` made from a box.
    let writepack = unsafe { Box::from_raw(writepack.cast::<Writepack>()) };
    let _ = catch_unwind(AssertUnwindSafe(|| drop(writepack)));
}

/// Sets libgit2's error message to `message` and returns the error code.
fn fail(message: &str) -> c_int {
    let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
    // SAFETY: a valid C string; libgit2 copies it.
    unsafe { raw::git_error_set_str(raw::GIT_ERROR_INDEXER as c_int, text.as_ptr()) };
    -1
}

impl Writepack {
    /// Starts the indexer thread on `backend`'s repository.
    fn start(backend: &Backend, odb: *mut raw::git_odb, report: Report) -> Result<Self, String> {
        let (chunks, received) = mpsc::sync_channel::<Vec<u8>>(QUEUED_CHUNKS);
        let (done, outcome) = mpsc::channel();
        let interrupt = Arc::new(AtomicBool::new(false));
        let counters = Counters::default();
        let job = Job {
            repo_path: backend.repo_path.clone(),
            thin_bases: backend.thin_bases,
            interrupt: Arc::clone(&interrupt),
            counters: counters.clone(),
        };
        let indexer = thread::Builder::new()
            .name("pack-index".into())
            .spawn(move || {
                let _ = done.send(job.run(received));
            })
            .map_err(|e| format!("could not start the pack indexer: {e}"))?;
        Ok(Self {
            parent: raw::git_odb_writepack {
                backend: std::ptr::null_mut(),
                append: Some(append),
                commit: Some(commit),
                free: Some(free_writepack),
            },
            odb,
            chunks: Some(chunks),
            indexer: Some(indexer),
            outcome,
            interrupt,
            counters,
            report,
            header: Vec::with_capacity(12),
        })
    }

    /// Passes `data` to the indexer and reports how far it has come.
    fn append(&mut self, data: &[u8], stats: &mut raw::git_indexer_progress) -> Result<(), String> {
        if self.header.len() < 12 {
            let wanted = (12 - self.header.len()).min(data.len());
            self.header.extend_from_slice(&data[..wanted]);
            if let Some(count) = self.header.get(8..12) {
                stats.total_objects = u32::from_be_bytes([count[0], count[1], count[2], count[3]]);
            }
        }
        let sent = self
            .chunks
            .as_ref()
            .map(|chunks| chunks.send(data.to_vec()));
        if !matches!(sent, Some(Ok(()))) {
            // The indexer stopped early: its own error says why.
            return Err(self
                .finish()
                .err()
                .unwrap_or_else(|| "the pack indexer stopped before the pack ended".to_owned()));
        }
        stats.received_bytes += data.len();
        self.counters.copy_to(stats);
        if self.report.fire(stats) {
            Ok(())
        } else {
            self.interrupt.store(true, Ordering::Relaxed);
            Err("the transfer was stopped".to_owned())
        }
    }

    /// Ends the pack, waits for the indexer (reporting the resolving as it goes) and makes
    /// the new pack visible to the object database.
    fn commit(&mut self, stats: &mut raw::git_indexer_progress) -> Result<(), String> {
        self.chunks = None;
        // Each wait that times out is one report interval without a result.
        let indexed = loop {
            match self.outcome.recv_timeout(REPORT_EVERY) {
                Ok(result) => break result,
                Err(RecvTimeoutError::Timeout) => {
                    self.counters.copy_to(stats);
                    if !self.report.fire(stats) {
                        self.interrupt.store(true, Ordering::Relaxed);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    break Err("the pack indexer failed".to_owned());
                }
            }
        };
        self.join();
        let indexed = indexed?;
        if let Some(keep) = &indexed.keep {
            // Only kept until the refs point into the pack: nothing here collects garbage
            // while a sync holds its repository.
            let _ = std::fs::remove_file(keep);
        }
        let objects = u32::try_from(indexed.objects).unwrap_or(u32::MAX);
        stats.total_objects = objects;
        stats.received_objects = objects;
        stats.indexed_objects = objects;
        // SAFETY: the odb that asked for this writepack is alive while it is.
        let rc = unsafe { raw::git_odb_refresh(self.odb) };
        if rc < 0 {
            return Err(git2::Error::last_error(rc).message().to_owned());
        }
        self.report.fire(stats);
        Ok(())
    }

    /// The indexer's result, once the pack has ended (the sender dropped).
    fn finish(&mut self) -> Result<Indexed, String> {
        self.chunks = None;
        let result = self
            .outcome
            .recv()
            .unwrap_or_else(|_| Err("the pack indexer failed".to_owned()));
        self.join();
        result
    }

    fn join(&mut self) {
        if let Some(indexer) = self.indexer.take() {
            let _ = indexer.join();
        }
    }
}

impl Drop for Writepack {
    /// A pack never committed (the transfer failed or was stopped) is abandoned: the indexer
    /// is interrupted and its temporary files removed.
    fn drop(&mut self) {
        self.interrupt.store(true, Ordering::Relaxed);
        self.chunks = None;
        self.join();
    }
}

/// The indexer thread's work.
struct Job {
    repo_path: PathBuf,
    thin_bases: bool,
    interrupt: Arc<AtomicBool>,
    counters: Counters,
}

impl Job {
    /// Indexes the pack arriving on `received` into the repository's `objects/pack`.
    fn run(self, received: Receiver<Vec<u8>>) -> Result<Indexed, String> {
        let pack_dir = self.repo_path.join("objects").join("pack");
        let mut progress = Tracker::root(self.counters.clone());
        let limits = Limits {
            threads: thread::available_parallelism().ok().map(usize::from),
            largest_object: LARGEST_OBJECT,
        };
        let bases = if self.thin_bases {
            let repo = Repository::open_bare(&self.repo_path)
                .map_err(|e| format!("could not open the repository: {}", e.message()))?;
            Some(Bases(repo))
        } else {
            None
        };
        let written = write_pack(
            Chunks::new(received),
            &pack_dir,
            &mut progress,
            &self.interrupt,
            bases,
            &limits,
        )
        .map_err(|e| e.to_string())?;
        Ok(Indexed {
            objects: written.objects as usize,
            keep: written.keep,
        })
    }
}

/// The received chunks read as one stream; it ends when libgit2 commits (or drops) the pack.
struct Chunks {
    received: Receiver<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
}

impl Chunks {
    fn new(received: Receiver<Vec<u8>>) -> Self {
        Self {
            received,
            current: Vec::new(),
            at: 0,
        }
    }
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            match self.received.recv() {
                Ok(chunk) => {
                    self.current = chunk;
                    self.at = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The objects a thin pack's deltas point to, read from the repository.
struct Bases(Repository);

impl gix_object::Find for Bases {
    fn try_find<'a>(
        &self,
        id: &gix_hash::oid,
        buffer: &'a mut Vec<u8>,
    ) -> gix_error::Result<Option<gix_object::Data<'a>>> {
        let Ok(oid) = git2::Oid::from_bytes(id.as_bytes()) else {
            return Ok(None);
        };
        let Ok(odb) = self.0.odb() else {
            return Ok(None);
        };
        let Ok(object) = odb.read(oid) else {
            return Ok(None);
        };
        let kind = match object.kind() {
            ObjectType::Commit => gix_object::Kind::Commit,
            ObjectType::Tree => gix_object::Kind::Tree,
            ObjectType::Blob => gix_object::Kind::Blob,
            ObjectType::Tag => gix_object::Kind::Tag,
            _ => return Ok(None),
        };
        buffer.clear();
        buffer.extend_from_slice(object.data());
        Ok(Some(gix_object::Data {
            kind,
            object_hash: gix_hash::Kind::Sha1,
            data: buffer,
        }))
    }
}

/// Objects read from the stream and objects resolved, shared with the indexer's progress.
#[derive(Clone, Default)]
struct Counters {
    read: gix_progress::StepShared,
    resolved: gix_progress::StepShared,
}

impl Counters {
    /// Copies the counts into libgit2's progress.
    fn copy_to(&self, stats: &mut raw::git_indexer_progress) {
        let count = |step: &gix_progress::StepShared| {
            u32::try_from(step.load(Ordering::Relaxed)).unwrap_or(u32::MAX)
        };
        stats.received_objects = count(&self.read);
        stats.indexed_objects = count(&self.resolved);
    }
}

/// gix's progress reduced to the two counts libgit2's callback carries.
struct Tracker {
    id: gix_progress::Id,
    name: String,
    counters: Counters,
    step: gix_progress::StepShared,
}

impl Tracker {
    fn root(counters: Counters) -> Self {
        Self::child(counters, String::new(), gix_progress::UNKNOWN)
    }

    /// A child counting into the shared counter its id names, or into its own.
    fn child(counters: Counters, name: String, id: gix_progress::Id) -> Self {
        let step = match &id {
            b"IWIO" => Arc::clone(&counters.read),
            b"IWRO" => Arc::clone(&counters.resolved),
            _ => Arc::new(AtomicUsize::new(0)),
        };
        Self {
            id,
            name,
            counters,
            step,
        }
    }
}

impl Count for Tracker {
    fn set(&self, step: gix_progress::Step) {
        self.step.store(step, Ordering::Relaxed);
    }

    fn step(&self) -> gix_progress::Step {
        self.step.load(Ordering::Relaxed)
    }

    fn inc_by(&self, step: gix_progress::Step) {
        self.step.fetch_add(step, Ordering::Relaxed);
    }

    fn counter(&self) -> gix_progress::StepShared {
        Arc::clone(&self.step)
    }
}

impl gix_progress::Progress for Tracker {
    fn init(&mut self, _max: Option<gix_progress::Step>, _unit: Option<gix_progress::Unit>) {}

    fn set_name(&mut self, name: String) {
        self.name = name;
    }

    fn name(&self) -> Option<String> {
        Some(self.name.clone())
    }

    fn id(&self) -> gix_progress::Id {
        self.id
    }

    fn message(&self, _level: gix_progress::MessageLevel, _message: String) {}
}

impl NestedProgress for Tracker {
    type SubProgress = Self;

    fn add_child(&mut self, name: impl Into<String>) -> Self {
        Self::child(self.counters.clone(), name.into(), gix_progress::UNKNOWN)
    }

    fn add_child_with_id(&mut self, name: impl Into<String>, id: gix_progress::Id) -> Self {
        Self::child(self.counters.clone(), name.into(), id)
    }
}
