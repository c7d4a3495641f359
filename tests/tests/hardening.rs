//! Issue 13 (hardening), the server and request classes: anonymous requests must neither
//! take the public server down nor corrupt what it republishes.

mod exports;
mod requests;
mod server;
