//! Passage vectors for semantic search: a cache on disk keyed by model and text, so that a
//! passage is embedded once whatever happens to the index (a full rebuild, a crash, a
//! fallback generation), and the vector set of one index generation, searched exactly (a dot
//! product over unit vectors is their cosine).
//!
//! The cache is an append-only file per model: a header naming the model, then records of a
//! 16-byte key (xxh3-128 of the model's name and the text's key) and the vector's `f32`s. A
//! record cut short by a crash is dropped when the file is opened, and the file is truncated
//! to the last whole record. One process writes to it at a time (a lock file); the others
//! read it. A generation's vector set is not stored: it is gathered from the cache and the
//! keys the index holds, so it cannot disagree with the index.
//!
//! Search is exact up to [`EXACT_UP_TO`] vectors. Past that, each vector's signs (one bit a
//! number) are compared first, by Hamming distance, and the closest few hundred are scored
//! exactly: reading 48 bytes a vector instead of 1,536 keeps a search at 100,000 passages
//! within a couple of milliseconds.

use std::collections::HashMap;

use crate::engine::lease::Lease;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

const CACHE_MAGIC: &[u8; 8] = b"KQVCACH1";
/// No model has vectors this long; a header saying so is not ours.
const MAX_DIM: usize = 16_384;

/// The key of a text's vector for a model (its name and how it is told questions from
/// passages, say `multilingual-e5-small/input-type`), from the text's key
/// ([`super::embed::text_key`]).
pub fn key(model: &str, text_key: u64) -> u128 {
    let mut bytes = Vec::with_capacity(model.len() + 9);
    bytes.extend_from_slice(model.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(&text_key.to_le_bytes());
    xxhash_rust::xxh3::xxh3_128(&bytes)
}

/// Whether `name` is a cache file's name (`{16 hex digits}.vec`): what a writer shares, and
/// nothing a replica would write outside its vector directory.
pub fn is_cache_name(name: &str) -> bool {
    name.strip_suffix(".vec")
        .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// How many bytes of the cache file at `path` are its header and whole records: what can be
/// shared of it now (a record being written is left for later). 0 when it is no cache.
pub fn whole_len(path: &Path) -> io::Result<u64> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut head = [0u8; 16];
    if len < 16 || file.read_exact(&mut head).is_err() || &head[..8] != CACHE_MAGIC {
        return Ok(0);
    }
    let dim = u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as u64;
    let model = u32::from_le_bytes([head[12], head[13], head[14], head[15]]) as u64;
    if dim == 0 || dim as usize > MAX_DIM || len < 16 + model {
        return Ok(0);
    }
    let header = 16 + model;
    let record = 16 + 4 * dim;
    Ok(header + (len - header) / record * record)
}

/// Writes `bytes` at `offset` of the cache file `name` in `dir`, a copy of another machine's
/// file kept byte for byte: from 0 it starts the file anew, otherwise it appends when the file
/// holds exactly `offset` bytes, and says false when it does not (the copy went another way:
/// the caller starts it anew). Under the cache's lock, synced; an error when another process
/// is writing to the cache.
pub fn write_copy(dir: &Path, name: &str, offset: u64, bytes: &[u8]) -> io::Result<bool> {
    if !is_cache_name(name) {
        return Err(bad(dir, "not a vector cache's name"));
    }
    if offset == 0 && !bytes.starts_with(CACHE_MAGIC) {
        return Err(bad(
            dir,
            "a vector cache that does not start with its header",
        ));
    }
    fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let Some(_lock) = Lease::try_take(&path.with_extension("lock"))? else {
        return Err(io::Error::new(
            io::ErrorKind::WouldBlock,
            format!("{}: another kiosque is adding vectors", path.display()),
        ));
    };
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    let len = file.metadata()?.len();
    if offset == 0 {
        file.set_len(0)?;
    } else if len != offset {
        return Ok(false);
    }
    use std::io::Seek;
    file.seek(io::SeekFrom::Start(offset))?;
    file.write_all(bytes)?;
    file.sync_data()?;
    Ok(true)
}

/// The vectors a model gave, by key, kept on disk as they come.
pub struct VectorCache {
    path: PathBuf,
    dim: usize,
    vectors: HashMap<u128, Box<[f32]>>,
    /// None when another process holds the cache's lock: this one only reads it.
    out: Option<BufWriter<File>>,
    /// Held while open for writing: one writer at a time, across processes.
    _lock: Option<Lease>,
}

impl std::fmt::Debug for VectorCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorCache")
            .field("path", &self.path)
            .field("dim", &self.dim)
            .field("vectors", &self.vectors.len())
            .field("writable", &self.out.is_some())
            .finish()
    }
}

fn bad(path: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {why}", path.display()),
    )
}

impl VectorCache {
    /// The file of `model`'s cache in `dir`.
    fn path(dir: &Path, model: &str) -> PathBuf {
        dir.join(format!(
            "{:016x}.vec",
            xxhash_rust::xxh3::xxh3_64(model.as_bytes())
        ))
    }

    /// The dimension of `model`'s vectors cached in `dir`, when there is such a cache.
    pub fn stored_dim(dir: &Path, model: &str) -> Option<usize> {
        let mut head = [0u8; 16];
        let mut file = File::open(Self::path(dir, model)).ok()?;
        file.read_exact(&mut head).ok()?;
        if &head[..8] != CACHE_MAGIC {
            return None;
        }
        let dim = u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize;
        (dim > 0 && dim <= MAX_DIM).then_some(dim)
    }

    /// Opens (or creates) the cache of `model` in `dir`, for vectors of `dim` numbers. A
    /// cache of another model or dimension under the same name is started afresh. When
    /// another process is writing to it, it is opened to read only ([`VectorCache::writable`]).
    pub fn open(dir: &Path, model: &str, dim: usize) -> io::Result<VectorCache> {
        if dim == 0 || dim > MAX_DIM {
            return Err(bad(dir, "a vector dimension no model has"));
        }
        fs::create_dir_all(dir)?;
        let path = Self::path(dir, model);
        let lock = Lease::try_take(&path.with_extension("lock"))?;
        let header = {
            let mut h = CACHE_MAGIC.to_vec();
            h.extend_from_slice(&(dim as u32).to_le_bytes());
            h.extend_from_slice(&(model.len() as u32).to_le_bytes());
            h.extend_from_slice(model.as_bytes());
            h
        };
        let mut vectors = HashMap::new();
        let record = 16 + 4 * dim;
        let mut keep = header.len() as u64;
        match fs::read(&path) {
            Ok(bytes) if bytes.starts_with(&header) => {
                let body = &bytes[header.len()..];
                for chunk in body.chunks_exact(record) {
                    let (k, v) = chunk.split_at(16);
                    let mut key = [0u8; 16];
                    key.copy_from_slice(k);
                    let v: Box<[f32]> = v
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect();
                    vectors.insert(u128::from_le_bytes(key), v);
                }
                keep += (body.len() / record * record) as u64;
            }
            Ok(_) => {
                if lock.is_some() {
                    tracing::info!(
                        "{} is another model's cache: starting it anew",
                        path.display()
                    );
                }
                keep = 0;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => keep = 0,
            Err(e) => return Err(e),
        }
        let out = match &lock {
            None => None,
            Some(_) => {
                let file = OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .read(true)
                    .write(true)
                    .open(&path)?;
                // drop a record cut short by a crash (or everything, for another model's file)
                file.set_len(keep)?;
                let mut out = BufWriter::new(file);
                if keep == 0 {
                    out.write_all(&header)?;
                    out.flush()?;
                }
                use std::io::Seek;
                out.get_mut().seek(io::SeekFrom::End(0))?;
                Some(out)
            }
        };
        Ok(VectorCache {
            path,
            dim,
            vectors,
            out,
            _lock: lock,
        })
    }

    /// Whether this process may add vectors (no other one is writing to the cache).
    pub fn writable(&self) -> bool {
        self.out.is_some()
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    pub fn get(&self, key: u128) -> Option<&[f32]> {
        self.vectors.get(&key).map(|v| &v[..])
    }

    /// Keeps a vector (written at the next [`VectorCache::flush`]).
    pub fn put(&mut self, key: u128, vector: &[f32]) -> io::Result<()> {
        if vector.len() != self.dim {
            return Err(bad(&self.path, "a vector of another dimension"));
        }
        if self.vectors.contains_key(&key) {
            return Ok(());
        }
        let Some(out) = self.out.as_mut() else {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{}: another kiosque is adding vectors", self.path.display()),
            ));
        };
        out.write_all(&key.to_le_bytes())?;
        for x in vector {
            out.write_all(&x.to_le_bytes())?;
        }
        self.vectors.insert(key, vector.into());
        Ok(())
    }

    /// Writes what was put to disk, and syncs it.
    pub fn flush(&mut self) -> io::Result<()> {
        match self.out.as_mut() {
            Some(out) => {
                out.flush()?;
                out.get_ref().sync_data()
            }
            None => Ok(()),
        }
    }
}

/// The vectors of one generation's passages, each with the passage's key, searched exactly.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VectorSet {
    dim: usize,
    keys: Vec<u64>,
    /// Unit vectors, one after the other.
    data: Vec<f32>,
    /// Each vector's signs, [`VectorSet::words`] `u64`s a vector.
    signs: Vec<u64>,
}

/// Sets up to this size are searched exactly.
pub const EXACT_UP_TO: usize = 20_000;
/// Past it, the vectors closest by their signs scored exactly: this many times the number
/// asked for, and at least [`MIN_RESCORED`].
const RESCORE_FACTOR: usize = 10;
const MIN_RESCORED: usize = 400;

/// The signs of `v`, one bit a number.
fn signs(v: &[f32], out: &mut Vec<u64>) {
    for chunk in v.chunks(64) {
        let mut word = 0u64;
        for (i, x) in chunk.iter().enumerate() {
            if *x > 0.0 {
                word |= 1 << i;
            }
        }
        out.push(word);
    }
}

impl VectorSet {
    pub fn new(dim: usize) -> VectorSet {
        VectorSet {
            dim,
            keys: vec![],
            data: vec![],
            signs: vec![],
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Adds a passage's unit vector; a vector of another dimension is refused.
    pub fn push(&mut self, passage: u64, vector: &[f32]) -> bool {
        if vector.len() != self.dim {
            return false;
        }
        self.keys.push(passage);
        self.data.extend_from_slice(vector);
        signs(vector, &mut self.signs);
        true
    }

    fn words(&self) -> usize {
        self.dim.div_ceil(64)
    }

    /// The `k` passages closest to a unit `query`, closest first: (passage key, cosine).
    pub fn search(&self, query: &[f32], k: usize) -> Vec<(u64, f32)> {
        if query.len() != self.dim || k == 0 || self.dim == 0 {
            return vec![];
        }
        if self.len() <= EXACT_UP_TO {
            return self.best(query, k, 0..self.len());
        }
        // the closest by their signs, then those scored exactly
        let words = self.words();
        let mut q = Vec::with_capacity(words);
        signs(query, &mut q);
        let mut by_signs: Vec<(u32, u32)> = self
            .signs
            .chunks_exact(words)
            .enumerate()
            .map(|(i, s)| {
                let d: u32 = s.iter().zip(&q).map(|(a, b)| (a ^ b).count_ones()).sum();
                (d, i as u32)
            })
            .collect();
        let keep = (k * RESCORE_FACTOR).max(MIN_RESCORED).min(by_signs.len());
        if keep < by_signs.len() {
            by_signs.select_nth_unstable(keep);
            by_signs.truncate(keep);
        }
        self.best(query, k, by_signs.into_iter().map(|(_, i)| i as usize))
    }

    /// The `k` best of the vectors at `candidates`, scored exactly, best first.
    fn best(
        &self,
        query: &[f32],
        k: usize,
        candidates: impl Iterator<Item = usize>,
    ) -> Vec<(u64, f32)> {
        // the k best so far, kept sorted, worst last: k is small
        let mut best: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
        for i in candidates {
            let s = dot(query, &self.data[i * self.dim..(i + 1) * self.dim]);
            if best.len() < k || s > best[best.len() - 1].0 {
                let at = best.partition_point(|b| b.0 >= s);
                best.insert(at, (s, i));
                best.truncate(k);
            }
        }
        best.into_iter().map(|(s, i)| (self.keys[i], s)).collect()
    }
}

/// The dot product, in eight lanes so the compiler vectorises it.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for ((l, p), q) in lanes.iter_mut().zip(x).zip(y) {
            *l += p * q;
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

/// A made-up unit vector of `dim` numbers, the same for the same seed: for tests and the
/// benchmark.
pub fn made_up(seed: u64, dim: usize) -> Vec<f32> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let v: Vec<f32> = (0..dim)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 2000) as f32 / 1000.0 - 1.0
        })
        .collect();
    // xorshift never yields all zeros from a non-zero state: the vector has a length
    super::embed::normalized(v).unwrap_or_default()
}

/// For `kiosque bench`: the median time, in milliseconds, of a search for the 50 closest
/// among `n` made-up unit vectors.
pub fn bench_vector_search(n: u64, dim: usize) -> f64 {
    let mut set = VectorSet::new(dim);
    for i in 0..n {
        set.push(i, &made_up(i, dim));
    }
    let queries: Vec<Vec<f32>> = (0..30).map(|q| made_up(n + q, dim)).collect();
    let mut times: Vec<f64> = queries
        .iter()
        .map(|q| {
            let t = std::time::Instant::now();
            std::hint::black_box(set.search(q, 50));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_vectors_across_opens_and_survives_a_torn_record() {
        let dir = tempfile::tempdir().unwrap();
        let (k1, k2) = (
            key(
                "m/e5",
                crate::engine::meaning::embed::text_key("un passage"),
            ),
            key("m/e5", crate::engine::meaning::embed::text_key("un autre")),
        );
        assert_ne!(
            k1,
            key(
                "other/e5",
                crate::engine::meaning::embed::text_key("un passage")
            ),
            "the model is in the key"
        );
        {
            let mut c = VectorCache::open(dir.path(), "m/e5", 4).unwrap();
            c.put(k1, &[1.0, 0.0, 0.0, 0.0]).unwrap();
            c.put(k2, &[0.0, 1.0, 0.0, 0.0]).unwrap();
            assert!(c.put(k2, &[1.0]).is_err() || c.len() == 2);
            assert!(c
                .put(
                    key("m/e5", crate::engine::meaning::embed::text_key("x")),
                    &[1.0, 2.0]
                )
                .is_err());
            c.flush().unwrap();
        }
        // a crash in the middle of a record
        let file = fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut f = OpenOptions::new().append(true).open(&file).unwrap();
        f.write_all(&[7u8; 21]).unwrap();
        drop(f);
        let mut c = VectorCache::open(dir.path(), "m/e5", 4).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(k2), Some(&[0.0, 1.0, 0.0, 0.0][..]));
        c.put(
            key("m/e5", crate::engine::meaning::embed::text_key("trois")),
            &[0.0, 0.0, 1.0, 0.0],
        )
        .unwrap();
        c.flush().unwrap();
        assert_eq!(VectorCache::open(dir.path(), "m/e5", 4).unwrap().len(), 3);
        // another dimension under the same model starts afresh
        assert_eq!(VectorCache::open(dir.path(), "m/e5", 8).unwrap().len(), 0);
    }

    #[test]
    fn a_copy_made_of_shared_whole_records_reads_like_the_original() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut cache = VectorCache::open(a.path(), "m", 4).unwrap();
        cache.put(1, &[1.0, 0.0, 0.0, 0.0]).unwrap();
        cache.flush().unwrap();
        let path = VectorCache::path(a.path(), "m");
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        assert!(is_cache_name(&name));
        // a record cut short is not shared yet
        let whole = whole_len(&path).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(&[7; 5])
            .unwrap();
        assert_eq!(whole_len(&path).unwrap(), whole);
        let bytes = std::fs::read(&path).unwrap();
        assert!(write_copy(b.path(), &name, 0, &bytes[..whole as usize]).unwrap());
        cache.put(2, &[0.0, 1.0, 0.0, 0.0]).unwrap();
        cache.flush().unwrap();
        drop(cache);
        // the original rewrote its torn record when it opened for writing: share from there
        let bytes = std::fs::read(&path).unwrap();
        let now = whole_len(&path).unwrap();
        assert!(!write_copy(b.path(), &name, whole + 1, &bytes[whole as usize..]).unwrap());
        assert!(write_copy(b.path(), &name, whole, &bytes[whole as usize..now as usize]).unwrap());
        let copy = VectorCache::open(b.path(), "m", 4).unwrap();
        assert_eq!(copy.len(), 2);
        assert_eq!(copy.get(2), Some(&[0.0, 1.0, 0.0, 0.0][..]));
        // names from elsewhere stay in the directory, and a first part has the header
        assert!(write_copy(b.path(), "../x.vec", 0, CACHE_MAGIC).is_err());
        assert!(write_copy(b.path(), &name, 0, b"not a cache").is_err());
    }

    #[test]
    fn one_writer_at_a_time_the_others_read() {
        let dir = tempfile::tempdir().unwrap();
        let k = key("m/e5", crate::engine::meaning::embed::text_key("un"));
        let mut first = VectorCache::open(dir.path(), "m/e5", 2).unwrap();
        first.put(k, &[1.0, 0.0]).unwrap();
        first.flush().unwrap();
        let mut second = VectorCache::open(dir.path(), "m/e5", 2).unwrap();
        assert!(first.writable() && !second.writable());
        assert_eq!(
            second.get(k),
            Some(&[1.0, 0.0][..]),
            "it reads what is there"
        );
        let other = key("m/e5", crate::engine::meaning::embed::text_key("deux"));
        assert!(second.put(other, &[0.0, 1.0]).is_err());
        assert!(second.flush().is_ok());
        assert_eq!(VectorCache::stored_dim(dir.path(), "m/e5"), Some(2));
        assert_eq!(VectorCache::stored_dim(dir.path(), "other"), None);
        drop(first);
        assert!(VectorCache::open(dir.path(), "m/e5", 2).unwrap().writable());
    }

    #[test]
    fn large_sets_find_what_exact_search_finds() {
        // vectors in clusters, as a model's are: 60 topics, each vector near its topic
        let dim = 64;
        let topics: Vec<Vec<f32>> = (0..60).map(|t| made_up(1_000_000 + t, dim)).collect();
        let near = |seed: u64, topic: usize| {
            let noise = made_up(seed, dim);
            let v: Vec<f32> = topics[topic]
                .iter()
                .zip(&noise)
                .map(|(t, n)| t + 0.6 * n)
                .collect();
            crate::engine::meaning::embed::normalized(v).unwrap()
        };
        let n = EXACT_UP_TO as u64 + 5_000;
        let mut set = VectorSet::new(dim);
        for i in 0..n {
            set.push(i, &near(i, (i % 60) as usize));
        }
        let mut found = 0;
        for q in 0..40u64 {
            let query = near(10_000_000 + q, (q * 7 % 60) as usize);
            let got: Vec<u64> = set.search(&query, 10).iter().map(|x| x.0).collect();
            let exact: Vec<u64> = set
                .best(&query, 10, 0..set.len())
                .iter()
                .map(|x| x.0)
                .collect();
            found += got.iter().filter(|k| exact.contains(k)).count();
            // a stored vector asked for is found first
            let stored = (q * 613) % n;
            let again = set.search(&near(stored, (stored % 60) as usize), 1);
            assert_eq!(again[0].0, stored);
        }
        assert!(found >= 40 * 10 * 9 / 10, "recall {found}/400");
    }

    #[test]
    fn exact_search_finds_the_closest_first() {
        let mut set = VectorSet::new(16);
        for i in 0..500 {
            assert!(set.push(i, &made_up(i, 16)));
        }
        assert!(!set.push(9, &[1.0]));
        let q = made_up(42, 16);
        let found = set.search(&q, 5);
        assert_eq!(found[0].0, 42);
        assert!((found[0].1 - 1.0).abs() < 1e-5);
        assert!(found.windows(2).all(|w| w[0].1 >= w[1].1));
        // the same as sorting every score
        let mut all: Vec<(u64, f32)> = (0..500).map(|i| (i, dot(&q, &made_up(i, 16)))).collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1));
        let want: Vec<u64> = all.iter().take(5).map(|x| x.0).collect();
        assert_eq!(found.iter().map(|x| x.0).collect::<Vec<_>>(), want);
        assert!(set.search(&[1.0], 5).is_empty());
        assert!(VectorSet::new(16).search(&q, 5).is_empty());
    }
}
