//! The article in a news page (placeholder: replaced by the extraction work).

/// Fewer words than this is not an article.
pub const MIN_WORDS: usize = 60;

/// An article extracted from a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub title: String,
    pub author: Option<String>,
    /// ISO 8601, when the page gives a date.
    pub date: Option<String>,
    /// A language tag as the page gives it ("fr", "fr-FR").
    pub lang: Option<String>,
    pub site: Option<String>,
    /// `<link rel="canonical">`, else `og:url`, resolved against the page's URL.
    pub canonical: Option<url::Url>,
    /// The article's text as Markdown: paragraphs separated by blank lines.
    pub text: String,
    pub words: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("too short (paywall, or not an article?): {0} words")]
    TooShort(usize),
    #[error("not an article: {0}")]
    NotArticle(String),
}

/// Extracts the article of `html`, fetched from `url`.
pub fn extract(_html: &str, _url: &url::Url) -> Result<Extracted, ExtractError> {
    Err(ExtractError::NotArticle("not built yet".into()))
}
