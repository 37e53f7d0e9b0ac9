//! `agentcore-identity-local serve [--port N] [--data-dir DIR] [--bind ADDR]`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use agentcore_identity_local::LocalIdentityService;
use clap::{Parser, Subcommand};

/// An offline Amazon Bedrock AgentCore Identity service.
#[derive(Debug, Parser)]
#[command(name = "agentcore-identity-local", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve both planes (data and control) on one port until SIGTERM or ctrl-c.
    Serve {
        /// TCP port.
        #[arg(long, env = "AGENTCORE_IDENTITY_LOCAL_PORT", default_value_t = 8787)]
        port: u16,
        /// Data directory (store and master key). Default: a temporary directory removed at exit.
        #[arg(long, env = "AGENTCORE_IDENTITY_LOCAL_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// Address to bind.
        #[arg(
            long,
            env = "AGENTCORE_IDENTITY_LOCAL_BIND",
            default_value = "127.0.0.1"
        )]
        bind: IpAddr,
        /// Account id used in ARNs.
        #[arg(long, default_value = "000000000000")]
        account_id: String,
        /// Region used in ARNs when a request has no SigV4 credential scope.
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// Lifetime of USER_FEDERATION sessions, in seconds.
        #[arg(long, default_value_t = 600)]
        session_ttl_secs: u64,
        /// Lifetime of workload access tokens, in seconds.
        #[arg(long, default_value_t = 3600)]
        workload_token_ttl_secs: u64,
        /// Public base URL (for callback and authorization URLs) when not http://BIND:PORT.
        #[arg(long)]
        public_url: Option<String>,
        /// Verify SigV4 signatures against this one credential (`ACCESS_KEY:SECRET`); off by default.
        #[arg(
            long,
            env = "AGENTCORE_IDENTITY_LOCAL_VERIFY_SIGV4",
            value_name = "ACCESS_KEY:SECRET",
            hide_env_values = true
        )]
        verify_sigv4: Option<String>,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let Cli { command } = Cli::parse();
    let Command::Serve {
        port,
        data_dir,
        bind,
        account_id,
        region,
        session_ttl_secs,
        workload_token_ttl_secs,
        public_url,
        verify_sigv4,
    } = command;
    let mut b = LocalIdentityService::builder()
        .port(port)
        .bind(bind)
        .account_id(account_id)
        .region(region)
        .session_ttl(Duration::from_secs(session_ttl_secs))
        .workload_token_ttl(Duration::from_secs(workload_token_ttl_secs));
    if let Some(d) = data_dir {
        b = b.data_dir(d);
    }
    if let Some(u) = public_url {
        b = b.public_url(u);
    }
    if let Some(v) = verify_sigv4 {
        let Some((ak, secret)) = v
            .split_once(':')
            .filter(|(a, s)| !a.is_empty() && !s.is_empty())
        else {
            tracing::error!("--verify-sigv4 expects ACCESS_KEY:SECRET");
            return std::process::ExitCode::FAILURE;
        };
        tracing::info!(access_key = ak, "SigV4 signatures are verified");
        b = b.verify_sigv4(ak, secret);
    }
    let handle = match b.start().await {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "could not start");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(endpoint = %handle.endpoint(), data_dir = %handle.data_dir().display(), "ready");
    shutdown_signal().await;
    tracing::info!("shutting down");
    handle.shutdown().await;
    std::process::ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
