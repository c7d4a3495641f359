//! Data derived from a vocabulary (lookup tables of its rules and names), computed once
//! for the embedded vocabulary that every index build and search uses, and afresh for
//! any other (tests and tools that load their own).

use moisson_catalog::vocab::{vocabularies, Vocabularies};
use std::ops::Deref;
use std::sync::OnceLock;

/// What [`derived`] gives: the embedded vocabulary's shared copy, or one made for
/// another vocabulary.
pub(crate) enum Derived<T: 'static> {
    Shared(&'static T),
    Owned(T),
}

impl<T> Deref for Derived<T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self {
            Derived::Shared(t) => t,
            Derived::Owned(t) => t,
        }
    }
}

/// `make(vocab)`, kept in `cell` when `vocab` is the embedded vocabulary.
pub(crate) fn derived<T>(
    vocab: &Vocabularies,
    cell: &'static OnceLock<T>,
    make: impl FnOnce(&Vocabularies) -> T,
) -> Derived<T> {
    if std::ptr::eq(vocab, vocabularies()) {
        Derived::Shared(cell.get_or_init(|| make(vocab)))
    } else {
        Derived::Owned(make(vocab))
    }
}
