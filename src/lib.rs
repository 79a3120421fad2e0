//! kiosque answers questions about a corpus of news articles with the passages that answer
//! them, each with its source. The layers, from the bottom:
//!
//! - [`articles`]: the corpus directory, files parsed into articles, passages, sentences;
//! - [`lang`]: languages, analyzers, question cues, the bilingual dictionary;
//! - [`engine`]: the index on disk and the one door to it, [`engine::Engine`]: ask,
//!   summaries, article lists, reindexing;
//! - [`front`]: the terminal, the benchmark and the Discord bot, which call only the engine;
//! - `services` (the `http` feature): clients for outside services, such as the embedding
//!   server, which the engine is handed behind its own traits;
//! - `web` (the `web` feature): articles from the web without the network: pages' characters,
//!   the article in a page, URL keys, and the [`web::Fetch`] seam;
//! - `cluster` (the `cluster` feature): machines sharing the index's generations through
//!   NATS JetStream, one writer publishing and `serve-http` replicas following;
//! - [`config`]: every setting, read once by clap from flags, the environment and `.env`.

pub mod articles;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod config;
pub mod engine;
pub mod front;
pub mod lang;
#[cfg(feature = "http")]
pub mod services;
#[cfg(feature = "web")]
pub mod web;
