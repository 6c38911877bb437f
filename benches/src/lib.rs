//! Benchmarks and the workload generator.
//!
//! - [`gen`]: deterministic pcaps of echo or Redis traffic (`gen-workload`).
//! - [`footprint`]: the memory an idle connection takes (a counting allocator).
//! - [`loss`]: the loss benchmark (`bench-loss`): one segment dropped, runs compared.
//! - [`framing`]: the two loops of the framing micro-benchmark.
//! - [`pipeline`]: the measured runs of `bench-pipeline` (floor, engine, ndjson).
//! - [`messages`]: the message bodies the generator and the micro-benchmarks use.
//! - [`rng`]: a small seeded PRNG, so a seed always gives the same bytes.

pub mod footprint;
pub mod framing;
pub mod gen;
pub mod loss;
pub mod messages;
pub mod pgsql;
pub mod pipeline;
pub mod rng;
