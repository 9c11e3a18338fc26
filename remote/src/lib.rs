//! Remote hosts: what a coordinator and a `bioxen worker` on another machine say to each
//! other. The engine knows nothing of hosts or sockets; this crate carries the run's
//! messages over any byte stream (an SSH channel's, a pipe's) in the engine's one codec,
//! so that where a VM runs can never reach a digest.
//!
//! - [`wire`]: the stream's framing — a preamble naming the protocol and its version,
//!   then checksummed, length-prefixed frames of bounded size, each one value.
//! - [`hosts`]: the hosts file — where each host is, how to log in, how its host key is
//!   checked (verified by default).
//! - [`handshake`]: what each side says first (its versions and the digest of a fixed
//!   canary run), and the refusal, naming the mismatch, of a peer that would compute
//!   differently.

#![warn(missing_docs)]

pub mod farm;
pub mod handshake;
pub mod hosts;
pub mod link;
pub mod protocol;
pub mod proxy;
pub mod session;
pub mod ssh;
pub mod wire;
pub mod worker;
