//! The optional reading model (a cross-encoder behind the `/rerank` API) through the engine's
//! `Reader` seam: it reads the scorer's best candidates with the question and its order
//! stands; a model that fails leaves the scorer's order. (The HTTP client is tested against
//! a fake server in `src/services/rerank.rs`.)

mod common;

use std::sync::{Arc, Mutex};

use kiosque::engine::{Answer, Engine, Services};
use kiosque::engine::{Reader, RerankError};

/// Scores a passage 1 when it holds `likes`, 0 otherwise; or fails.
#[derive(Debug)]
struct Fake {
    likes: &'static str,
    fails: bool,
    asked: Mutex<Vec<(String, usize)>>,
}

impl Reader for Fake {
    fn model(&self) -> &str {
        "fake"
    }

    fn rerank(&self, query: &str, documents: &[&str]) -> Result<Vec<Option<f32>>, RerankError> {
        self.asked
            .lock()
            .unwrap()
            .push((query.to_string(), documents.len()));
        if self.fails {
            return Err(RerankError::Unreachable("down".into()));
        }
        Ok(documents
            .iter()
            .map(|d| Some(if d.contains(self.likes) { 1.0 } else { 0.0 }))
            .collect())
    }
}

fn first(a: &Answer) -> String {
    a.hits
        .iter()
        .chain(&a.related)
        .map(|h| h.passage.clone())
        .next()
        .unwrap_or_default()
}

fn engine(ws: &common::Workspace, reader: Arc<Fake>) -> Engine {
    let services = Services {
        reader: Some(reader),
        ..Services::default()
    };
    Engine::open(&ws.corpus(), &ws.index(), services).unwrap()
}

const QUESTION: &str = "relations fraternelles";

#[test]
fn the_reading_models_order_stands() {
    let ws = common::Workspace::new();
    let plain = Engine::open(&ws.corpus(), &ws.index(), Services::default()).unwrap();
    let without = first(&plain.ask(QUESTION, 3).unwrap());
    assert!(!without.contains("Wagner"), "{without}");
    let fake = Arc::new(Fake {
        likes: "Wagner",
        fails: false,
        asked: Mutex::new(vec![]),
    });
    let with = engine(&ws, fake.clone()).ask(QUESTION, 3).unwrap();
    assert!(first(&with).contains("Wagner"), "{with:?}");
    let asked = fake.asked.lock().unwrap();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].0, QUESTION);
    assert!((1..=20).contains(&asked[0].1), "{asked:?}");
}

#[test]
fn a_failing_reading_model_leaves_the_scorers_order() {
    let ws = common::Workspace::new();
    let plain = Engine::open(&ws.corpus(), &ws.index(), Services::default()).unwrap();
    let fake = Arc::new(Fake {
        likes: "Wagner",
        fails: true,
        asked: Mutex::new(vec![]),
    });
    let e = engine(&ws, fake.clone());
    for _ in 0..2 {
        let a = e.ask(QUESTION, 3).unwrap();
        let b = plain.ask(QUESTION, 3).unwrap();
        assert_eq!(first(&a), first(&b));
        assert_eq!(a.answered, b.answered);
    }
    assert_eq!(
        fake.asked.lock().unwrap().len(),
        2,
        "asked at every question"
    );
}
