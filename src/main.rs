//! The `kiosque` command: loads `.env`, reads the configuration once (flags, environment),
//! sets up logging, builds the engine's services and runs one command of the library.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use kiosque::config::{Command, Config};
use kiosque::engine::{Explain, Services};
use kiosque::front::terminal::render::Style;
use kiosque::front::terminal::{self, Outcome, Setup};
use kiosque::lang::{dictionary, thesaurus};

/// Questions from a file: JSON lines with a "q" field, or plain lines.
fn read_questions(path: &Path) -> anyhow::Result<Vec<String>> {
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

/// The outside services the engine is handed: the bilingual dictionary and the thesaurus,
/// when installed.
fn services(config: &Config) -> Services {
    let dictionary = if config.dictionary_off() {
        tracing::info!(
            "translation of questions is off ({}=off)",
            dictionary::DIR_VAR
        );
        None
    } else {
        dictionary::load_installed(Path::new(&config.dictionary))
    };
    let thesaurus = if config.thesaurus_off() {
        tracing::info!("synonyms are off ({}=off)", thesaurus::PATH_VAR);
        None
    } else {
        thesaurus::load_installed(Path::new(&config.thesaurus))
    };
    Services {
        dictionary,
        thesaurus,
    }
}

/// `kiosque serve`: the bot, until Ctrl-C or SIGTERM. A missing or rejected token exits 2.
#[cfg(feature = "discord")]
fn serve(setup: Setup, args: &kiosque::config::ServeArgs) -> anyhow::Result<ExitCode> {
    use kiosque::front::discord::ServeError;
    let discord = match args.check() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kiosque: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let engine = std::sync::Arc::new(setup.engine()?);
    tracing::info!(
        "{} articles indexed; connecting to Discord",
        engine.articles(1, 1).total
    );
    // kept alive while the bot runs
    let _watcher = if discord.watch {
        match kiosque::engine::watch::watch(engine.clone(), std::time::Duration::from_secs(2)) {
            Ok(w) => {
                tracing::info!("watching {} for changes", setup.corpus.display());
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
    match runtime.block_on(kiosque::front::discord::run(discord, engine)) {
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
    let config = Config::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,kiosque=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .init();

    // Listing and indexing need no translation: the dictionary is read only for questions.
    let needs_dictionary = !matches!(
        config.command,
        Command::Index { .. } | Command::Articles { .. }
    );
    let setup = Setup {
        corpus: config.corpus.clone(),
        index: config.index.clone(),
        services: if needs_dictionary {
            services(&config)
        } else {
            Services::default()
        },
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let outcome = match &config.command {
        #[cfg(feature = "discord")]
        Command::Serve(args) => return serve(setup, args),
        Command::Summary {
            article,
            topic,
            sentences,
            json,
        } => match (topic, article) {
            (Some(t), _) => terminal::topic(&setup, t, *sentences as usize, *json, &mut out)?,
            (None, Some(a)) => terminal::summary(&setup, a, *sentences as usize, *json, &mut out)?,
            (None, None) => Outcome::Refused, // clap requires one of them
        },
        Command::Bench {
            json,
            questions,
            count,
        } => {
            let extra = match questions {
                Some(path) => read_questions(path)?,
                None => vec![],
            };
            let report = kiosque::front::bench::run(
                &setup.corpus,
                &std::env::temp_dir(),
                &setup.services,
                &extra,
                *count,
            )?;
            if *json {
                writeln!(out, "{}", serde_json::to_string(&report)?)?;
            } else {
                write!(out, "{}", kiosque::front::bench::report_text(&report))?;
            }
            Outcome::Done
        }
        Command::Index { full, json } => terminal::index(&setup, *full, *json, &mut out)?,
        Command::Articles { json } => terminal::articles(&setup, *json, &mut out)?,
        Command::Ask {
            top,
            json,
            explain,
            question,
        } => {
            let explain = if *explain { Explain::Yes } else { Explain::No };
            if question.len() == 1 && question[0] == "-" {
                let stdin = std::io::stdin();
                terminal::ask_lines(&setup, &mut stdin.lock(), *top as usize, explain, &mut out)?
            } else {
                let style = if std::io::stdout().is_terminal() && config.color() {
                    Style::Ansi
                } else {
                    Style::Markdown
                };
                let question = question.join(" ");
                terminal::ask(&setup, &question, *top as usize, *json, style, &mut out)?
            }
        }
    };
    out.flush()?;
    Ok(match outcome {
        Outcome::Done => ExitCode::SUCCESS,
        Outcome::Refused => ExitCode::from(2),
    })
}
