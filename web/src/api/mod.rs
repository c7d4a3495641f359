//! JSON API areas; each exposes `routes()`.

pub mod datasets;
pub mod health;
pub mod quality;
pub mod sources;
pub mod vocab;
