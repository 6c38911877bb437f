//! Benchmarks and the workload generator.
