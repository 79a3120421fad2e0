//! The `kiosque` command: loads `.env`, reads the configuration once (flags, environment),
//! sets up logging, builds the engine's services and runs one command of the library.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use kiosque::config::{Command, Config, Resource};
use kiosque::engine::{Explain, Services};
use kiosque::front::terminal::{self, Outcome, Setup, Style};
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

/// The embedding server's client, when one is set: questions are then also searched by
/// meaning. Its settings are checked (an error says which is wrong); the server itself may be
/// down, which only means words alone until it answers.
#[cfg(feature = "http")]
fn embedder(
    config: &Config,
) -> anyhow::Result<Option<std::sync::Arc<dyn kiosque::engine::Embedder>>> {
    let Some(e) = config.embeddings()? else {
        return Ok(None);
    };
    let client = kiosque::services::embeddings::HttpEmbedder::new(
        &e.url, &e.model, e.key, e.style, e.timeout,
    )?;
    tracing::info!(
        "questions are also searched by meaning: {} at {}",
        e.model,
        e.url
    );
    Ok(Some(std::sync::Arc::new(client)))
}

#[cfg(not(feature = "http"))]
fn embedder(
    config: &Config,
) -> anyhow::Result<Option<std::sync::Arc<dyn kiosque::engine::Embedder>>> {
    if config.embeddings()?.is_some() {
        anyhow::bail!("this kiosque was built without the `http` feature: it cannot reach an embedding server");
    }
    Ok(None)
}

/// The reading model's client, when one is set: it reorders the scorer's best candidates. A
/// server that is down leaves the scorer's order.
#[cfg(feature = "http")]
fn reader(config: &Config) -> anyhow::Result<Option<std::sync::Arc<dyn kiosque::engine::Reader>>> {
    let Some(r) = config.rerank()? else {
        return Ok(None);
    };
    let client = kiosque::services::rerank::HttpReader::new(
        &r.url,
        &r.model,
        r.key.map(|k| k.expose().to_string()),
        std::time::Duration::from_secs(2),
    )?;
    tracing::info!("the best candidates are read by {} at {}", r.model, r.url);
    Ok(Some(std::sync::Arc::new(client)))
}

#[cfg(not(feature = "http"))]
fn reader(config: &Config) -> anyhow::Result<Option<std::sync::Arc<dyn kiosque::engine::Reader>>> {
    if config.rerank()?.is_some() {
        anyhow::bail!(
            "this kiosque was built without the `http` feature: it cannot reach a reranking server"
        );
    }
    Ok(None)
}

/// Where news come from: the fetcher of web pages and feeds (refusing every address that is
/// not public but those KIOSQUE_FETCH_ALLOW lists), the state directory and the feed list.
#[cfg(feature = "web")]
fn newsroom(config: &Config) -> anyhow::Result<kiosque::engine::Newsroom> {
    use kiosque::services::fetch::{Allow, HttpFetcher};
    let allow = Allow::parse(&config.fetch_allow)
        .map_err(|e| kiosque::config::ConfigError::Invalid("KIOSQUE_FETCH_ALLOW", e))?;
    Ok(kiosque::engine::Newsroom {
        fetch: std::sync::Arc::new(HttpFetcher::new(allow)?),
        state: config.state.clone(),
        feeds: config.feeds.clone(),
    })
}

/// The outside services the engine is handed: the bilingual dictionary and the thesaurus,
/// when installed, and the embedding server, when set.
fn services(config: &Config) -> anyhow::Result<Services> {
    let dictionary = match &config.dictionary {
        Resource::Off => {
            tracing::info!(
                "translation of questions is off ({}=off)",
                dictionary::DIR_VAR
            );
            None
        }
        Resource::At(dir) => dictionary::load_installed(dir),
    };
    let thesaurus = match &config.thesaurus {
        Resource::Off => {
            tracing::info!("synonyms are off ({}=off)", thesaurus::PATH_VAR);
            None
        }
        Resource::At(path) => thesaurus::load_installed(path),
    };
    Ok(Services {
        dictionary,
        thesaurus,
        embedder: embedder(config)?,
        reader: reader(config)?,
        #[cfg(feature = "web")]
        news: None,
    })
}

/// `kiosque serve`: the bot, until Ctrl-C or SIGTERM. A missing or rejected token exits 2.
#[cfg(feature = "discord")]
fn serve(
    setup: Setup,
    config: &Config,
    args: &kiosque::config::ServeArgs,
) -> anyhow::Result<ExitCode> {
    use kiosque::front::discord::ServeError;
    let discord = match args.check() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kiosque: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    #[cfg(feature = "cluster")]
    if let Some(cluster) = args.cluster.settings() {
        return serve_gateway(setup, discord, cluster);
    }
    let engine = std::sync::Arc::new(setup.engine()?);
    tracing::info!(
        "{} articles indexed; connecting to Discord",
        engine.articles(1, 1).total
    );
    // kept alive while the bot runs
    let _watcher = watch_corpus(&engine, &setup, discord.watch);
    if engine.has_embedder() {
        embed_in_background(engine.clone());
    }
    #[cfg(feature = "web")]
    if let Some(every) = discord.feeds_every {
        poll_in_background(engine.clone(), &config.feeds, every);
    }
    #[cfg(not(feature = "web"))]
    let _ = config;
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

/// Reindexes by itself when the corpus changes, while the watcher it returns is kept.
#[cfg(feature = "discord")]
fn watch_corpus(
    engine: &std::sync::Arc<kiosque::engine::Engine>,
    setup: &Setup,
    on: bool,
) -> Option<kiosque::engine::CorpusWatcher> {
    if !on {
        return None;
    }
    match kiosque::engine::watch(engine.clone(), std::time::Duration::from_secs(2)) {
        Ok(w) => {
            tracing::info!("watching {} for changes", setup.corpus.display());
            Some(w)
        }
        Err(e) => {
            tracing::warn!("cannot watch the corpus ({e}); use /reindex after changes");
            None
        }
    }
}

/// Whether `serve` is the gateway of machines that share the index (NATS is set).
#[cfg(all(feature = "discord", feature = "web"))]
fn is_gateway(args: &kiosque::config::ServeArgs) -> bool {
    #[cfg(feature = "cluster")]
    return args.cluster.settings().is_some();
    #[cfg(not(feature = "cluster"))]
    {
        let _ = args;
        false
    }
}

/// `kiosque serve` with NATS: the gateway for mentions and direct messages, answering from
/// the writer's generations like a replica. One process at a time holds the `gateway` lease
/// and connects; the others stand by until it is let go or expires, so a mention is answered
/// once. A lease lost exits 1: another process may be connecting.
#[cfg(feature = "cluster")]
fn serve_gateway(
    setup: Setup,
    discord: kiosque::config::Discord,
    cluster: kiosque::cluster::Settings,
) -> anyhow::Result<ExitCode> {
    use kiosque::cluster::{replica, Shared};
    use kiosque::front::discord::ServeError;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let shared = Shared::connect(&cluster).await?;
        let mut lease = shared.take_gateway_lease().await;
        tracing::info!("holding the gateway lease as {}", cluster.name);
        let corpus = setup.index.join("corpus");
        let engine = replica::start(cluster, &setup.index, &corpus, setup.services.clone()).await?;
        tracing::info!(
            "{} articles indexed; connecting to Discord",
            engine.articles(1, 1).total
        );
        // the passages' vectors come from the writer (cluster::vectors)
        tokio::select! {
            outcome = kiosque::front::discord::run(discord, engine) => match outcome {
                Ok(()) => {
                    lease.release().await;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e @ ServeError::TokenRejected) => {
                    eprintln!("kiosque: {e}");
                    Ok(ExitCode::from(2))
                }
                Err(e) => Err(e.into()),
            },
            why = lease.lost() => {
                tracing::error!("the gateway lease was lost ({why}): leaving Discord's gateway to the process that takes it");
                Ok(ExitCode::FAILURE)
            }
        }
    })
}

/// `kiosque serve-http`: the slash commands over Discord's HTTP interactions endpoint, until
/// Ctrl-C or SIGTERM. A missing setting exits 2.
#[cfg(feature = "interactions")]
fn serve_http(setup: Setup, args: &kiosque::config::EndpointArgs) -> anyhow::Result<ExitCode> {
    use kiosque::front::discord::endpoint;
    let settings = match args.check() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kiosque: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // a replica answers from the writer's generations, never building its own
    #[cfg(feature = "cluster")]
    if let Some(cluster) = settings.cluster.clone() {
        // said now, not after waiting for the writer's first generation
        if let Err(e) = endpoint::verify::Verifier::new(settings.public_key) {
            eprintln!("kiosque: {}", endpoint::EndpointError::Key(e));
            return Ok(ExitCode::from(2));
        }
        let corpus = setup.index.join("corpus");
        let started = kiosque::cluster::replica::start(
            cluster,
            &setup.index,
            &corpus,
            setup.services.clone(),
        );
        let engine = runtime.block_on(started)?;
        tracing::info!("{} articles indexed", engine.articles(1, 1).total);
        // the passages' vectors come from the writer (cluster::vectors)
        return endpoint_outcome(runtime.block_on(endpoint::run(settings, engine)));
    }
    let engine = std::sync::Arc::new(setup.engine()?);
    tracing::info!("{} articles indexed", engine.articles(1, 1).total);
    let _watcher = watch_corpus(&engine, &setup, settings.watch);
    if engine.has_embedder() {
        embed_in_background(engine.clone());
    }
    endpoint_outcome(runtime.block_on(endpoint::run(settings, engine)))
}

/// How `serve-http` ends: a key Discord would refuse exits 2.
#[cfg(feature = "interactions")]
fn endpoint_outcome(
    outcome: Result<(), kiosque::front::discord::endpoint::EndpointError>,
) -> anyhow::Result<ExitCode> {
    use kiosque::front::discord::endpoint::EndpointError;
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e @ EndpointError::Key(_)) => {
            eprintln!("kiosque: {e}");
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}

/// `kiosque writer`: holds the writer's lease (standing by while another process holds it),
/// keeps the index up to date with the corpus and publishes every generation through NATS,
/// until Ctrl-C or SIGTERM. No NATS server set exits 2; a lease lost exits 1, so that a
/// writer that might no longer be the only one stops writing.
#[cfg(feature = "cluster")]
fn writer(
    setup: Setup,
    nats: &kiosque::config::NatsArgs,
    watch: bool,
    api_base: Option<String>,
    feeds: Option<(std::path::PathBuf, std::time::Duration)>,
) -> anyhow::Result<ExitCode> {
    use kiosque::cluster::{publish, Shared};
    let Some(settings) = nats.settings() else {
        eprintln!(
            "kiosque: {}",
            kiosque::config::ConfigError::Missing("KIOSQUE_NATS_URL")
        );
        return Ok(ExitCode::from(2));
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let shared = Shared::connect(&settings).await?;
        let lease = shared.take_writer_lease().await;
        tracing::info!("holding the writer's lease as {}", settings.name);
        let opened = {
            let setup = setup.clone();
            tokio::task::spawn_blocking(move || setup.engine()).await?
        };
        let engine = std::sync::Arc::new(opened?);
        tracing::info!("{} articles indexed", engine.articles(1, 1).total);
        let _watcher = watch_corpus(&engine, &setup, watch);
        if engine.has_embedder() {
            embed_in_background(engine.clone());
        }
        // the news come to the writer: what the feeds bring is published like the rest
        #[cfg(feature = "web")]
        if let Some((list, every)) = &feeds {
            poll_in_background(engine.clone(), list, *every);
        }
        #[cfg(not(feature = "web"))]
        let _ = feeds;
        // admin commands that came over HTTP, edited into their replies
        tokio::spawn(kiosque::front::discord::endpoint::jobs::run(
            shared.clone(),
            engine.clone(),
            api_base,
        ));
        let shutdown = kiosque::front::discord::shutdown_signal();
        publish::run(shared, engine, lease, shutdown).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `kiosque index` with NATS: the cluster's writer for one build. It takes the writer's
/// lease (refused, exit 1, while a `kiosque writer` holds it: that one indexes the corpus it
/// watches, and `/reindex` asks it), builds, publishes the generation, and lets the lease go.
#[cfg(feature = "cluster")]
fn index_as_writer(
    setup: &Setup,
    settings: kiosque::cluster::Settings,
    full: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use kiosque::cluster::{publish, Shared};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let shared = Shared::connect(&settings).await?;
        let Some(held) = shared.try_writer_lease().await? else {
            let by = shared.writer().await.unwrap_or_default();
            eprintln!(
                "kiosque: the writer's lease is held by {by:?}: that writer indexes the corpus it watches (/reindex asks it to); stop it to index from here"
            );
            return Ok(ExitCode::from(1));
        };
        let indexed = {
            let setup = setup.clone();
            tokio::task::spawn_blocking(move || {
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                terminal::index(&setup, full, json, &mut out).map(|_| setup.engine())
            })
            .await?
        };
        let engine = match indexed {
            Ok(Ok(engine)) => std::sync::Arc::new(engine),
            Ok(Err(e)) => {
                held.release().await;
                return Err(e.into());
            }
            Err(e) => {
                held.release().await;
                return Err(e.into());
            }
        };
        let published = publish::once(shared, &engine, &held).await;
        held.release().await;
        match published? {
            Some(p) => tracing::info!(
                "published generation #{} ({} articles): {} files sent ({} bytes) in {:.2} s",
                p.manifest.seq,
                p.manifest.articles,
                p.sent,
                p.bytes,
                p.seconds
            ),
            None => tracing::info!("the cluster answers from this generation already"),
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Embeds the passages of the current index the vector cache lacks, in a thread of its own,
/// and again after every reindex: questions are answered from their words meanwhile, and by
/// meaning as soon as the vectors are there. A failing server is tried again later, less and
/// less often (from 30 s to 10 min).
#[cfg(feature = "discord")]
fn embed_in_background(engine: std::sync::Arc<kiosque::engine::Engine>) {
    use std::time::Duration;
    let spawned = std::thread::Builder::new()
        .name("embed".into())
        .spawn(move || {
            let mut wait = Duration::from_secs(30);
            loop {
                if engine.needs_embedding() {
                    let step = std::sync::atomic::AtomicUsize::new(0);
                    let report = engine.embed(&|done, total| {
                        // a log line at every tenth of the work
                        let tenth = done * 10 / total.max(1);
                        if tenth > step.swap(tenth, std::sync::atomic::Ordering::Relaxed) {
                            tracing::info!("embedding passages: {done}/{total}");
                        }
                    });
                    match report {
                        Some(r) if r.failed.is_some() => {
                            tracing::warn!(
                                "{} of {} passages have vectors; the others are found by their words only ({}); trying again in {} s",
                                r.with_vectors,
                                r.passages,
                                r.failed.as_deref().unwrap_or_default(),
                                wait.as_secs()
                            );
                            std::thread::sleep(wait);
                            wait = (wait * 2).min(Duration::from_secs(600));
                            continue;
                        }
                        Some(r) => {
                            wait = Duration::from_secs(30);
                            tracing::info!(
                                "{} passages have vectors ({} embedded in {:.1} s): questions are searched by meaning too",
                                r.with_vectors,
                                r.embedded,
                                r.seconds
                            );
                        }
                        None => {}
                    }
                }
                std::thread::sleep(Duration::from_secs(2));
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot embed passages in the background ({e}): words only");
    }
}

/// Polls the feeds of the list in a thread of its own, at start and then every `every`:
/// new articles are saved and indexed, and answerable without a restart. A failing feed is
/// polled again later and later (its record says when).
#[cfg(all(feature = "discord", feature = "web"))]
fn poll_in_background(
    engine: std::sync::Arc<kiosque::engine::Engine>,
    feeds: &Path,
    every: std::time::Duration,
) {
    tracing::info!(
        "feeds of {} are polled every {} s",
        feeds.display(),
        every.as_secs()
    );
    let spawned = std::thread::Builder::new()
        .name("feeds".into())
        .spawn(move || loop {
            match engine.poll(true, &kiosque::engine::quiet) {
                Ok(r) => {
                    for f in r
                        .feeds
                        .iter()
                        .filter(|f| f.status == kiosque::engine::FeedOutcome::Failed)
                    {
                        tracing::warn!(
                            "feed {} failed: {}",
                            f.feed,
                            f.reason.as_deref().unwrap_or("?")
                        );
                    }
                    for p in &r.pages.failed {
                        tracing::warn!("feed item {} not added: {}", p.url, p.reason);
                    }
                    if !r.pages.added.is_empty() || !r.pages.changed.is_empty() {
                        tracing::info!(
                            "feeds: {} articles added, {} changed",
                            r.pages.added.len(),
                            r.pages.changed.len()
                        );
                    }
                }
                Err(e) => tracing::warn!("cannot poll the feeds: {e}"),
            }
            std::thread::sleep(every);
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot poll the feeds in the background ({e}): use `kiosque feeds poll`");
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

    // Listing needs no service; indexing needs only the embedding server (to embed the
    // passages), and news the fetcher too: the dictionary and the thesaurus are read only
    // for questions.
    let services = match config.command {
        Command::Articles { .. } => Services::default(),
        #[cfg(feature = "web")]
        Command::Feeds { .. } | Command::Add { .. } => Services {
            embedder: embedder(&config)?,
            news: Some(newsroom(&config)?),
            ..Services::default()
        },
        Command::Index { .. } => Services {
            embedder: embedder(&config)?,
            ..Services::default()
        },
        // the writer answers no question; it polls the feeds
        #[cfg(feature = "cluster")]
        Command::Writer { .. } => Services {
            embedder: embedder(&config)?,
            #[cfg(feature = "web")]
            news: Some(newsroom(&config)?),
            ..Services::default()
        },
        // the bot adds pages and polls feeds
        #[cfg(all(feature = "discord", feature = "web"))]
        Command::Serve(ref args) => Services {
            // with NATS, news come to the writer, not to the gateway
            news: if is_gateway(args) {
                None
            } else {
                Some(newsroom(&config)?)
            },
            ..services(&config)?
        },
        _ => services(&config)?,
    };
    let setup = Setup {
        corpus: config.corpus.clone(),
        index: config.index.clone(),
        services,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let outcome = match &config.command {
        #[cfg(feature = "discord")]
        Command::Serve(args) => return serve(setup, &config, args),
        #[cfg(feature = "interactions")]
        Command::ServeHttp(args) => return serve_http(setup, args),
        #[cfg(feature = "cluster")]
        Command::Writer {
            nats,
            watch,
            api_base,
            feeds_every,
        } => {
            let feeds = feeds_every.0.map(|every| (config.feeds.clone(), every));
            return writer(setup, nats, *watch, api_base.0.clone(), feeds);
        }
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
        Command::Index {
            full,
            json,
            #[cfg(feature = "cluster")]
            nats,
        } => {
            #[cfg(feature = "cluster")]
            if let Some(settings) = nats.settings() {
                drop(out);
                return index_as_writer(&setup, settings, *full, *json);
            }
            terminal::index(&setup, *full, *json, &mut out)?
        }
        #[cfg(feature = "web")]
        Command::Add { urls, json } => terminal::add(&setup, urls, *json, &mut out)?,
        #[cfg(feature = "web")]
        Command::Feeds { command } => {
            use kiosque::config::FeedsCommand;
            match command {
                FeedsCommand::Add { url } => terminal::feeds_add(&setup, url, &mut out)?,
                FeedsCommand::Remove { url } => terminal::feeds_remove(&setup, url, &mut out)?,
                FeedsCommand::List { json } => terminal::feeds_list(&setup, *json, &mut out)?,
                FeedsCommand::Poll { json } => terminal::feeds_poll(&setup, *json, &mut out)?,
            }
        }
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
        Outcome::Partial => ExitCode::from(1),
    })
}
