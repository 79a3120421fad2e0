//! What `CURRENT` holds: the manifest of a published generation, which names every file a
//! replica needs and the object each one is in. A replica trusts nothing in it: the names
//! are checked before anything is written under them, so a manifest cannot make a replica
//! write outside its index directory.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::ClusterError;
use crate::engine::{Generation, GenerationFiles};

/// This manifest's format; a replica refuses another. 2: the index's files from
/// [`PACK_FROM`] bytes travel zstd-compressed, and manifests carry the lease's epoch.
pub const FORMAT: u32 = 2;

/// An index file this size or more travels zstd-compressed (object name ending in `.zst`): a
/// catalog of 20,000 articles is 4.3 MB of JSON, rewritten at every commit.
pub const PACK_FROM: u64 = 4096;
/// How hard zstd compresses (its default).
const PACK_LEVEL: i32 = 3;

/// A published generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// One more than the manifest it replaced: replicas report the number they answer from.
    pub seq: u64,
    /// The writer's lease epoch ([`super::lease::Held::epoch`]): it grows when the lease
    /// changes hands, so a replica orders manifests by epoch, then number, and a deposed
    /// writer's announcements never replace its successor's generations.
    #[serde(default)]
    pub epoch: u64,
    /// The generation's directory name (`gen-` and digits).
    pub generation: String,
    /// Tantivy's `meta.json` of this commit: written last by a replica.
    pub meta: String,
    /// The commit's other files, each in the object [`Manifest::object`] names.
    pub files: Vec<File>,
    /// The catalog's file name, one of `files`.
    pub catalog: String,
    pub articles: usize,
    pub passages: u64,
    /// When the writer made it ready, in ms since 1970 (the writer's clock).
    pub published_ms: u64,
    /// The writer that published it.
    pub writer: String,
    /// Small objects new in this generation, carried in the manifest too (base64): a replica
    /// that has the manifest has them, without another round trip to the object store. A
    /// typical update (an article added) needs nothing else.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inline: BTreeMap<String, String>,
}

/// The largest object carried inline, and all of them together: a manifest stays well under
/// NATS's largest message (1 MiB by default).
pub const INLINE_MAX: usize = 64 * 1024;
pub const INLINE_BUDGET: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    pub name: String,
    pub size: u64,
}

impl Manifest {
    /// The manifest of `generation`, numbered `seq`.
    pub fn of(generation: &Generation, seq: u64, writer: &str) -> Manifest {
        let (articles, passages) = generation.counts();
        Manifest {
            format: FORMAT,
            seq,
            epoch: 0,
            generation: generation.name.clone(),
            meta: String::from_utf8_lossy(&generation.files.meta).into_owned(),
            files: generation
                .files
                .names
                .iter()
                .map(|(name, size)| File {
                    name: name.clone(),
                    size: *size,
                })
                .collect(),
            catalog: generation.files.catalog.clone(),
            articles,
            passages,
            published_ms: super::unix_ms(),
            writer: writer.to_string(),
            inline: BTreeMap::new(),
        }
    }

    /// Where it stands among manifests: later ones have a greater key.
    pub fn key(&self) -> (u64, u64) {
        (self.epoch, self.seq)
    }

    /// Carries `bytes`, the object `object`, inline when it is small enough and the budget
    /// allows; says whether it did.
    pub fn carry(&mut self, object: &str, bytes: &[u8]) -> bool {
        let used: usize = self.inline.values().map(String::len).sum();
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        if bytes.len() > INLINE_MAX || used + encoded.len() > INLINE_BUDGET * 4 / 3 {
            return false;
        }
        self.inline.insert(object.to_string(), encoded);
        true
    }

    /// The bytes of `object` if the manifest carries it.
    pub fn carried(&self, object: &str) -> Option<Vec<u8>> {
        let encoded = self.inline.get(object)?;
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
    }

    /// Reads and checks a manifest from `CURRENT`.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ClusterError> {
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| ClusterError::Manifest(format!("CURRENT is not a manifest: {e}")))?;
        manifest.check().map_err(ClusterError::Manifest)?;
        Ok(manifest)
    }

    fn check(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "CURRENT has a manifest of format {}, this kiosque reads {FORMAT}: update it",
                self.format
            ));
        }
        let digits = self.generation.strip_prefix("gen-").unwrap_or_default();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{:?} is not a generation's name", self.generation));
        }
        if let Some(bad) = self.files.iter().find(|f| !is_file_name(&f.name)) {
            return Err(format!("{:?} is not a file name of an index", bad.name));
        }
        if !self.files.iter().any(|f| f.name == self.catalog) {
            return Err(format!(
                "the catalog {:?} is not among the files",
                self.catalog
            ));
        }
        if self.meta.trim().is_empty() {
            return Err("the manifest has no meta.json".to_string());
        }
        Ok(())
    }

    /// The object holding the file `file` of this generation: compressed from [`PACK_FROM`]
    /// bytes.
    pub fn object_of(&self, file: &File) -> String {
        let plain = self.object(&file.name);
        if file.size >= PACK_FROM {
            plain + ".zst"
        } else {
            plain
        }
    }

    /// The object holding the file `name` of this generation, uncompressed.
    pub fn object(&self, name: &str) -> String {
        format!("index/{}/{name}", self.generation)
    }

    /// Whether it names the same commit as `files`.
    pub fn is(&self, files: &GenerationFiles) -> bool {
        self.meta.as_bytes() == files.meta.as_slice()
            && self.files.len() == files.names.len()
            && self
                .files
                .iter()
                .zip(&files.names)
                .all(|(a, (name, size))| a.name == *name && a.size == *size)
    }
}

/// What is stored of a file as `object`: its bytes, compressed for a `.zst` object.
pub fn pack(object: &str, bytes: Vec<u8>) -> Result<Vec<u8>, ClusterError> {
    if object.ends_with(".zst") {
        zstd::bulk::compress(&bytes, PACK_LEVEL)
            .map_err(|e| ClusterError::Manifest(format!("compressing {object}: {e}")))
    } else {
        Ok(bytes)
    }
}

/// A file's bytes from what is stored as `object`, which must be `size` bytes: decompressed
/// for a `.zst` object, never past `size` (a bomb is refused).
pub fn unpack(object: &str, stored: Vec<u8>, size: u64) -> Result<Vec<u8>, ClusterError> {
    let bytes = if object.ends_with(".zst") {
        let capacity = usize::try_from(size)
            .map_err(|_| ClusterError::Manifest(format!("{object}: {size} bytes")))?;
        zstd::bulk::decompress(&stored, capacity)
            .map_err(|e| ClusterError::Manifest(format!("{object}: not what zstd wrote ({e})")))?
    } else {
        stored
    };
    if bytes.len() as u64 != size {
        return Err(ClusterError::Manifest(format!(
            "{object} holds {} bytes, the manifest says {size}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// The object holding a corpus file, by its content hash.
pub fn corpus_object(hash: &str) -> String {
    format!("corpus/{hash}")
}

/// Whether a content hash is one (32 hexadecimal digits), so it can name an object.
pub fn is_hash(hash: &str) -> bool {
    hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `name` can be a file of a generation: letters, digits, `.`, `-` and `_`, not
/// starting with a dot, and not `meta.json` (written from the manifest itself).
pub fn is_file_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && !name.starts_with('.')
        && name != "meta.json"
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT,
            seq: 3,
            epoch: 7,
            generation: "gen-0001".into(),
            meta: "{}".into(),
            files: vec![
                File {
                    name: "0123abcd.idx".into(),
                    size: 10,
                },
                File {
                    name: "catalog-1.json".into(),
                    size: 5,
                },
            ],
            catalog: "catalog-1.json".into(),
            articles: 1,
            passages: 2,
            published_ms: 0,
            writer: "w".into(),
            inline: BTreeMap::new(),
        }
    }

    #[test]
    fn files_from_a_size_travel_compressed_and_come_back_whole() {
        let m = manifest();
        let small = File {
            name: "a.idx".into(),
            size: PACK_FROM - 1,
        };
        let big = File {
            name: "b.idx".into(),
            size: 100_000,
        };
        assert_eq!(m.object_of(&small), "index/gen-0001/a.idx");
        assert_eq!(m.object_of(&big), "index/gen-0001/b.idx.zst");
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 7) as u8).collect();
        let stored = pack(&m.object_of(&big), bytes.clone()).unwrap();
        assert!(stored.len() < bytes.len() / 10);
        assert_eq!(
            unpack(&m.object_of(&big), stored.clone(), 100_000).unwrap(),
            bytes
        );
        // a size other than the manifest's, or bytes zstd did not write, are refused
        assert!(unpack(&m.object_of(&big), stored, 99_999).is_err());
        assert!(unpack(&m.object_of(&big), b"garbage".to_vec(), 100_000).is_err());
        assert!(unpack(&m.object_of(&small), vec![0; 3], PACK_FROM - 1).is_err());
    }

    #[test]
    fn small_objects_are_carried_within_a_budget() {
        let mut m = manifest();
        assert!(m.carry("index/gen-0001/a.idx", b"\x00\x01binary"));
        assert_eq!(
            m.carried("index/gen-0001/a.idx").unwrap(),
            b"\x00\x01binary"
        );
        assert!(!m.carry("big", &vec![0u8; INLINE_MAX + 1]));
        let mut carried = 0;
        while m.carry(&format!("o{carried}"), &vec![1u8; INLINE_MAX]) {
            carried += 1;
        }
        assert_eq!(
            carried,
            INLINE_BUDGET / INLINE_MAX - 1,
            "the first small one counts"
        );
        let json = serde_json::to_vec(&m).unwrap();
        assert!(json.len() < 512 * 1024, "{}", json.len());
        assert_eq!(Manifest::parse(&json).unwrap(), m);
        assert_eq!(m.carried("nothing"), None);
    }

    fn refused(change: impl Fn(&mut Manifest)) -> String {
        let mut m = manifest();
        change(&mut m);
        match Manifest::parse(&serde_json::to_vec(&m).unwrap()) {
            Err(ClusterError::Manifest(why)) => why,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_manifest_round_trips_and_its_objects_are_named_by_generation() {
        let m = manifest();
        let back = Manifest::parse(&serde_json::to_vec(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        assert_eq!(m.object("0123abcd.idx"), "index/gen-0001/0123abcd.idx");
        assert_eq!(corpus_object("ab"), "corpus/ab");
    }

    #[test]
    fn names_that_would_leave_the_index_directory_are_refused() {
        for bad in [
            "../x",
            "a/b",
            "/etc/passwd",
            ".managed.json",
            "meta.json",
            "",
            "a\\b",
        ] {
            let why = refused(|m| m.files[0].name = bad.to_string());
            assert!(why.contains("not a file name"), "{bad:?}: {why}");
        }
        for bad in ["../gen-1", "gen-", "gen-1/..", "x", "gen-1a"] {
            let why = refused(|m| m.generation = bad.to_string());
            assert!(why.contains("not a generation"), "{bad:?}: {why}");
        }
        assert!(refused(|m| m.catalog = "other.json".into()).contains("not among"));
        assert!(refused(|m| m.format = 1).contains("format 1"));
        assert!(refused(|m| m.meta = " ".into()).contains("no meta.json"));
        assert!(matches!(
            Manifest::parse(b"not json"),
            Err(ClusterError::Manifest(_))
        ));
        assert!(is_hash("0123456789abcdef0123456789abcdef"));
        assert!(!is_hash("../../../../../../../../etc/pass"));
    }
}
