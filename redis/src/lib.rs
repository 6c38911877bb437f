//! The redis protocol analyzer (in progress).
