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

/// The sled backend: one tree, with record kinds told apart by a key prefix, so that one
/// `sled::Batch` can cover every record of an article.
pub struct SledBackend {
    db: sled::Db,
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
        loop {
            match config.open().map_err(|e| open_error(path, e)) {
                Ok(db) => return Ok(SledBackend { db }),
                Err(StoreError::Locked { .. }) if tries < 5 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => return Err(e),
            }
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

/// Frees the node versions a batch of `writes` replaced.
///
/// sled copies a tree node on every write and frees the old copy through epoch-based
/// reclamation (crossbeam-epoch), which frees a few bags of 64 garbage objects per 128 pins of
/// an epoch guard, and `apply_batch` holds one guard for the whole batch. A group commit of
/// 100,000 writes with few reads between commits thus left hundreds of MB of old nodes waiting
/// (1 GB peak RSS on 5,000 articles). Each flush of a fresh guard advances the epoch and frees
/// up to 8 bags, so a few per 512 writes clear the backlog in well under a millisecond.
fn reclaim(writes: usize) {
    for _ in 0..(writes / 64 + 64) {
        sled::pin().flush();
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
        let writes = batch.ops.len();
        let mut b = sled::Batch::default();
        for (k, v) in batch.ops {
            match v {
                Some(v) => b.insert(k, v),
                None => b.remove(k),
            }
        }
        let result = self.db.apply_batch(b).map_err(write_err);
        reclaim(writes);
        result
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(write_err).map(|_| ())
    }

    fn size_on_disk(&self) -> Result<Option<u64>, StoreError> {
        self.db.size_on_disk().map(Some).map_err(backend_err)
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
