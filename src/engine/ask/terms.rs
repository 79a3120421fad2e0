//! The words of a question, weighed: each analysed word with its weight (rarer words weigh
//! more; words that only name the kind of answer, and verbs no article uses, weigh less), its
//! other forms the index holds (relatives sharing its first letters, the other translations
//! of a translated word), and its place in the question. A question in another language than
//! some articles is translated here, word by word, into the words the index holds.

use tantivy::{Searcher, Term};

use super::Translated;
use crate::engine::index::snapshot::Snapshot;
use crate::lang::{analyzer, cues, family, translate, Dictionary, Lang, Thesaurus};

/// Words that only name the kind of answer ("date", "longueur") weigh this much.
pub(super) const FOCUS_WEIGHT: f32 = 0.3;

/// Another form that counts for a question word, and how much.
pub(crate) struct Other {
    pub term: Term,
    pub share: f32,
    /// Whether it gathers candidates too, or only counts in the second pass.
    pub gather: bool,
    /// A synonym from the thesaurus: it counts only in a passage that also holds another
    /// of the question's words (the rest of the question tells which sense is meant).
    pub synonym: bool,
}

/// One question word in one language.
pub(crate) struct QueryWord {
    /// The analysed word, as the index holds it.
    pub word: String,
    pub text: Term,
    pub title: Term,
    /// The word in the lead of the passage's article.
    pub lead: Term,
    /// Whether the lead gathers candidates for the word: only for a word few passages hold,
    /// a name more than a common word, and a long list of postings costs more than it finds.
    pub lead_gathers: bool,
    /// Other forms that count for the word: index words that share its first letters
    /// ("gouvernemental" for "gouvern"), words of its family the stemmer keeps apart
    /// ("frontalière" for "frontière", see [`family`]); the other
    /// translations of a translated word.
    pub others: Vec<Other>,
    /// The word's place in the question.
    pub place: usize,
    pub weight: f32,
    /// Whether the word only names the kind of answer wanted.
    pub focus: bool,
    /// Whether no passage holds the word in any form.
    pub unknown: bool,
}

/// A question's words in one language, with their weights.
pub(crate) struct Terms {
    pub lang: Lang,
    pub words: Vec<QueryWord>,
    /// The sum of the words' weights.
    pub total: f32,
    /// For a question in another language: what its words were searched as.
    pub translated: Vec<Translated>,
}

impl Terms {
    pub fn new(lang: Lang) -> Terms {
        Terms {
            lang,
            words: vec![],
            total: 0.0,
            translated: vec![],
        }
    }

    fn has(&self, term: &str) -> bool {
        self.words.iter().any(|w| w.word == term)
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        fields: &crate::engine::index::schema::Fields,
        term: &str,
        df: u64,
        others: Vec<Other>,
        place: usize,
        weight: f32,
        focus: bool,
    ) {
        self.words.push(QueryWord {
            word: term.to_string(),
            text: Term::from_field_text(fields.text(self.lang), term),
            title: Term::from_field_text(fields.title_terms(self.lang), term),
            lead: Term::from_field_text(fields.lead(self.lang), term),
            lead_gathers: !focus && df <= LEAD_MAX_DF,
            others,
            place,
            weight,
            focus,
            unknown: df == 0,
        });
        self.total += weight;
    }

    /// Share of the question's weight in words no passage holds in any form.
    pub fn unknown(&self) -> f32 {
        let unknown: f32 = self
            .words
            .iter()
            .filter(|w| w.unknown)
            .map(|w| w.weight)
            .sum();
        unknown / self.total.max(f32::EPSILON)
    }

    /// The words' weights, in order.
    pub fn weights(&self) -> Vec<f32> {
        self.words.iter().map(|w| w.weight).collect()
    }
}

fn idf(df: u64, n: u64) -> f32 {
    // A word no passage has weighs like the rarest word there is.
    let df = df.max(1) as f32;
    let n = n.max(1) as f32;
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln().max(0.05)
}

/// How much a verb no passage has counts, against a noun no passage has.
const UNKNOWN_VERB_WEIGHT: f32 = 0.3;

/// Whether a French word has a verb's ending: an infinitive, a past participle, a
/// conjugated third person. Nouns can end so too; this only lowers a weight.
fn reads_as_verb(word: &str) -> bool {
    const ENDINGS: [&str; 14] = [
        "er", "é", "ée", "és", "ées", "ent", "ait", "aient", "it", "ir", "u", "ue", "us", "ues",
    ];
    let w = word.to_lowercase();
    w.chars().count() >= 4 && !w.ends_with("ment") && ENDINGS.iter().any(|e| w.ends_with(e))
}

/// The first letters two words must share to be relatives, and the shortest word that has any.
const RELATIVE_PREFIX: usize = 6;
const RELATIVE_MIN: usize = 5;
/// Relatives kept per word (the most frequent), and how much a relative counts.
const MAX_RELATIVES: usize = 3;
const RELATIVE_SHARE: f32 = 0.6;
/// Most passages a word may be in for the lead of articles to gather candidates for it: the
/// names an article is about are rare words; a common word's lead clause made questions a
/// quarter slower at the 95th percentile among 20,000 articles, and ranked no better.
const LEAD_MAX_DF: u64 = 1000;

/// Words of the family kept per word (the most frequent), and how much one counts: less
/// than a relative, as families reach further ("front" for "frontière").
const MAX_FAMILY: usize = 3;
const FAMILY_SHARE: f32 = 0.5;
/// Synonyms kept per question word (the weightiest the index holds), and how much the
/// likeliest counts against the word itself.
const MAX_SYNONYMS: usize = 6;
const SYNONYM_SHARE: f32 = 0.5;
/// A word's thesaurus entries looked up in the index, the weightiest first: each is a term
/// dictionary lookup, and a question has several words.
const SYNONYMS_LOOKED_UP: usize = 16;

/// Index words of `field` that start like `word`, with their document frequencies.
fn relatives(
    searcher: &Searcher,
    field: tantivy::schema::Field,
    word: &str,
) -> tantivy::Result<Vec<(String, u64)>> {
    starting_like(searcher, field, word, RELATIVE_PREFIX)
}

/// Index words of `field` that share the first `prefix` letters of `word`, with their
/// document frequencies, the most frequent first.
fn starting_like(
    searcher: &Searcher,
    field: tantivy::schema::Field,
    word: &str,
    prefix_chars: usize,
) -> tantivy::Result<Vec<(String, u64)>> {
    if word.chars().count() < RELATIVE_MIN {
        return Ok(vec![]);
    }
    let end = word
        .char_indices()
        .nth(prefix_chars)
        .map(|(i, _)| i)
        .unwrap_or(word.len());
    let mut found = with_prefix(searcher, field, &word[..end], 64)?;
    found.retain(|(k, _)| k != word);
    // shorter index words the word starts with ("longu" for "longueur")
    let cuts: Vec<usize> = word
        .char_indices()
        .map(|(i, _)| i)
        .filter(|&i| word[..i].chars().count() >= RELATIVE_MIN)
        .collect();
    for cut in cuts {
        let shorter = &word[..cut];
        if found.iter().any(|(k, _)| k == shorter) {
            continue;
        }
        let df = searcher.doc_freq(&Term::from_field_text(field, shorter))?;
        if df > 0 {
            found.push((shorter.to_string(), df));
        }
    }
    found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    found.truncate(MAX_RELATIVES);
    Ok(found)
}

/// Index words of `field` that start with `prefix` (at most `limit` looked at), with their
/// document frequencies summed over the segments.
fn with_prefix(
    searcher: &Searcher,
    field: tantivy::schema::Field,
    prefix: &str,
    limit: usize,
) -> tantivy::Result<Vec<(String, u64)>> {
    let prefix = prefix.as_bytes();
    let mut upper = prefix.to_vec();
    // the first key after every key that starts with the prefix
    while let Some(last) = upper.pop() {
        if last < 0xff {
            upper.push(last + 1);
            break;
        }
    }
    let mut found: Vec<(String, u64)> = Vec::new();
    for segment in searcher.segment_readers() {
        let index = segment.inverted_index(field)?;
        let mut range = index.terms().range().ge(prefix);
        if !upper.is_empty() {
            range = range.lt(&upper);
        }
        let mut stream = range.into_stream()?;
        let mut seen = 0;
        while stream.advance() && seen < limit {
            seen += 1;
            let Ok(key) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            let df = stream.value().doc_freq as u64;
            match found.iter_mut().find(|(k, _)| k == key) {
                Some((_, n)) => *n += df,
                None => found.push((key.to_string(), df)),
            }
        }
    }
    Ok(found)
}

/// Index words of `field` of `word`'s family (see [`family`]) that are not in `taken`, with
/// their document frequencies, the most frequent first.
fn family_words(
    searcher: &Searcher,
    field: tantivy::schema::Field,
    word: &str,
    taken: &[(String, u64)],
) -> tantivy::Result<Vec<(String, u64)>> {
    let Some(own) = family::key(word) else {
        return Ok(vec![]);
    };
    let mut found: Vec<(String, u64)> = Vec::new();
    for prefix in family::prefixes(word) {
        for (k, df) in with_prefix(searcher, field, &prefix, 64)? {
            if k != word
                && family::key(&k).as_deref() == Some(own.as_str())
                && !taken.iter().any(|(t, _)| *t == k)
                && !found.iter().any(|(f, _)| *f == k)
            {
                found.push((k, df));
            }
        }
    }
    found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    found.truncate(MAX_FAMILY);
    Ok(found)
}

/// The thesaurus' words for `term` that the index holds, the weightiest first, as other
/// forms of a question word.
fn synonyms(
    searcher: &Searcher,
    field: tantivy::schema::Field,
    thesaurus: &Thesaurus,
    term: &str,
    taken: &[(String, u64)],
    gather: bool,
) -> tantivy::Result<Vec<(Other, u64)>> {
    let mut out: Vec<(Other, u64)> = Vec::new();
    for r in thesaurus.related(term).take(SYNONYMS_LOOKED_UP) {
        if r.term == term || taken.iter().any(|(k, _)| k == r.term) {
            continue;
        }
        let t = Term::from_field_text(field, r.term);
        let df = searcher.doc_freq(&t)?;
        if df > 0 {
            out.push((
                Other {
                    term: t,
                    share: SYNONYM_SHARE * r.weight,
                    gather,
                    synonym: true,
                },
                df,
            ));
            if out.len() == MAX_SYNONYMS {
                break;
            }
        }
    }
    Ok(out)
}

pub(super) fn question_terms(
    snapshot: &Snapshot,
    searcher: &Searcher,
    question: &str,
    lang: Lang,
    thesaurus: Option<&Thesaurus>,
) -> tantivy::Result<Terms> {
    let mut analyzer = analyzer::for_lang(lang);
    let fields = &snapshot.fields;
    let n = searcher.num_docs();
    let mut t = Terms::new(lang);
    for w in analyzer::words(&mut analyzer, question) {
        if t.has(&w.term) {
            continue;
        }
        let text_term = Term::from_field_text(fields.text(lang), &w.term);
        let focus = cues::is_focus_word(&cues::fold(&question[w.start..w.end]));
        let df = searcher.doc_freq(&text_term)?;
        let rel = relatives(searcher, fields.text(lang), &w.term)?;
        // words of its family the stemmer keeps apart ("frontalière" for "frontière")
        let fam = if lang == Lang::Fr {
            family_words(searcher, fields.text(lang), &w.term, &rel)?
        } else {
            vec![]
        };
        // Like relatives, synonyms gather candidates only for a word the index lacks: a word
        // it has gathers its passages itself, and the second pass still credits synonyms.
        // Six more clauses a word made a question twice as slow.
        let syn = match thesaurus {
            Some(th) if lang == Lang::Fr && !focus => {
                synonyms(searcher, fields.text(lang), th, &w.term, &rel, df == 0)?
            }
            _ => vec![],
        };
        // a word only its relatives (or, failing them, its synonyms) have weighs as they do
        let absent = df == 0;
        let df = if absent {
            rel.iter()
                .chain(&fam)
                .map(|r| r.1)
                .max()
                .or_else(|| syn.iter().map(|s| s.1).max())
                .unwrap_or(0)
        } else {
            df
        };
        // A verb weighs as its commonest form: "touchent" is rare, "touche" is not.
        let own_df = df;
        let df = if !absent && !focus && reads_as_verb(&question[w.start..w.end]) {
            rel.iter().map(|r| r.1).fold(df, u64::max)
        } else {
            df
        };
        let mut weight = idf(df, n);
        if focus {
            weight *= FOCUS_WEIGHT;
        } else if df == 0 && reads_as_verb(&question[w.start..w.end]) {
            // Questions say in their own verbs what the articles say in others ("conduit"
            // for "dirigé"): a verb no article uses says little about whether they answer.
            weight *= UNKNOWN_VERB_WEIGHT;
        }
        tracing::debug!(term = w.term, weight, focus, ?rel, ?fam, "question word");
        // Relatives gather candidates only for a word the index lacks as such: when it has
        // the word, its passages are gathered by it, and the second pass still credits
        // relatives. Fewer clauses make the search about a fifth faster.
        let others = rel
            .iter()
            .map(|(k, _)| Other {
                term: Term::from_field_text(fields.text(lang), k),
                share: RELATIVE_SHARE,
                gather: absent,
                synonym: false,
            })
            // A family word gathers when it is commoner than the word asked: the articles say
            // "frontière" more than "frontalière". One clause a word at most, for speed.
            .chain(fam.iter().enumerate().map(|(j, (k, k_df))| Other {
                term: Term::from_field_text(fields.text(lang), k),
                share: FAMILY_SHARE,
                gather: j == 0 && (absent || *k_df > own_df),
                synonym: false,
            }))
            .chain(syn.into_iter().map(|(o, _)| o))
            .collect();
        t.push(fields, &w.term, df, others, w.position, weight, focus);
    }
    Ok(t)
}

/// Translations tried per question word: the likeliest that the index holds.
const MAX_CHOICES: usize = 3;
/// How much a word counts that has no translation the articles hold: asked in another
/// language, a word the dictionary lacks says little about whether the articles answer.
const UNTRANSLATED_WEIGHT: f32 = 0.3;
/// Letters an untranslated word must share with an index word to be tried as it.
const LOOKALIKE_PREFIX: usize = 5;
/// How much a word counts at least when its translation is not its likeliest one.
const LOOKALIKE_WEIGHT: f32 = 0.6;

/// The words of a question in language `from`, searched in language `lang`: each word as
/// its likeliest translations the index holds (the word itself for names and numbers).
pub(super) fn translated_terms(
    snapshot: &Snapshot,
    searcher: &Searcher,
    question: &str,
    from: Lang,
    lang: Lang,
    dict: &Dictionary,
) -> tantivy::Result<Terms> {
    let mut from_analyzer = analyzer::for_lang(from);
    let mut analyzer = analyzer::for_lang(lang);
    let fields = &snapshot.fields;
    let n = searcher.num_docs();
    let mut t = Terms::new(lang);
    let mut seen: Vec<String> = Vec::new();
    for w in analyzer::words(&mut from_analyzer, question) {
        if seen.contains(&w.term) {
            continue;
        }
        seen.push(w.term.clone());
        let surface = &question[w.start..w.end];
        let focus = cues::is_focus_word(&cues::fold(surface));
        let choices = translate::choices(dict, from, &w.term, surface, &mut analyzer);
        let mut found: Vec<(translate::Choice, u64)> = Vec::new();
        for c in &choices {
            if found.iter().any(|(f, _)| f.term == c.term) || t.has(&c.term) {
                continue;
            }
            let df = searcher.doc_freq(&Term::from_field_text(fields.text(lang), &c.term))?;
            if df > 0 {
                found.push((c.clone(), df));
                if found.len() == MAX_CHOICES {
                    break;
                }
            }
        }
        if found.is_empty() && !surface.chars().any(|c| c.is_ascii_digit()) {
            // No translation the articles hold: words that start alike in both languages
            // ("patrol" and "patrouille", "govern" and "gouverner") are tried, for less.
            let folded = cues::fold(surface);
            for (k, df) in starting_like(searcher, fields.text(lang), &folded, LOOKALIKE_PREFIX)? {
                if !t.has(&k) && found.len() < MAX_CHOICES {
                    let choice = translate::Choice {
                        word: format!("{k}…"),
                        term: k,
                        weight: 0.5,
                    };
                    found.push((choice, df));
                }
            }
        }
        let Some((primary, df)) = found.first().cloned() else {
            // nothing the articles hold: the word still counts, a little, so that a question
            // about something else is not answered by its one translated word
            if let Some(c) = choices.first() {
                if !t.has(&c.term) {
                    let weight = idf(0, n) * UNTRANSLATED_WEIGHT;
                    t.push(fields, &c.term, 0, vec![], w.position, weight, focus);
                }
            }
            continue;
        };
        let mut weight = idf(df, n);
        if focus {
            weight *= FOCUS_WEIGHT;
        }
        if primary.weight < 1.0 {
            weight *= LOOKALIKE_WEIGHT.max(primary.weight);
        }
        let others = found[1..]
            .iter()
            .map(|(c, _)| Other {
                term: Term::from_field_text(fields.text(lang), &c.term),
                share: (c.weight / primary.weight).clamp(0.3, 1.0),
                gather: true,
                synonym: false,
            })
            .collect();
        tracing::debug!(word = surface, ?found, weight, "translated question word");
        // the word searched as itself alone (a name, a number) is no translation to show
        let into: Vec<String> = found.iter().map(|(c, _)| c.word.clone()).collect();
        if into
            .iter()
            .any(|x| x.to_lowercase() != surface.to_lowercase())
        {
            t.translated.push(Translated {
                word: surface.to_string(),
                into,
            });
        }
        t.push(fields, &primary.term, df, others, w.position, weight, focus);
    }
    Ok(t)
}
