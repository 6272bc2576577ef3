//! The received pack and its index written into `objects/pack`. This is what gix-pack's
//! `Bundle::write_to_directory` does, step for step, with one difference: deltas are resolved
//! through a [`ReleasingMap`], so reading the whole pack back does not leave the whole pack
//! resident in this process (gix maps it once and keeps every page it touched).
#![deny(unsafe_code)]

use std::{
    fs,
    io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, Ordering},
    },
};

use gix_pack::data::{
    self, EntryRange,
    input::{
        BytesToEntriesIter, EntriesToBytesIter, Entry, EntryDataMode, LookupRefDeltaObjectsIter,
    },
};
use gix_utils::progress::prodash::DynNestedProgress;
use tempfile::NamedTempFile;

use super::releasing_map::{self, ReleasingMap};

/// How gix-pack is asked to index: threads and the largest buffer it may allocate.
pub(super) struct Limits {
    /// Threads resolving deltas (`None`: one per core).
    pub threads: Option<usize>,
    /// The largest object or delta buffer; a remote claiming more is refused.
    pub largest_object: usize,
}

/// What landed in `objects/pack`.
pub(super) struct Written {
    /// Objects in the pack (zero for an empty pack, which writes nothing).
    pub objects: u32,
    /// The `.keep` file holding the new pack until refs point into it, when this write made one.
    pub keep: Option<PathBuf>,
}

/// Why a pack did not land.
#[derive(Debug, thiserror::Error)]
pub(super) enum WriteError {
    /// The stream is not a whole, well-formed pack (or it was interrupted).
    #[error("the pack from the remote is damaged: {0}")]
    Damaged(String),
    /// The pack or its index could not be written here.
    #[error("the pack could not be stored: {0}")]
    Storage(#[from] io::Error),
}

/// Reads the pack from `pack`, writes it and its index into `pack_dir` and returns what
/// landed. With `bases`, a thin pack's deltas against objects already here are completed
/// from them (the pack written then holds those bases too). Nothing is left behind when it
/// fails: the temporary files are removed.
///
/// # Errors
/// The pack is damaged, `interrupt` was set, or the files cannot be written.
pub(super) fn write_pack(
    pack: impl Read,
    pack_dir: &Path,
    progress: &mut dyn DynNestedProgress,
    interrupt: &AtomicBool,
    bases: Option<impl gix_object::Find>,
    limits: &Limits,
) -> Result<Written, WriteError> {
    fs::create_dir_all(pack_dir)?;
    let pack_file = SharedFile::new(temporary_file(pack_dir)?);
    let pack = Interruptible {
        inner: pack,
        interrupt,
    };
    let damaged = |e: gix_error::Error| WriteError::Damaged(causes(&e));
    let (mut entries, version): (Box<dyn Iterator<Item = gix_error::Result<Entry>>>, _) =
        match bases {
            Some(bases) => {
                let parsed = BytesToEntriesIter::new_from_header(
                    BufReader::new(pack),
                    data::input::Mode::Verify,
                    EntryDataMode::KeepAndCrc32,
                    gix_hash::Kind::Sha1,
                )
                .map_err(damaged)?;
                let version = parsed.version();
                let completed = LookupRefDeltaObjectsIter::new(
                    parsed,
                    bases,
                    gix_pack::bundle::write::Options::default().compression,
                );
                let written = EntriesToBytesIter::new(
                    completed,
                    pack_file.clone(),
                    version,
                    gix_hash::Kind::Sha1,
                );
                (Box::new(written), version)
            }
            None => {
                let copied = Copied {
                    reader: pack,
                    copy: pack_file.clone(),
                };
                let parsed = BytesToEntriesIter::new_from_header(
                    BufReader::new(copied),
                    data::input::Mode::Verify,
                    EntryDataMode::Crc32,
                    gix_hash::Kind::Sha1,
                )
                .map_err(damaged)?;
                let version = parsed.version();
                (Box::new(parsed), version)
            }
        };

    let index_file = temporary_file(pack_dir)?;
    let mut index = BufWriter::new(index_file.as_file());
    let outcome = gix_pack::index::write_data_iter_to_stream(
        gix_pack::index::Version::default(),
        || pack_file.map(),
        &mut entries,
        limits.threads,
        progress,
        &mut index,
        interrupt,
        gix_hash::Kind::Sha1,
        Some(limits.largest_object),
        version,
    )
    .map_err(damaged)?;
    index.flush()?;
    drop(index);
    drop(entries);
    if outcome.num_objects == 0 {
        return Ok(Written {
            objects: 0,
            keep: None,
        });
    }

    let pack_path = pack_dir.join(format!("pack-{}.pack", outcome.data_hash.to_hex()));
    let index_path = pack_path.with_extension("idx");
    let keep = if pack_path.is_file() {
        // The same pack is here already (and may be mapped): it is not replaced.
        None
    } else {
        let keep = create_keep_file(&pack_path)?;
        persist_read_only(pack_file.into_temporary()?, &pack_path)?;
        keep
    };
    if !index_path.is_file() {
        persist_read_only(index_file, &index_path)?;
    }
    Ok(Written {
        objects: outcome.num_objects,
        keep,
    })
}

/// A temporary file in `dir`, named as git names its own (`tmp_pack_…`), removed unless kept.
fn temporary_file(dir: &Path) -> io::Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix("tmp_pack_")
        .tempfile_in(dir)
}

/// Makes `file` read-only, as git leaves packs and indexes, and moves it to `path`.
fn persist_read_only(file: NamedTempFile, path: &Path) -> io::Result<()> {
    let mut permissions = file.as_file().metadata()?.permissions();
    permissions.set_readonly(true);
    fs::set_permissions(file.path(), permissions)?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `pack`'s `.keep` file, private as git makes it; `None` when one exists already (it belongs
/// to another write and is not ours to remove).
fn create_keep_file(pack: &Path) -> io::Result<Option<PathBuf>> {
    let keep = pack.with_extension("keep");
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&keep) {
        Ok(_) => Ok(Some(keep)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(None),
        Err(e) => Err(e),
    }
}

/// `error` and its causes, one sentence each, joined by ": ".
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut said: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(error) = next {
        let text = error.to_string();
        if !said.contains(&text) {
            said.push(text);
        }
        next = error.source();
    }
    said.join(": ")
}

/// The temporary pack file, written by the entry iterator and mapped once it has ended.
#[derive(Clone)]
struct SharedFile(Arc<Mutex<BufWriter<NamedTempFile>>>);

impl SharedFile {
    fn new(file: NamedTempFile) -> Self {
        Self(Arc::new(Mutex::new(BufWriter::with_capacity(
            64 * 1024,
            file,
        ))))
    }

    fn lock(&self) -> io::Result<MutexGuard<'_, BufWriter<NamedTempFile>>> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("the pack writer failed"))
    }

    /// The finished pack, flushed and mapped for resolving deltas, with the function that
    /// hands out one entry's bytes.
    #[allow(clippy::type_complexity)] // a named function type cannot be spelt out
    fn map(&self) -> io::Result<(fn(EntryRange, &ReleasingMap) -> Option<&[u8]>, ReleasingMap)> {
        let mut file = self.lock()?;
        file.flush()?;
        let map = ReleasingMap::open(file.get_ref().path())?;
        Ok((releasing_map::entry, map))
    }

    /// The temporary file itself, once the iterator that wrote it has been dropped.
    fn into_temporary(self) -> io::Result<NamedTempFile> {
        let writer = Arc::try_unwrap(self.0)
            .map_err(|_| io::Error::other("the pack is still being written"))?
            .into_inner()
            .map_err(|_| io::Error::other("the pack writer failed"))?;
        writer.into_inner().map_err(|e| e.into_error())
    }
}

impl Write for SharedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lock()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.lock()?.flush()
    }
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut file = self.lock()?;
        file.flush()?;
        file.get_mut().read(buf)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        self.lock()?.seek(position)
    }
}

/// A reader whose every byte read is also written to the pack file (a pack that needs no
/// completing is stored exactly as received).
struct Copied<R> {
    reader: R,
    copy: SharedFile,
}

impl<R: Read> Read for Copied<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.reader.read(buf)?;
        self.copy.write_all(&buf[..read])?;
        Ok(read)
    }
}

/// A reader that fails once `interrupt` is set (the transfer was stopped or abandoned).
struct Interruptible<'a, R> {
    inner: R,
    interrupt: &'a AtomicBool,
}

impl<R: Read> Read for Interruptible<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.interrupt.load(Ordering::Relaxed) {
            // Not `ErrorKind::Interrupted`: readers retry that one.
            return Err(io::Error::other("the transfer was stopped"));
        }
        self.inner.read(buf)
    }
}
