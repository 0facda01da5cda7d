//! The storage trait and its backends.
//!
//! The store needs very little from a key-value engine: point reads, ordered prefix scans, one
//! atomic multi-key write, and a durable flush. Keeping the trait this small (as Conduit does) is
//! what lets the sled backend be swapped for another engine without touching the rest.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::RwLock;

use super::StoreError;

/// A key and its value, as stored.
pub type Entry = (Vec<u8>, Vec<u8>);

/// Writes that must land together or not at all.
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl WriteBatch {
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push((key, Some(value)));
    }

    pub fn delete(&mut self, key: Vec<u8>) {
        self.ops.push((key, None));
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// An ordered key-value engine.
pub trait Backend: Send + Sync {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    fn contains(&self, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.get(key)?.is_some())
    }

    /// All entries whose key starts with `prefix`, in key order.
    fn scan_prefix<'a>(
        &'a self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, StoreError>> + 'a>;

    /// All entries whose key starts with `prefix`, in reverse key order.
    fn scan_prefix_rev<'a>(
        &'a self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, StoreError>> + 'a>;

    /// Applies every write of `batch` atomically: after a crash, either all of them are there
    /// or none is.
    fn apply(&self, batch: WriteBatch) -> Result<(), StoreError>;

    /// Makes every applied batch durable.
    fn flush(&self) -> Result<(), StoreError>;

    /// Bytes used on disk, when the engine knows.
    fn size_on_disk(&self) -> Result<Option<u64>, StoreError>;
}

/// The sled backend: one tree, with record kinds told apart by a key prefix, and a redo journal
/// beside it that makes each [`WriteBatch`] atomic.
///
/// # Why a journal, not `sled::Batch`
///
/// sled starts lock-free, but the first `apply_batch` or transaction of a process switches a
/// process-wide flag after which every read takes a global read lock and every batch the
/// write lock (sled 0.34's `concurrency_control`). Ingest reads cluster records on its staging
/// thread while its writer thread applies a commit group of ~100,000 writes, so every such
/// read waited for a whole group: about 60 waits of 38 ms per 8,000 AllSides articles. This
/// backend therefore never calls `apply_batch`, transactions or `Db::checksum` (the three
/// callers of sled's write lock), and gets atomicity from its own journal instead.
///
/// # The journal and why it is crash-safe
///
/// The file [`JOURNAL_FILE`] in the store directory holds every batch applied since the last
/// flush, one record each, numbered by that flush (its epoch) and checked by a CRC-32
/// ([`encode_record`]). [`Backend::apply`] appends the batch's record, `fsync`s it, and only
/// then inserts and removes its keys one by one. [`Backend::flush`] flushes sled and starts a
/// new epoch: the next record is written over the start of the file, the bytes after it are
/// left as they are. Readers in this process may see a batch half applied; ingest never reads
/// a key of the group it is writing (see `Store::staged_cluster`).
///
/// The argument assumes only that what was written before a `flush` or `fsync` that returned
/// is durable, not that sled recovers a prefix of what came after. After a crash, every batch
/// applied before the last flush that returned is durable. The batches applied since are
/// exactly the records of the current epoch from the start of the file, each whole and valid,
/// since its `fsync` returned before any of its writes was made; a record cut short by the
/// crash fails its CRC, and none of its batch was applied. [`SledBackend::open`] replays the
/// valid records of the first record's epoch in order, stopping at the first invalid one or
/// one of an older epoch (left over after a shorter record of a newer epoch), then flushes
/// and empties the journal. Replaying whole values in order gives every key the value of the
/// last batch that wrote it, whatever part of them had become durable: every batch is there
/// whole or not at all. (If the crash came before the first record of a new epoch reached
/// the disk, the records of the epoch before are replayed again: harmless, as nothing was
/// applied after them.)
///
/// A clean close (drop) empties the journal once everything is flushed, so that a later open,
/// or another program that writes to the sled files, never sees a stale record replayed.
pub struct SledBackend {
    db: sled::Db,
    journal: std::sync::Mutex<Journal>,
}

/// The journal file and where the next record goes.
struct Journal {
    path: std::path::PathBuf,
    /// Opened (and created) at the first batch, so that opening a store to read, or a
    /// directory that turns out not to be a store, writes nothing.
    file: Option<std::fs::File>,
    /// The number of flushes since the store was opened: the epoch of the records written
    /// now. The journal is emptied when a store is opened, so an epoch is never reused.
    epoch: u64,
    /// Where the next record of this epoch goes: after every record written since the last
    /// flush that returned.
    end: u64,
    /// The file holds records that a clean close should remove.
    dirty: bool,
    /// A batch failed half applied: its record is valid and durable, so the next open
    /// completes it, but until then this process sees it half done and must not write more.
    broken: bool,
}

/// The journal's file name in the store directory.
pub const JOURNAL_FILE: &str = "quotetrace-journal";

/// First bytes of a record: a name and a format version.
const JOURNAL_MAGIC: &[u8; 8] = b"QTJRNL02";
/// Magic, epoch (u64), payload length (u64), CRC-32 of epoch, length and payload (u32).
const JOURNAL_HEADER: usize = 8 + 8 + 8 + 4;

/// A batch as a journal record: header, then per write a tag (1 insert, 0 remove), the key's
/// length (u32) and bytes and, for an insert, the value's length (u32) and bytes.
fn encode_record(epoch: u64, ops: &[(Vec<u8>, Option<Vec<u8>>)]) -> Vec<u8> {
    let payload: usize = ops
        .iter()
        .map(|(k, v)| 5 + k.len() + v.as_ref().map_or(0, |v| 4 + v.len()))
        .sum();
    let mut out = Vec::with_capacity(JOURNAL_HEADER + payload);
    out.extend_from_slice(JOURNAL_MAGIC);
    out.extend_from_slice(&epoch.to_le_bytes());
    out.extend_from_slice(&(payload as u64).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    for (k, v) in ops {
        out.push(v.is_some() as u8);
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(k);
        if let Some(v) = v {
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
            out.extend_from_slice(v);
        }
    }
    let crc = journal_crc(&out[8..24], &out[JOURNAL_HEADER..]);
    out[24..28].copy_from_slice(&crc.to_le_bytes());
    out
}

fn journal_crc(header: &[u8], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(header);
    h.update(payload);
    h.finalize()
}

/// One write of a journal: a key and its new value, or `None` for a removal.
type JournalOp<'a> = (&'a [u8], Option<&'a [u8]>);

/// The record at the start of `bytes`: its epoch, its writes and its length, or `None` when
/// it is not one whole valid record (its write was cut short, or nothing was written there).
fn decode_record(bytes: &[u8]) -> Option<(u64, Vec<JournalOp<'_>>, usize)> {
    let header = bytes.get(..JOURNAL_HEADER)?;
    if &header[..8] != JOURNAL_MAGIC {
        return None;
    }
    let epoch = u64::from_le_bytes(header[8..16].try_into().ok()?);
    let len = usize::try_from(u64::from_le_bytes(header[16..24].try_into().ok()?)).ok()?;
    let end = JOURNAL_HEADER.checked_add(len)?;
    let payload = bytes.get(JOURNAL_HEADER..end)?;
    if journal_crc(&header[8..24], payload) != u32::from_le_bytes(header[24..28].try_into().ok()?) {
        return None;
    }
    fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        let (head, tail) = (rest.get(..n)?, rest.get(n..)?);
        *rest = tail;
        Some(head)
    }
    fn len_of(rest: &mut &[u8]) -> Option<usize> {
        Some(u32::from_le_bytes(take(rest, 4)?.try_into().ok()?) as usize)
    }
    let mut rest = payload;
    let mut ops = Vec::new();
    while !rest.is_empty() {
        let tag = take(&mut rest, 1)?[0];
        let n = len_of(&mut rest)?;
        let key = take(&mut rest, n)?;
        let value = match tag {
            1 => {
                let n = len_of(&mut rest)?;
                Some(take(&mut rest, n)?)
            }
            0 => None,
            _ => return None,
        };
        ops.push((key, value));
    }
    Some((epoch, ops, end))
}

/// The batches a journal holds, oldest first: the valid records of the first record's epoch,
/// up to the first record that is not.
fn journal_batches(bytes: &[u8]) -> Vec<Vec<JournalOp<'_>>> {
    let mut batches = Vec::new();
    let mut at = 0;
    let mut first = None;
    while let Some((epoch, ops, len)) = bytes.get(at..).and_then(decode_record) {
        if *first.get_or_insert(epoch) != epoch {
            break;
        }
        batches.push(ops);
        at += len;
    }
    batches
}

/// Cache size for sled. sled's default (1 GiB) alone would break the 500 MB peak-RSS budget.
/// Ingest reads back clusters it no longer keeps in memory, and a commit rewrites tree nodes
/// all over the key space: with 32 MB, sled paged nodes out and read them back from disk
/// within the same ingest, and 128 MB took 15% off ingest's CPU on 8,000 AllSides articles
/// (34.1 s against 38.9 s user, `scripts/bench_store.sh`-style runs). 64 MB keeps most of
/// that within the memory budget.
const SLED_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// Log segment size for new stores (sled's default is 512 KiB).
const SEGMENT_BYTES: usize = 8 * 1024 * 1024;

/// Turns transparent huge pages off for this process (Linux), once.
///
/// On hosts whose THP setting is `always` (this one's), the kernel backs the allocator's
/// 1 GiB arenas with 2 MB pages as soon as they are touched, so memory that ingest frees and
/// reuses in small pieces (sled's tree nodes, the session's hash tables) stays resident in
/// whole huge pages: 352 MB against 287 MB peak RSS on 8,000 AllSides articles with
/// `MIMALLOC_ALLOW_THP=0`, at the same CPU time. mimalloc reads that option only when it
/// starts, before `main`, so the process flag it would set is set here instead, when a store
/// is opened and before the bulk of its memory is allocated. It only changes which page size
/// later allocations get; failure (another OS, an old kernel) leaves things as they were.
fn prefer_small_pages() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(target_os = "linux")]
        // SAFETY: PR_SET_THP_DISABLE takes one integer argument and only sets a flag of the
        // calling process.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    });
}

impl SledBackend {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        prefer_small_pages();
        if path.exists() && !path.is_dir() {
            return Err(StoreError::NotAStore {
                path: path.to_owned(),
                reason: "it is a file, not a store directory".into(),
            });
        }
        let mut config = sled::Config::new()
            .path(path)
            .cache_capacity(SLED_CACHE_BYTES)
            // Durability comes from our explicit flush per commit group, not from a timer.
            .flush_every_ms(None);
        // Opening reads the header of every log segment: with sled's default 512 KiB segments
        // that is thousands of reads for a store of a GB. sled refuses to open a store with
        // another segment size than it was created with, so an existing store keeps its own.
        config = config.segment_size(stored_segment_size(path).unwrap_or(SEGMENT_BYTES));
        // A store closed a moment ago in this process may hold its lock until sled's
        // background threads wind down, so a lock conflict is retried briefly before it is
        // reported.
        let mut tries = 0;
        let db = loop {
            match config.open().map_err(|e| open_error(path, e)) {
                Ok(db) => break db,
                Err(StoreError::Locked { .. }) if tries < 5 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => return Err(e),
            }
        };
        let journal = recover(&db, &path.join(JOURNAL_FILE))?;
        Ok(SledBackend {
            db,
            journal: std::sync::Mutex::new(journal),
        })
    }

    fn journal(&self) -> std::sync::MutexGuard<'_, Journal> {
        // The state stays consistent even if a holder panicked: every field is set before the
        // step it describes.
        self.journal.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Completes the batches of the journal (see [`SledBackend`]) and empties it.
fn recover(db: &sled::Db, path: &Path) -> Result<Journal, StoreError> {
    let io = |source| StoreError::Io {
        path: path.to_owned(),
        source,
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(e)),
    };
    let mut journal = Journal {
        path: path.to_owned(),
        file: None,
        epoch: 0,
        end: 0,
        dirty: false,
        broken: false,
    };
    if bytes.is_empty() {
        return Ok(journal);
    }
    let batches = journal_batches(&bytes);
    if !batches.is_empty() {
        for (k, v) in batches.into_iter().flatten() {
            match v {
                Some(v) => db.insert(k, v).map(drop),
                None => db.remove(k).map(drop),
            }
            .map_err(write_err)?;
        }
        db.flush().map_err(write_err)?;
    }
    // Emptied only now: a crash before the flush above returned must find the journal again.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io)?;
    file.set_len(0)
        .and_then(|()| file.sync_data())
        .map_err(io)?;
    journal.file = Some(file);
    Ok(journal)
}

impl Journal {
    /// Appends the record of a batch to the current epoch, durably.
    fn append(&mut self, ops: &[(Vec<u8>, Option<Vec<u8>>)]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let file = match &mut self.file {
            Some(f) => f,
            None => {
                let f = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&self.path)?;
                // The file's name must be durable too, or a crash could lose the record of a
                // batch that is half applied.
                if let Some(dir) = self.path.parent() {
                    std::fs::File::open(dir)?.sync_all()?;
                }
                self.file.insert(f)
            }
        };
        let record = encode_record(self.epoch, ops);
        self.dirty = true;
        // The file is not truncated at a new epoch: the records say where they end, and
        // keeping its blocks saves the file system freeing and allocating them every time.
        file.write_all_at(&record, self.end)?;
        file.sync_data()?;
        self.end += record.len() as u64;
        Ok(())
    }
}

impl Drop for SledBackend {
    /// Empties the journal on a clean close, once its batches are durable (see
    /// [`SledBackend`]).
    fn drop(&mut self) {
        let j = self.journal.get_mut().unwrap_or_else(|e| e.into_inner());
        if j.broken || !j.dirty {
            return;
        }
        if j.end > 0 && self.db.flush().is_err() {
            return;
        }
        if let Some(f) = &j.file {
            let _ = f.set_len(0).and_then(|()| f.sync_data());
        }
    }
}

/// The segment size an existing sled store was created with (sled's `conf` file).
fn stored_segment_size(path: &Path) -> Option<usize> {
    // The file ends in a binary checksum, so it is not valid UTF-8 as a whole.
    let conf = std::fs::read(path.join("conf")).ok()?;
    String::from_utf8_lossy(&conf)
        .lines()
        .find_map(|l| l.strip_prefix("segment_size:"))
        .and_then(|v| v.trim().parse().ok())
}

/// sled reports a store held by another process as an I/O error about its lock file.
fn open_error(path: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(io)
            if io.kind() == std::io::ErrorKind::WouldBlock || io.to_string().contains("lock") =>
        {
            StoreError::Locked {
                path: path.to_owned(),
            }
        }
        sled::Error::Io(io) => StoreError::Io {
            path: path.to_owned(),
            source: io,
        },
        sled::Error::Corruption { .. } => StoreError::Corrupt(format!("{}: {e}", path.display())),
        other => StoreError::Backend(other.to_string()),
    }
}

/// An error of a write or flush: an I/O error there (a full disk, a read-only file system) is
/// reported as such, since the caller must tell the user nothing of the batch was stored.
fn write_err(e: sled::Error) -> StoreError {
    match e {
        sled::Error::Io(io) => StoreError::Write(io),
        other => backend_err(other),
    }
}

fn backend_err(e: sled::Error) -> StoreError {
    match e {
        sled::Error::Corruption { .. } => StoreError::Corrupt(e.to_string()),
        other => StoreError::Backend(other.to_string()),
    }
}

impl Backend for SledBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(key).map_err(backend_err)?.map(|v| v.to_vec()))
    }

    fn contains(&self, key: &[u8]) -> Result<bool, StoreError> {
        self.db.contains_key(key).map_err(backend_err)
    }

    fn scan_prefix<'a>(
        &'a self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, StoreError>> + 'a> {
        Box::new(self.db.scan_prefix(prefix).map(|r| {
            r.map(|(k, v)| (k.to_vec(), v.to_vec()))
                .map_err(backend_err)
        }))
    }

    fn scan_prefix_rev<'a>(
        &'a self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, StoreError>> + 'a> {
        Box::new(self.db.scan_prefix(prefix).rev().map(|r| {
            r.map(|(k, v)| (k.to_vec(), v.to_vec()))
                .map_err(backend_err)
        }))
    }

    fn apply(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let mut j = self.journal();
        if j.broken {
            return Err(StoreError::Backend(
                "an earlier write to the store failed halfway; open the store again to complete it"
                    .into(),
            ));
        }
        if batch.ops.is_empty() {
            return Ok(());
        }
        j.append(&batch.ops).map_err(StoreError::Write)?;
        for (k, v) in batch.ops {
            let applied = match v {
                Some(v) => self.db.insert(k, v).map(drop),
                None => self.db.remove(k).map(drop),
            };
            if let Err(e) = applied {
                j.broken = true;
                return Err(write_err(e));
            }
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        // Held throughout, so that no batch is applied between sled's flush and the new epoch
        // (its record would be overwritten while it is not durable).
        let mut j = self.journal();
        self.db.flush().map_err(write_err)?;
        if j.end > 0 {
            j.epoch += 1;
            j.end = 0;
        }
        Ok(())
    }

    fn size_on_disk(&self) -> Result<Option<u64>, StoreError> {
        let journal = std::fs::metadata(&self.journal().path).map_or(0, |m| m.len());
        let db = self.db.size_on_disk().map_err(backend_err)?;
        Ok(Some(db + journal))
    }
}

/// An in-memory backend: nothing survives the process. It backs `Store::in_memory`, which
/// library users can use for one-shot analyses, and it shows that the trait is enough.
#[derive(Default)]
pub struct MemBackend {
    map: RwLock<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl Backend for MemBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.map.read().expect("poisoned").get(key).cloned())
    }

    fn scan_prefix<'a>(
        &'a self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, StoreError>> + 'a> {
        // Collected up front: holding the read lock inside a lazy iterator would block writers.
        let map = self.map.read().expect("poisoned");
        let items: Vec<_> = map
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| Ok((k.clone(), v.clone())))
            .collect();
        Box::new(items.into_iter())
    }

    fn scan_prefix_rev<'a>(
        &'a self,
        prefix: &[u8],
    ) -> Box<dyn Iterator<Item = Result<Entry, StoreError>> + 'a> {
        let items: Vec<_> = self.scan_prefix(prefix).collect();
        Box::new(items.into_iter().rev())
    }

    fn apply(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let mut map = self.map.write().expect("poisoned");
        for (k, v) in batch.ops {
            match v {
                Some(v) => map.insert(k, v),
                None => map.remove(&k),
            };
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn size_on_disk(&self) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(b: &dyn Backend) {
        let mut batch = WriteBatch::default();
        batch.put(b"a1".to_vec(), b"x".to_vec());
        batch.put(b"a2".to_vec(), b"y".to_vec());
        batch.put(b"b1".to_vec(), b"z".to_vec());
        b.apply(batch).unwrap();
        let got: Vec<_> = b.scan_prefix(b"a").map(|r| r.unwrap().0).collect();
        assert_eq!(got, vec![b"a1".to_vec(), b"a2".to_vec()]);
        let rev: Vec<_> = b.scan_prefix_rev(b"a").map(|r| r.unwrap().0).collect();
        assert_eq!(rev, vec![b"a2".to_vec(), b"a1".to_vec()]);
        let mut batch = WriteBatch::default();
        batch.delete(b"a1".to_vec());
        b.apply(batch).unwrap();
        assert!(!b.contains(b"a1").unwrap());
        assert_eq!(b.get(b"b1").unwrap().as_deref(), Some(&b"z"[..]));
        b.flush().unwrap();
    }

    #[test]
    fn mem_backend_scans_and_batches() {
        exercise(&MemBackend::default());
    }

    #[test]
    fn sled_backend_scans_and_batches() {
        let dir = tempfile::tempdir().unwrap();
        exercise(&SledBackend::open(&dir.path().join("db")).unwrap());
    }

    type Ops = Vec<(Vec<u8>, Option<Vec<u8>>)>;

    /// Leaves `bytes` as the journal of the closed store at `path`, as a crash after (or, cut
    /// short, during) the journal writes of `apply` leaves it, none of the batches applied.
    fn crash_with_journal(path: &Path, bytes: &[u8]) {
        std::fs::write(path.join(JOURNAL_FILE), bytes).unwrap();
    }

    fn put(k: &str, v: &str) -> (Vec<u8>, Option<Vec<u8>>) {
        (k.as_bytes().to_vec(), Some(v.as_bytes().to_vec()))
    }

    /// Two batches of one epoch: the second overwrites a key of the first.
    fn two_batches() -> (Ops, Ops) {
        (
            vec![
                put("k1", "first"),
                (b"k2".to_vec(), None),
                (b"k3".to_vec(), Some(vec![7; 10_000])),
            ],
            vec![put("k1", "second"), put("k4", "second")],
        )
    }

    /// A closed store holding k1 and k2 = "old".
    fn seeded(path: &Path) {
        let b = SledBackend::open(path).unwrap();
        let mut batch = WriteBatch::default();
        batch.put(b"k1".to_vec(), b"old".to_vec());
        batch.put(b"k2".to_vec(), b"old".to_vec());
        b.apply(batch).unwrap();
        b.flush().unwrap();
    }

    fn value(b: &SledBackend, key: &str) -> Option<String> {
        b.get(key.as_bytes())
            .unwrap()
            .map(|v| String::from_utf8_lossy(&v).into_owned())
    }

    #[test]
    fn complete_records_are_replayed_in_order_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        seeded(&path);
        let (first, second) = two_batches();
        let mut bytes = encode_record(3, &first);
        bytes.extend(encode_record(3, &second));
        crash_with_journal(&path, &bytes);
        let b = SledBackend::open(&path).unwrap();
        assert_eq!(value(&b, "k1").as_deref(), Some("second"));
        assert_eq!(value(&b, "k2"), None);
        assert_eq!(b.get(b"k3").unwrap(), Some(vec![7; 10_000]));
        assert_eq!(value(&b, "k4").as_deref(), Some("second"));
        // Replayed once: emptied as soon as the replay is durable.
        assert_eq!(std::fs::metadata(path.join(JOURNAL_FILE)).unwrap().len(), 0);
    }

    #[test]
    fn a_record_cut_short_is_discarded() {
        let (first, second) = two_batches();
        let one = encode_record(0, &first).len();
        let mut whole = encode_record(0, &first);
        whole.extend(encode_record(0, &second));
        let cuts = [
            0,
            5,
            JOURNAL_HEADER,
            one / 2,
            one - 1,
            one,
            one + 3,
            whole.len() - 1,
        ];
        for keep in cuts {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("db");
            seeded(&path);
            crash_with_journal(&path, &whole[..keep]);
            let b = SledBackend::open(&path).unwrap();
            if keep < one {
                // Not even the first record is whole: nothing was applied.
                assert_eq!(value(&b, "k1").as_deref(), Some("old"), "{keep}");
                assert_eq!(value(&b, "k2").as_deref(), Some("old"), "{keep}");
                assert!(!b.contains(b"k3").unwrap(), "{keep}");
            } else {
                assert_eq!(value(&b, "k1").as_deref(), Some("first"), "{keep}");
                assert_eq!(value(&b, "k2"), None, "{keep}");
            }
            assert_eq!(value(&b, "k4"), None, "{keep}");
        }
    }

    #[test]
    fn a_record_with_a_damaged_byte_is_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        seeded(&path);
        let mut bytes = encode_record(0, &two_batches().0);
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        crash_with_journal(&path, &bytes);
        let b = SledBackend::open(&path).unwrap();
        assert_eq!(value(&b, "k1").as_deref(), Some("old"));
        assert!(!b.contains(b"k3").unwrap());
    }

    #[test]
    fn records_of_an_older_epoch_after_the_current_ones_are_not_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        seeded(&path);
        let (first, second) = two_batches();
        // A flush ended epoch 4 after `first`; epoch 5's record `second` was written over
        // the start of the file, and `first` is still whole after it.
        let mut bytes = encode_record(5, &second);
        bytes.extend(encode_record(4, &first));
        crash_with_journal(&path, &bytes);
        let b = SledBackend::open(&path).unwrap();
        assert_eq!(value(&b, "k1").as_deref(), Some("second"));
        assert_eq!(value(&b, "k2").as_deref(), Some("old"));
        assert!(!b.contains(b"k3").unwrap());
    }

    #[test]
    fn the_journal_holds_the_batches_since_the_last_flush() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let b = SledBackend::open(&path).unwrap();
        let journal = || std::fs::read(path.join(JOURNAL_FILE)).unwrap();
        let (first, second) = two_batches();
        for ops in [&first, &second] {
            let mut batch = WriteBatch::default();
            for (k, v) in ops {
                match v {
                    Some(v) => batch.put(k.clone(), v.clone()),
                    None => batch.delete(k.clone()),
                }
            }
            b.apply(batch).unwrap();
        }
        let owned = |bytes: &[u8]| -> Vec<Ops> {
            journal_batches(bytes)
                .into_iter()
                .map(|b| {
                    b.into_iter()
                        .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
                        .collect()
                })
                .collect()
        };
        assert_eq!(owned(&journal()), vec![first.clone(), second.clone()]);
        b.flush().unwrap();
        let mut batch = WriteBatch::default();
        batch.put(b"k5".to_vec(), b"third".to_vec());
        b.apply(batch).unwrap();
        assert_eq!(owned(&journal()), vec![vec![put("k5", "third")]]);
        drop(b);
        assert_eq!(std::fs::metadata(path.join(JOURNAL_FILE)).unwrap().len(), 0);
        let b = SledBackend::open(&path).unwrap();
        assert_eq!(value(&b, "k1").as_deref(), Some("second"));
        assert_eq!(value(&b, "k5").as_deref(), Some("third"));
    }

    proptest::proptest! {
        /// A record reads back as the batch it was written from, and no strict prefix of it
        /// (a write cut short) reads as a record at all.
        #[test]
        fn records_round_trip_and_their_prefixes_are_not_records(
            ops in proptest::collection::vec(
                (
                    proptest::collection::vec(proptest::num::u8::ANY, 0..20),
                    proptest::option::of(proptest::collection::vec(proptest::num::u8::ANY, 0..40)),
                ),
                0..20,
            ),
            epoch in 0u64..1_000,
            cut in 0.0f64..1.0,
        ) {
            let bytes = encode_record(epoch, &ops);
            let (e, decoded, len) = decode_record(&bytes).unwrap();
            let expected: Vec<_> =
                ops.iter().map(|(k, v)| (&k[..], v.as_deref())).collect();
            proptest::prop_assert_eq!(e, epoch);
            proptest::prop_assert_eq!(len, bytes.len());
            proptest::prop_assert_eq!(decoded, expected);
            let keep = ((bytes.len() as f64) * cut) as usize;
            proptest::prop_assert!(decode_record(&bytes[..keep]).is_none());
        }
    }

    #[test]
    fn a_store_keeps_the_segment_size_it_was_created_with() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let db = sled::Config::new()
            .path(&path)
            .segment_size(512 * 1024)
            .open()
            .unwrap();
        db.insert(b"k", b"v").unwrap();
        db.flush().unwrap();
        drop(db);
        assert_eq!(stored_segment_size(&path), Some(512 * 1024));
        let b = SledBackend::open(&path).unwrap();
        assert_eq!(b.get(b"k").unwrap().as_deref(), Some(&b"v"[..]));
    }

    #[test]
    fn second_open_is_a_locked_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let _first = SledBackend::open(&path).unwrap();
        let e = SledBackend::open(&path).err().expect("second open refused");
        assert!(matches!(e, StoreError::Locked { .. }), "{e:?}");
    }
}
