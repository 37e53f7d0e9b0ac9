//! Stuck clients, as an attacker holds them: connections that never finish their headers or
//! their body, and a shutdown (the handle's, and SIGTERM to the real binary) that must not wait
//! on them past its deadline.

use std::process::Stdio;
use std::time::{Duration, Instant};

use agentcore_identity_local::{LocalIdentityService, ServiceHandle};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Opens `n` connections that send part of a request head and then nothing.
async fn half_heads(addr: std::net::SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST /identities/ListWorkloadIdentities HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await
            .unwrap();
        out.push(s);
    }
    out
}

/// Whether the server closed `s` (EOF or reset) within `within`.
async fn closed(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // an error answer (408) before the close
        }
    }
}

async fn service(header: Duration, body: Duration, deadline: Duration) -> ServiceHandle {
    LocalIdentityService::builder()
        .header_read_timeout(header)
        .body_timeout(body)
        .shutdown_deadline(deadline)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn half_sent_headers_are_dropped_after_the_header_timeout() {
    let h = service(
        Duration::from_millis(500),
        Duration::from_secs(30),
        Duration::from_secs(10),
    )
    .await;
    let mut conns = half_heads(h.local_addr(), 200).await;
    let started = Instant::now();
    for c in &mut conns {
        assert!(
            closed(c, Duration::from_secs(5)).await,
            "a connection with a half-sent head is still open after {:?}",
            started.elapsed()
        );
    }
    // The service still answers.
    let r = reqwest::get(format!("{}/health", h.endpoint()))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    h.shutdown().await;
}

#[tokio::test]
async fn a_stalled_body_is_refused_after_the_body_timeout() {
    let h = service(
        Duration::from_secs(10),
        Duration::from_millis(500),
        Duration::from_secs(10),
    )
    .await;
    let mut s = TcpStream::connect(h.local_addr()).await.unwrap();
    let head = format!(
        "POST /identities/ListWorkloadIdentities HTTP/1.1\r\nHost: {}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"a\":",
        h.local_addr()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "a stalled body held the connection");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    h.shutdown().await;
}

#[tokio::test]
async fn shutdown_does_not_wait_on_stuck_clients_past_its_deadline() {
    let h = service(
        Duration::from_secs(60),
        Duration::from_secs(60),
        Duration::from_secs(1),
    )
    .await;
    let addr = h.local_addr();
    let _held = half_heads(addr, 50).await;
    // and one whose body never finishes
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!(
            "POST /identities/ListWorkloadIdentities HTTP/1.1\r\nHost: {addr}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), h.shutdown())
        .await
        .expect("shutdown hung on stuck clients");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "shutdown took {:?}",
        started.elapsed()
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_the_binary_within_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_agentcore-identity-local"))
        .args([
            "serve",
            "--port",
            "0",
            "--shutdown-deadline-secs",
            "1",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(l) = lines.next_line().await.unwrap() {
            if l.contains("ready")
                && let Some(i) = l.find("http://127.0.0.1:")
            {
                let rest = &l[i + "http://".len()..];
                let end = rest
                    .char_indices()
                    .skip("127.0.0.1:".len())
                    .find(|(_, c)| !c.is_ascii_digit())
                    .map_or(rest.len(), |(j, _)| j);
                return rest[..end].parse::<std::net::SocketAddr>().unwrap();
            }
        }
        panic!("exited before ready");
    })
    .await
    .unwrap();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let _held = half_heads(addr, 200).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let pid = child.id().unwrap().to_string();
    let started = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the binary did not stop within 10 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopped after {:?}",
        started.elapsed()
    );
}
