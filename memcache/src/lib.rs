//! The memcache protocol analyzer (in progress).
