//! Semantic search through the engine's seam for an embedding server: a fake [`Embedder`]
//! that puts texts sharing a "concept" (a small table of word groups written for these
//! fixtures) close together. It checks what the engine does with any server: passages
//! embedded once and cached by model and text, a question in other words answered by
//! meaning (and said so), literal questions answered as without a server, and a failing
//! server leaving the words to answer, never an error. The real server's end-to-end tests are
//! in `tests/embed_server.rs`.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use kiosque::engine::{quiet, Engine, Services};
use kiosque::engine::{EmbedError, Embedder, Kind, Style};

/// Word groups the fake model treats as one meaning.
const CONCEPTS: &[&[&str]] = &[
    &[
        "arrete",
        "arretes",
        "interpelle",
        "interpelles",
        "apprehende",
    ],
    &["manifestants", "protestataires", "contestataires"],
    &["beau", "ensoleille", "chaud"],
    &["match", "rencontre", "partie"],
];
const DIM: usize = 8;

#[derive(Debug, Default)]
struct Fake {
    /// Texts embedded as passages, over all calls.
    passages: AtomicUsize,
    fail_queries: AtomicBool,
    fail_passages: AtomicBool,
}

fn fold(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' => 'a',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
}

impl Embedder for Fake {
    fn model(&self) -> &str {
        "fake-concepts"
    }

    fn style(&self) -> Style {
        Style::Plain
    }

    fn embed(&self, texts: &[&str], kind: Kind) -> Result<Vec<Vec<f32>>, EmbedError> {
        let failing = match kind {
            Kind::Query => &self.fail_queries,
            Kind::Passage => &self.fail_passages,
        };
        if failing.load(Ordering::SeqCst) {
            return Err(EmbedError::Unreachable("connection refused".into()));
        }
        if kind == Kind::Passage {
            self.passages.fetch_add(texts.len(), Ordering::SeqCst);
        }
        Ok(texts
            .iter()
            .map(|t| {
                // a constant part, so that no vector is zero, and one part per concept
                let mut v = vec![0.0f32; DIM];
                v[DIM - 1] = 0.3;
                for w in t.split(|c: char| !c.is_alphanumeric()) {
                    let w = fold(w);
                    if let Some(i) = CONCEPTS.iter().position(|g| g.contains(&w.as_str())) {
                        v[i] = 1.0;
                    }
                }
                v
            })
            .collect())
    }
}

fn corpus(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write(
        "dakar.txt",
        "Tensions à Dakar\n\nLa police a arrêté une vingtaine de manifestants samedi à Dakar, \
         selon la préfecture.",
    );
    write(
        "meteo.txt",
        "Le temps en Bretagne\n\nIl fera beau demain sur toute la Bretagne.",
    );
    write(
        "sport.txt",
        "Football\n\nLe club de Rennes a gagné son match dimanche face à Nantes.",
    );
}

fn engine(dir: &Path, fake: &Arc<Fake>) -> Engine {
    let services = Services {
        embedder: Some(fake.clone() as Arc<dyn Embedder>),
        ..Services::default()
    };
    Engine::open(&dir.join("corpus"), &dir.join("index"), services).unwrap()
}

const OTHER_WORDS: &str = "Des protestataires ont-ils été interpellés ?";

#[test]
fn a_question_in_other_words_is_answered_by_meaning() {
    let tmp = tempfile::tempdir().unwrap();
    corpus(&tmp.path().join("corpus"));
    let fake = Arc::new(Fake::default());
    let e = engine(tmp.path(), &fake);
    // nothing is embedded before it is asked for: questions never wait for vectors
    assert_eq!(fake.passages.load(Ordering::SeqCst), 0);
    let before = e.ask(OTHER_WORDS, 3).unwrap();
    assert!(!before.answered && !before.semantic, "{before:?}");
    assert!(e.needs_embedding());

    let report = e.embed(&quiet).expect("an embedder is set");
    assert_eq!(
        (report.passages, report.with_vectors, report.embedded),
        (3, 3, 3)
    );
    assert!(report.failed.is_none());
    assert!(!e.needs_embedding());

    let a = e.ask(OTHER_WORDS, 3).unwrap();
    assert!(a.answered && a.semantic && a.by_meaning, "{a:?}");
    assert!(a.hits[0].passage.contains("arrêté une vingtaine"), "{a:?}");
    assert!(a.hits.iter().all(|h| h.article.id.starts_with("dakar")));

    // the same question without a server: the words alone do not answer it
    let words = Engine::open(
        &tmp.path().join("corpus"),
        &tmp.path().join("index"),
        Services::default(),
    )
    .unwrap();
    assert!(!words.ask(OTHER_WORDS, 3).unwrap().answered);
}

#[test]
fn literal_questions_keep_their_first_passage_with_a_server() {
    let tmp = tempfile::tempdir().unwrap();
    corpus(&tmp.path().join("corpus"));
    let fake = Arc::new(Fake::default());
    let e = engine(tmp.path(), &fake);
    e.embed(&quiet).unwrap();
    let words = Engine::open(
        &tmp.path().join("corpus"),
        &tmp.path().join("index"),
        Services::default(),
    )
    .unwrap();
    for q in [
        "Combien de manifestants la police a-t-elle arrêtés à Dakar ?",
        "Quel club a gagné son match dimanche ?",
        "Quel temps fera-t-il en Bretagne ?",
    ] {
        let (hybrid, lexical) = (e.ask(q, 3).unwrap(), words.ask(q, 3).unwrap());
        assert!(hybrid.semantic && !hybrid.by_meaning, "{q}: {hybrid:?}");
        // what is shown first, as an answer or as a related passage
        let first = |a: &kiosque::engine::Answer| {
            a.hits
                .iter()
                .chain(&a.related)
                .map(|h| h.passage.clone())
                .next()
        };
        assert!(first(&lexical).is_some(), "{q}: {lexical:?}");
        assert_eq!(first(&hybrid), first(&lexical), "{q}");
    }
}

#[test]
fn vectors_are_cached_by_model_and_text_across_opens_and_reindexes() {
    let tmp = tempfile::tempdir().unwrap();
    corpus(&tmp.path().join("corpus"));
    let fake = Arc::new(Fake::default());
    engine(tmp.path(), &fake).embed(&quiet).unwrap();
    assert_eq!(fake.passages.load(Ordering::SeqCst), 3);

    // a new process: the vectors come from the cache when the index opens
    let e = engine(tmp.path(), &fake);
    assert!(e.ask(OTHER_WORDS, 3).unwrap().by_meaning);
    let again = e.embed(&quiet).unwrap();
    assert_eq!((again.with_vectors, again.embedded), (3, 0));
    assert_eq!(fake.passages.load(Ordering::SeqCst), 3);

    // one article added: after the reindex, only its passage is embedded, and questions
    // keep their meaning meanwhile for the others
    std::fs::write(
        tmp.path().join("corpus/rome.txt"),
        "Rome\n\nLes carabiniers ont appréhendé trois contestataires devant le Sénat.",
    )
    .unwrap();
    e.reindex(false, &quiet).unwrap();
    assert!(e.needs_embedding());
    assert!(e.ask(OTHER_WORDS, 3).unwrap().by_meaning);
    let after = e.embed(&quiet).unwrap();
    assert_eq!((after.passages, after.embedded), (4, 1));
    assert_eq!(fake.passages.load(Ordering::SeqCst), 4);

    // a full rebuild pays for nothing
    e.reindex(true, &quiet).unwrap();
    assert_eq!(e.embed(&quiet).unwrap().embedded, 0);
    assert_eq!(fake.passages.load(Ordering::SeqCst), 4);
}

#[test]
fn a_failing_server_leaves_the_words_to_answer() {
    let tmp = tempfile::tempdir().unwrap();
    corpus(&tmp.path().join("corpus"));
    let fake = Arc::new(Fake::default());
    let e = engine(tmp.path(), &fake);

    // passages cannot be embedded: said in the report, nothing else changes
    fake.fail_passages.store(true, Ordering::SeqCst);
    let report = e.embed(&quiet).unwrap();
    assert_eq!(report.with_vectors, 0);
    assert!(
        report
            .failed
            .as_deref()
            .is_some_and(|f| f.contains("connection refused")),
        "{report:?}"
    );
    assert!(e.needs_embedding(), "tried again later");
    let literal = "Quel club a gagné son match dimanche ?";
    let a = e.ask(literal, 3).unwrap();
    assert!(a.answered && !a.semantic, "{a:?}");

    // the server comes back for passages, then fails for questions: the words answer
    fake.fail_passages.store(false, Ordering::SeqCst);
    assert_eq!(e.embed(&quiet).unwrap().with_vectors, 3);
    fake.fail_queries.store(true, Ordering::SeqCst);
    let a = e.ask(literal, 3).unwrap();
    assert!(a.answered && !a.semantic, "{a:?}");
    assert!(a.hits[0].article.id.starts_with("sport"));
    let other = e.ask(OTHER_WORDS, 3).unwrap();
    assert!(!other.answered && !other.semantic);
    // ... and by meaning again once it answers
    fake.fail_queries.store(false, Ordering::SeqCst);
    assert!(e.ask(OTHER_WORDS, 3).unwrap().by_meaning);
}
