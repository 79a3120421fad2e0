//! Stage 1 of a question: understanding it. The raw text is checked and cleaned (it is only
//! ever words, never query syntax), its language and what it asks for are told, and its
//! words become weighted [`Terms`] for each language the articles are in: as written for
//! articles in the question's language, translated for the others.

use tantivy::Searcher;

use super::terms::{question_terms, translated_terms, Terms};
use super::Translated;
use crate::engine::index::snapshot::Snapshot;
use crate::engine::Services;
use crate::lang::cues::{self, Asks};
use crate::lang::{self, Lang};

/// Longest question accepted, in characters.
pub const MAX_QUESTION_CHARS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuestionError {
    #[error("the question is empty")]
    Empty,
    #[error("the question is too long ({0} characters, at most {MAX_QUESTION_CHARS})")]
    TooLong(usize),
    #[error("the question is made of control characters only")]
    ControlOnly,
}

/// Checks a question and returns it cleaned: control characters become spaces, invisible
/// format characters go, white space is collapsed.
pub fn clean_question(raw: &str) -> Result<String, QuestionError> {
    let chars = raw.trim().chars().count();
    if chars > MAX_QUESTION_CHARS {
        return Err(QuestionError::TooLong(chars));
    }
    let mut had_control = false;
    let cleaned: String = raw
        .chars()
        .filter_map(|c| {
            if c.is_control() {
                had_control |= !c.is_whitespace();
                Some(' ')
            } else if matches!(c, '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
                None
            } else {
                Some(c)
            }
        })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if cleaned.is_empty() {
        return Err(if had_control {
            QuestionError::ControlOnly
        } else {
            QuestionError::Empty
        });
    }
    Ok(cleaned)
}

/// A question, understood: what the next stages search for.
pub(crate) struct Question {
    /// The cleaned text.
    pub text: String,
    pub lang: Lang,
    pub asks: Asks,
    /// Its weighted words, one set per language the articles are in (none when no word of
    /// the question can be searched).
    pub terms: Vec<Terms>,
}

impl Question {
    /// The question's words searched in the other language, and what they were taken for.
    pub fn translations(&self) -> Vec<Translated> {
        self.terms
            .iter()
            .flat_map(|t| t.translated.iter().cloned())
            .collect()
    }

    /// The words for passages of language `lang`.
    pub fn terms_for(&self, lang: Lang) -> Option<&Terms> {
        self.terms.iter().find(|t| t.lang == lang)
    }
}

/// Understands a question: cleans it, tells its language (unless the caller knows it) and
/// what it asks for, and weighs its words against the index, with the thesaurus' synonyms
/// when there is one, translating them with the dictionary for articles in the other
/// language.
pub(crate) fn understand(
    snapshot: &Snapshot,
    searcher: &Searcher,
    raw: &str,
    lang: Option<Lang>,
    services: &Services,
) -> Result<Question, super::AskError> {
    let text = clean_question(raw)?;
    let asks = cues::asks(&text);
    let question_lang = lang.unwrap_or_else(|| lang::question_lang(&text));
    let mut article_langs = vec![Lang::Fr];
    if snapshot.has_english {
        article_langs.push(Lang::En);
    }
    let mut terms = Vec::with_capacity(article_langs.len());
    for article_lang in article_langs {
        terms.push(match services.dictionary.as_deref() {
            Some(d) if article_lang != question_lang => {
                translated_terms(snapshot, searcher, &text, question_lang, article_lang, d)?
            }
            _ => question_terms(
                snapshot,
                searcher,
                &text,
                article_lang,
                services.thesaurus.as_deref(),
            )?,
        });
    }
    terms.retain(|t| !t.words.is_empty());
    Ok(Question {
        text,
        lang: question_lang,
        asks,
        terms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_checked() {
        assert_eq!(clean_question(""), Err(QuestionError::Empty));
        assert_eq!(clean_question("  \n\t "), Err(QuestionError::Empty));
        assert_eq!(
            clean_question("\u{1}\u{2}\u{7f}"),
            Err(QuestionError::ControlOnly)
        );
        assert_eq!(
            clean_question(&"a".repeat(1001)),
            Err(QuestionError::TooLong(1001))
        );
        assert!(clean_question(&"é".repeat(1000)).is_ok());
        assert_eq!(
            clean_question(" Qui\u{0}  est\u{200b}-il ?\n").unwrap(),
            "Qui est-il ?"
        );
    }
}
