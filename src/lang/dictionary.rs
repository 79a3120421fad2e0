//! Offline bilingual dictionaries, for questions asked in another language than the
//! articles'. kiosque reads FreeDict's English–French and French–English dictionaries in
//! dictd format (Debian's `dict-freedict-eng-fra` and `dict-freedict-fra-eng`, GPL-2+, in
//! `/usr/share/dictd`), once, and keeps maps from a word's analysed form in one language to
//! its weighted translations in the other. Both files serve both ways: a French headword
//! translated by "fighter" also tells that "fighter" may be "combattant".
//!
//! The dictionaries are not shipped with kiosque: without them, questions are searched as
//! they are written, as before, and the log says once how to install them.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::analyzer;
use super::Lang;

/// Where Debian installs dictd dictionaries.
pub const DEFAULT_DIR: &str = "/usr/share/dictd";
/// The environment variable that points at another directory, or turns translation `off`.
pub const DIR_VAR: &str = "KIOSQUE_DICTIONARY_DIR";
const ENG_FRA: &str = "freedict-eng-fra";
const FRA_ENG: &str = "freedict-fra-eng";
/// Translations kept per word, the most likely first.
const MAX_TRANSLATIONS: usize = 6;
/// How much a translation read backwards (from the other direction's dictionary) counts.
const REVERSE_WEIGHT: f32 = 0.8;
/// Longest dictionary file read, against a corrupt or hostile file.
const MAX_FILE_BYTES: u64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    #[error("no FreeDict dictionary in {0} (neither {ENG_FRA} nor {FRA_ENG})")]
    Missing(PathBuf),
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("invalid dictionary {0}: {1}")]
    Invalid(PathBuf, String),
}

/// One translation of a word.
#[derive(Debug, Clone, PartialEq)]
pub struct Translation {
    /// The translation as the dictionary writes it ("frontière").
    pub word: String,
    /// Its analysed form in its language ("frontier"), what the index holds.
    pub term: String,
    /// How likely this translation is, 0 to 1: the first sense of a word weighs most.
    pub weight: f32,
}

/// Translations between English and French, by analysed word.
#[derive(Debug, Default)]
pub struct Dictionary {
    en_fr: HashMap<String, Vec<Translation>>,
    fr_en: HashMap<String, Vec<Translation>>,
    /// The files read, for the log.
    pub sources: Vec<PathBuf>,
}

/// One dictionary entry: its headword and its senses, each a list of translations.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub headword: String,
    pub senses: Vec<Vec<String>>,
}

impl Dictionary {
    /// Reads the FreeDict dictionaries found in `dir`; one of the two directions is enough.
    pub fn load(dir: &Path) -> Result<Dictionary, DictionaryError> {
        let mut dict = Dictionary::default();
        let mut found = false;
        for (name, from) in [(ENG_FRA, Lang::En), (FRA_ENG, Lang::Fr)] {
            let index = dir.join(format!("{name}.index"));
            let data = dir.join(format!("{name}.dict.dz"));
            if !index.exists() || !data.exists() {
                continue;
            }
            let entries = read_dictd(&index, &data)?;
            dict.add(from, &entries);
            dict.sources.push(data);
            found = true;
        }
        if !found {
            return Err(DictionaryError::Missing(dir.to_path_buf()));
        }
        dict.finish();
        Ok(dict)
    }

    /// A dictionary from entries, `from` the language of their headwords.
    pub fn from_entries(from: Lang, entries: &[Entry]) -> Dictionary {
        let mut dict = Dictionary::default();
        dict.add(from, entries);
        dict.finish();
        dict
    }

    /// Whether the dictionary holds no translation at all.
    pub fn is_empty(&self) -> bool {
        self.en_fr.is_empty() && self.fr_en.is_empty()
    }

    /// The translations of an analysed word of language `from` into the other language,
    /// the most likely first.
    pub fn translate(&self, from: Lang, term: &str) -> &[Translation] {
        let map = match from {
            Lang::En => &self.en_fr,
            Lang::Fr => &self.fr_en,
        };
        map.get(term).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A text put word for word into the other language: each word's first translation,
    /// words without one (names, numbers) kept as written, words the analyzer drops left out.
    /// Crude on purpose: `kiosque bench` times questions asked in the other language with it.
    pub fn word_for_word(&self, from: Lang, text: &str) -> String {
        let mut analyze = analyzer::for_lang(from);
        let words: Vec<String> = text
            .split_whitespace()
            .filter_map(|w| {
                let terms = analyzer::terms(&mut analyze, w);
                let term = terms.first()?;
                Some(match self.translate(from, term).first() {
                    Some(t) => t.word.clone(),
                    None => w.to_string(),
                })
            })
            .collect();
        words.join(" ")
    }

    fn add(&mut self, from: Lang, entries: &[Entry]) {
        let to = other(from);
        let mut from_analyzer = analyzer::for_lang(from);
        let mut to_analyzer = analyzer::for_lang(to);
        for entry in entries {
            let Some(head_term) = single_term(&mut from_analyzer, &entry.headword) else {
                continue;
            };
            for (s, sense) in entry.senses.iter().enumerate() {
                for (k, word) in sense.iter().enumerate() {
                    let Some(term) = single_term(&mut to_analyzer, word) else {
                        continue;
                    };
                    // the first sense and the first word of a sense are the usual ones
                    let weight = 1.0 / (1.0 + 0.25 * s as f32) * (1.0 - 0.05 * k.min(6) as f32);
                    self.map(from)
                        .entry(head_term.clone())
                        .or_default()
                        .push(Translation {
                            word: word.clone(),
                            term: term.clone(),
                            weight,
                        });
                    self.map(to).entry(term).or_default().push(Translation {
                        word: entry.headword.clone(),
                        term: head_term.clone(),
                        weight: weight * REVERSE_WEIGHT,
                    });
                }
            }
        }
    }

    fn map(&mut self, from: Lang) -> &mut HashMap<String, Vec<Translation>> {
        match from {
            Lang::En => &mut self.en_fr,
            Lang::Fr => &mut self.fr_en,
        }
    }

    /// Keeps each translation once, at its best weight, the most likely first.
    fn finish(&mut self) {
        for map in [&mut self.en_fr, &mut self.fr_en] {
            for list in map.values_mut() {
                list.sort_by(|a, b| {
                    b.weight
                        .total_cmp(&a.weight)
                        .then_with(|| a.word.chars().count().cmp(&b.word.chars().count()))
                        .then_with(|| a.word.cmp(&b.word))
                });
                let mut seen: Vec<String> = Vec::new();
                list.retain(|t| {
                    let new = !seen.contains(&t.term);
                    seen.push(t.term.clone());
                    new
                });
                list.truncate(MAX_TRANSLATIONS);
            }
        }
    }
}

fn other(lang: Lang) -> Lang {
    match lang {
        Lang::En => Lang::Fr,
        Lang::Fr => Lang::En,
    }
}

/// The analysed form of a one-word text; none for phrases and stop words.
fn single_term(analyzer: &mut tantivy::tokenizer::TextAnalyzer, text: &str) -> Option<String> {
    let mut terms = analyzer::terms(analyzer, text);
    if terms.len() == 1 && text.split_whitespace().count() == 1 {
        terms.pop()
    } else {
        None
    }
}

/// The dictionaries installed in `dir` (`/usr/share/dictd` by default), read once at
/// start-up by whoever builds the engine; none when they are not there (the log says how to
/// install them). The caller decides where `dir` comes from: nothing here reads settings.
pub fn load_installed(dir: &Path) -> Option<Arc<Dictionary>> {
    let started = std::time::Instant::now();
    match Dictionary::load(dir) {
        Ok(d) => {
            tracing::info!(
                sources = ?d.sources,
                ms = started.elapsed().as_millis() as u64,
                "bilingual dictionary loaded: English questions find French articles"
            );
            Some(Arc::new(d))
        }
        Err(e) => {
            tracing::info!(
                "questions are not translated: {e}. To ask in English about French \
                 articles (and the other way round), install FreeDict's dictionaries: \
                 sudo apt-get install dict-freedict-eng-fra dict-freedict-fra-eng \
                 (or point {DIR_VAR} at a directory holding them)"
            );
            None
        }
    }
}

/// Reads a dictd dictionary: `index` lists each headword with the base64 offset and length
/// of its entry in `data`, a gzip (dictzip) file.
pub fn read_dictd(index: &Path, data: &Path) -> Result<Vec<Entry>, DictionaryError> {
    let index_text = read_limited(index, false)?;
    let data_bytes = read_limited(data, true)?;
    let index_text = String::from_utf8_lossy(&index_text);
    let mut entries = Vec::new();
    for line in index_text.lines() {
        let mut fields = line.split('\t');
        let (Some(head), Some(offset), Some(length)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        // dictd's own entries: the database's name, info and so on
        if head.starts_with("00database") || head.starts_with("00-database") {
            continue;
        }
        let (Some(offset), Some(length)) = (base64_number(offset), base64_number(length)) else {
            return Err(DictionaryError::Invalid(
                index.to_path_buf(),
                format!("bad offset in line {line:?}"),
            ));
        };
        let Some(bytes) = offset
            .checked_add(length)
            .and_then(|end| data_bytes.get(offset as usize..end as usize))
        else {
            return Err(DictionaryError::Invalid(
                data.to_path_buf(),
                format!("entry {head:?} lies beyond the end of the file"),
            ));
        };
        if let Some(entry) = parse_entry(head, &String::from_utf8_lossy(bytes)) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

fn read_limited(path: &Path, gzip: bool) -> Result<Vec<u8>, DictionaryError> {
    let file = std::fs::File::open(path).map_err(|e| DictionaryError::Read(path.into(), e))?;
    let mut out = Vec::new();
    let result = if gzip {
        flate2::read::MultiGzDecoder::new(file)
            .take(MAX_FILE_BYTES)
            .read_to_end(&mut out)
    } else {
        file.take(MAX_FILE_BYTES).read_to_end(&mut out)
    };
    result.map_err(|e| DictionaryError::Read(path.into(), e))?;
    Ok(out)
}

/// dictd's numbers: base64 digits, most significant first.
fn base64_number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 10 {
        return None;
    }
    s.bytes().try_fold(0u64, |n, b| {
        let digit = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        Some(n * 64 + digit as u64)
    })
}

/// Reads one FreeDict entry: a headword line ("border /bɔːdər/ <n>"), then one line per
/// sense ("1. lisière", "2. boundary, frontier"); indented lines are examples.
pub fn parse_entry(head: &str, text: &str) -> Option<Entry> {
    let mut lines = text.lines();
    lines.next()?;
    let mut senses = Vec::new();
    for line in lines {
        if line.is_empty() || line.starts_with(char::is_whitespace) {
            continue;
        }
        let line = strip_sense_number(line);
        let words: Vec<String> = line
            .split([',', ';'])
            .map(|w| without_brackets(w).trim().to_string())
            .filter(|w| !w.is_empty())
            .collect();
        if !words.is_empty() {
            senses.push(words);
        }
    }
    (!senses.is_empty()).then(|| Entry {
        headword: head.to_string(),
        senses,
    })
}

fn strip_sense_number(line: &str) -> &str {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && line[digits..].starts_with(". ") {
        &line[digits + 2..]
    } else {
        line
    }
}

/// "(female) duck" → " duck": what brackets hold is a note, not the translation.
fn without_brackets(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Words that look alike in English and French ("military"/"militaire",
/// "security"/"sécurité"): the French spellings an English word may have, by its ending.
/// The word itself is tried too, by the caller: names and numbers are kept as they are.
pub fn french_lookalikes(english: &str) -> Vec<String> {
    const ENDINGS: &[(&str, &str)] = &[
        ("ary", "aire"),
        ("ity", "ité"),
        ("ical", "ique"),
        ("ic", "ique"),
        ("ous", "eux"),
        ("ive", "if"),
        ("ism", "isme"),
        ("ist", "iste"),
        ("ian", "ien"),
        ("or", "eur"),
        ("er", "eur"),
        ("y", "ie"),
        ("ed", "é"),
    ];
    let lower = english.to_lowercase();
    ENDINGS
        .iter()
        .filter(|(en, _)| lower.len() > en.len() + 2 && lower.ends_with(en))
        .map(|(en, fr)| format!("{}{fr}", &lower[..lower.len() - en.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictd_numbers() {
        assert_eq!(base64_number("A"), Some(0));
        assert_eq!(base64_number("B"), Some(1));
        assert_eq!(base64_number("BA"), Some(64));
        assert_eq!(base64_number("c/"), Some(28 * 64 + 63));
        assert_eq!(base64_number(""), None);
        assert_eq!(base64_number("a-b"), None);
        assert_eq!(base64_number("AAAAAAAAAAAAAAA"), None);
    }

    #[test]
    fn entries_are_read() {
        let e = parse_entry(
            "border",
            "border /bɔːdər/\n1. lisière\n2. frontière, (of a garden) bord\n",
        )
        .unwrap();
        assert_eq!(
            e.senses,
            vec![
                vec!["lisière".to_string()],
                vec!["frontière".into(), "bord".into()]
            ]
        );
        let e = parse_entry(
            "falloir",
            "falloir /falwaʀ/ <v>\nbe necessary, must\n      \"Il faut\"\n We need\n",
        )
        .unwrap();
        assert_eq!(e.senses.len(), 1);
        assert!(parse_entry("x", "x /x/\n").is_none());
        assert!(parse_entry("x", "").is_none());
    }

    #[test]
    fn both_directions_from_one_file() {
        let d = Dictionary::from_entries(
            Lang::Fr,
            &[
                Entry {
                    headword: "combattant".into(),
                    senses: vec![vec!["fighter".into(), "combatant".into()]],
                },
                Entry {
                    headword: "frontière".into(),
                    senses: vec![vec!["border".into()], vec!["boundary".into()]],
                },
            ],
        );
        let fr = d.translate(Lang::En, "fighter");
        assert_eq!(fr.len(), 1);
        assert_eq!(fr[0].word, "combattant");
        assert_eq!(fr[0].term, "combatt");
        let en = d.translate(Lang::Fr, "frontier");
        let words: Vec<&str> = en.iter().map(|t| t.word.as_str()).collect();
        assert_eq!(words, ["border", "boundary"]);
        assert!(en[0].weight > en[1].weight);
        assert!(d.translate(Lang::En, "unknown").is_empty());
    }

    #[test]
    fn lookalikes() {
        assert!(french_lookalikes("military").contains(&"militaire".to_string()));
        assert!(french_lookalikes("security").contains(&"security".replace("ity", "ité")));
        assert!(french_lookalikes("Malian").contains(&"malien".to_string()));
        assert!(french_lookalikes("at").is_empty());
    }

    #[test]
    fn a_missing_dictionary_is_an_error_not_a_panic() {
        let dir = std::env::temp_dir().join("kiosque-no-dictionary-here");
        assert!(matches!(
            Dictionary::load(&dir),
            Err(DictionaryError::Missing(_))
        ));
    }
}
