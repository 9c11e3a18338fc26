//! Fuzz target: bioxen::untrusted::xapi_answer (an XCP-ng pool's JSON-RPC answer, as the
//! XAPI client reads it).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| bioxen::untrusted::xapi_answer(bytes));
