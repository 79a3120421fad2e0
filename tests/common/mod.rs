//! Helpers shared by the integration tests: a temporary copy of the bundled corpus and a way
//! to run the real `kiosque` binary on it; a real embedding server in [`embed_server`]; a web
//! site on 127.0.0.1 in [`site`].

#![allow(dead_code)]

pub mod embed_server;
pub mod site;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temporary directory with `corpus/` (a copy of the bundled articles) and `index/`.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let corpus = dir.path().join("corpus");
        std::fs::create_dir(&corpus).unwrap();
        for entry in std::fs::read_dir(repo_corpus()).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), corpus.join(entry.file_name())).unwrap();
        }
        Workspace { dir }
    }

    pub fn corpus(&self) -> PathBuf {
        self.dir.path().join("corpus")
    }

    pub fn index(&self) -> PathBuf {
        self.dir.path().join("index")
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.corpus().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Runs `kiosque ARGS` on this workspace, with `stdin` as standard input.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        self.run_with(args, stdin, &[])
    }

    /// [`Workspace::run`] with more environment variables.
    pub fn run_with(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_kiosque"))
            .args(args)
            .env("KIOSQUE_CORPUS", self.corpus())
            .env("KIOSQUE_INDEX", self.index())
            .env("RUST_LOG", "warn")
            // no synonyms unless a test asks for them: the machine may have mythes-fr
            .env("KIOSQUE_THESAURUS", "off")
            .env_remove("NO_COLOR")
            .envs(env.iter().copied())
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the kiosque binary runs");
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    }
}

pub fn repo_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Lower-case, accents and spacing folded, as score.py does.
pub fn norm(s: &str) -> String {
    let folded: String = s
        .replace(['\u{2019}'], "'")
        .replace(['\u{a0}', '\u{202f}'], " ")
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
            'î' | 'ï' | 'Î' => 'i',
            'ô' | 'ö' | 'Ô' => 'o',
            'ù' | 'û' | 'ü' | 'Û' => 'u',
            'ç' | 'Ç' => 'c',
            c => c,
        })
        .collect();
    folded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Parses one JSON line.
pub fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

/// Writes a dictd dictionary (`NAME.index` and gzipped `NAME.dict.dz`) into `dir`, in
/// FreeDict's layout: each entry is a headword line, then one line per sense.
pub fn write_dictd(dir: &Path, name: &str, entries: &[(&str, &str)]) {
    use std::io::Write;
    const DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b64 = |mut n: usize| {
        let mut out = Vec::new();
        loop {
            out.push(DIGITS[n % 64]);
            n /= 64;
            if n == 0 {
                break;
            }
        }
        out.reverse();
        String::from_utf8(out).unwrap()
    };
    std::fs::create_dir_all(dir).unwrap();
    let mut data = String::from("00-database-info\nA small dictionary for tests.\n");
    let mut index = format!("00databaseinfo\t{}\t{}\n", b64(0), b64(data.len()));
    for (head, senses) in entries {
        let entry = format!("{head} /x/\n{senses}\n");
        index.push_str(&format!(
            "{head}\t{}\t{}\n",
            b64(data.len()),
            b64(entry.len())
        ));
        data.push_str(&entry);
    }
    std::fs::write(dir.join(format!("{name}.index")), index).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data.as_bytes()).unwrap();
    std::fs::write(dir.join(format!("{name}.dict.dz")), gz.finish().unwrap()).unwrap();
}

/// A few English–French entries, written for the tests (not FreeDict's).
pub fn small_dictionary(dir: &Path) -> PathBuf {
    write_dictd(
        dir,
        "freedict-eng-fra",
        &[
            ("border", "1. lisière\n2. frontière"),
            ("minister", "ministre"),
            ("security", "sécurité"),
            ("patrol", "patrouille"),
            ("joint", "1. commun\n2. mixte"),
            ("military", "militaire"),
        ],
    );
    write_dictd(
        dir,
        "freedict-fra-eng",
        &[("combattant", "fighter, combatant"), ("accuser", "accuse")],
    );
    dir.to_path_buf()
}
