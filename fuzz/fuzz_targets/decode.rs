//! The netlink decoders on arbitrary bytes: no panic, and what decodes encodes back to the
//! same value (`linux_ipvs::fuzzing::decode`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    linux_ipvs::fuzzing::decode(data);
});
