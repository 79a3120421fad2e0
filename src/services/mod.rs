//! Clients for the outside services the engine is handed (with the `http` feature): the
//! embedding server, the reranking server (a cross-encoder behind the `/rerank` API), and
//! (with the `web` feature) the HTTP fetcher of pages and feeds, which refuses addresses that
//! are not public and honours robots.txt. Each implements a trait of the engine's, so tests
//! can hand the engine their own.

pub mod embeddings;
#[cfg(feature = "web")]
pub mod fetch;
pub mod rerank;
