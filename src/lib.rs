//! kiosque answers questions about a corpus of news articles: it reads the articles
//! ([`corpus`]), splits them into passages ([`passage`]), indexes them with French- and
//! English-aware analyzers ([`analyzer`], [`index`]) and answers questions with ranked,
//! highlighted passages and their sources ([`search`]). [`render`] and [`console`] make that
//! usable from a terminal.

pub mod analyzer;
pub mod bench;
pub mod config;
pub mod console;
pub mod corpus;
pub mod cues;
pub mod dictionary;
pub mod discord;
pub mod engine;
pub mod index;
pub mod passage;
pub mod ratelimit;
pub mod render;
pub mod reply;
pub mod search;
pub mod summarize;
pub mod text;
pub mod translate;
pub mod watch;
