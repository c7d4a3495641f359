//! Link-check results kept in the store (graph `urn:moisson:links`), one node per URL,
//! so a catalogue's links are not re-checked at every harvest: the checker asks which
//! URLs are older than its maximum age.

use chrono::{DateTime, Utc};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedNodeRef, Quad, Term};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

use super::record::{LinkHealth, LinkLookup};
use crate::store::{CatalogStore, StoreError};
use crate::vocab::dcat;

/// The named graph holding link-check results.
pub const LINKS_GRAPH: &str = "urn:moisson:links";
const LINK_CHECK: &str = "urn:moisson:ns#linkCheck";
/// How many times a link's health changed (on the node of [`LINKS_GRAPH`]): a quality run
/// reuses a record's stored assessment only when no link changed since it was made.
const LINKS_EPOCH: &str = "urn:moisson:ns#linksEpoch";

/// The result of checking one URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCheck {
    /// The URL checked.
    pub url: String,
    /// Final HTTP status, when an answer came.
    pub status: Option<u16>,
    /// Whether the link works.
    pub health: LinkHealth,
    /// Why it does not (timeout, DNS, TLS…), when no answer came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it was checked (RFC 3339).
    pub checked_at: String,
}

fn node_of(url: &str) -> NamedNode {
    let key = blake3::hash(url.as_bytes()).to_hex();
    NamedNode::new_unchecked(format!("urn:moisson:link:{}", &key[..32]))
}

fn epoch_of(term: &Term) -> Option<u64> {
    match term {
        Term::Literal(l) => l.value().parse().ok(),
        _ => None,
    }
}

fn graph() -> GraphName {
    GraphName::NamedNode(NamedNode::new_unchecked(LINKS_GRAPH))
}

impl CatalogStore {
    /// Stores link-check results, replacing earlier results for the same URLs.
    /// When a URL's health is new or changed, the links epoch
    /// ([`Self::links_epoch`]) moves on in the same transaction.
    pub fn save_link_checks(&self, checks: &[LinkCheck]) -> Result<(), StoreError> {
        let g = graph();
        let mut tx = self.oxigraph().start_transaction()?;
        let mut health_changed = false;
        for check in checks {
            let node = node_of(&check.url);
            let old: Vec<Quad> = tx
                .quads_for_pattern(Some(node.as_ref().into()), None, None, Some(g.as_ref()))
                .collect::<Result<_, _>>()?;
            let old_health = old.iter().find_map(|q| match &q.object {
                Term::Literal(l) => serde_json::from_str::<LinkCheck>(l.value())
                    .ok()
                    .map(|c| c.health),
                _ => None,
            });
            health_changed |= old_health != Some(check.health);
            for q in &old {
                tx.remove(q);
            }
            let json =
                serde_json::to_string(check).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            tx.insert(&Quad::new(
                node,
                NamedNodeRef::new_unchecked(LINK_CHECK),
                Literal::new_simple_literal(json),
                g.clone(),
            ));
        }
        if health_changed {
            let epoch_node = NamedNode::new_unchecked(LINKS_GRAPH);
            let old: Vec<Quad> = tx
                .quads_for_pattern(
                    Some(epoch_node.as_ref().into()),
                    Some(NamedNodeRef::new_unchecked(LINKS_EPOCH)),
                    None,
                    Some(g.as_ref()),
                )
                .collect::<Result<_, _>>()?;
            let epoch = old
                .iter()
                .filter_map(|q| epoch_of(&q.object))
                .max()
                .unwrap_or(0);
            for q in &old {
                tx.remove(q);
            }
            tx.insert(&Quad::new(
                epoch_node,
                NamedNodeRef::new_unchecked(LINKS_EPOCH),
                Literal::from(epoch.saturating_add(1) as i64),
                g,
            ));
        }
        tx.commit()?;
        Ok(())
    }

    /// Returns how many times a link's stored health changed (0 before any check): two
    /// equal readings mean every URL's health is as it was.
    pub fn links_epoch(&self) -> Result<u64, StoreError> {
        let node = NamedNode::new_unchecked(LINKS_GRAPH);
        let mut epoch = 0;
        for q in self.oxigraph().quads_for_pattern(
            Some(node.as_ref().into()),
            Some(NamedNodeRef::new_unchecked(LINKS_EPOCH)),
            None,
            Some(graph().as_ref()),
        ) {
            epoch = epoch.max(epoch_of(&q?.object).unwrap_or(0));
        }
        Ok(epoch)
    }

    /// Returns the stored results for `urls` (URLs never checked are absent).
    pub fn link_checks<'a>(
        &self,
        urls: impl IntoIterator<Item = &'a str>,
    ) -> Result<HashMap<String, LinkCheck>, StoreError> {
        let g = graph();
        let mut out = HashMap::new();
        for url in urls {
            let node = node_of(url);
            for q in self.oxigraph().quads_for_pattern(
                Some(node.as_ref().into()),
                Some(NamedNodeRef::new_unchecked(LINK_CHECK)),
                None,
                Some(g.as_ref()),
            ) {
                if let Term::Literal(l) = q?.object {
                    let check: LinkCheck = serde_json::from_str(l.value())
                        .map_err(|e| StoreError::Corrupt(format!("link check: {e}")))?;
                    out.insert(url.to_owned(), check);
                }
            }
        }
        Ok(out)
    }

    /// Returns every accessURL and downloadURL of the active records of `source`.
    pub fn link_urls_of_source(&self, source: &str) -> Result<Vec<String>, StoreError> {
        let mut urls = BTreeSet::new();
        let registry = self.registry(source)?;
        for entry in registry.values() {
            if entry.state != crate::store::RecordState::Active {
                continue;
            }
            // The record's compact copy: one read, where a pattern per predicate cost a
            // dictionary read per term.
            self.for_each_value(
                &entry.graph,
                &[dcat::ACCESS_URL, dcat::DOWNLOAD_URL],
                |_, _, object| {
                    if let Term::NamedNode(n) = object {
                        if !urls.contains(n.as_str()) {
                            urls.insert(n.as_str().to_owned());
                        }
                    }
                },
            )?;
        }
        Ok(urls.into_iter().collect())
    }

    /// Returns a lookup of the stored link checks, read as records ask for them (a quality
    /// run then reads each record once, instead of once more to list its links).
    pub fn stored_links(&self) -> StoredLinks<'_> {
        StoredLinks { store: self }
    }

    /// Returns the URLs of `urls` with no result newer than `max_age` at `now`.
    pub fn links_due<'a>(
        &self,
        urls: &'a [String],
        now: DateTime<Utc>,
        max_age: chrono::Duration,
    ) -> Result<Vec<&'a str>, StoreError> {
        let known = self.link_checks(urls.iter().map(String::as_str))?;
        Ok(urls
            .iter()
            .filter(|u| {
                known.get(u.as_str()).is_none_or(|c| {
                    DateTime::parse_from_rfc3339(&c.checked_at)
                        .map(|at| now.signed_duration_since(at) > max_age)
                        .unwrap_or(true)
                })
            })
            .map(String::as_str)
            .collect())
    }
}

/// The link checks of the store, looked up one URL at a time (see
/// [`CatalogStore::stored_links`]); a URL the store cannot read is reported unknown.
pub struct StoredLinks<'a> {
    store: &'a CatalogStore,
}

impl LinkLookup for StoredLinks<'_> {
    fn epoch(&self) -> Option<u64> {
        match self.store.links_epoch() {
            Ok(epoch) => Some(epoch),
            Err(e) => {
                tracing::warn!(error = %e, "reading the links epoch");
                None
            }
        }
    }

    fn health(&self, url: &str) -> Option<LinkHealth> {
        match self.store.link_checks([url]) {
            Ok(mut checks) => checks.remove(url).map(|c| c.health),
            Err(e) => {
                tracing::warn!(url, error = %e, "reading a link check");
                None
            }
        }
    }
}
