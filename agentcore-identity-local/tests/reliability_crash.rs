//! Durability: the `agentcore-identity-local` binary is killed with SIGKILL in the middle of a
//! stream of writes, restarted on the same data directory, and every write it acknowledged is
//! there, with its last acknowledged value. Three rounds on one data directory.
//!
//! A write that was in flight when the process died may or may not have been applied (the client
//! never got an answer): for such a provider the stored key must be the last acknowledged value
//! or the in-flight one, nothing else.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::Credentials;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const WRITERS: usize = 16;
const ROUNDS: usize = 3;
const WORKLOAD: &str = "crash-agent";

/// What a writer knows about one provider: the last acknowledged key, and the key of a write that
/// got no answer (if the process died under it).
#[derive(Debug, Clone, Default)]
struct Known {
    acked: Option<String>,
    in_flight: Option<String>,
}

type Ledger = Arc<Mutex<BTreeMap<String, Known>>>;

struct Service {
    child: Child,
    endpoint: String,
}

async fn spawn(data_dir: &std::path::Path) -> Service {
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentcore-identity-local"))
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn agentcore-identity-local");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let endpoint = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if line.contains("ready")
                && let Some(i) = line.find("http://127.0.0.1:")
            {
                let rest = &line[i..];
                let end = rest
                    .char_indices()
                    .skip("http://127.0.0.1:".len())
                    .find(|(_, c)| !c.is_ascii_digit())
                    .map_or(rest.len(), |(j, _)| j);
                return rest[..end].to_string();
            }
        }
        panic!("the service exited before it was ready");
    })
    .await
    .expect("the service is ready within 60 s");
    // keep draining stdout so the service never blocks on a full pipe
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Service { child, endpoint }
}

async fn clients(
    endpoint: &str,
) -> (
    aws_sdk_bedrockagentcore::Client,
    aws_sdk_bedrockagentcorecontrol::Client,
) {
    let conf = aws_config::defaults(BehaviorVersion::latest())
        .region("us-east-1")
        .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "test"))
        .endpoint_url(endpoint)
        // one attempt: an answer is an acknowledgement, no answer is "in flight"
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .load()
        .await;
    (
        aws_sdk_bedrockagentcore::Client::new(&conf),
        aws_sdk_bedrockagentcorecontrol::Client::new(&conf),
    )
}

/// Creates providers and updates them with fresh values until a write fails (the kill).
async fn writer(
    cp: aws_sdk_bedrockagentcorecontrol::Client,
    id: usize,
    round: usize,
    ledger: Ledger,
) -> usize {
    let mut acked = 0;
    for j in 0.. {
        let name = format!("w{id}-r{round}-p{j}");
        for k in 0..3 {
            let value = format!("key-{id}-{round}-{j}-{k}-{}", uuid_like(id, j, k));
            ledger
                .lock()
                .unwrap()
                .entry(name.clone())
                .or_default()
                .in_flight = Some(value.clone());
            let r = if k == 0 {
                cp.create_api_key_credential_provider()
                    .name(&name)
                    .api_key(&value)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("{e:?}"))
            } else {
                cp.update_api_key_credential_provider()
                    .name(&name)
                    .api_key(&value)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("{e:?}"))
            };
            match r {
                Ok(()) => {
                    let mut l = ledger.lock().unwrap();
                    let e = l.get_mut(&name).expect("entry");
                    e.acked = Some(value);
                    e.in_flight = None;
                    acked += 1;
                }
                Err(_) => return acked, // the service is gone
            }
        }
    }
    acked
}

fn uuid_like(a: usize, b: usize, c: usize) -> String {
    format!(
        "{:016x}",
        (a as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ ((b as u64) << 20) ^ c as u64
    )
}

/// Reads every provider back through the data plane and checks it against the ledger.
async fn verify(endpoint: &str, ledger: &Ledger) -> usize {
    let (dp, cp) = clients(endpoint).await;
    let wat = dp
        .get_workload_access_token_for_user_id()
        .workload_name(WORKLOAD)
        .user_id("verifier")
        .send()
        .await
        .expect("the workload identity created before the first kill survives");
    let wat = wat.workload_access_token().to_string();
    let snapshot = ledger.lock().unwrap().clone();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, known) in &snapshot {
        let got = dp
            .get_resource_api_key()
            .workload_identity_token(&wat)
            .resource_credential_provider_name(name)
            .send()
            .await;
        match (got, &known.acked, &known.in_flight) {
            (Ok(out), Some(acked), in_flight) => {
                let v = out.api_key();
                if v != acked && Some(v) != in_flight.as_deref() {
                    failures.push(format!(
                        "{name}: read {v}, acknowledged {acked}, in flight {in_flight:?}"
                    ));
                }
                checked += 1;
            }
            (Ok(out), None, Some(in_flight)) => {
                // an unacknowledged create that made it: fine, but it must be that value
                if out.api_key() != in_flight {
                    failures.push(format!(
                        "{name}: read {}, only write was {in_flight}",
                        out.api_key()
                    ));
                }
            }
            (Err(e), Some(acked), _) => failures.push(format!(
                "{name}: acknowledged {acked} but read failed: {e:?}"
            )),
            (Err(_), None, _) => {} // never acknowledged, not there: fine
            (Ok(_), None, None) => failures.push(format!("{name}: unknown provider")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} lost or wrong writes:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // the control plane lists every acknowledged provider too
    let mut listed = std::collections::BTreeSet::new();
    let mut pages = cp
        .list_api_key_credential_providers()
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for p in page.expect("list").credential_providers() {
            listed.insert(p.name().to_string());
        }
    }
    for (name, known) in &snapshot {
        if known.acked.is_some() {
            assert!(listed.contains(name), "{name} acknowledged but not listed");
        }
    }
    checked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_writes_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let ledger: Ledger = Arc::default();
    let mut svc = spawn(&data).await;
    {
        let (_, cp) = clients(&svc.endpoint).await;
        cp.create_workload_identity()
            .name(WORKLOAD)
            .send()
            .await
            .expect("workload identity");
    }
    let mut total_acked = 0;
    for round in 0..ROUNDS {
        let (_, cp) = clients(&svc.endpoint).await;
        let tasks: Vec<_> = (0..WRITERS)
            .map(|id| tokio::spawn(writer(cp.clone(), id, round, ledger.clone())))
            .collect();
        // let the writers get going, then kill mid-stream
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let acked = ledger
                .lock()
                .unwrap()
                .values()
                .filter(|k| k.acked.is_some())
                .count();
            if acked >= (round + 1) * WRITERS * 2 || tokio::time::Instant::now() > deadline {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        svc.child.start_kill().expect("SIGKILL");
        let status = svc.child.wait().await.expect("wait");
        assert!(!status.success(), "killed, not exited: {status:?}");
        let mut acked_round = 0;
        for t in tasks {
            acked_round += tokio::time::timeout(Duration::from_secs(60), t)
                .await
                .expect("writers stop once the service is gone")
                .expect("writer task");
        }
        assert!(
            acked_round > 0,
            "round {round}: no write was acknowledged before the kill"
        );
        total_acked += acked_round;
        let tag = format!("-r{round}-");
        let in_flight = ledger
            .lock()
            .unwrap()
            .iter()
            .filter(|(name, k)| name.contains(&tag) && k.in_flight.is_some())
            .count();

        svc = spawn(&data).await;
        let checked = verify(&svc.endpoint, &ledger).await;
        eprintln!(
            "round {round}: {acked_round} writes acknowledged, {in_flight} in flight at SIGKILL; \
             after restart {checked} providers read back with their last acknowledged value"
        );
    }
    eprintln!("{total_acked} acknowledged writes over {ROUNDS} SIGKILLs, none lost");
    svc.child.start_kill().ok();
    let _ = svc.child.wait().await;
}
