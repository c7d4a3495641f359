//! JSON API areas; each exposes `routes()`.

pub mod catalog;
pub mod conneg;
pub mod datasets;
pub mod health;
pub mod openapi;
pub mod publishers;
pub mod quality;
pub mod sources;
pub mod sparql;
pub mod sparql_dataset;
pub mod sparql_plan;
pub mod sparql_worker;
pub mod territories;
pub mod validate;
pub mod vocab;
