//! Clients for the outside services the engine is handed (with the `http` feature): today
//! the embedding server. Each implements a trait of the engine's, so tests can hand the
//! engine their own.

pub mod embeddings;
