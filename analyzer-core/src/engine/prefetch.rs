//! Loading a coming packet's connection into the CPU's caches before it is
//! handled.
//!
//! With tens of thousands of connections their state is mostly not cached,
//! and a packet's lookup waits on memory three times in a row: the flow
//! table's control bytes, its slot (a pointer), then the connection. A
//! prefetch of an address that must first be read waits as long, so the
//! look-ahead runs in three stages, each needing only what the stage before
//! loaded:
//!
//! 1. for the packet four ahead, the table lines its lookup will read:
//!    their addresses follow from the key's hash and the table's layout,
//!    nothing is read ([`table_lines`]);
//! 2. for the packet three ahead, the lookup itself (its table lines are
//!    cached by now) and the connection it finds ([`lines`]);
//! 3. for the packet one ahead, what its connection (cached by now: two
//!    packets' time, as one was not enough at 60,000 connections) points
//!    to: the oldest request waiting for an answer, the buffers of
//!    unfinished frames, the flow its events share ([`arc_lines`]).
//!
//! All are hints: they never fault nor change what the program computes,
//! and a wrong guess costs a useless prefetch.

use hashbrown::HashTable;

/// Asks the CPU to start loading every cache line of `value`.
#[inline(always)]
pub(crate) fn lines<T>(value: &T) {
    let start = (value as *const T) as usize;
    let size = std::mem::size_of::<T>();
    let mut offset = 0;
    while offset < size {
        line(start.wrapping_add(offset));
        offset += 64;
    }
    // The last line, when `value` does not start on a line.
    line(start.wrapping_add(size.saturating_sub(1)));
}

/// Asks the CPU to start loading the first two cache lines' worth of
/// `bytes` (text an event copies: its start, and its end when it is short).
#[inline(always)]
pub(crate) fn text(bytes: &[u8]) {
    let start = bytes.as_ptr() as usize;
    line(start);
    line(start.wrapping_add(bytes.len().min(128).saturating_sub(1)));
}

/// Asks the CPU to start loading every cache line of the allocation behind
/// `arc`: its value and the reference counts before it.
#[inline(always)]
pub(crate) fn arc_lines<T>(arc: &std::sync::Arc<T>) {
    // The counts: two words before the value (`ArcInner`'s layout, for a
    // value aligned to at most two words; a wrong guess costs a useless
    // prefetch).
    line((std::sync::Arc::as_ptr(arc) as usize).wrapping_sub(2 * std::mem::size_of::<usize>()));
    lines(&**arc);
}

/// Asks the CPU to start loading the lines that `table`'s lookup of `hash`
/// reads first: the control group where its probe starts and the first
/// slots of that group (the element is mostly in one of them when the table
/// is at most half full).
///
/// This follows hashbrown's layout, which its API does not promise (the
/// test below fails if it changes): slots of `T` stored backwards before
/// the control bytes, slot `i` at `ctrl - (i + 1) * size_of::<T>()`, and a
/// probe starting at group `hash & (buckets - 1)`.
#[inline(always)]
pub(super) fn table_lines<T>(table: &HashTable<T>, hash: u64) {
    if let Some(addresses) = table_addresses(table, hash) {
        addresses.into_iter().for_each(line);
    }
}

/// The addresses [`table_lines`] prefetches: the control group, the slot
/// the probe starts at, and the slot seven after it (so the lines of the
/// group's first eight slots).
#[inline(always)]
fn table_addresses<T>(table: &HashTable<T>, hash: u64) -> Option<[usize; 3]> {
    if !cfg!(target_arch = "x86_64") {
        return None; // `line` does nothing there.
    }
    let ctrl = control_bytes(table)?;
    let size = std::mem::size_of::<T>();
    let pos = (hash as usize) & (table.num_buckets() - 1);
    Some([
        ctrl.wrapping_add(pos),
        ctrl.wrapping_sub((pos + 1) * size),
        ctrl.wrapping_sub((pos + 8) * size),
    ])
}

/// Where `table`'s control bytes start (the end of its slots), found from
/// its first occupied slot's address. (The first control groups are read
/// on every call, so they stay cached; with the look-ahead on, at least
/// 4,096 connections in at most 131,072 slots, the first occupied one is a
/// few groups in at most.)
#[inline(always)]
fn control_bytes<T>(table: &HashTable<T>) -> Option<usize> {
    let index = table.iter_buckets().next()?;
    let slot = table.get_bucket(index)? as *const T as usize;
    Some(slot.wrapping_add((index + 1) * std::mem::size_of::<T>()))
}

#[inline(always)]
pub(crate) fn line(address: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of x86_64's baseline, and a prefetch neither
        // faults nor changes memory, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address as *const i8) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    /// The layout `table_lines` assumes is hashbrown's: the slot an element
    /// sits in is on a line it prefetches, for nearly all of a table's
    /// elements (the others sit further along their probe), from a table
    /// just grown (under half full) to one about to grow (7/8 full).
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_prefetched_lines_hold_the_slots_lookups_read() {
        let hasher = foldhash::fast::RandomState::default();
        // Hits measured over seeds: 98.7-99.96% half full, 89-96% 7/8 full
        // (a wrong layout would prefetch next to none).
        for (n, least) in [(60_000u64, 0.95), (114_000, 0.8)] {
            let mut table: HashTable<Box<u64>> = HashTable::new();
            for k in 0..n {
                table.insert_unique(hasher.hash_one(k), Box::new(k), |v| hasher.hash_one(**v));
            }
            assert_eq!(table.num_buckets(), 131_072);
            let line_of = |address: usize| address / 64;
            let mut hits = 0;
            for k in 0..n {
                let hash = hasher.hash_one(k);
                let found = table.find(hash, |v| **v == k).unwrap() as *const Box<u64> as usize;
                let [_, first, last] = table_addresses(&table, hash).unwrap();
                hits += usize::from([first, last].map(line_of).contains(&line_of(found)));
            }
            let share = hits as f64 / n as f64;
            assert!(share >= least, "{hits} of {n} slots prefetched");
        }
    }
}
