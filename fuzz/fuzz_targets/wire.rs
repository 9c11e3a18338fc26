//! Fuzz target: bioxen::untrusted::wire_stream (a peer's wire stream: the frame decoder
//! and the handshake).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| bioxen::untrusted::wire_stream(bytes));
