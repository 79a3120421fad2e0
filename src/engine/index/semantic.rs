//! Semantic search over one index generation: its passages' vectors, taken from the cache or
//! asked of the embedding server for the passages the cache lacks (in batches, with
//! progress), gathered into the generation's [`VectorSet`]; and a question's closest
//! passages by meaning.
//!
//! A vector set belongs to one snapshot: its keys are the snapshot's document addresses, so
//! it changes with the generation, and a question never meets the vectors of another.

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use tantivy::schema::Value;
use tantivy::{DocAddress, TantivyDocument};

use super::snapshot::Snapshot;
use super::Progress;
use crate::engine::meaning::embed::{normalized, passage_text, EmbedError, Embedder, Kind, Style};
use crate::engine::meaning::vectors::{key, VectorCache, VectorSet};

/// Passages sent to the server in one request.
const BATCH: usize = 16;
/// Closest passages by meaning a question gathers.
pub(crate) const NEAREST: usize = 20;

/// What embedding a generation's passages did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmbedReport {
    /// Passages in the generation.
    pub passages: usize,
    /// Passages with a vector now.
    pub with_vectors: usize,
    /// Texts embedded by the server this time (the others came from the cache).
    pub embedded: usize,
    pub seconds: f64,
    /// Why some passages are left without a vector, if they are.
    pub failed: Option<String>,
}

/// The name a model's vectors are cached under: the model and how it is told questions
/// from passages.
pub(crate) fn model_id(embedder: &dyn Embedder) -> String {
    let style = match embedder.style() {
        Style::InputType => "input-type",
        Style::E5Prefix => "e5",
        Style::Plain => "plain",
    };
    format!("{}/{style}", embedder.model())
}

/// A document address as a vector set's key.
pub(crate) fn pack(a: DocAddress) -> u64 {
    (u64::from(a.segment_ord) << 32) | u64::from(a.doc_id)
}

pub(crate) fn unpack(k: u64) -> DocAddress {
    DocAddress::new((k >> 32) as u32, k as u32)
}

/// Every live passage of the snapshot: its packed address and its text's key.
fn passages(snapshot: &Snapshot) -> tantivy::Result<Vec<(u64, u64)>> {
    let searcher = snapshot.reader.searcher();
    let mut out = Vec::with_capacity(searcher.num_docs() as usize);
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let keys = segment.fast_fields().u64("vkey")?;
        for doc in segment.doc_ids_alive() {
            if let Some(k) = keys.first(doc) {
                out.push((pack(DocAddress::new(ord as u32, doc)), k));
            }
        }
    }
    Ok(out)
}

/// The vector set of the passages whose vectors are cached.
fn gather(list: &[(u64, u64)], cache: &VectorCache, model: &str) -> VectorSet {
    let mut set = VectorSet::new(cache.dim());
    for &(address, text) in list {
        if let Some(v) = cache.get(key(model, text)) {
            set.push(address, v);
        }
    }
    set
}

/// The vectors of the snapshot's passages already in the cache in `dir`, without asking the
/// server (none when nothing is cached for this model).
pub(crate) fn cached(
    snapshot: &Snapshot,
    dir: &Path,
    embedder: &dyn Embedder,
) -> Option<VectorSet> {
    let model = model_id(embedder);
    let dim = VectorCache::stored_dim(dir, &model)?;
    let cache = VectorCache::open(dir, &model, dim)
        .map_err(|e| tracing::warn!("vector cache: {e}"))
        .ok()?;
    let list = passages(snapshot)
        .map_err(|e| tracing::warn!("vector keys: {e}"))
        .ok()?;
    let set = gather(&list, &cache, &model);
    (!set.is_empty()).then_some(set)
}

/// Embeds the snapshot's passages the cache in `dir` lacks, reporting progress (texts done,
/// texts to embed), and returns the generation's vector set with everything it could get. A
/// server failure stops the embedding: what was embedded until then is kept.
pub(crate) fn embed_all(
    snapshot: &Snapshot,
    dir: &Path,
    embedder: &dyn Embedder,
    progress: Progress,
) -> (Option<VectorSet>, EmbedReport) {
    let started = Instant::now();
    let model = model_id(embedder);
    let mut report = EmbedReport::default();
    let list = match passages(snapshot) {
        Ok(list) => list,
        Err(e) => {
            report.failed = Some(format!("the index: {e}"));
            return (None, report);
        }
    };
    report.passages = list.len();
    let mut cache = match VectorCache::stored_dim(dir, &model) {
        Some(dim) => match VectorCache::open(dir, &model, dim) {
            Ok(c) => Some(c),
            Err(e) => {
                report.failed = Some(format!("the vector cache: {e}"));
                return (None, report);
            }
        },
        None => None,
    };
    // one text per key, in index order
    let mut seen = HashSet::new();
    let missing: Vec<(u64, u64)> = list
        .iter()
        .filter(|(_, text)| {
            cache
                .as_ref()
                .is_none_or(|c| c.get(key(&model, *text)).is_none())
                && seen.insert(*text)
        })
        .copied()
        .collect();
    if cache.as_ref().is_some_and(|c| !c.writable()) && !missing.is_empty() {
        report.failed = Some("another kiosque process is embedding these passages".into());
    } else if !missing.is_empty() {
        let searcher = snapshot.reader.searcher();
        let f = &snapshot.fields;
        progress(0, missing.len());
        for (done, batch) in missing.chunks(BATCH).enumerate() {
            let mut texts = Vec::with_capacity(batch.len());
            for &(address, _) in batch {
                let doc: TantivyDocument = match searcher.doc(unpack(address)) {
                    Ok(d) => d,
                    Err(e) => {
                        report.failed = Some(format!("the index: {e}"));
                        break;
                    }
                };
                let field = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                texts.push(passage_text(&field(f.title), &field(f.passage)));
            }
            if report.failed.is_some() {
                break;
            }
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let vectors = match embedder.embed(&refs, Kind::Passage) {
                Ok(v) if v.len() == batch.len() => v,
                Ok(v) => {
                    report.failed = Some(
                        EmbedError::Malformed(format!(
                            "{} vectors for {} texts",
                            v.len(),
                            batch.len()
                        ))
                        .to_string(),
                    );
                    break;
                }
                Err(e) => {
                    report.failed = Some(e.to_string());
                    break;
                }
            };
            for (&(_, text), v) in batch.iter().zip(vectors) {
                let Some(v) = normalized(v) else { continue };
                if cache.is_none() {
                    match VectorCache::open(dir, &model, v.len()) {
                        Ok(c) => cache = Some(c),
                        Err(e) => {
                            report.failed = Some(format!("the vector cache: {e}"));
                            break;
                        }
                    }
                }
                if let Some(c) = cache.as_mut() {
                    if let Err(e) = c.put(key(&model, text), &v) {
                        report.failed = Some(format!("the vector cache: {e}"));
                        break;
                    }
                    report.embedded += 1;
                }
            }
            // each batch is on disk before the next is asked: a crash loses one batch at most
            if let Some(Err(e)) = cache.as_mut().map(|c| c.flush()) {
                report.failed = Some(format!("the vector cache: {e}"));
            }
            if report.failed.is_some() {
                break;
            }
            progress(((done + 1) * BATCH).min(missing.len()), missing.len());
        }
    }
    let set = cache.map(|c| gather(&list, &c, &model));
    report.with_vectors = set.as_ref().map_or(0, |s| s.len());
    report.seconds = started.elapsed().as_secs_f64();
    (set.filter(|s| !s.is_empty()), report)
}

/// The passages closest to a question by meaning, closest first, with their cosine.
pub(crate) fn nearest(
    set: &VectorSet,
    embedder: &dyn Embedder,
    question: &str,
) -> Result<Vec<(DocAddress, f32)>, EmbedError> {
    let mut vectors = embedder.embed(&[question], Kind::Query)?;
    let v = vectors
        .pop()
        .and_then(normalized)
        .ok_or_else(|| EmbedError::Malformed("no vector for the question".into()))?;
    if v.len() != set.dim() {
        return Err(EmbedError::Malformed(format!(
            "a question vector of {} numbers for passages of {}",
            v.len(),
            set.dim()
        )));
    }
    Ok(set
        .search(&v, NEAREST)
        .into_iter()
        .map(|(k, s)| (unpack(k), s))
        .collect())
}
