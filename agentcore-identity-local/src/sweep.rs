//! Bounded storage: expired sessions (with their states and index entries), states, index
//! entries and tokens are removed by a periodic sweep, not only when something touches them.
//! A token that expired but holds a refresh token stays (it can still be refreshed). Sessions,
//! states and index entries that no longer decode (written by an earlier build) go too.

use serde::de::DeserializeOwned;

use crate::store::{
    SessionIndexEntry, SessionRecord, StateRecord, Store, StoreError, Table, TokenRecord,
};

/// How many records of each kind a sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Swept {
    pub(crate) sessions: usize,
    pub(crate) states: usize,
    pub(crate) index: usize,
    pub(crate) tokens: usize,
}

const PAGE: usize = 500;

/// The keys of `table` whose value `doomed` picks, page by page; a value that does not decode
/// is picked when `undecodable` says so.
fn pick<T: DeserializeOwned>(
    store: &Store,
    table: Table,
    undecodable: bool,
    mut doomed: impl FnMut(&str, &T) -> bool,
) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page: Vec<(String, Option<T>)> = store.entries_after(table, after.as_deref(), PAGE)?;
        for (k, v) in &page {
            let gone = match v {
                Some(v) => doomed(k, v),
                None => undecodable,
            };
            if gone {
                out.push(k.clone());
            }
        }
        match page.last() {
            Some((k, _)) if page.len() == PAGE => after = Some(k.clone()),
            _ => return Ok(out),
        }
    }
}

/// One sweep (blocking: run it on the blocking pool).
pub(crate) fn sweep(store: &Store) -> Result<Swept, StoreError> {
    let mut states = Vec::new();
    let mut index = Vec::new();
    let sessions = pick(store, Table::Sessions, true, |_, s: &SessionRecord| {
        let gone = s.expires_at.is_past();
        if gone {
            states.push(s.state_key.clone());
            index.push(format!("{}\u{0}{}", s.workload, s.key));
        }
        gone
    })?;
    states.extend(pick(store, Table::States, true, |_, s: &StateRecord| {
        s.expires_at.is_past()
    })?);
    index.extend(pick(
        store,
        Table::WorkloadSessions,
        true,
        |_, e: &SessionIndexEntry| e.expires_at.is_past(),
    )?);
    let tokens = pick(store, Table::Tokens, false, |_, t: &TokenRecord| {
        t.refresh_token.is_none() && t.expires_at.is_some_and(|e| e.is_past())
    })?;
    states.sort();
    states.dedup();
    index.sort();
    index.dedup();
    store.delete_many(Table::Sessions, &sessions)?;
    store.delete_many(Table::States, &states)?;
    store.delete_many(Table::WorkloadSessions, &index)?;
    store.delete_many(Table::Tokens, &tokens)?;
    Ok(Swept {
        sessions: sessions.len(),
        states: states.len(),
        index: index.len(),
        tokens: tokens.len(),
    })
}
