//! The operations the service answers, and what is counted and injected per operation.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Every operation of both planes, in the order of [`Op::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    GetWorkloadAccessToken,
    GetWorkloadAccessTokenForJwt,
    GetWorkloadAccessTokenForUserId,
    GetResourceApiKey,
    GetResourceOauth2Token,
    CompleteResourceTokenAuth,
    CreateWorkloadIdentity,
    GetWorkloadIdentity,
    UpdateWorkloadIdentity,
    DeleteWorkloadIdentity,
    ListWorkloadIdentities,
    CreateApiKeyCredentialProvider,
    GetApiKeyCredentialProvider,
    UpdateApiKeyCredentialProvider,
    DeleteApiKeyCredentialProvider,
    ListApiKeyCredentialProviders,
    CreateOauth2CredentialProvider,
    GetOauth2CredentialProvider,
    UpdateOauth2CredentialProvider,
    DeleteOauth2CredentialProvider,
    ListOauth2CredentialProviders,
    TagResource,
    UntagResource,
    ListTagsForResource,
    GetTokenVault,
    SetTokenVaultCMK,
    ResetTokenVaultKeyMaterial,
    /// STS (awsQuery at `/`), not a path of its own.
    GetWebIdentityToken,
}

impl Op {
    /// Every operation; `ALL[op as usize] == op`.
    pub(crate) const ALL: [Op; Op::GetWebIdentityToken as usize + 1] = [
        Op::GetWorkloadAccessToken,
        Op::GetWorkloadAccessTokenForJwt,
        Op::GetWorkloadAccessTokenForUserId,
        Op::GetResourceApiKey,
        Op::GetResourceOauth2Token,
        Op::CompleteResourceTokenAuth,
        Op::CreateWorkloadIdentity,
        Op::GetWorkloadIdentity,
        Op::UpdateWorkloadIdentity,
        Op::DeleteWorkloadIdentity,
        Op::ListWorkloadIdentities,
        Op::CreateApiKeyCredentialProvider,
        Op::GetApiKeyCredentialProvider,
        Op::UpdateApiKeyCredentialProvider,
        Op::DeleteApiKeyCredentialProvider,
        Op::ListApiKeyCredentialProviders,
        Op::CreateOauth2CredentialProvider,
        Op::GetOauth2CredentialProvider,
        Op::UpdateOauth2CredentialProvider,
        Op::DeleteOauth2CredentialProvider,
        Op::ListOauth2CredentialProviders,
        Op::TagResource,
        Op::UntagResource,
        Op::ListTagsForResource,
        Op::GetTokenVault,
        Op::SetTokenVaultCMK,
        Op::ResetTokenVaultKeyMaterial,
        Op::GetWebIdentityToken,
    ];

    /// The operation name (as in the model).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::GetWorkloadAccessToken => "GetWorkloadAccessToken",
            Op::GetWorkloadAccessTokenForJwt => "GetWorkloadAccessTokenForJWT",
            Op::GetWorkloadAccessTokenForUserId => "GetWorkloadAccessTokenForUserId",
            Op::GetResourceApiKey => "GetResourceApiKey",
            Op::GetResourceOauth2Token => "GetResourceOauth2Token",
            Op::CompleteResourceTokenAuth => "CompleteResourceTokenAuth",
            Op::CreateWorkloadIdentity => "CreateWorkloadIdentity",
            Op::GetWorkloadIdentity => "GetWorkloadIdentity",
            Op::UpdateWorkloadIdentity => "UpdateWorkloadIdentity",
            Op::DeleteWorkloadIdentity => "DeleteWorkloadIdentity",
            Op::ListWorkloadIdentities => "ListWorkloadIdentities",
            Op::CreateApiKeyCredentialProvider => "CreateApiKeyCredentialProvider",
            Op::GetApiKeyCredentialProvider => "GetApiKeyCredentialProvider",
            Op::UpdateApiKeyCredentialProvider => "UpdateApiKeyCredentialProvider",
            Op::DeleteApiKeyCredentialProvider => "DeleteApiKeyCredentialProvider",
            Op::ListApiKeyCredentialProviders => "ListApiKeyCredentialProviders",
            Op::CreateOauth2CredentialProvider => "CreateOauth2CredentialProvider",
            Op::GetOauth2CredentialProvider => "GetOauth2CredentialProvider",
            Op::UpdateOauth2CredentialProvider => "UpdateOauth2CredentialProvider",
            Op::DeleteOauth2CredentialProvider => "DeleteOauth2CredentialProvider",
            Op::ListOauth2CredentialProviders => "ListOauth2CredentialProviders",
            Op::TagResource => "TagResource",
            Op::UntagResource => "UntagResource",
            Op::ListTagsForResource => "ListTagsForResource",
            Op::GetTokenVault => "GetTokenVault",
            Op::SetTokenVaultCMK => "SetTokenVaultCMK",
            Op::ResetTokenVaultKeyMaterial => "ResetTokenVaultKeyMaterial",
            Op::GetWebIdentityToken => "GetWebIdentityToken",
        }
    }

    /// The operation at an HTTP path (`/identities/{name}`, the short paths of the model) for
    /// POST, or at `/tags/{resourceArn}` for `method`.
    pub(crate) fn from_request(method: &axum::http::Method, path: &str) -> Option<Op> {
        use axum::http::Method;
        if path.starts_with("/tags/") {
            return match *method {
                Method::POST => Some(Op::TagResource),
                Method::DELETE => Some(Op::UntagResource),
                Method::GET => Some(Op::ListTagsForResource),
                _ => None,
            };
        }
        Self::from_path(path)
    }

    /// The operation at an `/identities/...` path.
    pub(crate) fn from_path(path: &str) -> Option<Op> {
        let rest = path.strip_prefix("/identities/")?;
        match rest {
            "api-key" => Some(Op::GetResourceApiKey),
            "oauth2/token" => Some(Op::GetResourceOauth2Token),
            "get-token-vault" => Some(Op::GetTokenVault),
            "set-token-vault-cmk" => Some(Op::SetTokenVaultCMK),
            "reset-token-vault-key-material" => Some(Op::ResetTokenVaultKeyMaterial),
            _ => Op::ALL
                .into_iter()
                .find(|op| op.name() == rest && op.path().is_none()),
        }
    }

    /// The path of an operation whose path is not `/identities/{name}` (None for those; the
    /// tag operations' is `/tags/{resourceArn}`, STS's `/`).
    pub(crate) fn path(self) -> Option<&'static str> {
        match self {
            Op::GetResourceApiKey => Some("/identities/api-key"),
            Op::GetResourceOauth2Token => Some("/identities/oauth2/token"),
            Op::GetTokenVault => Some("/identities/get-token-vault"),
            Op::SetTokenVaultCMK => Some("/identities/set-token-vault-cmk"),
            Op::ResetTokenVaultKeyMaterial => Some("/identities/reset-token-vault-key-material"),
            Op::TagResource | Op::UntagResource | Op::ListTagsForResource => {
                Some("/tags/{resourceArn}")
            }
            Op::GetWebIdentityToken => Some("/"),
            _ => None,
        }
    }

    /// Data-plane operations (fault injection applies to these).
    pub(crate) fn is_data_plane(self) -> bool {
        matches!(
            self,
            Op::GetWorkloadAccessToken
                | Op::GetWorkloadAccessTokenForJwt
                | Op::GetWorkloadAccessTokenForUserId
                | Op::GetResourceApiKey
                | Op::GetResourceOauth2Token
                | Op::CompleteResourceTokenAuth
        )
    }
}

/// Per-operation request counters and pending injected faults.
#[derive(Debug)]
pub(crate) struct Metrics {
    per_op: [AtomicU64; Op::ALL.len()],
    total: AtomicU64,
    faults_left: AtomicU32,
    fault_status: Mutex<u16>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            per_op: std::array::from_fn(|_| AtomicU64::new(0)),
            total: AtomicU64::new(0),
            faults_left: AtomicU32::new(0),
            fault_status: Mutex::new(500),
        }
    }
}

impl Metrics {
    /// Counts one request of `op`.
    pub(crate) fn hit(&self, op: Op) {
        self.per_op[op as usize].fetch_add(1, Ordering::Relaxed);
        self.total.fetch_add(1, Ordering::Relaxed);
    }
    /// Requests of the operation named `name` (case-insensitive), 0 for an unknown name.
    pub(crate) fn count(&self, name: &str) -> u64 {
        Op::ALL
            .iter()
            .find(|o| o.name().eq_ignore_ascii_case(name))
            .map(|o| self.per_op[*o as usize].load(Ordering::Relaxed))
            .unwrap_or(0)
    }
    /// Requests of every operation.
    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
    /// Makes the next `count` data-plane requests fail with `status`.
    pub(crate) fn set_faults(&self, status: u16, count: u32) {
        *self.fault_status.lock().expect("faults lock") = status;
        self.faults_left.store(count, Ordering::SeqCst);
    }
    /// The status of the next pending fault, consuming it.
    pub(crate) fn take_fault(&self) -> Option<u16> {
        self.faults_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .ok()
            .map(|_| *self.fault_status.lock().expect("faults lock"))
    }
}

#[cfg(test)]
mod tests {
    use super::Op;

    #[test]
    fn all_is_in_discriminant_order_and_paths_round_trip() {
        for (i, op) in Op::ALL.iter().enumerate() {
            assert_eq!(*op as usize, i);
            let path = match op.path() {
                Some("/") => {
                    assert_eq!(Op::from_path("/identities/GetWebIdentityToken"), None);
                    continue;
                }
                Some("/tags/{resourceArn}") => {
                    assert_eq!(Op::from_path(&format!("/identities/{}", op.name())), None);
                    continue;
                }
                Some(p) => p.to_string(),
                None => format!("/identities/{}", op.name()),
            };
            assert_eq!(Op::from_path(&path), Some(*op));
        }
    }
}
