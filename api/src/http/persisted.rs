//! Apollo's automatic persisted queries: a client may send only the SHA-256 of a
//! document it sent before (`extensions.persistedQuery.sha256Hash`), and sends the
//! document again when told `PERSISTED_QUERY_NOT_FOUND`.
//!
//! The documents are kept per process, in a bounded map (oldest out first): with several
//! replicas a client may be told "not found" by a replica that has not seen its
//! document yet, and then sends it, which is how the protocol is meant to recover.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
};

use serde_json::Value;

/// Most documents kept.
const MAX_DOCUMENTS: usize = 1_000;
/// Most bytes of documents kept, all together.
const MAX_BYTES: usize = 8 * 1024 * 1024;

/// What a request's `persistedQuery` extension asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The request carries its document; nothing persisted is involved.
    Sent(String),
    /// The document of the hash, known here.
    Found(Arc<str>),
    /// A hash without a document, unknown here: the client is to send the document.
    NotFound,
}

/// The documents seen with a hash, bounded in count and bytes.
#[derive(Debug, Default)]
pub struct PersistedQueries {
    inner: Mutex<Documents>,
}

#[derive(Debug, Default)]
struct Documents {
    by_hash: HashMap<String, Arc<str>>,
    order: VecDeque<String>,
    bytes: usize,
}

impl PersistedQueries {
    /// Resolves a request's document from its `query` and its `extensions`, remembering
    /// a document sent with its hash. Errors are messages for the client.
    pub fn resolve(
        &self,
        query: Option<String>,
        extensions: Option<&Value>,
    ) -> Result<Lookup, String> {
        let Some(hash) = requested_hash(extensions)? else {
            return query
                .map(Lookup::Sent)
                .ok_or_else(|| "`query` is required".to_owned());
        };
        match query {
            Some(query) => {
                let actual = crate::http::cache::sha256_hex(query.as_bytes());
                if actual != hash {
                    return Err(
                        "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of `query`"
                            .to_owned(),
                    );
                }
                self.remember(hash, &query);
                Ok(Lookup::Sent(query))
            }
            None => Ok(self.find(&hash).map_or(Lookup::NotFound, Lookup::Found)),
        }
    }

    fn find(&self, hash: &str) -> Option<Arc<str>> {
        let documents = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        documents.by_hash.get(hash).cloned()
    }

    fn remember(&self, hash: String, query: &str) {
        if query.len() > MAX_BYTES {
            return;
        }
        let mut documents = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if documents.by_hash.contains_key(&hash) {
            return;
        }
        while documents.by_hash.len() >= MAX_DOCUMENTS || documents.bytes + query.len() > MAX_BYTES
        {
            let Some(oldest) = documents.order.pop_front() else {
                break;
            };
            if let Some(gone) = documents.by_hash.remove(&oldest) {
                documents.bytes -= gone.len();
            }
        }
        documents.bytes += query.len();
        documents.order.push_back(hash.clone());
        documents.by_hash.insert(hash, Arc::from(query));
    }
}

/// The hash of `extensions.persistedQuery` (version 1), lower-case hex, if present.
fn requested_hash(extensions: Option<&Value>) -> Result<Option<String>, String> {
    let Some(persisted) = extensions.and_then(|e| e.get("persistedQuery")) else {
        return Ok(None);
    };
    if persisted.get("version").and_then(Value::as_i64) != Some(1) {
        return Err("`extensions.persistedQuery.version` must be 1".to_owned());
    }
    let hash = persisted
        .get("sha256Hash")
        .and_then(Value::as_str)
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| {
            "`extensions.persistedQuery.sha256Hash` must be 64 hexadecimal digits".to_owned()
        })?;
    Ok(Some(hash.to_ascii_lowercase()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly
mod tests {
    use serde_json::json;

    use super::*;

    fn ext(hash: &str) -> Value {
        json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
    }

    #[test]
    fn a_hash_is_found_once_its_document_was_sent_with_it() {
        let store = PersistedQueries::default();
        let query = "{ __typename }";
        let hash = crate::http::cache::sha256_hex(query.as_bytes());
        assert_eq!(store.resolve(None, Some(&ext(&hash))), Ok(Lookup::NotFound));
        assert_eq!(
            store.resolve(Some(query.to_owned()), Some(&ext(&hash))),
            Ok(Lookup::Sent(query.to_owned()))
        );
        assert_eq!(
            store.resolve(None, Some(&ext(&hash))),
            Ok(Lookup::Found(Arc::from(query)))
        );
        assert!(
            store
                .resolve(Some("{ other }".to_owned()), Some(&ext(&hash)))
                .is_err()
        );
        assert!(store.resolve(None, Some(&ext("xyz"))).is_err());
        assert!(store.resolve(None, None).is_err());
    }

    #[test]
    fn the_oldest_documents_leave_first_past_the_bound() {
        let store = PersistedQueries::default();
        let hashes: Vec<String> = (0..=MAX_DOCUMENTS)
            .map(|i| {
                let query = format!("{{ a{i}: __typename }}");
                let hash = crate::http::cache::sha256_hex(query.as_bytes());
                store.resolve(Some(query), Some(&ext(&hash))).unwrap();
                hash
            })
            .collect();
        assert_eq!(
            store.resolve(None, Some(&ext(&hashes[0]))),
            Ok(Lookup::NotFound)
        );
        assert!(matches!(
            store.resolve(None, Some(&ext(&hashes[MAX_DOCUMENTS]))),
            Ok(Lookup::Found(_))
        ));
    }
}
