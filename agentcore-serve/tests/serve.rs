//! The listener as an attacker on the same machine would try it: half-sent heads, trickled
//! bodies, idle keep-alive connections, and a shutdown while all of those hang around.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use agentcore_serve::{ServeConfig, is_body_timeout, serve};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

fn app() -> Router {
    Router::new()
        .route("/ping", get(|| async { "pong" }))
        .route(
            "/echo",
            post(|body: Result<Bytes, BytesRejection>| async move {
                match body {
                    Ok(b) => (StatusCode::OK, b.to_vec()),
                    Err(e) if is_body_timeout(&e) => {
                        (StatusCode::REQUEST_TIMEOUT, b"slow".to_vec())
                    }
                    Err(e) => (e.status(), e.body_text().into_bytes()),
                }
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(600)).await;
                "done"
            }),
        )
        .route(
            "/stream",
            get(|| async {
                // Three chunks 400 ms apart: longer than every timeout of `fast()`.
                Body::from_stream(futures::stream::unfold(0u8, |n| async move {
                    if n == 3 {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    Some((Ok::<_, std::io::Error>(format!("tick{n}\n")), n + 1))
                }))
            }),
        )
}

fn fast() -> ServeConfig {
    ServeConfig::new()
        .header_read_timeout(Duration::from_millis(300))
        .body_timeout(Duration::from_millis(300))
        .shutdown_deadline(Duration::from_secs(1))
}

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(config: ServeConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel();
        let done = tokio::spawn(serve(listener, app(), config, async {
            let _ = rx.await;
        }));
        Self {
            addr,
            stop: Some(tx),
            done,
        }
    }

    /// Starts shutdown and returns how long `serve` took to return.
    async fn stop(mut self) -> Duration {
        let start = Instant::now();
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(30), self.done)
            .await
            .expect("serve returned")
            .unwrap()
            .unwrap();
        start.elapsed()
    }
}

async fn get_ping(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

/// Reads until the peer closes; the time it took, or `None` if it stayed open past `limit`.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
    .map(|()| start.elapsed())
}

#[tokio::test]
async fn half_sent_heads_are_closed_and_ping_keeps_answering() {
    let server = Server::start(fast()).await;
    let mut stuck = Vec::new();
    for _ in 0..200 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        stuck.push(s);
    }
    // While they hang, /ping answers.
    assert!(get_ping(server.addr).await.ends_with("pong"));
    for s in &mut stuck {
        let t = closed_within(s, Duration::from_secs(5)).await;
        assert!(t.is_some(), "a half-sent head kept its connection open");
    }
    assert!(server.stop().await < Duration::from_secs(2));
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let server = Server::start(fast()).await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).ends_with("pong"));
    // Keep-alive, then silence: closed after the header-read timeout.
    let t = closed_within(&mut s, Duration::from_secs(5))
        .await
        .expect("idle keep-alive connection closed");
    assert!(t >= Duration::from_millis(200), "{t:?}");
    // A connection that never sends a byte is closed too.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    assert!(
        closed_within(&mut silent, Duration::from_secs(5))
            .await
            .is_some()
    );
    server.stop().await;
}

#[tokio::test]
async fn trickled_bodies_time_out_with_408() {
    let server = Server::start(fast()).await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nConnection: close\r\n\r\nabc",
    )
    .await
    .unwrap();
    let mut out = String::new();
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut out))
        .await
        .expect("answered")
        .unwrap();
    assert!(out.starts_with("HTTP/1.1 408"), "{out}");
    assert!(started.elapsed() < Duration::from_secs(2));
    // A body sent in time is served.
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    )
    .await
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(
        out.starts_with("HTTP/1.1 200") && out.ends_with("hello"),
        "{out}"
    );
    server.stop().await;
}

#[tokio::test]
async fn streaming_responses_are_not_cut() {
    let server = Server::start(fast()).await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    s.write_all(b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    for n in 0..3 {
        assert!(out.contains(&format!("tick{n}")), "{out}");
    }
    server.stop().await;
}

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_and_drops_stuck_clients() {
    let server = Server::start(
        fast()
            .header_read_timeout(Duration::from_secs(60))
            .body_timeout(Duration::from_secs(60)),
    )
    .await;
    let mut stuck = Vec::new();
    for _ in 0..50 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        stuck.push(s);
    }
    for _ in 0..5 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
            .await
            .unwrap();
        stuck.push(s);
    }
    let addr = server.addr;
    let in_flight = tokio::spawn(async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let took = server.stop().await;
    // Deadline 1 s: the stuck clients (60 s timeouts) do not hold the server.
    assert!(took < Duration::from_millis(2500), "{took:?}");
    let out = in_flight.await.unwrap();
    assert!(
        out.ends_with("done"),
        "the request in flight finished: {out}"
    );
}

#[tokio::test]
async fn connections_are_bounded() {
    let server = Server::start(fast().max_connections(2)).await;
    let mut a = TcpStream::connect(server.addr).await.unwrap();
    let mut b = TcpStream::connect(server.addr).await.unwrap();
    a.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    b.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A third client waits for a slot: it is served once the stuck ones time out.
    let started = Instant::now();
    assert!(get_ping(server.addr).await.ends_with("pong"));
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    server.stop().await;
}

#[tokio::test]
async fn oversized_heads_are_refused() {
    let server = Server::start(fast()).await;
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    let big = format!(
        "GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    let _ = s.write_all(big.as_bytes()).await;
    let mut out = String::new();
    let _ = s.read_to_string(&mut out).await;
    assert!(!out.contains("pong"), "{out}");
    assert!(out.is_empty() || out.starts_with("HTTP/1.1 431"), "{out}");
    server.stop().await;
}
