//! End-to-end tests: one binary, one module per area.

mod api;
mod broken;
mod corpus;
mod crash;
mod csw;
mod ecosystem;
mod faults;
mod interfaces;
mod lifecycle;
mod quality;
mod scheduler;
mod search;
mod support;
mod web;
