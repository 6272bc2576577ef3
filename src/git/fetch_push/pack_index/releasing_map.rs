//! The received pack mapped read-only while its deltas are resolved, its pages released as
//! the reading goes. A mapped file's pages count as resident memory once touched, and
//! resolving touches every page of the pack: for git's own history, 314 MiB. Every
//! [`RELEASE_EVERY`] bytes handed out, the mapping's pages are dropped from this process's
//! page tables (`MADV_DONTNEED`); they stay in the page cache, so a page read again costs a
//! minor fault, not a disk read.

use std::{
    fs::File,
    io,
    path::Path,
    sync::atomic::{AtomicUsize, Ordering},
};

use gix_pack::data::EntryRange;
use memmap2::{Mmap, MmapOptions, UncheckedAdvice};

/// Bytes handed out between two releases: the most of the pack resident at once, give or take
/// what the resolving threads are reading at that moment.
pub const RELEASE_EVERY: usize = 32 << 20;

/// A pack file mapped read-only, released every [`RELEASE_EVERY`] bytes read.
pub struct ReleasingMap {
    map: Mmap,
    handed_out: AtomicUsize,
}

impl ReleasingMap {
    /// Maps the finished pack at `path`.
    ///
    /// # Errors
    /// The file cannot be opened or mapped.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        // SAFETY: the file is this process's own temporary pack, complete and flushed, and
        // nothing writes to it again (it is renamed read-only into place or removed); the
        // mapping is private and never written.
        let map = unsafe { MmapOptions::new().map_copy_read_only(&file)? };
        Ok(Self {
            map,
            handed_out: AtomicUsize::new(0),
        })
    }

    /// Drops the mapping's pages from the page tables.
    fn release(&self) {
        // SAFETY: `MADV_DONTNEED` on a private mapping discards its private copies of pages;
        // this one is never written, so it has none, and every page read afterwards is the
        // file's page again, byte for byte the same. Slices handed out earlier stay valid:
        // the mapping itself stays.
        let _ = unsafe { self.map.unchecked_advise(UncheckedAdvice::DontNeed) };
    }
}

/// The bytes of one pack entry (`None` when the range lies outside the pack), releasing the
/// pages read so far whenever another [`RELEASE_EVERY`] bytes have been handed out.
pub fn entry(range: EntryRange, pack: &ReleasingMap) -> Option<&[u8]> {
    let start = usize::try_from(range.start).ok()?;
    let end = usize::try_from(range.end).ok()?;
    let bytes = pack.map.get(start..end)?;
    let before = pack.handed_out.fetch_add(bytes.len(), Ordering::Relaxed);
    if before / RELEASE_EVERY != (before + bytes.len()) / RELEASE_EVERY {
        pack.release();
    }
    Some(bytes)
}
