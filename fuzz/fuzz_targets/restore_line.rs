//! Restore input, line by line: the fast path and the general way give the same action or
//! the same error (`ipvsadm::fuzzing::restore_lines`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ipvsadm::fuzzing::restore_lines(data);
});
