//! BioXen's XCP-ng VMs: a XAPI client ([`client`], JSON-RPC over HTTPS with rustls and
//! ring, the pool's certificate verified or pinned: [`tls`]) and what BioXen does with it
//! ([`provision`]): clone a template, size it, tag it with the run's id, start it, wait
//! for its address — and tear down everything it made, also after a failure half-way.
//! A provisioned VM is then an SSH host like any other (`bioxen_remote`).

#![warn(missing_docs)]

pub mod client;
pub mod error;
pub mod json;
pub mod tls;

pub use client::{Endpoint, Xapi};
pub use error::{XapiError, XapiResult};
pub mod provision;
#[cfg(feature = "test-server")]
pub mod test_server;
