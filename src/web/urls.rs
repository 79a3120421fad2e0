//! URL keys and file names (placeholder: replaced by the extraction work).

/// The key every variant of an article's URL shares.
pub fn key(url: &url::Url) -> String {
    url.to_string()
}

/// The URL without tracking parameters or fragment: the one saved.
pub fn clean(url: &url::Url) -> url::Url {
    url.clone()
}

/// The directory of a site's articles under `web/`: its host, lower-case.
pub fn host_dir(url: &url::Url) -> String {
    url.host_str().unwrap_or("unknown").to_string()
}

/// A file name (without extension) for an article: from its URL's path, else its title.
pub fn slug(url: &url::Url, _title: &str) -> String {
    url.path().replace('/', "-")
}
