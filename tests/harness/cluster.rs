//! A cluster on loopback for tests/cluster.rs, each part a child process killed when
//! dropped: a three-node NATS JetStream cluster (Debian's `nats-server`), kiosque writers and
//! `serve-http` replicas, and nginx in front of the replicas. Their settings come from
//! `scripts/cluster.sh configure`, the script that runs the same cluster by hand, so the test
//! runs what the README tells people to run.

#![allow(dead_code)]

use std::net::{IpAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process with its log file.
pub struct Proc {
    pub name: String,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    pub log_path: PathBuf,
    child: Option<Child>,
    /// Restarts so far (each appends to the same log).
    pub starts: usize,
}

impl Proc {
    pub fn new(
        name: &str,
        program: impl Into<PathBuf>,
        args: &[&str],
        env: &[(&str, String)],
        logs: &Path,
    ) -> Proc {
        Proc {
            name: name.to_string(),
            program: program.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            log_path: logs.join(format!("{name}.log")),
            child: None,
            starts: 0,
        }
    }

    /// Starts it (again), its output appended to its log.
    pub fn start(&mut self) -> &mut Proc {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap();
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        // a process group of its own, so that killing it kills its children too (nginx's
        // workers outlived a killed master, holding the port)
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        self.child = Some(
            cmd.spawn()
                .unwrap_or_else(|e| panic!("{}: {e}", self.program.display())),
        );
        self.starts += 1;
        self
    }

    /// SIGKILL to it and its children, and waits for its end.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", c.id())])
                .stderr(Stdio::null())
                .status();
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// How many times `text` is in the log.
    pub fn count(&self, text: &str) -> usize {
        self.log().matches(text).count()
    }

    /// Waits until the log holds `text` `n` times; false after `within`.
    pub async fn wait_for(&self, text: &str, n: usize, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.count(text) >= n {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One NATS server with JetStream on a free port of 127.0.0.1, its data under `dir`, started
/// and listening: the process and its port.
pub async fn one_nats_node(dir: &Path) -> (Proc, u16) {
    let port = free_port("127.0.0.1");
    let store = dir.join("nats").display().to_string();
    let mut nats = Proc::new(
        "nats",
        "nats-server",
        &[
            "-js",
            "-a",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-sd",
            &store,
        ],
        &[],
        dir,
    );
    nats.start();
    assert!(
        listening(&format!("127.0.0.1:{port}"), Duration::from_secs(20)).await,
        "{}",
        nats.log()
    );
    (nats, port)
}

/// A port of `ip` nothing listens on now.
pub fn free_port(ip: &str) -> u16 {
    let ip: IpAddr = ip.parse().unwrap();
    TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where the cluster's parts listen, as `scripts/cluster.sh configure` is told.
#[derive(Debug, Clone)]
pub struct Layout {
    pub dir: PathBuf,
    /// The NATS nodes' client ports, and their route ports.
    pub nats: Vec<u16>,
    pub routes: Vec<u16>,
    /// The replicas' addresses (127.0.0.2, .3, .4).
    pub replicas: Vec<String>,
    /// nginx's port on 127.0.0.1.
    pub front: u16,
}

impl Layout {
    /// Free ports for three NATS nodes, three replicas and nginx, under `dir`.
    pub fn new(dir: &Path) -> Layout {
        Layout {
            dir: dir.to_path_buf(),
            nats: (0..3).map(|_| free_port("127.0.0.1")).collect(),
            routes: (0..3).map(|_| free_port("127.0.0.1")).collect(),
            replicas: (2..=4)
                .map(|i| {
                    let ip = format!("127.0.0.{i}");
                    format!("{ip}:{}", free_port(&ip))
                })
                .collect(),
            front: free_port("127.0.0.1"),
        }
    }

    /// `KIOSQUE_NATS_URL`: every node.
    pub fn nats_url(&self) -> String {
        self.nats
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Writes the NATS nodes' and nginx's configurations with `scripts/cluster.sh configure`.
    pub fn configure(&self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/cluster.sh");
        let join = |v: &[u16]| v.iter().map(u16::to_string).collect::<Vec<_>>().join(" ");
        let out = Command::new("bash")
            .arg(&script)
            .arg("configure")
            .env("CLUSTER_DIR", &self.dir)
            .env("NATS_PORTS", join(&self.nats))
            .env("ROUTE_PORTS", join(&self.routes))
            .env("REPLICAS", self.replicas.join(" "))
            .env("FRONT", format!("127.0.0.1:{}", self.front))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cluster.sh configure: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The NATS node `i` (0-based), not started.
    pub fn nats_node(&self, i: usize) -> Proc {
        let conf = self.dir.join(format!("nats-{}.conf", i + 1));
        Proc::new(
            &format!("nats-{}", i + 1),
            "nats-server",
            &["-c", conf.to_str().unwrap()],
            &[],
            &self.dir,
        )
    }

    /// nginx in front of the replicas, not started.
    pub fn nginx(&self) -> Proc {
        let conf = self.dir.join("nginx.conf");
        let prefix = self.dir.join("nginx");
        Proc::new(
            "nginx",
            nginx_binary(),
            &[
                "-p",
                prefix.to_str().unwrap(),
                "-c",
                conf.to_str().unwrap(),
                "-g",
                "daemon off;",
            ],
            &[],
            &self.dir,
        )
    }
}

/// Debian puts nginx in /usr/sbin, which a user's PATH may lack.
pub fn nginx_binary() -> PathBuf {
    let sbin = PathBuf::from("/usr/sbin/nginx");
    if sbin.exists() {
        sbin
    } else {
        PathBuf::from("nginx")
    }
}

/// Waits until something listens on `addr`; false after `within`.
pub async fn listening(addr: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}
