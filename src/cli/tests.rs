//! Tests of the whole parser: argv in, action or exact error out.
