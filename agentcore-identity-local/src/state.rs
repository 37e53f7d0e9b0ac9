//! What every request shares: the store, the derived keys, the configuration, the provider
//! client and the vault's single-flight locks. Knows nothing of HTTP.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::idp::Idp;
use crate::jwt::{TrustedIssuer, UserJwts};
use crate::store::{DerivedKeys, Store};
use crate::sts::StsSigner;

/// The domain's configuration.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Account id in ARNs.
    pub(crate) account_id: String,
    /// Region in ARNs when a request names none.
    pub(crate) default_region: String,
    /// Base URL clients and browsers reach this service at (no trailing slash).
    pub(crate) endpoint: String,
    /// Lifetime of USER_FEDERATION sessions.
    pub(crate) session_ttl: Duration,
    /// Lifetime of workload access tokens.
    pub(crate) wat_ttl: Duration,
    /// Timeout of one outbound request (discovery, JWKS, token endpoints).
    pub(crate) outbound_timeout: Duration,
    /// Issuers whose user JWTs are verified (none: signatures are not checked).
    pub(crate) trusted_issuers: Vec<TrustedIssuer>,
    /// The principal ARN of the local caller (`sub` of STS web identity tokens).
    pub(crate) principal_arn: String,
}

impl Config {
    /// The local caller (the principal ARN in this account), calling from `region`: whom the
    /// service's STS tokens are about.
    pub(crate) fn caller(&self, region: String) -> crate::sts::Caller {
        crate::sts::Caller {
            principal_arn: self.principal_arn.clone(),
            account: self.account_id.clone(),
            region,
        }
    }
}

/// One async lock per vault key, so concurrent misses fetch once.
#[derive(Debug, Default)]
pub(crate) struct Flights(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl Flights {
    /// The lock of `key`.
    pub(crate) fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut m = self.0.lock().expect("flights lock");
        if m.len() > 10_000 {
            m.retain(|_, v| Arc::strong_count(v) > 1);
        }
        m.entry(key.to_string()).or_default().clone()
    }
}

/// Shared state of a running service.
#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) keys: DerivedKeys,
    pub(crate) config: Config,
    pub(crate) idp: Idp,
    pub(crate) user_jwts: UserJwts,
    pub(crate) flights: Flights,
    /// The STS signer (GetWebIdentityToken, client assertions).
    pub(crate) sts: StsSigner,
}

impl AppState {
    pub(crate) fn new(store: Store, keys: DerivedKeys, config: Config, sts: StsSigner) -> Self {
        let idp = Idp::new(config.outbound_timeout);
        let user_jwts = UserJwts::new(config.trusted_issuers.clone(), idp.http().clone());
        Self {
            idp,
            user_jwts,
            store,
            keys,
            config,
            flights: Flights::default(),
            sts,
        }
    }
    /// The provider callback URL.
    pub(crate) fn callback_url(&self) -> String {
        format!("{}/identities/oauth2/callback", self.config.endpoint)
    }
}
