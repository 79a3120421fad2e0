//! Reading articles: the corpus directory and its files ([`corpus`]), how a file's bytes
//! become an article with a title and metadata ([`parse`]), passages that read on their own
//! ([`passage`]), and sentence boundaries ([`text`]). Nothing here knows about the index.

pub mod corpus;
pub mod date;
pub mod front_matter;
pub mod parse;
pub mod passage;
mod reference;
pub mod text;

pub use corpus::{Corpus, CorpusError, Failure, FileStamp, Listing, EXTENSIONS, MAX_FILE_BYTES};
pub use parse::{decode, parse_file, Article};
pub use reference::ArticleRef;
