//! `openai-weather-agent setup | invoke '{"prompt": "..."}' | serve`.

use std::net::SocketAddr;
use std::process::ExitCode;

use agentcore_identity::IdentityClient;
use clap::{Parser, Subcommand};
use openai_weather_agent::{Config, Identity, Payload, WeatherAgent, app, setup_provider};
use secrecy::SecretString;

/// The AgentCore outbound-auth tutorial's agent: calculator and weather tools on gpt-4.1-mini,
/// the OpenAI key from an AgentCore Identity API key credential provider.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Stores the key from OPENAI_API_KEY (AZURE_OPENAI_API_KEY for OPENAI_PROVIDER=azure) in the
    /// API key credential provider `openai-apikey-provider` (created, or updated if it exists).
    Setup,
    /// Runs one invocation locally and prints the answer, e.g. `invoke '{"prompt": "2×2?"}'`.
    Invoke {
        /// The JSON payload: `{"prompt": "..."}`.
        payload: String,
    },
    /// Serves the AgentCore Runtime contract (`POST /invocations`, `GET /ping`).
    Serve {
        /// The address to listen on.
        #[arg(long, env = "AGENT_ADDRESS", default_value = "0.0.0.0:8080")]
        address: SocketAddr,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn run(cli: Cli) -> Result<(), BoxError> {
    let config = Config::from_env()?;
    match cli.command {
        Command::Setup => setup(&config, &agentcore_identity::default_client().await?).await,
        Command::Invoke { payload } => {
            let payload: Payload = serde_json::from_str(&payload).map_err(|e| {
                format!("the payload must be JSON like {{\"prompt\": \"...\"}}: {e}")
            })?;
            let answer = WeatherAgent::new(config, Identity::from_env())
                .answer(&payload.prompt)
                .await?;
            println!("{answer}");
            Ok(())
        }
        Command::Serve { address } => {
            // Cold start: `/ping` answers as soon as the listener is bound (the server runs on
            // the runtime's workers). Meanwhile, what the first invocation needs: the identity
            // client on a worker, the agent's HTTP client on a blocking thread, and here, on the
            // main thread, rig's model catalog (a 430 KB JSON document rig reads on the first
            // model call; the longest of the three, so it starts first, and on the main thread
            // it allocates from glibc's main heap, faster to grow than a thread's arena). The
            // first invocation waits only for what is not ready yet. The orders measured, and
            // why this one: bench/README.md, "Cold start".
            let listener = tokio::net::TcpListener::bind(address).await?;
            let identity = Identity::from_env();
            let server = tokio::spawn(app(config, identity.clone()).serve(listener));
            identity.start();
            tokio::task::spawn_blocking(|| drop(openai_weather_agent::http::client()));
            let started = std::time::Instant::now();
            let _ = rig_core::catalog::Catalog::builtin();
            tracing::debug!(elapsed = ?started.elapsed(), "rig's model catalog read");
            server.await??;
            Ok(())
        }
    }
}

/// The notebook's `create_api_key_credential_provider` cell; running it again updates the key.
async fn setup(config: &Config, identity: &IdentityClient) -> Result<(), BoxError> {
    let variable = config.key_variable();
    let key = std::env::var(variable)
        .ok()
        .filter(|k| !k.trim().is_empty())
        .ok_or_else(|| format!("set {variable} to the key to store"))?;
    let (provider, created) = setup_provider(identity, SecretString::from(key)).await?;
    if created {
        eprintln!("created API key credential provider `{}`", provider.name);
    } else {
        eprintln!(
            "updated the key of API key credential provider `{}`",
            provider.name
        );
    }
    println!("{}", provider.arn);
    Ok(())
}
