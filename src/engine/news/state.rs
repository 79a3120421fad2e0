//! What kiosque remembers of the web, in `web.json` under the state directory (`.kiosque/`
//! by default): every article it fetched, under the key its URL's variants share, with the
//! file it wrote and its text's hash. That is how the same article reached twice is one
//! article, how a changed article is told from an unchanged one, and how a file a person
//! deleted stays deleted. Written whole to a temporary file and renamed, under the state
//! directory's lease (`crate::engine::lease`), so two processes (the bot polling, an admin
//! adding) never lose each other's records.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::lease::Lease;

/// The state file, in the state directory.
pub const STATE_FILE: &str = "web.json";
const LOCK_FILE: &str = "web.lock";
/// How long to wait for another process's lease.
const LOCK_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not kiosque's web state ({reason}); move it away to start afresh")]
    Broken { path: PathBuf, reason: String },
    #[error("another kiosque is adding articles (lock {0}); try again when it is done")]
    Locked(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One article fetched from the web.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The URL saved in its front matter (canonical, without tracking parameters).
    pub url: String,
    /// Its file, relative to the corpus directory (`web/host/slug.md`).
    pub path: String,
    pub title: String,
    /// The hash of its text (to tell a changed article, and the same text at another URL).
    pub hash: String,
    /// When it was last fetched (RFC 3339).
    pub fetched: String,
}

/// Everything fetched, by URL key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebState {
    #[serde(default)]
    pub articles: BTreeMap<String, Record>,
    /// Other keys of the same articles (the URL asked, the URL redirected to, an AMP page):
    /// key → the key in `articles`.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
}

impl WebState {
    /// The record a key leads to, with its own key.
    pub fn find(&self, key: &str) -> Option<(&str, &Record)> {
        let key = self.aliases.get(key).map_or(key, String::as_str);
        self.articles
            .get_key_value(key)
            .map(|(k, r)| (k.as_str(), r))
    }

    /// The record holding this text, whatever its URL.
    pub fn with_hash(&self, hash: &str) -> Option<(&str, &Record)> {
        self.articles
            .iter()
            .find(|(_, r)| r.hash == hash)
            .map(|(k, r)| (k.as_str(), r))
    }

    /// Makes `alias` lead to `key` (nothing when they are the same).
    pub fn alias(&mut self, alias: &str, key: &str) {
        if alias != key && !self.articles.contains_key(alias) {
            self.aliases.insert(alias.to_string(), key.to_string());
        }
    }

    /// Whether a file path is taken by a record.
    pub fn has_path(&self, path: &str) -> bool {
        self.articles.values().any(|r| r.path == path)
    }
}

/// The state directory while this process holds its lease.
pub struct Locked {
    dir: PathBuf,
    /// None for a peek, which reads without the lease.
    _lease: Option<Lease>,
}

impl Locked {
    /// Takes the state directory's lease, waiting for another process for a while (a
    /// process that died holds none).
    pub fn take(dir: &Path) -> Result<Locked, StateError> {
        Locked::take_within(dir, LOCK_WAIT)
    }

    fn take_within(dir: &Path, wait: Duration) -> Result<Locked, StateError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(LOCK_FILE);
        match Lease::take(&path, wait).map_err(io(&path))? {
            Some(lease) => Ok(Locked {
                dir: dir.to_path_buf(),
                _lease: Some(lease),
            }),
            None => Err(StateError::Locked(path)),
        }
    }

    /// A JSON file of the state directory read without the lock (files are replaced whole,
    /// so what is read is one version or the other), for showing it.
    pub fn peek<T: serde::de::DeserializeOwned + Default>(
        dir: &Path,
        name: &str,
    ) -> Result<T, StateError> {
        Locked {
            dir: dir.to_path_buf(),
            _lease: None,
        }
        .read_unlocked(name)
    }

    /// The state as saved (empty when there is none yet).
    pub fn load(&self) -> Result<WebState, StateError> {
        self.read(STATE_FILE)
    }

    /// Saves the state whole: a crash leaves the old one or the new one, never half.
    pub fn save(&self, state: &WebState) -> Result<(), StateError> {
        self.write(STATE_FILE, state)
    }

    /// A JSON file of the state directory (its default value when there is none yet).
    pub fn read<T: serde::de::DeserializeOwned + Default>(
        &self,
        name: &str,
    ) -> Result<T, StateError> {
        self.read_unlocked(name)
    }

    fn read_unlocked<T: serde::de::DeserializeOwned + Default>(
        &self,
        name: &str,
    ) -> Result<T, StateError> {
        let path = self.dir.join(name);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StateError::Broken {
                path: path.clone(),
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Writes a JSON file of the state directory whole.
    pub fn write<T: Serialize>(&self, name: &str, value: &T) -> Result<(), StateError> {
        let path = self.dir.join(name);
        let bytes = serde_json::to_vec_pretty(value).map_err(|e| StateError::Broken {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&path, &bytes).map_err(io(&path))
    }
}

/// Writes a file whole: to a hidden temporary file beside it (the corpus ignores hidden
/// files), synced, then renamed over it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(path: &str, hash: &str) -> Record {
        Record {
            url: format!("https://example.org/{path}"),
            path: path.into(),
            title: "T".into(),
            hash: hash.into(),
            fetched: "2026-12-02T00:00:00Z".into(),
        }
    }

    #[test]
    fn saved_state_loads_back_and_aliases_lead_to_records() {
        let dir = tempfile::tempdir().unwrap();
        let locked = Locked::take(dir.path()).unwrap();
        assert_eq!(locked.load().unwrap(), WebState::default());
        let mut s = WebState::default();
        s.articles
            .insert("example.org/a".into(), record("web/example.org/a.md", "h1"));
        s.alias("example.org/a/amp", "example.org/a");
        s.alias("example.org/a", "example.org/a");
        locked.save(&s).unwrap();
        let back = locked.load().unwrap();
        assert_eq!(back, s);
        assert_eq!(back.find("example.org/a/amp").unwrap().0, "example.org/a");
        assert_eq!(back.with_hash("h1").unwrap().0, "example.org/a");
        assert!(back.find("example.org/b").is_none());
        assert!(back.aliases.len() == 1, "a key is not its own alias");
    }

    #[test]
    fn a_second_lock_waits_and_a_broken_state_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let first = Locked::take(dir.path()).unwrap();
        let path = dir.path().join(STATE_FILE);
        fs::write(&path, "{ not json").unwrap();
        assert!(matches!(first.load(), Err(StateError::Broken { .. })));
        assert!(
            matches!(
                Locked::take_within(dir.path(), Duration::ZERO),
                Err(StateError::Locked(_))
            ),
            "the state is the first holder's"
        );
        let d = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || Locked::take(&d).map(|_| ()));
        drop(first);
        waiter.join().unwrap().unwrap();
    }

    #[test]
    fn atomic_writes_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/a.md");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.md")]);
    }
}
