//! A small HTTP/1.1 server on 127.0.0.1 for the fetcher's tests: a thread per connection,
//! raw responses per path, and a log of the requests received and when.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the test server answers.
pub enum Reply {
    /// A whole response, then the connection is closed.
    Raw(Vec<u8>),
    /// This head, then one body byte every 100 ms, forever.
    Trickle(Vec<u8>),
    /// Nothing, for 5 s.
    Hang,
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    /// The request head, lower-case.
    pub head: String,
    pub at: Instant,
}

pub struct Server {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn paths(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.path).collect()
    }
}

/// Serves on 127.0.0.1 (a thread per connection) what `routes` answers to a path, the request
/// head (lower-case) and the server's port; None is a 404.
pub fn serve(routes: impl Fn(&str, &str, u16) -> Option<Reply> + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (log, routes) = (Arc::clone(&seen), Arc::new(routes));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (log, routes) = (Arc::clone(&log), Arc::clone(&routes));
            std::thread::spawn(move || {
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match std::io::Read::read(&mut stream, &mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let path = head.split(' ').nth(1).unwrap_or("").to_string();
                log.lock().unwrap().push(Seen {
                    path: path.clone(),
                    head: head.clone(),
                    at: Instant::now(),
                });
                match routes(&path, &head, addr.port())
                    .unwrap_or_else(|| http("404 Not Found", &[], b""))
                {
                    Reply::Raw(bytes) => {
                        let _ = stream.write_all(&bytes);
                    }
                    Reply::Trickle(head) => {
                        let _ = stream.write_all(&head);
                        for _ in 0..100 {
                            std::thread::sleep(Duration::from_millis(100));
                            if stream.write_all(b"x").and_then(|_| stream.flush()).is_err() {
                                return;
                            }
                        }
                    }
                    Reply::Hang => std::thread::sleep(Duration::from_secs(5)),
                }
            });
        }
    });
    Server { addr, seen }
}

/// A response with these headers, Content-Length and Connection: close.
pub fn http(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        bytes.push_str(&format!("{name}: {value}\r\n"));
    }
    bytes.push_str("\r\n");
    let mut bytes = bytes.into_bytes();
    bytes.extend_from_slice(body);
    Reply::Raw(bytes)
}

pub fn html(body: &str) -> Option<Reply> {
    Some(http(
        "200 OK",
        &[("Content-Type", "text/html; charset=utf-8")],
        body.as_bytes(),
    ))
}
