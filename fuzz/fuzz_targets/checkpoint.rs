//! Fuzz target: bioxen::untrusted::checkpoint_bytes (see that function for the input path it drives).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| bioxen::untrusted::checkpoint_bytes(bytes));
