//! Meaning: what the engine knows of the outside models that read text. The [`Embedder`]
//! trait (texts into vectors, for questions and for passages), the passage vectors (`vectors`:
//! the cache on disk keyed by model and text, and one generation's vector set, searched by
//! cosine) and the [`Reader`] trait (a cross-encoder that reorders the best candidates). The
//! HTTP clients for these services are in `crate::services`; the engine is handed them in its
//! `Services`.
//!
//! Edges: `meaning` uses only the engine's `lease` (one writer of a vector cache at a time).

pub(crate) mod embed;
pub(crate) mod reader;
pub(crate) mod vectors;

pub use embed::{EmbedError, Embedder, Kind, Style};
pub use reader::{Reader, RerankError};
