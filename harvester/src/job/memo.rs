//! What the store remembers of a page between harvests, to skip it when it did not change.

use crate::fetch::Validators;

/// The body hash of a page, the next page it pointed to, and the HTTP validators the server
/// gave (for a conditional GET).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PageMemo {
    pub(super) hash: String,
    pub(super) next: String,
    pub(super) validators: Validators,
}

impl PageMemo {
    /// Reads `hash\nnext[\netag\nlast-modified]`.
    pub(super) fn decode(text: &str) -> Option<Self> {
        let mut parts = text.split('\n');
        let hash = parts.next().filter(|h| !h.is_empty())?.to_owned();
        let next = parts.next().unwrap_or_default().to_owned();
        let mut field = || parts.next().filter(|v| !v.is_empty()).map(str::to_owned);
        let validators = Validators {
            etag: field(),
            last_modified: field(),
        };
        Some(Self {
            hash,
            next,
            validators,
        })
    }

    /// Writes the form [`PageMemo::decode`] reads.
    pub(super) fn encode(&self) -> String {
        let Self {
            hash,
            next,
            validators,
        } = self;
        if validators.is_empty() {
            return format!("{hash}\n{next}");
        }
        format!(
            "{hash}\n{next}\n{}\n{}",
            validators.etag.as_deref().unwrap_or_default(),
            validators.last_modified.as_deref().unwrap_or_default()
        )
    }

    /// The next page it pointed to.
    pub(super) fn next_page(&self) -> Option<String> {
        (!self.next.is_empty()).then(|| self.next.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_memos_round_trip_and_read_the_old_form() {
        let old = PageMemo::decode("abc\nhttp://x/?page=2").expect("old form");
        assert_eq!(old.validators, Validators::default());
        assert_eq!(old.next_page().as_deref(), Some("http://x/?page=2"));
        assert_eq!(old.encode(), "abc\nhttp://x/?page=2");
        let memo = PageMemo {
            hash: "abc".into(),
            next: String::new(),
            validators: Validators {
                etag: Some("\"v1\"".into()),
                last_modified: None,
            },
        };
        assert_eq!(PageMemo::decode(&memo.encode()), Some(memo.clone()));
        assert_eq!(memo.next_page(), None);
        assert_eq!(PageMemo::decode(""), None);
    }
}
