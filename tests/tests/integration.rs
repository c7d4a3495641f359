//! End-to-end tests: one binary, one module per area.

mod activity;
mod api;
mod broken;
mod corpus;
mod crash;
mod csw;
mod dsfr;
mod ecosystem;
mod faults;
mod fuzz;
mod hardening;
mod hostile;
mod interfaces;
mod lifecycle;
mod producers;
mod quality;
mod runtime_sources;
mod scheduler;
mod search;
mod shared_iri;
mod snapshots;
mod ssrf;
mod support;
mod validator;
mod web;
