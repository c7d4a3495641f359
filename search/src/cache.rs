//! Answers and facet counts of recent searches, valid for one searcher generation.
//!
//! Counting facets visits every matching document: at 1,000,000 datasets a broad query
//! ("eau", a région, a theme) matches hundreds of thousands, and counting dominates the
//! cost of a search. Portal traffic repeats itself (the same themes, territories and use
//! cases, paged through), so:
//! - a whole answer is kept per request (text, filters, sort, page);
//! - facet counts are kept per text and filters, so that paging through results or
//!   changing the sort counts nothing again.
//!
//! Invariants: an entry is only used for the searcher generation it was computed on
//! (every index commit makes a new generation, so no answer outlives the data it was
//! computed from); each map holds at most `capacity` entries, oldest dropped first.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use crate::query::{FacetValue, SearchRequest, SearchResponse, Sort};

/// Facet counts by dimension.
pub(crate) type Facets = Arc<BTreeMap<String, Vec<FacetValue>>>;

/// A bounded map, oldest entry dropped first, emptied when the generation changes.
struct Bounded<K, V> {
    generation: u64,
    map: HashMap<K, V>,
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V: Clone> Bounded<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            generation: u64::MAX,
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    /// Empties the map when `generation` is not the one its entries were computed on.
    fn at(&mut self, generation: u64) -> &mut Self {
        if generation != self.generation {
            self.map.clear();
            self.order.clear();
            self.generation = generation;
        }
        self
    }

    fn get(&mut self, generation: u64, key: &K) -> Option<V> {
        self.at(generation).map.get(key).cloned()
    }

    fn put(&mut self, generation: u64, key: K, value: V) {
        self.at(generation);
        if self.capacity == 0 {
            return;
        }
        if self.map.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
            while self.order.len() > self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
        }
    }
}

/// The key of a request's text and filters (values sorted: filters are sets).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct QueryKey {
    text: String,
    filters: Vec<(String, Vec<String>)>,
}

impl QueryKey {
    pub(crate) fn of(request: &SearchRequest) -> Self {
        Self {
            text: request.q.as_deref().unwrap_or_default().trim().to_owned(),
            filters: request
                .filters
                .iter()
                .filter(|(_, values)| !values.is_empty())
                .map(|(dimension, values)| {
                    let mut values = values.clone();
                    values.sort();
                    values.dedup();
                    (dimension.clone(), values)
                })
                .collect(),
        }
    }
}

/// The key of a whole answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct AnswerKey {
    query: QueryKey,
    sort: u8,
    page: usize,
    page_size: usize,
}

impl AnswerKey {
    pub(crate) fn of(query: &QueryKey, request: &SearchRequest) -> Self {
        Self {
            query: query.clone(),
            sort: match request.sort {
                Sort::Relevance => 0,
                Sort::Modified => 1,
                Sort::Quality => 2,
            },
            page: request.page,
            page_size: request.page_size,
        }
    }
}

/// Hit and miss counters, for `/metrics` and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Answers served from the cache.
    pub answer_hits: u64,
    /// Answers computed.
    pub answer_misses: u64,
    /// Computed answers whose facet counts came from the cache.
    pub facet_hits: u64,
}

/// See the module documentation.
pub(crate) struct SearchCache {
    answers: Mutex<Bounded<AnswerKey, Arc<SearchResponse>>>,
    facets: Mutex<Bounded<QueryKey, Facets>>,
    stats: Mutex<CacheStats>,
}

impl SearchCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            answers: Mutex::new(Bounded::new(capacity)),
            facets: Mutex::new(Bounded::new(capacity)),
            stats: Mutex::new(CacheStats::default()),
        }
    }

    pub(crate) fn set_capacity(&self, capacity: usize) {
        if let Ok(mut answers) = self.answers.lock() {
            *answers = Bounded::new(capacity);
        }
        if let Ok(mut facets) = self.facets.lock() {
            *facets = Bounded::new(capacity);
        }
    }

    pub(crate) fn answer(&self, generation: u64, key: &AnswerKey) -> Option<Arc<SearchResponse>> {
        let found = self.answers.lock().ok()?.get(generation, key);
        if let Ok(mut stats) = self.stats.lock() {
            if found.is_some() {
                stats.answer_hits += 1;
            } else {
                stats.answer_misses += 1;
            }
        }
        found
    }

    pub(crate) fn keep_answer(&self, generation: u64, key: AnswerKey, answer: Arc<SearchResponse>) {
        if let Ok(mut answers) = self.answers.lock() {
            answers.put(generation, key, answer);
        }
    }

    pub(crate) fn facets(&self, generation: u64, key: &QueryKey) -> Option<Facets> {
        let found = self.facets.lock().ok()?.get(generation, key);
        if found.is_some() {
            if let Ok(mut stats) = self.stats.lock() {
                stats.facet_hits += 1;
            }
        }
        found
    }

    pub(crate) fn keep_facets(&self, generation: u64, key: QueryKey, facets: Facets) {
        if let Ok(mut map) = self.facets.lock() {
            map.put(generation, key, facets);
        }
    }

    pub(crate) fn stats(&self) -> CacheStats {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_live_for_one_generation_and_the_oldest_goes_first() {
        let mut map: Bounded<u32, u32> = Bounded::new(2);
        map.put(1, 10, 100);
        map.put(1, 11, 110);
        assert_eq!(map.get(1, &10), Some(100));
        map.put(1, 12, 120);
        assert_eq!(map.get(1, &10), None, "oldest dropped");
        assert_eq!(map.get(1, &12), Some(120));
        assert_eq!(map.get(2, &12), None, "a new generation empties the map");
        assert_eq!(map.get(2, &11), None);
    }

    #[test]
    fn filter_order_and_repeats_do_not_change_the_key() {
        let mut a = SearchRequest {
            q: Some(" zones humides ".into()),
            ..SearchRequest::default()
        };
        a.filters
            .insert("territory".into(), vec!["29".into(), "22".into()]);
        a.filters.insert("theme".into(), vec![]);
        let mut b = SearchRequest {
            q: Some("zones humides".into()),
            ..SearchRequest::default()
        };
        b.filters.insert(
            "territory".into(),
            vec!["22".into(), "29".into(), "22".into()],
        );
        assert_eq!(QueryKey::of(&a), QueryKey::of(&b));
        b.filters.insert("theme".into(), vec!["eau".into()]);
        assert_ne!(QueryKey::of(&a), QueryKey::of(&b));
    }
}
