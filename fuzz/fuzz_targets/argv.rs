//! The command line: bytes as argv (words split at NUL bytes, the program name first);
//! parsing never panics and answers the same every time (`ipvsadm::fuzzing::argv`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ipvsadm::fuzzing::argv(data);
});
