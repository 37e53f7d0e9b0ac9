//! Support for this crate's benchmark; not a stable API.

use std::path::Path;
use std::time::Duration;

use crate::secret::Sensitive;
use crate::service::Error;
use crate::store::{Store, Table, TokenRecord};
use crate::time::Time;

/// Writes `n` encrypted vault tokens into the store of `data_dir` (service not running).
pub fn seed_tokens(data_dir: &Path, n: usize) -> Result<(), Error> {
    let (store, _) = Store::open(data_dir, None).map_err(|e| Error::Store(e.to_string()))?;
    let now = Time::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let items: Vec<(String, TokenRecord)> = chunk
            .iter()
            .map(|i| {
                (
                    format!("bench-provider\u{0}{i:08}"),
                    TokenRecord {
                        access_token: Sensitive::new(format!(
                            "bench-access-token-{i}-{}",
                            "x".repeat(800)
                        )),
                        refresh_token: Some(Sensitive::new(format!("bench-refresh-{i}"))),
                        issued_at: now,
                        expires_at: Some(now + Duration::from_secs(3600)),
                    },
                )
            })
            .collect();
        store
            .put_many(Table::Tokens, &items)
            .map_err(|e| Error::Store(e.to_string()))?;
    }
    Ok(())
}
