//! The catalog beside each generation of the index: the articles it holds with their
//! stamps and content hashes (how a changed corpus is noticed), the files that could not be
//! indexed and why, and the report of a build, counted catalog to catalog.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::schema::FORMAT_VERSION;
use crate::articles::{ArticleRef, Failure, FileStamp};
use crate::lang::Lang;

/// An indexed article, as the catalog keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleEntry {
    pub id: String,
    /// Relative to the corpus directory.
    pub path: String,
    pub title: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The site that published it ("Le Monde"), from front matter; catalogs written before
    /// it was kept have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    pub lang: Lang,
    pub passages: u32,
    pub size: u64,
    pub mtime_ns: u128,
    pub hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoding: Option<String>,
}

impl ArticleEntry {
    /// How the article is named where it is shown.
    pub fn reference(&self) -> ArticleRef {
        ArticleRef {
            id: self.id.clone(),
            title: self.title.clone(),
            source: self.source.clone(),
            date: self.date.clone(),
            site: self.site.clone(),
            url: self.url.clone(),
        }
    }
}

/// A file the last build could not index, kept with its stamp so that it does not look like
/// a change at every question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedEntry {
    pub path: String,
    pub reason: String,
    pub size: u64,
    pub mtime_ns: u128,
}

/// What a generation holds besides tantivy's files.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Catalog {
    pub version: u32,
    pub built_unix: u64,
    pub articles: Vec<ArticleEntry>,
    pub failed: Vec<FailedEntry>,
    pub skipped: Vec<String>,
    pub passages: u64,
}

impl Catalog {
    /// An empty catalog of this format, dated now.
    pub(super) fn new(skipped: Vec<String>) -> Catalog {
        Catalog {
            version: FORMAT_VERSION,
            built_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            skipped,
            ..Default::default()
        }
    }

    pub fn has_english(&self) -> bool {
        self.articles.iter().any(|a| a.lang == Lang::En)
    }
}

/// What a build did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BuildReport {
    pub articles: usize,
    pub passages: u64,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    pub unchanged: usize,
    pub failed: Vec<Failure>,
    pub skipped: Vec<String>,
    /// Articles read in another encoding than plain UTF-8: path and encoding.
    pub decoded: Vec<Failure>,
    pub seconds: f64,
    /// Whether a new index was written (false when it was up to date).
    pub rebuilt: bool,
}

/// The content hash kept for each article.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// Articles added, changed, removed and unchanged from one catalog to the next (by path and
/// content hash): only indexed articles count, failed files are reported apart.
pub(super) fn compare(old: &Catalog, new: &Catalog, report: &mut BuildReport) {
    let before: HashMap<&str, &str> = old
        .articles
        .iter()
        .map(|a| (a.path.as_str(), a.hash.as_str()))
        .collect();
    let (mut added, mut changed, mut unchanged) = (0, 0, 0);
    for a in &new.articles {
        match before.get(a.path.as_str()) {
            None => added += 1,
            Some(h) if *h == a.hash => unchanged += 1,
            Some(_) => changed += 1,
        }
    }
    report.added = added;
    report.changed = changed;
    report.unchanged = unchanged;
    report.removed = old.articles.len() - (changed + unchanged);
}

pub(super) fn failures(catalog: &Catalog) -> Vec<Failure> {
    catalog
        .failed
        .iter()
        .map(|f| Failure {
            path: f.path.clone(),
            reason: f.reason.clone(),
        })
        .collect()
}

pub(super) fn failed_entry(stamp: &FileStamp, reason: String) -> FailedEntry {
    FailedEntry {
        path: stamp.path.clone(),
        reason,
        size: stamp.size,
        mtime_ns: stamp.mtime_ns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_is_kept_and_older_catalogs_load_without_it() {
        let old = r#"{"id":"a","path":"a.md","title":"T","source":"corpus/a.md","lang":"fr","passages":1,"size":3,"mtime_ns":0,"hash":"h"}"#;
        let entry: ArticleEntry = serde_json::from_str(old).unwrap();
        assert_eq!(entry.site, None);
        let json = serde_json::to_string(&entry).unwrap();
        assert!(!json.contains("site"), "{json}");
        let with_site = ArticleEntry {
            site: Some("Le Monde".into()),
            ..entry
        };
        let json = serde_json::to_string(&with_site).unwrap();
        assert!(json.contains(r#""site":"Le Monde""#), "{json}");
        let back: ArticleEntry = serde_json::from_str(&json).unwrap();
        assert_eq!(back, with_site);
    }
}
