//! What the job loop needs of a protocol, one implementation each: the first page's key,
//! how to fetch a page, how to read it into records (off the async runtime) and which page
//! comes next. The loop itself ([`super::harvest_source`]) knows no protocol.

use moisson_catalog::{Registry, TextPosition};

use crate::csw::{self, CswPageError, CswPageInfo};
use crate::dcat::{self, PageError};
use crate::fetch::{Conditional, FetchedPage, Fetcher, Validators};
use crate::limits::ParseLimits;
use crate::pipeline::{PageOutcome, ReadPage, ReadTimes};
use crate::source::{Protocol, Source};

/// `Accept` header of `dcat` pages.
const ACCEPT_RDF: &str = "text/turtle, application/ld+json;q=0.95, application/rdf+xml;q=0.9, application/n-triples;q=0.8, application/json;q=0.5, */*;q=0.1";

/// The walk of one source's pages, by protocol.
pub(crate) enum Pager {
    /// One RDF document per page, the next one named by a Hydra link.
    Dcat,
    /// CSW `GetRecords` pages by `startPosition`.
    Csw {
        /// Sort on the identifier, until the server refuses it.
        sort: bool,
        /// The last request sent, to quote in errors.
        last_request: Option<csw::request::PageRequest>,
    },
}

/// How far the walk got before the page being chosen from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WalkSoFar {
    /// Records taken or rejected on earlier pages.
    pub(crate) records_before: u64,
    /// Records of this page taken for the first time.
    pub(crate) new_taken: u64,
    /// Records of this page rejected for the first time.
    pub(crate) new_rejects: u64,
}

/// What a page says of the next one.
#[derive(Debug, Default)]
pub(crate) struct NextPage {
    /// The next page's key, if any.
    pub(crate) key: Option<String>,
    /// How many records the source says it has.
    pub(crate) total_hint: Option<u64>,
    /// What the page misstated (warnings of the page).
    pub(crate) warnings: Vec<String>,
    /// Why paging stops though the walk is not known to be complete.
    pub(crate) stop: Option<String>,
}

/// A page read, its new versions written: what the job keeps of it.
pub(crate) struct PageRead {
    /// What the page brought.
    pub(crate) outcome: PageOutcome,
    /// The CSW counters, for CSW pages.
    pub(crate) csw: Option<CswPageInfo>,
    /// The URL the page was read from (after redirects), to resolve its links.
    pub(crate) page_url: String,
    /// Time spent parsing and grouping the page.
    pub(crate) times: ReadTimes,
    /// Time spent copying its new record versions out of the page.
    pub(crate) materialize: std::time::Duration,
}

/// Why a page could not be read.
#[derive(Debug)]
pub(crate) struct ReadFailure {
    /// Where in the page, when known.
    pub(crate) position: Option<TextPosition>,
    /// What went wrong.
    pub(crate) message: String,
}

/// Reads pages of one source; `Send + 'static`, so it can run off the async runtime.
#[derive(Clone)]
pub(crate) struct PageReader {
    protocol: Protocol,
    source: String,
    endpoint: String,
    limits: ParseLimits,
}

impl PageReader {
    /// Reads `page` into records compared with `registry`. `request` describes the CSW
    /// request that fetched it, for errors.
    pub(crate) fn read(
        &self,
        page: &FetchedPage,
        registry: &Registry,
        request: Option<&str>,
    ) -> Result<(ReadPage, Option<CswPageInfo>), ReadFailure> {
        match self.protocol {
            Protocol::Dcat => dcat::read_page(&self.source, page, registry, &self.limits)
                .map(|read| (read, None))
                .map_err(|e| match e {
                    PageError::Syntax(issue) => ReadFailure {
                        position: issue.position,
                        message: issue.message,
                    },
                    other => ReadFailure {
                        position: None,
                        message: other.to_string(),
                    },
                }),
            Protocol::Csw => {
                csw::read_page(&self.source, &self.endpoint, page, registry, &self.limits)
                    .map(|(read, info)| (read, Some(info)))
                    .map_err(|e| {
                        let mut message = e.to_string();
                        if let (CswPageError::Response(_), Some(request)) = (&e, request) {
                            message.push_str(&format!(" (request: {request})"));
                        }
                        ReadFailure {
                            position: None,
                            message,
                        }
                    })
            }
        }
    }
}

impl Pager {
    /// The pager of `source`'s protocol.
    pub(crate) fn new(source: &Source) -> Self {
        match source.protocol {
            Protocol::Dcat => Self::Dcat,
            Protocol::Csw => Self::Csw {
                sort: true,
                last_request: None,
            },
        }
    }

    /// The key (URL, or CSW request key) of the first page.
    pub(crate) fn first_key(&self, source: &Source) -> String {
        match self {
            Self::Dcat => source.url.clone(),
            Self::Csw { sort, .. } => csw::request::page_request(source, 1, *sort).key,
        }
    }

    /// The page reader of `source`.
    pub(crate) fn reader(source: &Source, limits: ParseLimits) -> PageReader {
        PageReader {
            protocol: source.protocol,
            source: source.id.to_string(),
            endpoint: source.url.clone(),
            limits,
        }
    }

    /// The CSW request last sent, described for errors.
    pub(crate) fn request_description(&self) -> Option<String> {
        match self {
            Self::Dcat => None,
            Self::Csw { last_request, .. } => last_request.as_ref().map(|r| r.describe()),
        }
    }

    /// Fetches the page at `key` (conditionally, with `known` validators, where the
    /// protocol allows it). Returns the key of the page actually fetched (a CSW server
    /// refusing to sort is asked again unsorted) and the page.
    pub(crate) async fn fetch(
        &mut self,
        fetcher: &Fetcher,
        source: &Source,
        key: &str,
        known: &Validators,
    ) -> Result<(String, Conditional), String> {
        match self {
            Self::Dcat => fetcher
                .get_if_changed(key, ACCEPT_RDF, known)
                .await
                .map(|page| (key.to_owned(), page))
                .map_err(|e| e.to_string()),
            Self::Csw { sort, last_request } => {
                let start = csw::request::start_of_key(key).unwrap_or(1);
                match csw::fetch_page(fetcher, source, start, sort).await {
                    Ok((request, page)) => {
                        let sent = request.key.clone();
                        *last_request = Some(request);
                        Ok((sent, Conditional::Changed(page)))
                    }
                    Err((request, e)) => Err(format!("{e} (request: {})", request.describe())),
                }
            }
        }
    }

    /// Chooses the page after the one at `key`, from what it said (`read`) and how many
    /// records it brought (`walk`).
    pub(crate) fn next(
        &self,
        source: &Source,
        key: &str,
        read: &PageRead,
        walk: WalkSoFar,
    ) -> NextPage {
        match (self, &read.csw) {
            (Self::Csw { sort, .. }, Some(info)) => csw_next(source, key, info, walk, *sort),
            _ => NextPage {
                key: choose_next(&read.outcome.links.next, &read.page_url, key),
                total_hint: read.outcome.links.total_items,
                ..NextPage::default()
            },
        }
    }
}

/// The next CSW page, from the counters of the page at `key`.
fn csw_next(
    source: &Source,
    key: &str,
    info: &CswPageInfo,
    walk: WalkSoFar,
    sort: bool,
) -> NextPage {
    let mut next = NextPage {
        total_hint: info.results.matched,
        ..NextPage::default()
    };
    if let Some(returned) = info.results.returned {
        if returned != info.present {
            next.warnings.push(format!(
                "numberOfRecordsReturned says {returned} but the page holds {} records",
                info.present
            ));
        }
    }
    let new_records = walk.new_taken + walk.new_rejects;
    let taken = walk.records_before + walk.new_taken;
    let start = csw::request::start_of_key(key).unwrap_or(1);
    match csw::next_step(start, info, new_records, taken) {
        csw::Step::Next(n) => next.key = Some(csw::request::page_request(source, n, sort).key),
        csw::Step::Done => {}
        csw::Step::Stop(reason) => next.stop = Some(reason),
    }
    next
}

/// The Hydra link to follow: the one of the view describing this very page, else any,
/// resolved against the page's URL.
fn choose_next(
    candidates: &[(Option<String>, String)],
    page_url: &str,
    requested: &str,
) -> Option<String> {
    let resolve = |target: &str| -> Option<String> {
        let base = url::Url::parse(page_url).ok()?;
        base.join(target).ok().map(|u| u.to_string())
    };
    let own = candidates.iter().find(|(from, _)| {
        from.as_deref()
            .is_some_and(|f| f == page_url || f == requested)
    });
    own.or_else(|| candidates.first())
        .and_then(|(_, t)| resolve(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hydra_links_prefer_the_view_of_this_page_and_resolve_relative_targets() {
        let links = vec![
            (
                Some("http://x/cat?page=9".to_owned()),
                "?page=10".to_owned(),
            ),
            (Some("http://x/cat?page=1".to_owned()), "?page=2".to_owned()),
        ];
        assert_eq!(
            choose_next(&links, "http://x/cat?page=1", "http://x/cat?page=1").as_deref(),
            Some("http://x/cat?page=2")
        );
        // No view names this page: the first link, resolved against this page.
        assert_eq!(
            choose_next(&links, "http://x/other", "http://x/other").as_deref(),
            Some("http://x/other?page=10")
        );
        assert_eq!(choose_next(&[], "http://x/", "http://x/"), None);
    }
}
