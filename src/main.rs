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
