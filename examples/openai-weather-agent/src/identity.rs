//! Where the agent's [`IdentityClient`] comes from: one given ready (tests, embedding), or the
//! process default built from the environment, off the path to `ready`.
//!
//! Building the default client loads the AWS configuration (`aws-config`: environment,
//! profile files, the credential and region chains) and constructs both SDK clients. None of it
//! is needed to answer `/ping`, so `serve` binds and answers first, and [`Identity::start`]
//! builds the client on a background task meanwhile; the first invocation waits for that one
//! build (never a second one) if it has not finished yet.

use std::fmt;
use std::sync::Arc;

use agentcore_identity::IdentityClient;
use tokio::sync::OnceCell;

/// The agent's identity client, ready or built once on first use. Cheap to clone (clones share
/// the one client).
#[derive(Clone, Default)]
pub struct Identity {
    cell: Arc<OnceCell<IdentityClient>>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("client", &self.cell.get())
            .finish()
    }
}

impl From<IdentityClient> for Identity {
    fn from(client: IdentityClient) -> Self {
        Self {
            cell: Arc::new(OnceCell::new_with(Some(client))),
        }
    }
}

impl Identity {
    /// The process default client ([`agentcore_identity::default_client`]: the one set with
    /// `set_default_client`, else one built from the environment), built on first use.
    pub fn from_env() -> Self {
        Self::default()
    }

    /// Starts building the client on a background task (no-op when it is built already).
    /// Must be called inside a Tokio runtime.
    pub fn start(&self) {
        if self.cell.initialized() {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move { this.prepare().await });
    }

    /// Builds the client now if it is not built yet; a failure is logged (and reported again,
    /// and retried, by the invocation that needs the client).
    pub async fn prepare(&self) {
        if self.cell.initialized() {
            return;
        }
        let started = std::time::Instant::now();
        match self.client().await {
            Ok(_) => tracing::debug!(elapsed = ?started.elapsed(), "identity client ready"),
            Err(e) => tracing::warn!(error = %e, "could not build the identity client"),
        }
    }

    /// The client: built once (concurrent callers wait for the one build in progress); a
    /// failed build is retried by the next call.
    pub async fn client(&self) -> Result<IdentityClient, agentcore_identity::Error> {
        self.cell
            .get_or_try_init(agentcore_identity::default_client)
            .await
            .cloned()
    }
}
