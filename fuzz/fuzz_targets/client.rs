//! The client over a hostile transport scripted by the input: no panic, no endless loop
//! (`linux_ipvs::fuzzing::client_bytes`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    linux_ipvs::fuzzing::client_bytes(data);
});
