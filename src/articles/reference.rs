//! What names an article wherever it is shown: a hit, a summary, a topic sentence, the
//! article list. One type, so that a hit and the list never disagree on an article's title,
//! date or link.

use serde::{Deserialize, Serialize};

/// An article as a reader sees it named: its id in the index, its title, where it comes
/// from, and what its front matter says of when, who and where.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ArticleRef {
    /// The path relative to the corpus directory without its extension (`web/host/slug`
    /// for a fetched article). In JSON, `article`.
    #[serde(rename = "article")]
    pub id: String,
    pub title: String,
    /// The url from front matter, or the path relative to the corpus' parent.
    pub source: String,
    /// The article's date as its front matter gives it (ISO 8601 for fetched articles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The site that published it ("Le Monde").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// Its url, when its front matter gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}
