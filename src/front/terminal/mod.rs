//! The commands a terminal runs (`index`, `articles`, `ask`, `summary`, and `add` in [`web`]), as plain functions
//! over the engine that write to any output: the binary gives them stdout, tests give them a
//! buffer. Rendering is in [`render`] (text) and [`json`] (JSON lines).

mod json;
mod render;
#[cfg(feature = "web")]
mod web;

pub use render::Style;
#[cfg(feature = "web")]
pub use web::{add, feeds_add, feeds_list, feeds_poll, feeds_remove};

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;

use crate::engine::{
    AskError, EmbedReport, Engine, Explain, IndexError, ReindexError, Services, SummaryError,
    MAX_QUESTION_CHARS,
};

/// Longest line `ask -` reads, in bytes: far more than a question may be, so a longer line
/// is refused with a clear error (and the next line is read) instead of filling memory.
pub const MAX_LINE_BYTES: usize = 16 * MAX_QUESTION_CHARS;

/// A progress bar on standard error, shown only on a terminal and only once a build has
/// taken more than a second.
struct TerminalProgress {
    started: std::time::Instant,
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
    enabled: bool,
    /// The bar's template: what is counted.
    template: &'static str,
}

impl TerminalProgress {
    fn new() -> TerminalProgress {
        TerminalProgress::counting("indexing {bar:40} {pos}/{len} articles, {eta} left")
    }

    fn counting(template: &'static str) -> TerminalProgress {
        use std::io::IsTerminal;
        TerminalProgress {
            started: std::time::Instant::now(),
            bar: std::sync::OnceLock::new(),
            enabled: std::io::stderr().is_terminal(),
            template,
        }
    }

    fn show(&self, done: usize, total: usize) {
        if !self.enabled || self.started.elapsed() < std::time::Duration::from_secs(1) {
            return;
        }
        let bar = self.bar.get_or_init(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            let style = indicatif::ProgressStyle::with_template(self.template)
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

/// Where the corpus and the index are, and the services the engine is built with.
#[derive(Debug, Clone)]
pub struct Setup {
    pub corpus: PathBuf,
    pub index: PathBuf,
    pub services: Services,
}

impl Setup {
    /// The engine: the index built or refreshed first when the corpus changed.
    pub fn engine(&self) -> Result<Engine, IndexError> {
        Engine::open(&self.corpus, &self.index, self.services.clone())
    }

    /// The engine for questions: [`Setup::engine`], and, with an embedding server, the
    /// passages it has no vector for embedded first (once: vectors are cached).
    pub fn engine_for_questions(&self) -> Result<Engine, IndexError> {
        let engine = self.engine()?;
        if let Some(report) = embed(&engine) {
            if let Some(why) = &report.failed {
                tracing::warn!(
                    "{} of {} passages have no vector: they are found by their words only ({why})",
                    report.passages - report.with_vectors,
                    report.passages
                );
            }
        }
        Ok(engine)
    }
}

/// Embeds the passages the vector cache lacks, with a progress bar on a terminal.
fn embed(engine: &Engine) -> Option<EmbedReport> {
    let bar = TerminalProgress::counting("embedding {bar:40} {pos}/{len} passages, {eta} left");
    let report = engine.embed(&|done, total| bar.show(done, total));
    bar.finish();
    report
}

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Reindex(#[from] ReindexError),
    #[error(transparent)]
    Ask(#[from] AskError),
    #[error(transparent)]
    Summary(#[from] SummaryError),
    #[cfg(feature = "web")]
    #[error(transparent)]
    Add(#[from] crate::engine::AddError),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// How a command ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// The input was refused (a rejected question).
    Refused,
    /// Part of the work failed (a URL that gave no article); the rest was done.
    Partial,
}

/// `kiosque index`: builds or refreshes the index and says what it did.
pub fn index(
    setup: &Setup,
    full: bool,
    json: bool,
    out: &mut dyn Write,
) -> Result<Outcome, ConsoleError> {
    let bar = TerminalProgress::new();
    let (engine, report) = Engine::build(
        &setup.corpus,
        &setup.index,
        setup.services.clone(),
        full,
        &|done, total| bar.show(done, total),
    )?;
    bar.finish();
    let embedded = embed(&engine);
    if json {
        writeln!(out, "{}", json::report_json(&report, embedded.as_ref()))?;
    } else {
        write!(out, "{}", render::report_text(&report))?;
        if let Some(e) = &embedded {
            write!(out, "{}", render::embed_text(e))?;
        }
    }
    Ok(Outcome::Done)
}

/// `kiosque articles`: lists the indexed articles.
pub fn articles(setup: &Setup, json: bool, out: &mut dyn Write) -> Result<Outcome, ConsoleError> {
    let page = setup.engine()?.articles(1, usize::MAX);
    if json {
        writeln!(out, "{}", json::articles_json(&page.articles))?;
    } else {
        write!(out, "{}", render::articles_text(&page.articles))?;
    }
    Ok(Outcome::Done)
}

/// `kiosque ask QUESTION`: answers one question.
pub fn ask(
    setup: &Setup,
    question: &str,
    top: usize,
    json: bool,
    style: Style,
    out: &mut dyn Write,
) -> Result<Outcome, ConsoleError> {
    let engine = setup.engine_for_questions()?;
    match engine.ask(question, top) {
        Ok(answer) if json => writeln!(out, "{}", json::answer_json(&answer))?,
        Ok(answer) => write!(out, "{}", render::answer_text(&answer, style))?,
        Err(AskError::Question(e)) => {
            if json {
                writeln!(out, "{}", json::error_json(question, &e.to_string()))?;
            } else {
                tracing::error!("{e}");
            }
            return Ok(Outcome::Refused);
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Outcome::Done)
}

/// One line of input, read up to `max` bytes: `None` at the end of the input, `Err(n)`
/// for a longer line (its `n` bytes are read and dropped).
fn read_line(
    input: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<Result<(), usize>>> {
    buf.clear();
    let n = (&mut *input).take(max as u64 + 1).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() <= max || buf.ends_with(b"\n") && buf.len() == max + 1 {
        return Ok(Some(Ok(())));
    }
    // too long: skip to the end of the line
    let mut skipped = buf.len();
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            break;
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                skipped += i + 1;
                break;
            }
            None => {
                let len = available.len();
                input.consume(len);
                skipped += len;
            }
        }
    }
    Ok(Some(Err(skipped)))
}

/// `kiosque ask -`: one question per input line, one JSON line per question, in order. A bad
/// line (rejected, or longer than [`MAX_LINE_BYTES`]) gets an error line and the next line
/// is read. With [`Explain::Yes`], each line carries the best candidates and their signals.
pub fn ask_lines(
    setup: &Setup,
    input: &mut dyn BufRead,
    top: usize,
    explain: Explain,
    out: &mut dyn Write,
) -> Result<Outcome, ConsoleError> {
    let engine = setup.engine_for_questions()?;
    let mut buf = Vec::new();
    while let Some(line) = read_line(input, &mut buf, MAX_LINE_BYTES)? {
        let reply = match line {
            Ok(()) => {
                let text = String::from_utf8_lossy(&buf);
                let question = text.trim_end_matches(['\n', '\r']);
                let answer = match explain {
                    Explain::Yes => engine.ask_explained(question, top),
                    Explain::No => engine.ask(question, top),
                };
                match answer {
                    Ok(answer) => json::answer_json(&answer),
                    Err(e) => json::error_json(question, &e.to_string()),
                }
            }
            Err(bytes) => json::error_json(
                "",
                &format!("the line is too long ({bytes} bytes, at most {MAX_LINE_BYTES})"),
            ),
        };
        writeln!(out, "{reply}")?;
        out.flush()?;
    }
    Ok(Outcome::Done)
}

/// `kiosque summary ARTICLE`: the article's summary. An unknown or ambiguous name is refused
/// with the closest matches.
pub fn summary(
    setup: &Setup,
    name: &str,
    n: usize,
    json: bool,
    out: &mut dyn Write,
) -> Result<Outcome, ConsoleError> {
    let engine = setup.engine()?;
    let s = match engine.summary(name, n) {
        Ok(s) => s,
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
                    msg.push_str(&render::strip_controls(m));
                }
            }
            tracing::error!("{msg}");
            return Ok(Outcome::Refused);
        }
    };
    if json {
        writeln!(out, "{}", json::value_json(&s))?;
    } else {
        write!(out, "{}", render::summary_text(&s))?;
    }
    Ok(Outcome::Done)
}

/// `kiosque summary --topic QUESTION`: the best sentences about a topic across articles.
pub fn topic(
    setup: &Setup,
    question: &str,
    n: usize,
    json: bool,
    out: &mut dyn Write,
) -> Result<Outcome, ConsoleError> {
    let engine = setup.engine_for_questions()?;
    let s = match engine.topic(question, n) {
        Ok(s) => s,
        Err(AskError::Question(e)) => {
            tracing::error!("{e}");
            return Ok(Outcome::Refused);
        }
        Err(e) => return Err(e.into()),
    };
    if json {
        writeln!(out, "{}", json::value_json(&s))?;
    } else {
        write!(out, "{}", render::topic_text(&s))?;
    }
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_refused_and_the_next_one_read() {
        let long = "x".repeat(100);
        let text = format!("court\n{long}\nsuivant\nfin");
        let mut input = std::io::Cursor::new(text.into_bytes());
        let mut buf = Vec::new();
        let mut lines = vec![];
        while let Some(line) = read_line(&mut input, &mut buf, 10).unwrap() {
            lines.push(line.map(|()| String::from_utf8_lossy(&buf).into_owned()));
        }
        assert_eq!(
            lines,
            vec![
                Ok("court\n".to_string()),
                Err(101),
                Ok("suivant\n".to_string()),
                Ok("fin".to_string())
            ]
        );
    }
}
