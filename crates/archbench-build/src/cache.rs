//! The content-addressed kernel cache, shared by every crate and build on the machine
//! (default `<archbench home>/kernel-cache`, `ARCHBENCH_KERNEL_CACHE` moves it).
//!
//! It works like ccache's direct mode. A unit's *key* hashes everything known before
//! compiling: nvcc's path and release, every flag (mode, base flags, target, `-I`, `-D`,
//! axis values, extra arguments), the source's path (relative to its crate) and bytes. The
//! key's *record* (`units/<name>-<key>.json`) lists the results compiled under it, each with
//! the dependencies nvcc reported (`-MD`) and their content hashes. A lookup hits when every
//! dependency of an entry still has its recorded content, so a header edit misses exactly
//! for the units that include it. Objects (`objects/`) are named by the key and the
//! dependency hashes together; assembled fatbins (`fatbins/`) by their `fatbinary` arguments,
//! which name the objects.
//!
//! Every file is written to a unique temporary name and renamed into place, so concurrent
//! builds (two crates, two cargo processes) never see a partial file. Two builds that update
//! one record at once may lose one entry: that costs a later miss, never a wrong hit. Results
//! whose dependencies changed while nvcc ran are used for that build but not recorded. Nothing
//! is evicted; delete the directory to reclaim space.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use crate::deps::{self, Dep, HashMemo};
use crate::error::BuildError;
use crate::hash::StableHasher;

/// The layout version: a directory of its own under the cache root.
const LAYOUT: &str = "archbench-build-1";
/// Results kept per key (different header contents under the same source and flags).
const ENTRIES_PER_KEY: usize = 8;

/// One compiled result under a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// Every file the compile read (besides the toolchain's), with its content hash.
    pub deps: Vec<Dep>,
    /// The object's file name under `objects/`.
    pub object: String,
    /// nvcc's wall time when it was compiled, seconds.
    pub seconds: f64,
    /// nvcc's stderr (the `-Xptxas -v` report for SASS).
    pub log: String,
    /// The kernels (`__global__` entries) in the object.
    pub kernels: Vec<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    entries: Vec<Entry>,
}

/// An open cache.
#[derive(Debug)]
pub(crate) struct Cache {
    dir: PathBuf,
    /// The crate root: relative dependency paths are relative to it.
    root: PathBuf,
    pub memo: HashMemo,
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

impl Cache {
    pub fn open(cache_root: &Path, crate_root: &Path) -> Result<Self, BuildError> {
        let dir = cache_root.join(LAYOUT);
        for sub in ["units", "objects", "fatbins"] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| BuildError::io(&d, e))?;
        }
        Ok(Self {
            dir,
            root: crate_root.to_path_buf(),
            memo: HashMemo::default(),
        })
    }

    /// A fresh temporary path next to `final_path` (same file system: the rename is atomic).
    pub fn tmp_for(final_path: &Path) -> PathBuf {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let mut name = final_path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(format!(".{}-{n}.tmp", std::process::id()));
        final_path.with_file_name(name)
    }

    fn record_path(&self, name: &str, key: &str) -> PathBuf {
        self.dir.join("units").join(format!("{name}-{key}.json"))
    }

    pub fn object_path(&self, object: &str) -> PathBuf {
        self.dir.join("objects").join(object)
    }

    pub fn fatbin_path(&self, name: &str, key: &str) -> PathBuf {
        self.dir
            .join("fatbins")
            .join(format!("{name}-{key}.fatbin"))
    }

    fn read_record(&self, path: &Path) -> Record {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// The first entry of `name`/`key` whose dependencies all still have their recorded
    /// content and whose object exists.
    pub fn lookup(&self, name: &str, key: &str) -> Option<Entry> {
        self.read_record(&self.record_path(name, key))
            .entries
            .into_iter()
            .find(|e| {
                self.object_path(&e.object).is_file()
                    && deps::still_valid(&e.deps, &self.root, &self.memo)
            })
    }

    /// The object file name for a result: the key and the dependency hashes together.
    pub fn object_name(name: &str, key: &str, deps: &[Dep], ext: &str) -> String {
        let mut h = StableHasher::new();
        h.field(key);
        for d in deps {
            h.field(&d.path).field(d.hash.as_deref().unwrap_or("-"));
        }
        format!("{name}-{}.{ext}", &h.hex()[..24])
    }

    /// Moves a freshly compiled object into place and records it under `name`/`key`.
    pub fn store(
        &self,
        name: &str,
        key: &str,
        tmp: &Path,
        entry: Entry,
    ) -> Result<PathBuf, BuildError> {
        let obj = self.object_path(&entry.object);
        std::fs::rename(tmp, &obj).map_err(|e| BuildError::io(&obj, e))?;
        let path = self.record_path(name, key);
        // Re-read: another build may have added entries since the lookup.
        let mut rec = self.read_record(&path);
        rec.entries.retain(|e| e.object != entry.object);
        rec.entries.insert(0, entry);
        rec.entries.truncate(ENTRIES_PER_KEY);
        let json = serde_json::to_vec_pretty(&rec).map_err(|e| BuildError::io(&path, e.into()))?;
        write_atomic(&path, &json)?;
        Ok(obj)
    }
}

/// Writes `bytes` to `path` through a unique temporary file and a rename, unsynced (a cache
/// that a crash may lose but never corrupts).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    archbench_core::fsio::AtomicWrite::new(path)
        .no_sync()
        .write(bytes)
        .map_err(|e| BuildError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_only_while_every_dependency_is_unchanged() {
        let base =
            std::env::temp_dir().join(format!("archbench-build-cache-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let crate_root = base.join("crate");
        std::fs::create_dir_all(&crate_root).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(crate_root.join("a.cuh"), "v1").unwrap_or_else(|e| panic!("{e}"));
        let cache =
            Cache::open(&base.join("cache"), &crate_root).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(cache.lookup("k", "key").is_none());
        let deps = vec![Dep {
            path: "a.cuh".into(),
            hash: cache.memo.hash(&crate_root, Path::new("a.cuh")),
        }];
        let object = Cache::object_name("k", "key", &deps, "ptx");
        let tmp = Cache::tmp_for(&cache.object_path(&object));
        std::fs::write(&tmp, "ptx").unwrap_or_else(|e| panic!("{e}"));
        let entry = Entry {
            deps,
            object,
            seconds: 1.0,
            log: String::new(),
            kernels: vec!["k".into()],
        };
        cache
            .store("k", "key", &tmp, entry.clone())
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(cache.lookup("k", "key"), Some(entry));
        std::fs::write(crate_root.join("a.cuh"), "v2").unwrap_or_else(|e| panic!("{e}"));
        cache.memo.clear();
        assert!(cache.lookup("k", "key").is_none());
        let _ = std::fs::remove_dir_all(&base);
    }
}
