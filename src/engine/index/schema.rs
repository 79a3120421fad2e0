//! The index's schema, built once: one tantivy document per passage, with its article, place,
//! title, source and stored text, the text, title and article lead analysed in French and in
//! English, and fast fields of flags (the cues the passage holds, and whether it is English),
//! of its place in its article, of its article (a hash of the id) and of the key of the
//! passage's vector for semantic search. Field handles are kept typed
//! in [`Fields`].

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STORED,
    STRING,
};

use crate::lang::cues::Cues;
use crate::lang::{analyzer, Lang};

/// Bumped whenever the schema, the analyzers or the passage rules change: an index of another
/// version is rebuilt.
pub const FORMAT_VERSION: u32 = 7;
/// What the `flags` fast field says of a passage: the kinds of facts it holds and its
/// language. Stored as one number (the cue bits, and the language at [`ENGLISH_BIT`]); read
/// and written only through this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassageFlags {
    pub cues: Cues,
    pub lang: Lang,
}

/// The bit of the `flags` field that says a passage is English, above every cue bit.
const ENGLISH_BIT: u64 = 1 << 8;

impl PassageFlags {
    pub fn encode(self) -> u64 {
        let lang = if self.lang == Lang::En {
            ENGLISH_BIT
        } else {
            0
        };
        (self.cues.0 & (ENGLISH_BIT - 1)) | lang
    }

    pub fn decode(flags: u64) -> PassageFlags {
        PassageFlags {
            cues: Cues(flags & (ENGLISH_BIT - 1)),
            lang: if flags & ENGLISH_BIT != 0 {
                Lang::En
            } else {
                Lang::Fr
            },
        }
    }
}

/// The schema's fields, kept typed.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub article: Field,
    pub paragraph: Field,
    pub title: Field,
    pub source: Field,
    pub passage: Field,
    pub text_fr: Field,
    pub text_en: Field,
    pub title_fr: Field,
    pub title_en: Field,
    /// The article's lead (its first passage), analysed, on every other passage: what a
    /// reader of the passage already knows of its subject.
    pub lead_fr: Field,
    pub lead_en: Field,
    pub flags: Field,
    /// A hash of the text semantic search embeds for the passage (its title and text): the
    /// key of its vector in the cache.
    pub vkey: Field,
    /// A hash of the passage's article id: the passages of one article, told apart without
    /// reading the store.
    pub akey: Field,
}

impl Fields {
    pub fn text(&self, lang: Lang) -> Field {
        match lang {
            Lang::Fr => self.text_fr,
            Lang::En => self.text_en,
        }
    }

    pub fn title_terms(&self, lang: Lang) -> Field {
        match lang {
            Lang::Fr => self.title_fr,
            Lang::En => self.title_en,
        }
    }

    pub fn lead(&self, lang: Lang) -> Field {
        match lang {
            Lang::Fr => self.lead_fr,
            Lang::En => self.lead_en,
        }
    }
}

/// Builds the schema: one document per passage.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analysed = |name: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(name)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    // the lead is only searched and checked for a word, never read at positions
    let counted = |name: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(name)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let fields = Fields {
        article: b.add_text_field("article", STRING | STORED),
        paragraph: b.add_u64_field(
            "paragraph",
            NumericOptions::default().set_stored().set_fast(),
        ),
        title: b.add_text_field("title", STORED),
        source: b.add_text_field("source", STORED),
        passage: b.add_text_field("passage", STORED),
        text_fr: b.add_text_field("text_fr", analysed(analyzer::FRENCH)),
        text_en: b.add_text_field("text_en", analysed(analyzer::ENGLISH)),
        title_fr: b.add_text_field("title_fr", analysed(analyzer::FRENCH)),
        title_en: b.add_text_field("title_en", analysed(analyzer::ENGLISH)),
        lead_fr: b.add_text_field("lead_fr", counted(analyzer::FRENCH)),
        lead_en: b.add_text_field("lead_en", counted(analyzer::ENGLISH)),
        flags: b.add_u64_field("flags", NumericOptions::default().set_fast()),
        vkey: b.add_u64_field("vkey", NumericOptions::default().set_fast()),
        akey: b.add_u64_field("akey", NumericOptions::default().set_fast()),
    };
    (b.build(), fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_keep_cues_and_language_apart() {
        for lang in [Lang::Fr, Lang::En] {
            for bits in [0, Cues::PERSON | Cues::DATE, Cues::NUMBER | Cues::PLACE] {
                let f = PassageFlags {
                    cues: Cues(bits),
                    lang,
                };
                assert_eq!(PassageFlags::decode(f.encode()), f);
            }
        }
        // a cue bit never reads as a language, nor the language as a cue
        assert_eq!(PassageFlags::decode(Cues::PLACE).lang, Lang::Fr);
        assert_eq!(PassageFlags::decode(ENGLISH_BIT).cues, Cues(0));
    }
}
