//! The echo protocol.
