//! A small deterministic generator (xorshift64) for the parser's generated tests: the same
//! sequence on every run, so a failing input is reproduced by running the test again.

/// Xorshift64 with a fixed seed per test.
pub(crate) struct XorShift(u64);

impl XorShift {
    /// A generator starting from `seed` (not zero).
    pub(crate) fn new(seed: u64) -> XorShift {
        XorShift(seed)
    }

    /// The next 64 bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (not zero).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
