//! Crashes never cost an answer: `kill -9` in the middle of a full build or of an incremental
//! update, a deleted meta.json, a truncated segment file. Each is done to a real `kiosque`
//! process, and the next `ask` must answer.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{json, stderr, stdout, Workspace};

/// Adds `n` generated French articles of a few paragraphs each.
fn grow(ws: &Workspace, n: usize, salt: &str) {
    let words = [
        "frontière",
        "sécurité",
        "coopération",
        "délégation",
        "patrouille",
        "région",
        "désert",
        "ministre",
        "armée",
        "accord",
        "commerce",
        "élevage",
        "route",
        "marché",
        "saison",
    ];
    for i in 0..n {
        let mut text = format!("Article {salt} numéro {i}\n\n");
        for p in 0..6 {
            for s in 0..5 {
                let w = |k: usize| words[(i * 7 + p * 3 + s + k) % words.len()];
                text.push_str(&format!(
                    "La {} et la {} de la {} {salt} occupent le {} {i} pendant la {}. ",
                    w(0),
                    w(1),
                    w(2),
                    w(3),
                    w(4)
                ));
            }
            text.push_str("\n\n");
        }
        ws.write(&format!("gen_{i:05}.txt"), text.as_bytes());
    }
}

/// Starts `kiosque ARGS` on the workspace, silent, in the background.
fn spawn(ws: &Workspace, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_kiosque"))
        .args(args)
        .env("KIOSQUE_CORPUS", ws.corpus())
        .env("KIOSQUE_INDEX", ws.index())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Runs `kiosque ARGS` and kills it with SIGKILL after `after`. Fails when the process ended
/// before the kill: a kill that lands after the work is done proves nothing about crashes.
fn kill_during(ws: &Workspace, args: &[&str], after: Duration) {
    let mut child = spawn(ws, args);
    let started = Instant::now();
    let too_early = |status: std::process::ExitStatus, at: Duration| -> ! {
        panic!(
            "kiosque {args:?} ended ({status}) after {at:?}, before the kill planned at \
             {after:?}: the test would prove nothing. The timed run it was planned from must \
             have been slowed down (a busy machine?); run the test again"
        )
    };
    // watch the process while waiting, to tell an early end from a kill
    while started.elapsed() < after {
        if let Some(status) = child.try_wait().unwrap() {
            too_early(status, started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(5).min(after.saturating_sub(started.elapsed())));
    }
    if let Some(status) = child.try_wait().unwrap() {
        too_early(status, started.elapsed());
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    // it could still have ended between try_wait and kill: then SIGKILL did not end it
    assert_eq!(
        status.signal(),
        Some(9),
        "kiosque {args:?} was not ended by SIGKILL but {status}, {:?} after it started",
        started.elapsed()
    );
}

fn answers(ws: &Workspace) {
    let out = ws.run(&["ask", "--json", "relations fraternelles"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let answer = json(stdout(&out).trim());
    assert_eq!(answer["answered"], true, "{answer}");
    assert_eq!(answer["hits"][0]["article"], "000_85e6ff03ba5961ec");
}

/// How long a command takes, to kill the next one part-way. The tests plan from the
/// shorter of two runs: one slowed down by a busy machine could put the kill after the end.
fn time(ws: &Workspace, args: &[&str]) -> Duration {
    let t = Instant::now();
    let out = ws.run(args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    t.elapsed()
}

#[test]
fn kill_9_during_a_full_build() {
    let ws = Workspace::new();
    grow(&ws, 1500, "a");
    let took = time(&ws, &["index"]).min(time(&ws, &["index", "--full"]));
    for fraction in [4, 2] {
        kill_during(&ws, &["index", "--full"], took / fraction);
        answers(&ws);
    }
    // the next build finishes, and leaves no temporary directory behind
    let out = ws.run(&["index", "--full"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let leftovers: Vec<_> = std::fs::read_dir(ws.index())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    answers(&ws);
}

#[test]
fn kill_9_during_an_incremental_update() {
    let ws = Workspace::new();
    grow(&ws, 1500, "a");
    assert!(ws.run(&["index"], None).status.success());
    grow(&ws, 1500, "b"); // every generated article changes
    let took = time(&ws, &["index"]);
    grow(&ws, 1500, "c");
    let took = took.min(time(&ws, &["index"]));
    grow(&ws, 1500, "d");
    kill_during(&ws, &["index"], took / 2);
    answers(&ws);
    // the interrupted update is done by the next one: every article says "d"
    let out = ws.run(&["index", "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = ws.run(&["ask", "--json", "Article d numéro 1234"], None);
    let answer = json(stdout(&out).trim());
    // the first passage shown, answering or related
    let first = if answer["answered"] == true {
        &answer["hits"][0]
    } else {
        &answer["related"][0]
    };
    assert_eq!(first["article"], "gen_01234", "{answer}");
    assert!(
        first["passage"].as_str().unwrap().contains(" d "),
        "{answer}"
    );
}

#[test]
fn a_deleted_meta_json_is_rebuilt_with_a_warning() {
    let ws = Workspace::new();
    assert!(ws.run(&["index"], None).status.success());
    // no earlier generation to fall back on: the only one loses meta.json
    let current = std::fs::read_to_string(ws.index().join("CURRENT")).unwrap();
    std::fs::remove_file(ws.index().join(current.trim()).join("meta.json")).unwrap();
    let out = ws.run(&["ask", "--json", "relations fraternelles"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("WARN"),
        "a warning says what happened: {}",
        stderr(&out)
    );
    assert_eq!(json(stdout(&out).trim())["answered"], true);
}

#[test]
fn questions_are_answered_while_an_index_build_runs() {
    let ws = Workspace::new();
    grow(&ws, 1500, "a");
    assert!(ws.run(&["index"], None).status.success());
    let mut build = spawn(&ws, &["index", "--full"]);
    // questions during the build: every one answered, none waits for it
    let mut asked = 0;
    while build.try_wait().unwrap().is_none() && asked < 20 {
        answers(&ws);
        asked += 1;
    }
    assert!(build.wait().unwrap().success());
    assert!(
        asked > 0,
        "the build ended before a question could be asked"
    );
    answers(&ws);
}
