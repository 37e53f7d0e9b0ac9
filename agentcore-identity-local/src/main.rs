//! `agentcore-identity-local serve [--port N] [--data-dir DIR] [--bind ADDR] ...` (see `--help`).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use agentcore_identity_local::{LocalIdentityService, TrustedIssuer};
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
        /// The local caller's principal ARN: `sub` of STS web identity tokens (default
        /// arn:aws:iam::ACCOUNT_ID:role/agentcore-identity-local).
        #[arg(long)]
        principal_arn: Option<String>,
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
        /// Serve a non-loopback --bind without --verify-sigv4: anyone who reaches the port can
        /// read every stored secret.
        #[arg(long)]
        insecure_allow_unauthenticated_network: bool,
        /// The master key file (default DATA_DIR/master.key); may live outside the data directory.
        #[arg(long, env = "AGENTCORE_IDENTITY_LOCAL_KEY_FILE")]
        key_file: Option<PathBuf>,
        /// Verify user JWTs against this issuer: `DISCOVERY_URL[;audience=A[,A2]][;client=C[,C2]]`.
        /// Repeatable. Without it, user JWT signatures are not verified.
        #[arg(long, value_name = "DISCOVERY_URL[;audience=..][;client=..]")]
        trust_issuer: Vec<TrustedIssuer>,
        /// Seconds a client may take to send a request head; also the keep-alive idle timeout.
        #[arg(long, default_value_t = 10)]
        header_read_timeout_secs: u64,
        /// Seconds a request body may take to arrive.
        #[arg(long, default_value_t = 30)]
        body_timeout_secs: u64,
        /// Seconds requests in flight may finish after SIGTERM / ctrl-c; then connections drop.
        #[arg(long, default_value_t = 10)]
        shutdown_deadline_secs: u64,
        /// Seconds one outbound request (discovery, JWKS, token endpoint) may take.
        #[arg(long, default_value_t = 10)]
        outbound_timeout_secs: u64,
        /// Seconds between sweeps of expired sessions, states and tokens.
        #[arg(long, default_value_t = 60)]
        sweep_interval_secs: u64,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Colours only on a terminal (and never with NO_COLOR): a log redirected to a file stays
    // plain text.
    use std::io::IsTerminal as _;
    let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_ansi(ansi)
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
        principal_arn,
        session_ttl_secs,
        workload_token_ttl_secs,
        public_url,
        verify_sigv4,
        insecure_allow_unauthenticated_network,
        key_file,
        trust_issuer,
        header_read_timeout_secs,
        body_timeout_secs,
        shutdown_deadline_secs,
        outbound_timeout_secs,
        sweep_interval_secs,
    } = command;
    let mut b = LocalIdentityService::builder()
        .port(port)
        .bind(bind)
        .account_id(account_id)
        .region(region)
        .session_ttl(Duration::from_secs(session_ttl_secs))
        .workload_token_ttl(Duration::from_secs(workload_token_ttl_secs))
        .insecure_allow_unauthenticated_network(insecure_allow_unauthenticated_network)
        .header_read_timeout(Duration::from_secs(header_read_timeout_secs))
        .body_timeout(Duration::from_secs(body_timeout_secs))
        .shutdown_deadline(Duration::from_secs(shutdown_deadline_secs))
        .outbound_timeout(Duration::from_secs(outbound_timeout_secs))
        .sweep_interval(Duration::from_secs(sweep_interval_secs));
    if let Some(k) = key_file {
        b = b.key_file(k);
    }
    for t in trust_issuer {
        b = b.trust_issuer(t);
    }
    if let Some(d) = data_dir {
        b = b.data_dir(d);
    }
    if let Some(arn) = principal_arn {
        b = b.principal_arn(arn);
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
    agentcore_serve::shutdown_signal().await;
    handle.shutdown().await;
    std::process::ExitCode::SUCCESS
}
