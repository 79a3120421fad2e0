//! `kiosque add` (web pages into the corpus) and `kiosque feeds` (the feed list, and a poll
//! of it), with their reports in words or as one JSON line.

use std::io::Write;
use std::path::Path;

use super::{embed, ConsoleError, Outcome, Setup, TerminalProgress};
use crate::engine::{AddReport, Engine, FeedInfo, FeedOutcome, PollReport, Saved};

/// `kiosque add URL...`: fetches each page, saves its article and refreshes the index.
/// [`Outcome::Partial`] when a URL gave no article (the others are saved).
pub fn add(
    setup: &Setup,
    urls: &[String],
    json: bool,
    out: &mut dyn Write,
) -> Result<Outcome, ConsoleError> {
    let engine = setup.engine()?;
    let bar = TerminalProgress::counting("fetching {bar:40} {pos}/{len} pages");
    let report = engine.add(urls, &|done, total| bar.show(done, total))?;
    bar.finish();
    if report.index.is_some() {
        embed(&engine);
    }
    if json {
        writeln!(out, "{}", add_json(&report))?;
    } else {
        write!(out, "{}", add_text(&report))?;
    }
    Ok(if report.all_saved() {
        Outcome::Done
    } else {
        Outcome::Partial
    })
}

/// The feed list's file, for messages.
fn list_of(engine: &Engine) -> &Path {
    engine.feed_list().unwrap_or(Path::new("the feed list"))
}

/// `kiosque feeds add URL`.
pub fn feeds_add(setup: &Setup, url: &str, out: &mut dyn Write) -> Result<Outcome, ConsoleError> {
    let engine = setup.engine()?;
    let list = list_of(&engine);
    if engine.follow(url)? {
        writeln!(out, "added to {}: {url}", list.display())?;
    } else {
        writeln!(out, "already in {}: {url}", list.display())?;
    }
    Ok(Outcome::Done)
}

/// `kiosque feeds remove URL`.
pub fn feeds_remove(
    setup: &Setup,
    url: &str,
    out: &mut dyn Write,
) -> Result<Outcome, ConsoleError> {
    let engine = setup.engine()?;
    let list = list_of(&engine);
    if engine.unfollow(url)? {
        writeln!(out, "removed from {}: {url}", list.display())?;
        Ok(Outcome::Done)
    } else {
        writeln!(out, "not in {}: {url}", list.display())?;
        Ok(Outcome::Partial)
    }
}

/// `kiosque feeds list`: each feed with its last poll and its failures.
pub fn feeds_list(setup: &Setup, json: bool, out: &mut dyn Write) -> Result<Outcome, ConsoleError> {
    let engine = setup.engine()?;
    let info = engine.feeds()?;
    if json {
        writeln!(out, "{}", serde_json::to_string(&info).unwrap_or_default())?;
    } else {
        write!(out, "{}", feeds_text(list_of(&engine), &info))?;
    }
    Ok(Outcome::Done)
}

fn feeds_text(list: &Path, info: &[FeedInfo]) -> String {
    if info.is_empty() {
        return format!(
            "No feeds in {}: add one with `kiosque feeds add URL`.\n",
            list.display()
        );
    }
    let mut s = String::new();
    for f in info {
        let r = &f.record;
        s.push_str(&f.feed);
        if let Some(t) = &r.title {
            s.push_str(&format!(" — {t}"));
        }
        s.push('\n');
        let polled = r.last_poll.as_deref().unwrap_or("never");
        s.push_str(&format!(
            "    last polled: {polled}; {} items seen",
            r.seen.len()
        ));
        if r.failures > 0 {
            s.push_str(&format!(
                "; failing ({} in a row): {}; next try after {}",
                r.failures,
                r.reason.as_deref().unwrap_or("?"),
                r.next_try.as_deref().unwrap_or("the next round")
            ));
        }
        s.push('\n');
    }
    s
}

/// `kiosque feeds poll`: one round over every feed (failing ones too: an admin asked).
/// [`Outcome::Partial`] when a feed or a page failed.
pub fn feeds_poll(setup: &Setup, json: bool, out: &mut dyn Write) -> Result<Outcome, ConsoleError> {
    let engine = setup.engine()?;
    let bar = TerminalProgress::counting("polling {bar:40} {pos}/{len} feeds");
    let report = engine.poll(false, &|d, t| bar.show(d, t))?;
    bar.finish();
    if report.pages.index.is_some() {
        embed(&engine);
    }
    if json {
        writeln!(
            out,
            "{}",
            serde_json::to_string(&report).unwrap_or_default()
        )?;
    } else {
        write!(out, "{}", poll_text(list_of(&engine), &report))?;
    }
    let failed = report.feeds.iter().any(|f| f.status == FeedOutcome::Failed);
    Ok(if failed || !report.pages.all_saved() {
        Outcome::Partial
    } else {
        Outcome::Done
    })
}

/// A poll in words: each feed's status, then the pages as `add` says them.
pub fn poll_text(list: &Path, report: &PollReport) -> String {
    if report.feeds.is_empty() {
        return format!(
            "No feeds in {}: add one with `kiosque feeds add URL`.\n",
            list.display()
        );
    }
    let mut s = String::new();
    for f in &report.feeds {
        s.push_str(&format!("{:<13} {} ({} new)", f.status, f.feed, f.new));
        if let Some(r) = &f.reason {
            s.push_str(&format!(": {r}"));
        }
        s.push('\n');
    }
    s + &add_text(&report.pages)
}

/// The report as JSON: `{"added": [...], "changed": [...], "unchanged": [...], "failed":
/// [{"url", "reason"}]}`.
pub fn add_json(report: &AddReport) -> String {
    // a struct of strings always serializes
    serde_json::to_string(report).unwrap_or_default()
}

/// The report in words: a line per URL, then the counts.
pub fn add_text(report: &AddReport) -> String {
    let mut s = String::new();
    let mut lines = |what: &str, list: &[Saved]| {
        for a in list {
            s.push_str(&format!(
                "{what:<9} {} — {}\n          {}\n",
                a.title, a.path, a.url
            ));
        }
    };
    lines("added", &report.added);
    lines("changed", &report.changed);
    lines("unchanged", &report.unchanged);
    for f in &report.failed {
        s.push_str(&format!("failed    {} — {}\n", f.url, f.reason));
    }
    s.push_str(&format!(
        "{} added, {} changed, {} unchanged, {} failed.",
        report.added.len(),
        report.changed.len(),
        report.unchanged.len(),
        report.failed.len()
    ));
    match &report.index {
        Some(r) => s.push_str(&format!(
            " The index is up to date: {} articles.\n",
            r.articles
        )),
        None => s.push('\n'),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::NotSaved;

    fn saved(n: &str) -> Saved {
        Saved {
            url: format!("https://example.org/{n}?utm_source=x"),
            article: format!("web/example.org/{n}"),
            title: format!("Titre {n}"),
            path: format!("corpus/web/example.org/{n}.md"),
        }
    }

    #[test]
    fn reports_say_what_became_of_each_url() {
        let report = AddReport {
            added: vec![saved("a")],
            changed: vec![saved("b")],
            unchanged: vec![],
            failed: vec![NotSaved {
                url: "http://127.0.0.2/".into(),
                reason: "refused: 127.0.0.2 is not a public address".into(),
            }],
            index: None,
        };
        let v: serde_json::Value = serde_json::from_str(&add_json(&report)).unwrap();
        assert_eq!(v["added"][0]["article"], "web/example.org/a");
        assert_eq!(v["added"][0]["path"], "corpus/web/example.org/a.md");
        assert_eq!(v["changed"][0]["title"], "Titre b");
        assert_eq!(v["unchanged"].as_array().unwrap().len(), 0);
        assert_eq!(v["failed"][0]["url"], "http://127.0.0.2/");
        assert!(v.get("index").is_none());
        let text = add_text(&report);
        assert!(
            text.contains("added     Titre a — corpus/web/example.org/a.md"),
            "{text}"
        );
        assert!(
            text.contains("failed    http://127.0.0.2/ — refused"),
            "{text}"
        );
        assert!(
            text.ends_with("1 added, 1 changed, 0 unchanged, 1 failed.\n"),
            "{text}"
        );
    }
}
