//! The commands a terminal runs (`index`, `articles`, `ask`), as plain functions over the
//! engine that write to any output: the binary gives them stdout, tests give them a buffer.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use crate::corpus::{Corpus, CorpusError};
use crate::index::{self, IndexError, Opened, Snapshot, Store};
use crate::render::{self, Style};
use crate::search::{self, AskError};
use crate::summarize::{self, SummaryError};

/// A progress bar on standard error, shown only on a terminal and only once a build has
/// taken more than a second.
struct TerminalProgress {
    started: std::time::Instant,
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
    enabled: bool,
}

impl TerminalProgress {
    fn new() -> TerminalProgress {
        use std::io::IsTerminal;
        TerminalProgress {
            started: std::time::Instant::now(),
            bar: std::sync::OnceLock::new(),
            enabled: std::io::stderr().is_terminal(),
        }
    }

    fn show(&self, done: usize, total: usize) {
        if !self.enabled || self.started.elapsed() < std::time::Duration::from_secs(1) {
            return;
        }
        let bar = self.bar.get_or_init(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            let style = indicatif::ProgressStyle::with_template(
                "indexing {bar:40} {pos}/{len} articles, {eta} left",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

/// Where the corpus and the index are.
#[derive(Debug, Clone)]
pub struct Paths {
    pub corpus: PathBuf,
    pub index: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Ask(#[from] AskError),
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Summary(#[from] SummaryError),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// How a command ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// The input was refused (a rejected question).
    Refused,
}

/// Opens the index for questions, building or refreshing it first when the corpus changed.
pub fn open(paths: &Paths) -> Result<Snapshot, IndexError> {
    let corpus = Corpus::open(&paths.corpus)?;
    let store = Store::new(&paths.index);
    let (snapshot, opened) = index::open_or_build(&corpus, &store, true)?;
    if let Opened::Built(report) = &opened {
        let first = report.added == report.articles && report.unchanged + report.changed == 0;
        tracing::info!(
            "{} in {:.2} s ({} articles, {} passages, {} failed)",
            if first {
                "no index yet: built it"
            } else {
                "the corpus changed: index refreshed"
            },
            report.seconds,
            report.articles,
            report.passages,
            report.failed.len()
        );
        for f in &report.failed {
            tracing::warn!("not indexed: {}: {}", f.path, f.reason);
        }
    }
    Ok(snapshot)
}

/// `kiosque index`: builds or refreshes the index and says what it did.
pub fn index(
    paths: &Paths,
    full: bool,
    json: bool,
    out: &mut dyn Write,
) -> Result<Outcome, ConsoleError> {
    let corpus = Corpus::open(&paths.corpus)?;
    let store = Store::new(&paths.index);
    let bar = TerminalProgress::new();
    let (_, report) = index::refresh(&corpus, &store, full, &|done, total| bar.show(done, total))?;
    bar.finish();
    if json {
        writeln!(out, "{}", render::report_json(&report))?;
    } else {
        write!(out, "{}", render::report_text(&report))?;
    }
    Ok(Outcome::Done)
}

/// `kiosque articles`: lists the indexed articles.
pub fn articles(paths: &Paths, json: bool, out: &mut dyn Write) -> Result<Outcome, ConsoleError> {
    let snapshot = open(paths)?;
    let articles = &snapshot.catalog.articles;
    if json {
        writeln!(out, "{}", render::articles_json(articles))?;
    } else {
        write!(out, "{}", render::articles_text(articles))?;
    }
    Ok(Outcome::Done)
}

/// `kiosque ask QUESTION`: answers one question.
pub fn ask(
    paths: &Paths,
    question: &str,
    top: usize,
    json: bool,
    style: Style,
    out: &mut dyn Write,
) -> Result<Outcome, ConsoleError> {
    let snapshot = open(paths)?;
    match search::ask(&snapshot, question, top) {
        Ok(answer) if json => writeln!(out, "{}", render::answer_json(&answer))?,
        Ok(answer) => write!(out, "{}", render::answer_text(&answer, style))?,
        Err(AskError::Question(e)) => {
            if json {
                writeln!(out, "{}", render::error_json(question, &e.to_string()))?;
            } else {
                tracing::error!("{e}");
            }
            return Ok(Outcome::Refused);
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Outcome::Done)
}

/// `kiosque ask -`: one question per input line, one JSON line per question, in order. A bad
/// line gets an error line and the next line is read.
pub fn ask_lines(
    paths: &Paths,
    input: &mut dyn BufRead,
    top: usize,
    out: &mut dyn Write,
) -> Result<Outcome, ConsoleError> {
    let snapshot = open(paths)?;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&buf);
        let question = line.trim_end_matches(['\n', '\r']);
        let reply = match search::ask(&snapshot, question, top) {
            Ok(answer) => render::answer_json(&answer),
            Err(e) => render::error_json(question, &e.to_string()),
        };
        writeln!(out, "{reply}")?;
        out.flush()?;
    }
    Ok(Outcome::Done)
}

/// `kiosque summary ARTICLE`: the article's summary. An unknown or ambiguous name is refused
/// with the closest matches.
pub fn summary(
    paths: &Paths,
    name: &str,
    n: usize,
    json: bool,
    out: &mut dyn Write,
) -> Result<Outcome, ConsoleError> {
    let snapshot = open(paths)?;
    let corpus = Corpus::open(&paths.corpus)?;
    let entry = match summarize::find(&snapshot.catalog.articles, name) {
        Ok(e) => e,
        Err(e) => {
            let (intro, list) = match &e {
                SummaryError::NotFound { closest, .. } => ("; closest:", closest),
                SummaryError::Ambiguous { matches, .. } => (":", matches),
                SummaryError::Unreadable(..) => return Err(e.into()),
            };
            let mut msg = e.to_string();
            if !list.is_empty() {
                msg.push_str(intro);
                for m in list {
                    msg.push_str("\n  ");
                    msg.push_str(m);
                }
            }
            tracing::error!("{msg}");
            return Ok(Outcome::Refused);
        }
    };
    let s = summarize::summary(&corpus, entry, n)?;
    if json {
        writeln!(out, "{}", serde_json::to_string(&s).unwrap_or_default())?;
    } else {
        writeln!(out, "{}\n{}\n", s.title, s.source)?;
        for sentence in &s.sentences {
            writeln!(out, "{}", sentence.text)?;
        }
    }
    Ok(Outcome::Done)
}

/// `kiosque summary --topic QUESTION`: the best sentences about a topic across articles.
pub fn topic(
    paths: &Paths,
    question: &str,
    n: usize,
    json: bool,
    out: &mut dyn Write,
) -> Result<Outcome, ConsoleError> {
    let snapshot = open(paths)?;
    let corpus = Corpus::open(&paths.corpus)?;
    let s = match summarize::topic(&snapshot, &corpus, question, n) {
        Ok(s) => s,
        Err(AskError::Question(e)) => {
            tracing::error!("{e}");
            return Ok(Outcome::Refused);
        }
        Err(e) => return Err(e.into()),
    };
    if json {
        writeln!(out, "{}", serde_json::to_string(&s).unwrap_or_default())?;
    } else if s.sentences.is_empty() {
        writeln!(out, "The articles say nothing about this topic.")?;
    } else {
        for x in &s.sentences {
            writeln!(out, "{}\n   — {} ({})", x.text, x.title, x.source)?;
        }
    }
    Ok(Outcome::Done)
}
