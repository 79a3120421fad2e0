//! The `kiosque` command: reads the configuration (flags, environment, `.env`), sets up
//! logging, and runs one command of the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kiosque::console::{self, Outcome, Paths};
use kiosque::render::Style;
use kiosque::search::MAX_TOP;

/// Answers questions about a corpus of news articles with the passages that answer them.
#[derive(Debug, Parser)]
#[command(name = "kiosque", version)]
struct Cli {
    /// Directory of the articles (.txt and .md)
    #[arg(long, global = true, env = "KIOSQUE_CORPUS", default_value = "corpus")]
    corpus: PathBuf,
    /// Directory of the index (built when missing)
    #[arg(
        long,
        global = true,
        env = "KIOSQUE_INDEX",
        default_value = ".kiosque/index"
    )]
    index: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the index, or refresh it when the corpus changed, and say what was done
    Index {
        /// Rebuild everything even when nothing changed
        #[arg(long)]
        full: bool,
        /// Print the report as one JSON line
        #[arg(long)]
        json: bool,
    },
    /// List the indexed articles: id, title, source, passages
    Articles {
        /// Print a JSON array
        #[arg(long)]
        json: bool,
    },
    /// Answer a question with the passages that answer it
    Ask {
        /// How many passages at most
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=MAX_TOP as i64))]
        top: u8,
        /// Print one JSON line
        #[arg(long)]
        json: bool,
        /// The question; `-` reads one question per line from standard input and prints one
        /// JSON line for each
        #[arg(required = true, num_args = 1..)]
        question: Vec<String>,
    },
    /// Summarise an article (by id, title, or a prefix of either), or a topic across articles
    Summary {
        /// The article: an id, a title, or an unambiguous prefix of either
        #[arg(required_unless_present = "topic", conflicts_with = "topic")]
        article: Option<String>,
        /// Summarise a topic across all articles instead
        #[arg(long)]
        topic: Option<String>,
        /// How many sentences
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=10))]
        sentences: u8,
        /// Print one JSON line
        #[arg(long)]
        json: bool,
    },
    /// Run the Discord bot (settings from the environment and .env: see .env.example)
    Serve,
    /// Measure build speed, startup, answer latency against raw tantivy, and peak memory on
    /// the configured corpus (the index is rebuilt)
    Bench {
        /// Print one JSON line
        #[arg(long)]
        json: bool,
        /// Also ask the questions of this file (JSON lines with "q", or one question a line)
        #[arg(long)]
        questions: Option<PathBuf>,
        /// How many questions in all (the rest are drawn from the corpus)
        #[arg(long, default_value_t = 3000)]
        count: usize,
    },
}

/// Questions from a file: JSON lines with a "q" field, or plain lines.
fn read_questions(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    use anyhow::Context;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the questions in {}", path.display()))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v.get("q").and_then(|q| q.as_str()).map(str::to_string))
                .unwrap_or_else(|| l.to_string())
        })
        .collect())
}

/// `kiosque serve`: the bot, until Ctrl-C or SIGTERM. A missing or rejected token exits 2.
fn serve(paths: Paths) -> anyhow::Result<ExitCode> {
    use kiosque::discord::ServeError;
    let mut config = match kiosque::config::Config::from_env(|k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kiosque: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    config.corpus = paths.corpus.clone();
    config.index = paths.index.clone();
    // read the dictionary now, not at the first English question
    let _ = kiosque::dictionary::installed();
    let engine = std::sync::Arc::new(kiosque::engine::Engine::open(&paths.corpus, &paths.index)?);
    tracing::info!(
        "{} articles indexed; connecting to Discord",
        engine.snapshot().catalog.articles.len()
    );
    // kept alive while the bot runs
    let _watcher = if config.watch {
        match kiosque::watch::watch(engine.clone(), std::time::Duration::from_secs(2)) {
            Ok(w) => {
                tracing::info!("watching {} for changes", paths.corpus.display());
                Some(w)
            }
            Err(e) => {
                tracing::warn!("cannot watch the corpus ({e}); use /reindex after changes");
                None
            }
        }
    } else {
        None
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match runtime.block_on(kiosque::discord::run(config, engine)) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e @ ServeError::TokenRejected) => {
            eprintln!("kiosque: {e}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kiosque: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    // A missing .env is normal; a broken one is worth saying.
    if let Err(e) = dotenvy::dotenv() {
        if !e.not_found() {
            eprintln!("kiosque: warning: .env ignored: {e}");
        }
    }
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,kiosque=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .init();

    let paths = Paths {
        corpus: cli.corpus,
        index: cli.index,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let outcome = match cli.command {
        Command::Serve => return serve(paths),
        Command::Summary {
            article,
            topic,
            sentences,
            json,
        } => match (topic, article) {
            (Some(t), _) => console::topic(&paths, &t, sentences as usize, json, &mut out)?,
            (None, Some(a)) => console::summary(&paths, &a, sentences as usize, json, &mut out)?,
            (None, None) => Outcome::Refused, // clap requires one of them
        },
        Command::Bench {
            json,
            questions,
            count,
        } => {
            let extra = match questions {
                Some(path) => read_questions(&path)?,
                None => vec![],
            };
            let report = kiosque::bench::run(&paths.corpus, &paths.index, &extra, count)?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&report)?)?;
            } else {
                write!(out, "{}", kiosque::bench::report_text(&report))?;
            }
            Outcome::Done
        }
        Command::Index { full, json } => console::index(&paths, full, json, &mut out)?,
        Command::Articles { json } => console::articles(&paths, json, &mut out)?,
        Command::Ask {
            top,
            json,
            question,
        } => {
            if question.len() == 1 && question[0] == "-" {
                let stdin = std::io::stdin();
                console::ask_lines(&paths, &mut stdin.lock(), top as usize, &mut out)?
            } else {
                let style =
                    if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
                        Style::Ansi
                    } else {
                        Style::Markdown
                    };
                let question = question.join(" ");
                console::ask(&paths, &question, top as usize, json, style, &mut out)?
            }
        }
    };
    out.flush()?;
    Ok(match outcome {
        Outcome::Done => ExitCode::SUCCESS,
        Outcome::Refused => ExitCode::from(2),
    })
}
