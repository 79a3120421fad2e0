//! A web site on 127.0.0.1 for the tests of fetching: each test hands it a function from a
//! request to a response (pages, feeds, redirects, robots.txt, bad bodies) and reads back
//! the requests it received. One thread per connection, one request per connection; a
//! response can also trickle its body forever or never come, for the time limits.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path and query, as sent.
    pub path: String,
    /// Header names lower-case.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub enum Body {
    Bytes(Vec<u8>),
    /// Headers, then a byte every 200 ms, forever.
    Trickle,
    /// No answer at all.
    Silent,
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Body::Bytes(body.into()),
        }
    }

    pub fn html(body: impl Into<Vec<u8>>) -> Response {
        Response::new(200, "text/html; charset=utf-8", body)
    }

    pub fn not_found() -> Response {
        Response::new(404, "text/plain", "not found")
    }

    pub fn redirect(to: &str) -> Response {
        Response::new(302, "text/plain", "moved").header("Location", to)
    }

    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Routes = dyn Fn(&Request) -> Response + Send + Sync;

pub struct Site {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Site {
    pub fn start(routes: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Site {
        Site::start_at("127.0.0.1", routes)
    }

    /// A site on another loopback address (`127.0.0.2`…): another host for per-host limits.
    pub fn start_at(
        ip: &str,
        routes: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> Site {
        let listener = TcpListener::bind((ip, 0)).expect("a port on a loopback address");
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let routes: Arc<Routes> = Arc::new(routes);
        let (l, s) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::Acquire) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (routes, log, stop) = (routes.clone(), l.clone(), s.clone());
                std::thread::spawn(move || serve(conn, &*routes, &log, &stop));
            }
        });
        Site { addr, log, stop }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// The requests for one path (query included).
    pub fn requests_for(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let _ = TcpStream::connect(self.addr); // wakes the accepting thread
    }
}

fn serve(conn: TcpStream, routes: &Routes, log: &Mutex<Vec<Request>>, stop: &AtomicBool) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_lowercase(), v.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let request = Request {
        method,
        path,
        headers,
    };
    let response = routes(&request);
    log.lock().unwrap().push(request);
    let mut conn = conn;
    let head = |len: Option<usize>| {
        let mut h = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", response.status);
        for (n, v) in &response.headers {
            h.push_str(&format!("{n}: {v}\r\n"));
        }
        if let Some(len) = len {
            h.push_str(&format!("Content-Length: {len}\r\n"));
        }
        h.push_str("\r\n");
        h
    };
    match &response.body {
        Body::Bytes(b) => {
            let _ = conn.write_all(head(Some(b.len())).as_bytes());
            let _ = conn.write_all(b);
        }
        Body::Trickle => {
            let _ = conn.write_all(head(None).as_bytes());
            let _ = conn.write_all(b"<html><body><p>");
            // the pace is the slow server's, not a wait: it ends when the client goes away
            while !stop.load(Ordering::Acquire) && conn.write_all(b"a ").is_ok() {
                let _ = conn.flush();
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        Body::Silent => {
            // nothing to say until the client gives up and closes the connection (a read of
            // 0 bytes) or the site stops, which a read's time-out lets this see
            let _ = conn.set_read_timeout(Some(Duration::from_millis(100)));
            let mut probe = [0u8; 1];
            while !stop.load(Ordering::Acquire) {
                match reader.get_mut().read(&mut probe) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    Err(_) => break,
                }
            }
        }
    }
    let _ = conn.flush();
}
