//! The reader, seen from the engine: an optional cross-encoder reranker that reads a question
//! together with each candidate passage and scores how well the passage answers it
//! ([`Reader`]), more closely than words or vectors can. The engine is handed one in its
//! services; the HTTP client for the `/rerank` API (text-embeddings-inference, Infinity,
//! llama.cpp's server, Cohere- and Jina-style hosted APIs) is in `crate::services`, and tests
//! hand it their own.

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RerankError {
    #[error("the reranking server cannot be reached: {0}")]
    Unreachable(String),
    #[error("the reranking server took longer than {0} ms")]
    Timeout(u64),
    #[error("the reranking server answered {status}: {message}")]
    Refused { status: u16, message: String },
    #[error("the reranking server's answer is not understood: {0}")]
    Malformed(String),
}

/// Scores passages against a question, each read together with it.
pub trait Reader: Send + Sync + std::fmt::Debug {
    /// The model's name, for logs and reports.
    fn model(&self) -> &str;

    /// The score of each document for `query`, in the documents' order: exactly
    /// `documents.len()` entries, entry `i` the score of `documents[i]` (higher is more
    /// relevant; the scale is the model's), or none when the answer left that document out
    /// (servers may sort and cut the list). No documents: no call, no scores.
    fn rerank(&self, query: &str, documents: &[&str]) -> Result<Vec<Option<f32>>, RerankError>;
}
