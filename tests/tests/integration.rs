//! End-to-end tests: one binary, one module per area.

mod api;
mod broken;
mod corpus;
mod lifecycle;
mod support;
