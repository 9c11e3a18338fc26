//! Fuzz target: bioxen::untrusted::hosts_text (a hosts file's text).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| bioxen::untrusted::hosts_text(bytes));
