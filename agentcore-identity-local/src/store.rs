//! Embedded durable storage: one redb database in the data directory, every value encrypted at rest.
//!
//! Values are JSON documents sealed with ChaCha20-Poly1305 (a fresh random 96-bit nonce per value; the
//! table name and key are bound as associated data, so a value cannot be moved to another slot). The
//! 256-bit master key is generated into `master.key` (or the key file given, which may live outside
//! the data directory) on first start; the encryption key, the workload-access-token key and the
//! index key are derived from it with HMAC-SHA256. A key-check record (a sealed constant) tells at
//! start whether the key opens the store: a store with data and a missing or wrong key refuses to
//! open, naming the key file; a new key is made only for an empty store. The data directory is
//! created 0700, the database and key files 0600; looser modes are warned about at start. Every
//! write is committed (fsync) before the caller answers, so an acknowledged write survives
//! `kill -9`.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroize;

use crate::secret::Sensitive;
use crate::time::Time;

/// File name of the database inside the data directory.
pub(crate) const DB_FILE: &str = "identity.redb";
/// File name of the master key inside the data directory.
pub(crate) const KEY_FILE: &str = "master.key";

/// Storage failure. The message never contains stored data.
#[derive(Debug, thiserror::Error)]
#[error("storage error: {0}")]
pub(crate) struct StoreError(String);

impl StoreError {
    /// A storage failure described by `message` (never stored data).
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

fn se(e: impl fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

/// The logical tables.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Table {
    Workloads,
    ApiKeyProviders,
    Oauth2Providers,
    Tokens,
    Sessions,
    States,
    /// `{workload}\0{session key}`: the pending sessions of each workload identity.
    WorkloadSessions,
    /// Token vaults (their KMS configuration and tags), by id.
    TokenVaults,
}

impl Table {
    pub(crate) const ALL: [Table; 8] = [
        Table::Workloads,
        Table::ApiKeyProviders,
        Table::Oauth2Providers,
        Table::Tokens,
        Table::Sessions,
        Table::States,
        Table::WorkloadSessions,
        Table::TokenVaults,
    ];
    /// The table's name in the database.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Table::Workloads => "workload_identities",
            Table::ApiKeyProviders => "api_key_providers",
            Table::Oauth2Providers => "oauth2_providers",
            Table::Tokens => "tokens",
            Table::Sessions => "sessions",
            Table::States => "oauth_states",
            Table::WorkloadSessions => "workload_sessions",
            Table::TokenVaults => "token_vaults",
        }
    }
    fn def(self) -> TableDefinition<'static, &'static str, &'static [u8]> {
        TableDefinition::new(self.name())
    }
}

/// The store: a cheap handle (clone it freely). Reads run on the caller's thread (no fsync, served
/// from redb's cache); every write (commit + fsync) runs on tokio's blocking pool through
/// [`Store::transact`], awaited before the caller answers.
#[derive(Clone)]
pub(crate) struct Store {
    inner: std::sync::Arc<Inner>,
}

/// The database and the value cipher.
pub(crate) struct Inner {
    db: Database,
    cipher: ChaCha20Poly1305,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl std::ops::Deref for Store {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

/// Keys derived from the master key.
pub(crate) struct DerivedKeys {
    /// Seals workload access tokens (ChaCha20-Poly1305).
    pub(crate) wat_key: [u8; 32],
    /// Keys the digests that stand for session URIs and OAuth2 states in the key space.
    pub(crate) index_key: [u8; 32],
}

impl fmt::Debug for DerivedKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DerivedKeys([REDACTED])")
    }
}

impl Drop for DerivedKeys {
    fn drop(&mut self) {
        self.wat_key.zeroize();
        self.index_key.zeroize();
    }
}

fn derive(master: &[u8], label: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Why a store did not open.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    /// The store holds data and the key file is missing.
    #[error("the store holds data but its master key file {} is missing", key_file.display())]
    MissingKey { key_file: PathBuf },
    /// The key file does not open the store.
    #[error("the master key file {} does not open this store", key_file.display())]
    WrongKey { key_file: PathBuf },
    /// Anything else.
    #[error(transparent)]
    Storage(#[from] StoreError),
}

/// Warns when `path` can be read or written by others than its owner.
fn warn_if_open(path: &Path, what: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(path) {
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    mode = format!("{mode:o}"),
                    "the {what} is accessible to other users; chmod go-rwx it"
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, what);
}

/// Creates `dir` (and missing parents) 0700.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Options for a file only its owner may read (0600).
fn private_file() -> std::fs::OpenOptions {
    let mut opts = std::fs::OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts
}

fn read_key(path: &Path) -> std::io::Result<Option<[u8; 32]>> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() == 32 => {
            let mut k = [0u8; 32];
            k.copy_from_slice(&bytes);
            Ok(Some(k))
        }
        Ok(_) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} is not a 32-byte key", path.display()),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn create_key(path: &Path) -> std::io::Result<[u8; 32]> {
    let mut k = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut k);
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let tmp = path.with_extension("tmp");
    let mut f = private_file()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)?;
    f.write_all(&k)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(k)
}

/// The plaintext of the key-check record.
const KEY_CHECK: &str = "agentcore-identity-local key check";
/// Table and key of the key-check record.
const META: TableDefinition<'static, &'static str, &'static [u8]> = TableDefinition::new("meta");

impl Store {
    /// Opens (or creates) the store in `dir`, with the master key in `key_file` (default
    /// `dir/master.key`).
    pub(crate) fn open(
        dir: &Path,
        key_file: Option<&Path>,
    ) -> Result<(Store, DerivedKeys), OpenError> {
        create_private_dir(dir).map_err(se)?;
        warn_if_open(dir, "data directory");
        let key_file = key_file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dir.join(KEY_FILE));
        let db_path = dir.join(DB_FILE);
        match private_file().write(true).create_new(true).open(&db_path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                warn_if_open(&db_path, "database file");
            }
            Err(e) => return Err(se(e).into()),
        }
        let db = Database::create(&db_path).map_err(se)?;
        let mut master = match read_key(&key_file).map_err(se)? {
            Some(k) => {
                warn_if_open(&key_file, "master key file");
                k
            }
            None if has_data(&db)? => return Err(OpenError::MissingKey { key_file }),
            None => create_key(&key_file).map_err(se)?,
        };
        let mut enc = derive(&master, "agentcore-identity-local/v1/encryption");
        let keys = DerivedKeys {
            wat_key: derive(&master, "agentcore-identity-local/v2/workload-access-token"),
            index_key: derive(&master, "agentcore-identity-local/v1/index"),
        };
        master.zeroize();
        let cipher = ChaCha20Poly1305::new(Key::from_slice(&enc));
        enc.zeroize();
        let inner = Inner { db, cipher };
        inner.check_key(&key_file)?;
        let txn = inner.db.begin_write().map_err(se)?;
        for t in Table::ALL {
            txn.open_table(t.def()).map_err(se)?;
        }
        // Before 0.1.0: user JWTs stored for ForJWT tokens (they now travel sealed in the token).
        let old: TableDefinition<'static, &'static str, &'static [u8]> =
            TableDefinition::new("user_tokens");
        txn.delete_table(old).map_err(se)?;
        txn.commit().map_err(se)?;
        Ok((
            Store {
                inner: std::sync::Arc::new(inner),
            },
            keys,
        ))
    }

    /// The service record `key` of the `meta` table (sealed like every value), made with `make`
    /// and stored when absent. Blocking: for start-up.
    pub(crate) fn meta_get_or_insert_with<T: Serialize + DeserializeOwned>(
        &self,
        key: &str,
        make: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let txn = self.db.begin_write().map_err(se)?;
        let out = {
            let mut t = txn.open_table(META).map_err(se)?;
            let existing = t.get(key).map_err(se)?.map(|v| v.value().to_vec());
            match existing {
                Some(sealed) => self.open_raw("meta", key, &sealed)?,
                None => {
                    let value = make()?;
                    let mut plain = serde_json::to_vec(&value).map_err(se)?;
                    let sealed = self.seal_raw("meta", key, &plain);
                    plain.zeroize();
                    t.insert(key, sealed?.as_slice()).map_err(se)?;
                    value
                }
            }
        };
        txn.commit().map_err(se)?;
        Ok(out)
    }

    /// Runs `f` in one write transaction on the blocking pool; commits (fsync) only when `f`
    /// answers `Ok(Ok(_))`, aborts otherwise (nothing written). Returns once committed.
    pub(crate) async fn transact<R, E>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> Result<Result<R, E>, StoreError> + Send + 'static,
    ) -> Result<Result<R, E>, StoreError>
    where
        R: Send + 'static,
        E: Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || inner.transact_blocking(f))
            .await
            .map_err(|e| StoreError(format!("storage task failed: {e}")))?
    }

    /// [`Store::transact`] for closures whose error absorbs storage errors: several writes, all or
    /// nothing.
    pub(crate) async fn write<R, E>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> Result<R, E> + Send + 'static,
    ) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.transact(move |tx| Ok(f(tx))).await?
    }

    /// Writes one value (insert or replace), committed before returning.
    pub(crate) async fn put<T: Serialize>(
        &self,
        table: Table,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let sealed = self.encode(table, key, value)?;
        let key = key.to_string();
        self.transact(move |tx| {
            tx.put_sealed(table, &key, &sealed)?;
            Ok(Ok::<_, ()>(()))
        })
        .await?
        .map_err(|()| StoreError("unreachable".into()))
    }

    /// Inserts only when the key is absent; returns false (and writes nothing) when it exists.
    pub(crate) async fn insert_new<T: Serialize>(
        &self,
        table: Table,
        key: &str,
        value: &T,
    ) -> Result<bool, StoreError> {
        let sealed = self.encode(table, key, value)?;
        let key = key.to_string();
        let r = self
            .transact(move |tx| {
                if tx.exists(table, &key)? {
                    return Ok(Err(()));
                }
                tx.put_sealed(table, &key, &sealed)?;
                Ok(Ok(()))
            })
            .await?;
        Ok(r.is_ok())
    }

    /// Atomic read-modify-write of one key: `f` sees the current value and returns the new one
    /// (`None` deletes). Whatever `f` returns as its second element is handed back.
    pub(crate) async fn update<T, R, E>(
        &self,
        table: Table,
        key: &str,
        f: impl FnOnce(Option<T>) -> Result<(Option<T>, R), E> + Send + 'static,
    ) -> Result<Result<R, E>, StoreError>
    where
        T: Serialize + DeserializeOwned + 'static,
        R: Send + 'static,
        E: Send + 'static,
    {
        let key = key.to_string();
        self.transact(move |tx| {
            let current: Option<T> = tx.get(table, &key)?;
            match f(current) {
                Err(e) => Ok(Err(e)),
                Ok((Some(new), r)) => {
                    tx.put(table, &key, &new)?;
                    Ok(Ok(r))
                }
                Ok((None, r)) => {
                    tx.delete(table, &key)?;
                    Ok(Ok(r))
                }
            }
        })
        .await
    }

    /// Deletes one key; true when it existed.
    pub(crate) async fn delete(&self, table: Table, key: &str) -> Result<bool, StoreError> {
        let key = key.to_string();
        self.write(move |tx| tx.delete(table, &key)).await
    }

    /// Removes and returns one value atomically (single-use records).
    pub(crate) async fn take<T: DeserializeOwned + Send + 'static>(
        &self,
        table: Table,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let key = key.to_string();
        self.write(move |tx| tx.take(table, &key)).await
    }
}

/// One write transaction (see [`Store::transact`]).
pub(crate) struct Tx<'a> {
    txn: &'a redb::WriteTransaction,
    inner: &'a Inner,
}

impl fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tx").finish_non_exhaustive()
    }
}

impl Tx<'_> {
    /// Reads one value inside the transaction.
    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        table: Table,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let t = self.txn.open_table(table.def()).map_err(se)?;
        match t.get(key).map_err(se)? {
            Some(v) => Ok(Some(self.inner.open_value(table, key, v.value())?)),
            None => Ok(None),
        }
    }

    fn exists(&self, table: Table, key: &str) -> Result<bool, StoreError> {
        let t = self.txn.open_table(table.def()).map_err(se)?;
        Ok(t.get(key).map_err(se)?.is_some())
    }

    fn put_sealed(&self, table: Table, key: &str, sealed: &[u8]) -> Result<(), StoreError> {
        let mut t = self.txn.open_table(table.def()).map_err(se)?;
        t.insert(key, sealed).map_err(se)?;
        Ok(())
    }

    /// Writes one value (insert or replace).
    pub(crate) fn put<T: Serialize>(
        &self,
        table: Table,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let sealed = self.inner.encode(table, key, value)?;
        self.put_sealed(table, key, &sealed)
    }

    /// Deletes one key; true when it existed.
    pub(crate) fn delete(&self, table: Table, key: &str) -> Result<bool, StoreError> {
        let mut t = self.txn.open_table(table.def()).map_err(se)?;
        Ok(t.remove(key).map_err(se)?.is_some())
    }

    /// Removes and returns one value.
    pub(crate) fn take<T: DeserializeOwned>(
        &self,
        table: Table,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let mut t = self.txn.open_table(table.def()).map_err(se)?;
        let out = match t.remove(key).map_err(se)? {
            Some(v) => Some(self.inner.open_value::<T>(table, key, v.value())?),
            None => None,
        };
        Ok(out)
    }

    /// Every entry of `table` whose key starts with `prefix`, in key order.
    pub(crate) fn prefixed<T: DeserializeOwned>(
        &self,
        table: Table,
        prefix: &str,
    ) -> Result<Vec<(String, T)>, StoreError> {
        let t = self.txn.open_table(table.def()).map_err(se)?;
        let mut out = Vec::new();
        for item in t.range(prefix..).map_err(se)? {
            let (k, v) = item.map_err(se)?;
            if !k.value().starts_with(prefix) {
                break;
            }
            out.push((
                k.value().to_string(),
                self.inner.open_value(table, k.value(), v.value())?,
            ));
        }
        Ok(out)
    }

    /// Deletes every key of `table` for which `doomed` says so; returns how many. Reads keys
    /// only (no value is decrypted).
    pub(crate) fn delete_keys_where(
        &self,
        table: Table,
        doomed: impl Fn(&str) -> bool,
    ) -> Result<usize, StoreError> {
        let mut t = self.txn.open_table(table.def()).map_err(se)?;
        let keys: Vec<String> = t
            .range::<&str>(..)
            .map_err(se)?
            .map_while(|r| r.ok())
            .map(|(k, _)| k.value().to_string())
            .filter(|k| doomed(k))
            .collect();
        for k in &keys {
            t.remove(k.as_str()).map_err(se)?;
        }
        Ok(keys.len())
    }

    /// Deletes every key in `table` that starts with `prefix`; returns how many.
    pub(crate) fn delete_prefix(&self, table: Table, prefix: &str) -> Result<usize, StoreError> {
        let mut t = self.txn.open_table(table.def()).map_err(se)?;
        let keys: Vec<String> = t
            .range(prefix..)
            .map_err(se)?
            .map_while(|r| r.ok())
            .map(|(k, _)| k.value().to_string())
            .take_while(|k| k.starts_with(prefix))
            .collect();
        for k in &keys {
            t.remove(k.as_str()).map_err(se)?;
        }
        Ok(keys.len())
    }
}

/// Whether any table (the key check included) holds a record.
fn has_data(db: &Database) -> Result<bool, StoreError> {
    let txn = db.begin_read().map_err(se)?;
    for t in txn.list_tables().map_err(se)? {
        let def: TableDefinition<'_, &str, &[u8]> = TableDefinition::new(t.name());
        if let Ok(table) = txn.open_table(def)
            && table.len().map_err(se)? > 0
        {
            return Ok(true);
        }
    }
    Ok(false)
}

impl Inner {
    /// Checks that the key opens this store (the key-check record, or on a store that has none
    /// yet, one stored value), then writes the key-check record if missing.
    fn check_key(&self, key_file: &Path) -> Result<(), OpenError> {
        let wrong = || OpenError::WrongKey {
            key_file: key_file.to_path_buf(),
        };
        let txn = self.db.begin_read().map_err(se)?;
        let check: Option<Vec<u8>> = match txn.open_table(META) {
            Ok(t) => t.get("key-check").map_err(se)?.map(|v| v.value().to_vec()),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(se(e).into()),
        };
        if let Some(sealed) = check {
            let text: String = self
                .open_raw("meta", "key-check", &sealed)
                .map_err(|_| wrong())?;
            return if text == KEY_CHECK {
                Ok(())
            } else {
                Err(wrong())
            };
        }
        // No key check yet: a store written before it had one opens only if a value does.
        for t in Table::ALL {
            let Ok(table) = txn.open_table(t.def()) else {
                continue;
            };
            if let Some(item) = table.iter().map_err(se)?.next() {
                let (k, v) = item.map_err(se)?;
                self.open_value::<serde_json::Value>(t, k.value(), v.value())
                    .map_err(|_| wrong())?;
                break;
            }
        }
        drop(txn);
        let plain = serde_json::to_vec(KEY_CHECK).map_err(se)?;
        let sealed = self.seal_raw("meta", "key-check", &plain)?;
        let w = self.db.begin_write().map_err(se)?;
        {
            let mut t = w.open_table(META).map_err(se)?;
            t.insert("key-check", sealed.as_slice()).map_err(se)?;
        }
        w.commit().map_err(se)?;
        Ok(())
    }

    fn transact_blocking<R, E>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> Result<Result<R, E>, StoreError>,
    ) -> Result<Result<R, E>, StoreError> {
        let txn = self.db.begin_write().map_err(se)?;
        let out = f(&Tx {
            txn: &txn,
            inner: self,
        });
        match out {
            Ok(Ok(r)) => {
                txn.commit().map_err(se)?;
                Ok(Ok(r))
            }
            other => {
                let _ = txn.abort();
                other
            }
        }
    }

    fn seal(&self, table: Table, key: &str, plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.seal_raw(table.name(), key, plain)
    }

    fn seal_raw(&self, table: &str, key: &str, plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = format!("{table}\0{key}");
        let ct = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| StoreError("encryption failed".into()))?;
        let mut out = Vec::with_capacity(12 + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    fn open_value<T: DeserializeOwned>(
        &self,
        table: Table,
        key: &str,
        sealed: &[u8],
    ) -> Result<T, StoreError> {
        self.open_raw(table.name(), key, sealed)
    }

    fn open_raw<T: DeserializeOwned>(
        &self,
        table: &str,
        key: &str,
        sealed: &[u8],
    ) -> Result<T, StoreError> {
        if sealed.len() < 12 {
            return Err(StoreError("corrupt value".into()));
        }
        let aad = format!("{table}\0{key}");
        let mut plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(&sealed[..12]),
                Payload {
                    msg: &sealed[12..],
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| {
                StoreError("decryption failed (wrong master key or corrupt data)".into())
            })?;
        let v = serde_json::from_slice(&plain).map_err(|_| StoreError("corrupt value".into()));
        plain.zeroize();
        v
    }

    fn encode<T: Serialize>(
        &self,
        table: Table,
        key: &str,
        value: &T,
    ) -> Result<Vec<u8>, StoreError> {
        let mut plain = serde_json::to_vec(value).map_err(se)?;
        let sealed = self.seal(table, key, &plain);
        plain.zeroize();
        sealed
    }

    /// Reads one value.
    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        table: Table,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let txn = self.db.begin_read().map_err(se)?;
        let t = txn.open_table(table.def()).map_err(se)?;
        match t.get(key).map_err(se)? {
            Some(v) => Ok(Some(self.open_value(table, key, v.value())?)),
            None => Ok(None),
        }
    }

    /// Writes many values in one transaction.
    pub(crate) fn put_many<T: Serialize>(
        &self,
        table: Table,
        items: &[(String, T)],
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(se)?;
        {
            let mut t = txn.open_table(table.def()).map_err(se)?;
            for (k, v) in items {
                let sealed = self.encode(table, k, v)?;
                t.insert(k.as_str(), sealed.as_slice()).map_err(se)?;
            }
        }
        txn.commit().map_err(se)
    }

    /// One page of values in key order, starting at `start` (inclusive); returns the key of the next
    /// page's first item when there is one.
    pub(crate) fn page<T: DeserializeOwned>(
        &self,
        table: Table,
        start: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<T>, Option<String>), StoreError> {
        let txn = self.db.begin_read().map_err(se)?;
        let t = txn.open_table(table.def()).map_err(se)?;
        let iter = match start {
            Some(s) => t.range(s..).map_err(se)?,
            None => t.range::<&str>(..).map_err(se)?,
        };
        let mut out = Vec::new();
        for item in iter {
            let (k, v) = item.map_err(se)?;
            if out.len() == limit {
                return Ok((out, Some(k.value().to_string())));
            }
            out.push(self.open_value(table, k.value(), v.value())?);
        }
        Ok((out, None))
    }

    /// One page of entries (key and value, `None` for a value that does not decode) in key
    /// order, after `after` (exclusive).
    pub(crate) fn entries_after<T: DeserializeOwned>(
        &self,
        table: Table,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Option<T>)>, StoreError> {
        let txn = self.db.begin_read().map_err(se)?;
        let t = txn.open_table(table.def()).map_err(se)?;
        let iter = match after {
            Some(a) => t
                .range::<&str>((std::ops::Bound::Excluded(a), std::ops::Bound::Unbounded))
                .map_err(se)?,
            None => t.range::<&str>(..).map_err(se)?,
        };
        let mut out = Vec::new();
        for item in iter.take(limit) {
            let (k, v) = item.map_err(se)?;
            out.push((
                k.value().to_string(),
                self.open_value(table, k.value(), v.value()).ok(),
            ));
        }
        Ok(out)
    }

    /// Deletes `keys` of `table` in one transaction (committed).
    pub(crate) fn delete_many(&self, table: Table, keys: &[String]) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(se)?;
        {
            let mut t = txn.open_table(table.def()).map_err(se)?;
            for k in keys {
                t.remove(k.as_str()).map_err(se)?;
            }
        }
        txn.commit().map_err(se)
    }

    /// Number of entries in a table.
    pub(crate) fn count(&self, table: Table) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(se)?;
        let t = txn.open_table(table.def()).map_err(se)?;
        t.len().map_err(se)
    }
}

/// A workload identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WorkloadRecord {
    pub(crate) name: String,
    /// Random per creation: tokens and vault entries of a deleted identity never serve a new
    /// one of the same name.
    #[serde(default)]
    pub(crate) incarnation: String,
    pub(crate) arn: String,
    pub(crate) allowed_return_urls: Option<Vec<String>>,
    pub(crate) tags: Option<BTreeMap<String, String>>,
    pub(crate) created: Time,
    pub(crate) updated: Time,
}

/// An API-key credential provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ApiKeyProviderRecord {
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) secret_arn: String,
    pub(crate) api_key: Option<Sensitive>,
    pub(crate) secret_source: Option<String>,
    pub(crate) secret_json_key: Option<String>,
    pub(crate) tags: Option<BTreeMap<String, String>>,
    pub(crate) created: Time,
    pub(crate) updated: Time,
}

/// Authorization server metadata (RFC 8414 subset).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Metadata {
    pub(crate) issuer: String,
    pub(crate) authorization_endpoint: String,
    pub(crate) token_endpoint: String,
    pub(crate) response_types: Option<Vec<String>>,
    pub(crate) token_endpoint_auth_methods: Option<Vec<String>>,
}

/// How the provider's endpoints are known.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) enum Discovery {
    /// Fetched lazily from this URL.
    Url(String),
    /// Given (or preset for a built-in vendor).
    Metadata(Metadata),
}

/// An OAuth2 credential provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Oauth2ProviderRecord {
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) secret_arn: String,
    pub(crate) vendor: String,
    /// The union member of the config (`customOauth2ProviderConfig`, ...).
    pub(crate) config_member: String,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<Sensitive>,
    pub(crate) client_secret_source: Option<String>,
    pub(crate) discovery: Discovery,
    /// Metadata fetched from the discovery URL, cached.
    pub(crate) discovered: Option<Metadata>,
    pub(crate) client_auth_method: Option<String>,
    /// Other members echoed in the output (custom config only), as given.
    pub(crate) extra_output: serde_json::Map<String, serde_json::Value>,
    pub(crate) tags: Option<BTreeMap<String, String>>,
    pub(crate) created: Time,
    pub(crate) updated: Time,
}

/// A token vault: its KMS configuration (echoed; locally the store's own key encrypts it), its
/// tags, and how many times its key material was reset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TokenVaultRecord {
    pub(crate) id: String,
    pub(crate) arn: String,
    /// `CustomerManagedKey` or `ServiceManagedKey`.
    pub(crate) key_type: String,
    pub(crate) kms_key_arn: Option<String>,
    pub(crate) tags: Option<BTreeMap<String, String>>,
    /// Key-material generation: 0 at creation, +1 per ResetTokenVaultKeyMaterial.
    pub(crate) generation: u64,
    pub(crate) last_modified: Time,
}

/// A token in the vault.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TokenRecord {
    pub(crate) access_token: Sensitive,
    pub(crate) refresh_token: Option<Sensitive>,
    pub(crate) issued_at: Time,
    pub(crate) expires_at: Option<Time>,
}

/// An OAuth2 `state` handed to the provider (key: its digest), single-use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StateRecord {
    /// The key of the session it belongs to.
    pub(crate) session_key: String,
    pub(crate) expires_at: Time,
}

/// A pending session of a workload identity (table `workload_sessions`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SessionIndexEntry {
    /// The key of the session's state.
    pub(crate) state_key: String,
    pub(crate) expires_at: Time,
}

/// State of a 3LO session.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) enum SessionState {
    /// Waiting for the user at the provider.
    AwaitingCallback,
    /// Code exchanged; waiting for CompleteResourceTokenAuth.
    AwaitingCompletion,
    /// Token bound to the user in the vault.
    Completed,
    /// The provider answered an error.
    Failed,
}

/// A 3LO (USER_FEDERATION) session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SessionRecord {
    pub(crate) session_uri: String,
    /// Its own key (a digest of the session URI) and its state's.
    pub(crate) key: String,
    pub(crate) state_key: String,
    pub(crate) workload: String,
    pub(crate) user: String,
    pub(crate) provider: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) vault_key: String,
    pub(crate) return_url: Option<String>,
    pub(crate) custom_state: Option<Sensitive>,
    pub(crate) custom_parameters: BTreeMap<String, Sensitive>,
    pub(crate) resources: Vec<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) pkce_verifier: Sensitive,
    pub(crate) authorization_url: String,
    /// Where `authorization_url` redirects to (the provider, with state and PKCE challenge).
    pub(crate) provider_url: String,
    pub(crate) status: SessionState,
    pub(crate) token: Option<TokenRecord>,
    pub(crate) failure: Option<String>,
    pub(crate) created: Time,
    pub(crate) expires_at: Time,
}
