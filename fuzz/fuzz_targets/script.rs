//! Fuzz target: bioxen::untrusted::script_text (see that function for the input path it drives).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| bioxen::untrusted::script_text(bytes));
