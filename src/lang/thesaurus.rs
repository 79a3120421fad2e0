//! An offline French thesaurus, for questions asked in other words than the articles'.
//! kiosque reads Debian's `mythes-fr` (LGPL-2.1; `/usr/share/mythes/thes_fr.dat`, the MyThes
//! format LibreOffice reads): a first line naming the encoding, then for each headword a line
//! `word|n` followed by `n` lines `(Part of speech)|synonym|synonym|…`. Words are kept as the
//! French analyzer makes them (so "interpellé", "interpeller" and "interpellation" share
//! their entries), each related both ways (a headword listed as another's synonym is that
//! word's synonym too, for a little less), and the first synonyms of an entry weigh more
//! than the last.
//!
//! The thesaurus is not shipped with kiosque: without it, questions are searched as before,
//! and the log says once how to install it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::analyzer;

/// Where Debian installs the French thesaurus.
pub const DEFAULT_PATH: &str = "/usr/share/mythes/thes_fr.dat";
/// The setting that names another file, or `off`.
pub const PATH_VAR: &str = "KIOSQUE_THESAURUS";
/// Files larger than this are not a thesaurus (mythes-fr is 4.6 MB).
const MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Related words kept per word, the weightiest first.
const MAX_RELATED: usize = 48;
/// How much a word counts as its headword's synonym when read the other way round.
const REVERSE: f32 = 0.8;

#[derive(Debug, thiserror::Error)]
pub enum ThesaurusError {
    #[error("cannot read the thesaurus {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0} is not a MyThes thesaurus: {1}")]
    Format(PathBuf, String),
}

/// A word related to another, as the index holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Related<'a> {
    /// The analysed form ("interpel").
    pub term: &'a str,
    /// A form to show ("interpeller").
    pub word: &'a str,
    /// 0 to 1: the first synonyms of an entry weigh most.
    pub weight: f32,
}

/// The thesaurus, read once, words interned.
#[derive(Debug, Default)]
pub struct Thesaurus {
    terms: Vec<String>,
    words: Vec<String>,
    ids: HashMap<String, u32>,
    related: Vec<Vec<(u32, f32)>>,
    /// Headwords read.
    pub entries: usize,
    pub source: PathBuf,
}

/// The weight of the `rank`-th synonym of an entry (0 for the first).
fn rank_weight(rank: usize) -> f32 {
    (1.0 / (1.0 + rank as f32 / 12.0)).max(0.4)
}

impl Thesaurus {
    /// Reads a MyThes `.dat` file.
    pub fn load(path: &Path) -> Result<Thesaurus, ThesaurusError> {
        let meta = std::fs::metadata(path).map_err(|e| ThesaurusError::Io(path.into(), e))?;
        if meta.len() > MAX_BYTES {
            return Err(ThesaurusError::Format(
                path.into(),
                format!("{} bytes, more than any thesaurus", meta.len()),
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| ThesaurusError::Io(path.into(), e))?;
        let mut t = Thesaurus::parse(&bytes).map_err(|e| ThesaurusError::Format(path.into(), e))?;
        t.source = path.to_path_buf();
        Ok(t)
    }

    /// Parses a MyThes `.dat` text (UTF-8, or ISO-8859-1 when its first line says so).
    pub fn parse(bytes: &[u8]) -> Result<Thesaurus, String> {
        let first_end = bytes
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(bytes.len());
        let encoding = String::from_utf8_lossy(&bytes[..first_end])
            .trim()
            .to_uppercase();
        let text: String = match encoding.as_str() {
            "UTF-8" | "UTF8" => String::from_utf8_lossy(bytes).into_owned(),
            "ISO8859-1" | "ISO-8859-1" | "ISO8859-15" | "ISO-8859-15" => {
                bytes.iter().map(|&b| b as char).collect()
            }
            other => return Err(format!("unknown encoding {other:?} on its first line")),
        };
        let mut t = Thesaurus::default();
        let mut fr = analyzer::french();
        let mut lines = text.lines().skip(1);
        while let Some(head) = lines.next() {
            let Some((word, count)) = head.split_once('|') else {
                continue;
            };
            let senses: usize = count.trim().parse().unwrap_or(0);
            let Some(head_id) = t.intern(&mut fr, word) else {
                // still skip its sense lines
                lines.by_ref().take(senses).for_each(drop);
                continue;
            };
            t.entries += 1;
            for sense in lines.by_ref().take(senses) {
                // "(Nom)|borne|limite|…": the part of speech first
                for (rank, synonym) in sense.split('|').skip(1).enumerate() {
                    let Some(id) = t.intern(&mut fr, synonym) else {
                        continue;
                    };
                    if id != head_id {
                        let w = rank_weight(rank);
                        t.relate(head_id, id, w);
                        t.relate(id, head_id, w * REVERSE);
                    }
                }
            }
        }
        if t.entries == 0 {
            return Err("no entry".into());
        }
        for list in &mut t.related {
            list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            list.truncate(MAX_RELATED);
            list.shrink_to_fit();
        }
        Ok(t)
    }

    /// The id of a word's analysed form; none for phrases and stop words.
    fn intern(
        &mut self,
        analyzer: &mut tantivy::tokenizer::TextAnalyzer,
        word: &str,
    ) -> Option<u32> {
        let word = word.trim();
        if word.is_empty() || word.starts_with('(') {
            return None;
        }
        let mut terms = analyzer::terms(analyzer, word);
        // "se démettre" is one word once its pronoun goes; "mettre fin" stays a phrase
        if terms.len() != 1 {
            return None;
        }
        let term = terms.pop()?;
        if let Some(&id) = self.ids.get(&term) {
            return Some(id);
        }
        let id = self.terms.len() as u32;
        self.ids.insert(term.clone(), id);
        self.terms.push(term);
        self.words.push(word.to_string());
        self.related.push(Vec::new());
        Some(id)
    }

    fn relate(&mut self, from: u32, to: u32, weight: f32) {
        let list = &mut self.related[from as usize];
        match list.iter_mut().find(|(id, _)| *id == to) {
            Some((_, w)) => *w = w.max(weight),
            None => list.push((to, weight)),
        }
    }

    /// Words related to `term` (an analysed French word), the weightiest first.
    pub fn related(&self, term: &str) -> impl Iterator<Item = Related<'_>> {
        self.ids
            .get(term)
            .map(|&id| self.related[id as usize].as_slice())
            .unwrap_or(&[])
            .iter()
            .map(|&(id, weight)| Related {
                term: &self.terms[id as usize],
                word: &self.words[id as usize],
                weight,
            })
    }

    /// Distinct analysed words.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// The thesaurus at `path`, read once at start-up by whoever builds the engine; none when it
/// is not there (the log says how to install it).
pub fn load_installed(path: &Path) -> Option<Arc<Thesaurus>> {
    let started = std::time::Instant::now();
    match Thesaurus::load(path) {
        Ok(t) => {
            tracing::info!(
                entries = t.entries,
                words = t.len(),
                ms = started.elapsed().as_millis() as u64,
                "thesaurus loaded: questions in other words find the articles' words"
            );
            Some(Arc::new(t))
        }
        Err(e) => {
            tracing::info!(
                "no thesaurus: {e}. To find articles that say in other words what a \
                 question asks, install the French thesaurus: sudo apt-get install mythes-fr \
                 (or point {PATH_VAR} at a MyThes .dat file)"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "UTF-8\n\
        arrêter|2\n\
        (Verbe)|appréhender|interpeller|stopper|mettre fin\n\
        (Verbe)|cesser\n\
        manifestant|1\n\
        (Nom)|protestataire|contestataire\n\
        démission|1\n\
        (Nom)|abandon|renonciation\n";

    fn terms(t: &Thesaurus, word: &str) -> Vec<String> {
        let term = analyzer::terms(&mut analyzer::french(), word)
            .pop()
            .unwrap();
        t.related(&term).map(|r| r.word.to_string()).collect()
    }

    #[test]
    fn words_meet_by_their_analysed_form_both_ways() {
        let t = Thesaurus::parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(t.entries, 3);
        // a conjugated form finds its infinitive's entry
        let arrete = terms(&t, "arrêtés");
        assert!(arrete.contains(&"interpeller".to_string()), "{arrete:?}");
        assert!(arrete.contains(&"cesser".to_string()));
        assert!(
            !arrete.iter().any(|w| w.contains(' ')),
            "phrases are left out"
        );
        // read the other way round: "interpellé" finds "arrêter"
        assert_eq!(terms(&t, "interpellé"), ["arrêter"]);
        assert_eq!(terms(&t, "protestataires"), ["manifestant"]);
        assert!(terms(&t, "inconnu").is_empty());
    }

    #[test]
    fn first_synonyms_weigh_more() {
        let t = Thesaurus::parse(SAMPLE.as_bytes()).unwrap();
        let term = analyzer::terms(&mut analyzer::french(), "arrêter")
            .pop()
            .unwrap();
        let weights: Vec<f32> = t.related(&term).map(|r| r.weight).collect();
        assert!(weights.windows(2).all(|w| w[0] >= w[1]), "{weights:?}");
        assert!(weights[0] <= 1.0 && *weights.last().unwrap() >= 0.4);
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        assert!(Thesaurus::parse(b"").is_err());
        assert!(Thesaurus::parse(b"KOI8-R\nx|1\n(Nom)|y\n").is_err());
        assert!(Thesaurus::parse(b"UTF-8\nnothing useful\n").is_err());
        // a count larger than the lines that follow
        let t = Thesaurus::parse(b"UTF-8\nmot|9\n(Nom)|terme\n").unwrap();
        assert_eq!(t.entries, 1);
        let latin1 = b"ISO8859-1\nfronti\xe8re|1\n(Nom)|limite\n";
        let t = Thesaurus::parse(latin1).unwrap();
        assert_eq!(terms(&t, "frontière"), ["limite"]);
        assert!(Thesaurus::load(Path::new("/nonexistent/thes.dat")).is_err());
    }
}
