//! The one lock scheme of the engine: a lease on a named resource, held by one process (one
//! holder) at a time until it is dropped. Three resources have one: the index's builds
//! (`build.lock` in the index directory), a vector cache's writes (`<model>.lock` beside it)
//! and the news state (`web.lock` in the state directory).
//!
//! On one machine a lease is the operating system's advisory lock on its file (`flock`):
//! the kernel releases it when the holder's process dies, however it dies, so a killed
//! process never leaves a lease behind and nothing guesses whether a lock is stale. The file
//! itself stays. Two holders in one process exclude each other too (each opens the file).
//! Several machines need the same leases in a store they share, which is the next step.

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

/// A held lease: the resource is this holder's until it is dropped.
#[derive(Debug)]
pub(crate) struct Lease {
    /// Open and locked while the lease is held; closing it releases the lock.
    _file: File,
}

/// How often a holder that waits tries again.
#[cfg_attr(not(feature = "web"), allow(dead_code))]
const RETRY: Duration = Duration::from_millis(50);

impl Lease {
    /// Takes the lease of the resource named by `path` now; None when another holds it.
    pub fn try_take(path: &Path) -> io::Result<Option<Lease>> {
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Lease { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// Takes the lease, waiting up to `within` for its holder to let it go; None when it
    /// is still held then. (Only the news state waits, with the `web` feature.)
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub fn take(path: &Path, within: Duration) -> io::Result<Option<Lease>> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(lease) = Lease::try_take(path)? {
                return Ok(Some(lease));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            std::thread::sleep(RETRY.min(deadline - now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_the_next_one_gets_it_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.lock");
        let first = Lease::try_take(&path).unwrap().expect("a free lease");
        assert!(Lease::try_take(&path).unwrap().is_none(), "held");
        assert!(Lease::take(&path, Duration::ZERO).unwrap().is_none());
        let p = path.clone();
        let waiter = std::thread::spawn(move || Lease::take(&p, Duration::from_secs(60)));
        drop(first);
        let second = waiter.join().unwrap().unwrap();
        assert!(second.is_some(), "taken once let go");
        assert!(path.exists(), "the file stays; only the lock goes");
    }

    #[test]
    fn a_resource_where_no_file_can_be_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Lease::try_take(&dir.path().join("missing/r.lock")).is_err());
    }
}
