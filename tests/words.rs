//! Questions in other words than the articles': the thesaurus (here a small one the test
//! writes, in the MyThes format of Debian's mythes-fr) lets a question's synonyms find the
//! article's words, only where the rest of the question is there too; and an answer that is
//! not direct comes as related passages, never as hits. Through the real binary.

mod common;

use common::{json, stderr, stdout, Workspace};

const THESAURUS: &str = "UTF-8\n\
    arrêter|1\n\
    (Verbe)|interpeller|appréhender|stopper\n\
    manifestant|1\n\
    (Nom)|protestataire|contestataire\n\
    pont|1\n\
    (Nom)|passerelle|viaduc\n";

fn workspace() -> Workspace {
    let ws = Workspace::new();
    ws.write(
        "050_police.txt",
        "Rassemblement à Kayes\n\n\
         La police a arrêté douze manifestants devant la préfecture de Kayes samedi.\n\n\
         Le gouverneur a inauguré un pont sur le fleuve Sénégal, attendu depuis des années.\n"
            .as_bytes(),
    );
    std::fs::write(ws.dir.path().join("thes.dat"), THESAURUS).unwrap();
    ws
}

fn ask(ws: &Workspace, question: &str, thesaurus: &str) -> serde_json::Value {
    let out = ws.run_with(
        &["ask", "--json", question],
        None,
        &[("KIOSQUE_THESAURUS", thesaurus)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    json(stdout(&out).trim())
}

#[test]
fn synonyms_find_the_articles_words() {
    let ws = workspace();
    let thes = ws.dir.path().join("thes.dat");
    let q = "Combien de protestataires la police a-t-elle interpellés à Kayes ?";
    let with = ask(&ws, q, thes.to_str().unwrap());
    assert_eq!(with["answered"], true, "{with}");
    let hit = &with["hits"][0];
    assert_eq!(hit["article"], "050_police", "{with}");
    let highlight = hit["highlight"].as_str().unwrap();
    assert!(
        highlight.contains("**arrêté**") && highlight.contains("**manifestants**"),
        "the synonyms are marked: {highlight}"
    );
    let without = ask(&ws, q, "off");
    let plain = without["hits"][0]["highlight"].as_str().unwrap_or("");
    assert!(!plain.contains("**arrêté**"), "{without}");
    assert!(
        without["confidence"].as_f64().unwrap() < with["confidence"].as_f64().unwrap(),
        "{without}"
    );
}

#[test]
fn a_synonym_alone_does_not_answer() {
    let ws = workspace();
    let thes = ws.dir.path().join("thes.dat");
    // "passerelle" is the thesaurus' word for "pont", but nothing else of the question is in
    // the articles: the synonym says nothing about which sense is meant
    let a = ask(
        &ws,
        "Quelle passerelle relie Tokyo à Osaka ?",
        thes.to_str().unwrap(),
    );
    assert_eq!(a["answered"], false, "{a}");
    assert_eq!(a["hits"], serde_json::json!([]), "{a}");
}

#[test]
fn an_answer_that_is_not_direct_is_related_not_a_hit() {
    let ws = workspace();
    // a date is asked; the passage about the bridge has none: no answer, but worth reading
    let q = "Quand le gouverneur a-t-il inauguré le pont sur le fleuve Niger ?";
    let a = ask(&ws, q, "off");
    assert_eq!(a["answered"], false, "{a}");
    assert_eq!(a["hits"], serde_json::json!([]), "{a}");
    let related = a["related"].as_array().expect("related passages");
    assert!(
        related[0]["passage"].as_str().unwrap().contains("pont"),
        "{a}"
    );
    assert!(related[0]["highlight"]
        .as_str()
        .unwrap()
        .contains("**pont**"));
    // in words, under their heading
    let out = ws.run_with(&["ask", q], None, &[("KIOSQUE_THESAURUS", "off")]);
    let text = stdout(&out);
    assert!(
        text.starts_with("No direct answer in the articles; related passages:"),
        "{text}"
    );
    assert!(text.contains("pont"), "{text}");
}

#[test]
fn a_missing_thesaurus_says_how_to_install_it() {
    let ws = workspace();
    let out = ws.run_with(
        &["ask", "--json", "pont"],
        None,
        &[
            ("KIOSQUE_THESAURUS", "/nonexistent/thes_fr.dat"),
            ("RUST_LOG", "info"),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    assert_eq!(
        log.matches("apt-get install mythes-fr").count(),
        1,
        "said once: {log}"
    );
    assert_eq!(json(stdout(&out).trim())["answered"], true);
}
