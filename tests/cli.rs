//! The `kiosque` binary end to end: building, listing, asking (one question and a stream of
//! them), bad corpus files, hostile questions, automatic refresh and recovery from a broken
//! index. Each test works in its own temporary copy of the corpus.

mod common;

use common::{json, stderr, stdout, Workspace};

#[test]
fn index_then_articles_then_ask() {
    let ws = Workspace::new();
    let out = ws.run(&["index"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Indexed 2 articles"),
        "{}",
        stdout(&out)
    );

    let out = ws.run(&["articles", "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = json(stdout(&out).trim());
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], "000_85e6ff03ba5961ec");
    assert_eq!(
        list[0]["title"],
        "Mali – Mauritanie : Une coopération sécuritaire renforcée face aux défis transfrontaliers"
    );
    assert_eq!(list[0]["source"], "corpus/000_85e6ff03ba5961ec.txt");
    assert!(list[1]["title"]
        .as_str()
        .unwrap()
        .starts_with("Une délégation militaire malienne"));
    assert!(list.iter().all(|a| a["passages"].as_u64().unwrap() > 2));

    let out = ws.run(
        &[
            "ask",
            "--json",
            "Qui dirigeait la délégation militaire malienne ?",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let answer = json(stdout(&out).trim());
    assert_eq!(answer["answered"], true);
    let hit = &answer["hits"][0];
    assert_eq!(hit["article"], "001_c305a76100859ab7");
    assert_eq!(hit["source"], "corpus/001_c305a76100859ab7.txt");
    assert!(hit["passage"].as_str().unwrap().contains("Oumar Diarra"));
    assert!(hit["highlight"]
        .as_str()
        .unwrap()
        .contains("**délégation**"));
    assert!(hit["paragraph"].as_u64().unwrap() >= 1);
    assert!(hit["score"].as_f64().unwrap() > 0.0);

    // the same in words, for a terminal
    let out = ws.run(
        &[
            "ask",
            "--top",
            "1",
            "Qui dirigeait la délégation militaire malienne ?",
        ],
        None,
    );
    let text = stdout(&out);
    assert!(text.contains("corpus/001_c305a76100859ab7.txt"), "{text}");
    assert!(text.contains("Oumar Diarra"), "{text}");
    assert!(!text.contains("\x1b["), "no colours into a pipe: {text}");
}

#[test]
fn ask_builds_the_index_when_there_is_none() {
    let ws = Workspace::new();
    let out = ws.run(&["ask", "--json", "patrouilles mixtes"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(stdout(&out).trim())["answered"], true);
    assert!(ws.index().join("CURRENT").exists());
}

#[test]
fn questions_from_stdin_one_json_line_each_in_order() {
    let ws = Workspace::new();
    let questions = [
        "relations fraternelles",
        "",
        "((( \"sécurité",
        "title:Mali AND (text:\"sécurité\" OR *) -foo +bar ~2 ^3",
        "Quel temps fera-t-il demain à Paris ?",
        "\u{1}\u{2}",
        "@everyone <@123> 🙂",
        &"frontière ".repeat(150),
        "coordination migratoire",
    ];
    let input = questions.join("\n") + "\n";
    let out = ws.run(&["ask", "--json", "-"], Some(&input));
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out).lines().map(json).collect();
    assert_eq!(lines.len(), questions.len(), "{}", stdout(&out));
    assert_eq!(lines[0]["answered"], true);
    assert_eq!(lines[1]["error"], "the question is empty");
    assert!(lines[2]["hits"].is_array(), "query syntax is plain text");
    assert!(lines[3]["hits"].is_array(), "query syntax is plain text");
    assert_eq!(lines[4]["answered"], false);
    assert_eq!(lines[4]["hits"].as_array().unwrap().len(), 0);
    assert_eq!(
        lines[5]["error"],
        "the question is made of control characters only"
    );
    assert!(lines[6]["hits"].is_array());
    assert!(lines[7]["error"].as_str().unwrap().contains("too long"));
    assert_eq!(lines[8]["answered"], true, "goes on after bad lines");
    for (line, q) in lines.iter().zip(questions) {
        if line.get("error").is_none() {
            assert!(line["question"].is_string(), "{line}");
        } else {
            assert_eq!(line["question"], q.trim_end_matches('\n'));
        }
    }
}

#[test]
fn rejected_question_is_an_error_not_a_panic() {
    let ws = Workspace::new();
    let out = ws.run(&["ask", "  "], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the question is empty"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));
    let long = "a".repeat(1001);
    let out = ws.run(&["ask", "--json", &long], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(json(stdout(&out).trim())["error"]
        .as_str()
        .unwrap()
        .contains("too long"));
}

#[test]
fn bad_corpus_files_are_reported_and_the_rest_indexed() {
    let ws = Workspace::new();
    ws.write("empty.txt", b"");
    ws.write("blank.md", b"\n \n\t\n");
    ws.write("binary.txt", b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00");
    ws.write("notes.pdf", b"%PDF-1.4");
    ws.write("huge.txt", &vec![b'a'; 9 * 1024 * 1024]);
    ws.write(
        "latin1.txt",
        b"Les patrouilles du d\xe9sert\n\nLa gendarmerie a men\xe9 des patrouilles chamelli\xe8res dans le d\xe9sert.\n",
    );
    ws.write(
        "web.md",
        b"---\ntitle: Un article du web\nurl: https://example.org/sahel\nlang: fr\n---\nLes caravanes de sel traversent le Sahara.\n",
    );
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), "Un texte hors du corpus sur les caravanes.").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), ws.corpus().join("link.txt")).unwrap();

    let out = ws.run(&["index", "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(stdout(&out).trim());
    assert_eq!(report["articles"], 4, "{report}");
    let failed: Vec<(String, String)> = report["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let reason = |p: &str| {
        failed
            .iter()
            .find(|f| f.0 == p)
            .map(|f| f.1.clone())
            .unwrap_or_else(|| panic!("{p} not reported: {failed:?}"))
    };
    assert_eq!(reason("empty.txt"), "empty file");
    assert_eq!(reason("blank.md"), "empty file");
    assert!(reason("binary.txt").contains("not text"));
    assert!(reason("huge.txt").contains("too large"));
    #[cfg(unix)]
    assert!(reason("link.txt").contains("outside the corpus"));
    assert_eq!(report["skipped"], serde_json::json!(["notes.pdf"]));
    assert_eq!(report["decoded"][0]["path"], "latin1.txt");

    // the text report says the same in words
    let out = ws.run(&["index", "--full"], None);
    let text = stdout(&out);
    assert!(text.contains("failed: empty.txt: empty file"), "{text}");
    assert!(
        text.contains("skipped (not .txt or .md): notes.pdf"),
        "{text}"
    );

    let out = ws.run(
        &["ask", "--json", "patrouilles chamelières dans le désert"],
        None,
    );
    let answer = json(stdout(&out).trim());
    assert_eq!(answer["hits"][0]["article"], "latin1", "{answer}");
    let out = ws.run(&["ask", "--json", "caravanes de sel"], None);
    let answer = json(stdout(&out).trim());
    assert_eq!(
        answer["hits"][0]["source"], "https://example.org/sahel",
        "{answer}"
    );
    assert_eq!(answer["hits"][0]["title"], "Un article du web");
    assert_eq!(
        answer["hits"].as_array().unwrap().len(),
        1,
        "the outside file is not indexed"
    );
}

#[test]
fn ask_refreshes_the_index_when_the_corpus_changes() {
    let ws = Workspace::new();
    assert!(ws.run(&["index"], None).status.success());
    let q = "Combien de dromadaires compte le troupeau de Tombouctou ?";
    let before = json(stdout(&ws.run(&["ask", "--json", q], None)).trim());
    assert_eq!(before["answered"], false);

    ws.write(
        "002_troupeau.txt",
        "Le troupeau de Tombouctou\n\nLe troupeau de Tombouctou compte 340 dromadaires selon les éleveurs.\n".as_bytes(),
    );
    let after = json(stdout(&ws.run(&["ask", "--json", q], None)).trim());
    assert_eq!(after["answered"], true, "{after}");
    assert_eq!(after["hits"][0]["article"], "002_troupeau");

    // an edit is seen too, and a removal
    ws.write(
        "002_troupeau.txt",
        "Le troupeau de Tombouctou\n\nLe troupeau de Tombouctou compte 410 dromadaires selon les éleveurs.\n".as_bytes(),
    );
    let edited = json(stdout(&ws.run(&["ask", "--json", q], None)).trim());
    assert!(
        edited["hits"][0]["passage"]
            .as_str()
            .unwrap()
            .contains("410"),
        "{edited}"
    );
    std::fs::remove_file(ws.corpus().join("002_troupeau.txt")).unwrap();
    let removed = json(stdout(&ws.run(&["ask", "--json", q], None)).trim());
    assert_eq!(removed["answered"], false, "{removed}");

    // nothing changed: the index is left as it is
    let out = ws.run(&["index"], None);
    assert!(stdout(&out).contains("up to date"), "{}", stdout(&out));
}

#[test]
fn a_broken_index_is_never_fatal() {
    let ws = Workspace::new();
    assert!(ws.run(&["index"], None).status.success());
    ws.write(
        "002_extra.txt",
        "Extra\n\nUn texte de plus sur les oasis du nord.\n".as_bytes(),
    );
    assert!(ws.run(&["index"], None).status.success());
    let current = std::fs::read_to_string(ws.index().join("CURRENT")).unwrap();
    let gen = ws.index().join(current.trim());
    // tantivy's meta.json gone from the current generation: the previous one answers
    std::fs::remove_file(gen.join("meta.json")).unwrap();
    let out = ws.run(&["ask", "--json", "relations fraternelles"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(stdout(&out).trim())["answered"], true);
    // and the refresh that follows brings the new article back
    let out = ws.run(&["ask", "--json", "oasis du nord"], None);
    assert_eq!(
        json(stdout(&out).trim())["hits"][0]["article"],
        "002_extra",
        "{}",
        stderr(&out)
    );

    // every generation broken, and CURRENT garbage: rebuilt from the corpus
    for entry in std::fs::read_dir(ws.index()).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            for f in std::fs::read_dir(&p).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "store" || e == "idx") {
                    std::fs::write(&f, b"truncated").unwrap();
                }
            }
        }
    }
    std::fs::write(ws.index().join("CURRENT"), "../../etc").unwrap();
    let out = ws.run(&["ask", "--json", "relations fraternelles"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(stdout(&out).trim())["answered"], true);
}

#[test]
fn missing_corpus_is_a_clear_error() {
    let ws = Workspace::new();
    let out = ws.run(&["--corpus", "nowhere", "ask", "Mali"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("corpus directory not found: nowhere"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_same_passage_is_shown_once() {
    let ws = Workspace::new();
    let original = std::fs::read(ws.corpus().join("000_85e6ff03ba5961ec.txt")).unwrap();
    ws.write("003_copie.txt", &original);
    let out = ws.run(&["ask", "--json", "--top", "5", "patrouilles mixtes"], None);
    let answer = json(stdout(&out).trim());
    let passages: Vec<&str> = answer["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["passage"].as_str().unwrap())
        .collect();
    assert!(!passages.is_empty());
    let mut unique = passages.clone();
    unique.dedup();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), passages.len(), "{passages:#?}");
}

#[test]
fn one_build_at_a_time_and_questions_meanwhile() {
    let ws = Workspace::new();
    assert!(ws.run(&["index"], None).status.success());
    // another process holds the build lock, as a running `kiosque index` does
    let lock = std::fs::File::options()
        .write(true)
        .open(ws.index().join("build.lock"))
        .unwrap();
    lock.try_lock().unwrap();

    let out = ws.run(&["index"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is running"), "{}", stderr(&out));

    // the corpus changed, but the build is someone else's: answer from the last index
    ws.write(
        "002_new.txt",
        "Nouveau\n\nUn article sur les oasis.\n".as_bytes(),
    );
    let out = ws.run(&["ask", "--json", "relations fraternelles"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json(stdout(&out).trim())["answered"], true);
    assert!(
        stderr(&out).contains("answering from the last index"),
        "{}",
        stderr(&out)
    );

    drop(lock);
    let out = ws.run(&["ask", "--json", "oasis"], None);
    assert_eq!(json(stdout(&out).trim())["hits"][0]["article"], "002_new");
}

#[test]
fn english_articles_get_the_english_analyzer() {
    let ws = Workspace::new();
    ws.write(
        "en_border.md",
        b"---\ntitle: Border crossings reopened\nlang: en\n---\nThe authorities reopened the border crossings after months of closures.\n",
    );
    // a .txt in English is recognised without front matter
    ws.write(
        "en_wells.txt",
        b"Wells in the desert\n\nThe villagers were digging new wells because the old ones had dried up during the drought.\n",
    );
    let out = ws.run(&["articles", "--json"], None);
    let list = json(stdout(&out).trim());
    let lang = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .map(|a| a["lang"].as_str().unwrap().to_string())
    };
    assert_eq!(lang("en_border").as_deref(), Some("en"));
    assert_eq!(lang("en_wells").as_deref(), Some("en"));
    assert_eq!(lang("000_85e6ff03ba5961ec").as_deref(), Some("fr"));
    // English stemming: "closure" meets "closures", "crossing" meets "crossings"
    let out = ws.run(&["ask", "--json", "border crossing closure"], None);
    let answer = json(stdout(&out).trim());
    assert_eq!(answer["hits"][0]["article"], "en_border", "{answer}");
    assert!(answer["hits"][0]["highlight"]
        .as_str()
        .unwrap()
        .contains("**closures**"));
    let out = ws.run(&["ask", "--json", "Why did the villagers dig wells?"], None);
    assert_eq!(json(stdout(&out).trim())["hits"][0]["article"], "en_wells");
}

#[test]
fn the_report_counts_each_kind_of_change() {
    let ws = Workspace::new();
    ws.write("a.txt", "A\n\nPremier texte sur les puits.\n".as_bytes());
    ws.write("b.txt", "B\n\nDeuxième texte sur les routes.\n".as_bytes());
    assert!(ws.run(&["index"], None).status.success());
    ws.write(
        "b.txt",
        "B\n\nDeuxième texte, corrigé, sur les routes.\n".as_bytes(),
    );
    std::fs::remove_file(ws.corpus().join("a.txt")).unwrap();
    ws.write(
        "c.txt",
        "C\n\nTroisième texte sur les marchés.\n".as_bytes(),
    );
    ws.write("d.txt", b"");
    let out = ws.run(&["index", "--json"], None);
    let r = json(stdout(&out).trim());
    assert_eq!(
        (
            r["added"].as_u64(),
            r["changed"].as_u64(),
            r["removed"].as_u64(),
            r["unchanged"].as_u64()
        ),
        (Some(1), Some(1), Some(1), Some(2)),
        "{r}"
    );
    assert_eq!(r["articles"], 4);
    assert_eq!(
        r["failed"],
        serde_json::json!([{"path": "d.txt", "reason": "empty file"}])
    );
    assert!(r["seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(r["rebuilt"], true);
    // a touched but unchanged file is not a change: the same bytes, a modification time an
    // hour later
    let b_path = ws.corpus().join("b.txt");
    let b = std::fs::read(&b_path).unwrap();
    let modified = std::fs::metadata(&b_path).unwrap().modified().unwrap();
    ws.write("b.txt", &b);
    let later =
        filetime::FileTime::from_system_time(modified + std::time::Duration::from_secs(3600));
    filetime::set_file_mtime(&b_path, later).unwrap();
    let r = json(stdout(&ws.run(&["index", "--json"], None)).trim());
    assert_eq!(r["rebuilt"], false, "{r}");
    assert_eq!(r["unchanged"], 4);
}

#[test]
#[ignore = "needs `script` from util-linux (Debian: bsdutils) for a pseudo-terminal"]
fn a_terminal_sees_a_progress_bar_for_long_builds() {
    let version = std::process::Command::new("script")
        .arg("--version")
        .output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "this test gives kiosque a terminal with `script` from util-linux, which did not run \
         ({version:?}): `sudo apt-get install bsdutils` on Debian (util-linux elsewhere); \
         .ci/run installs it"
    );
    let ws = Workspace::new();
    for i in 0..3000 {
        ws.write(
            &format!("g{i:05}.txt"),
            format!(
                "Texte {i}\n\n{}\n",
                "Une phrase de plus sur la région du fleuve. ".repeat(40)
            )
            .as_bytes(),
        );
    }
    let cmd = format!(
        "{} --corpus {} --index {} index --full",
        env!("CARGO_BIN_EXE_kiosque"),
        ws.corpus().display(),
        ws.index().display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Indexed 3002 articles"), "{text}");
    assert!(
        text.contains("articles,") && text.contains("indexing"),
        "no progress bar: {text}"
    );
}

#[test]
fn hits_say_when_and_where_their_article_was_published() {
    let ws = Workspace::new();
    ws.write(
        "agadez.md",
        "---\ntitle: La caravane du sel d’Agadez\nurl: https://www.lemonde.fr/afrique/caravane-agadez\ndate: 2024-05-09T10:30:00+02:00\nsite: Le Monde\nauthor: A. B.\nlang: fr\nfetched: 2024-05-10T08:00:00Z\n---\nLa caravane du sel d’Agadez compte trois cents dromadaires cette année, selon les chameliers touaregs.\n".as_bytes(),
    );
    ws.write(
        "bilma.txt",
        "La caravane de Bilma\n\nLa caravane du sel de Bilma compte deux cents dromadaires cette année, selon les chameliers.\n".as_bytes(),
    );
    let question = "Combien de dromadaires compte la caravane du sel ?";
    let out = ws.run(&["ask", "--json", "--top", "5", question], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let answer = json(stdout(&out).trim());
    let hits = if answer["answered"] == true {
        &answer["hits"]
    } else {
        &answer["related"]
    };
    let hits = hits.as_array().unwrap();
    let of = |article: &str| {
        hits.iter()
            .find(|h| h["article"] == article)
            .unwrap_or_else(|| panic!("no hit from {article}: {answer}"))
    };
    let md = of("agadez");
    assert_eq!(md["date"], "2024-05-09T10:30:00+02:00", "{md}");
    assert_eq!(md["site"], "Le Monde", "{md}");
    assert_eq!(
        md["url"], "https://www.lemonde.fr/afrique/caravane-agadez",
        "{md}"
    );
    let txt = of("bilma");
    for key in ["date", "site", "url"] {
        assert!(txt.get(key).is_none(), "{key} in {txt}");
    }

    // the terminal shows the site and the day before the source
    let out = ws.run(&["ask", "--top", "5", question], None);
    let text = stdout(&out);
    assert!(
        text.contains(
            "\n   Le Monde · 2024-05-09 · https://www.lemonde.fr/afrique/caravane-agadez\n"
        ),
        "{text}"
    );
    assert!(text.contains("\n   corpus/bilma.txt\n"), "{text}");

    // and the article list names the site
    let out = ws.run(&["articles", "--json"], None);
    let list = json(stdout(&out).trim());
    let list = list.as_array().unwrap();
    let row = |id: &str| list.iter().find(|a| a["id"] == id).unwrap();
    assert_eq!(row("agadez")["site"], "Le Monde");
    assert!(row("bilma").get("site").is_none());
}
