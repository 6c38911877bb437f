//! [`Engine`]: the sans-IO core. Packets and their capture times go in,
//! events come out to a [`Sink`].

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use hashbrown::HashTable;

use crate::config::Config;
use crate::connection::{Close, Connection, Ctx};
use crate::counters::Counters;
use crate::decode::{self, decode_tcp, DecodeError, LinkType, TcpSegment};
use crate::event::Event;
use crate::flow::{Flow, FlowKey};
use crate::message::Transaction;
use crate::protocol::Protocol;
use crate::sink::Sink;
use crate::stream::Frame;
use crate::time::Timestamp;

pub(crate) mod prefetch;
mod timers;

use timers::{Timer, Timers, NEVER};

/// Connections tracked from which [`Engine::prefetch`] loads a packet's
/// connection ahead: with fewer, their state mostly stays in the caches and
/// the hint would only cost its instructions.
const PREFETCH_FROM: usize = 4096;

/// How often (capture time) timeouts are checked, at most: a request is
/// published within this long (or the transaction timeout, if shorter) of its
/// deadline.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// Analyzes the TCP connections of one protocol.
///
/// It reads no clock, opens no file and starts no thread: the caller feeds it
/// packets with their capture timestamps ([`packet`](Self::packet)), may
/// advance time on a quiet link ([`tick`](Self::tick)), and calls
/// [`finish`](Self::finish) at the end of the input. Events go to the sink as
/// soon as their transaction is complete.
///
/// ```
/// use analyzer_core::{Config, Engine, Event, Kind, NetString, Protocol};
///
/// #[derive(Protocol)]
/// #[protocol(name = "echo", ports(3030), delimiter = b'\n')]
/// struct Echo {
///     #[protocol(tag(request = b'>', response = b'<', error = b'!'))]
///     kind: Kind,
///     content: NetString,
/// }
///
/// let mut events = Vec::new();
/// let mut engine = Engine::new(Config::default(), |e: Event<Echo>| events.push(e));
/// // engine.packet(timestamp, link_type, &bytes) for every captured packet...
/// engine.finish();
/// drop(engine);
/// assert!(events.is_empty());
/// ```
pub struct Engine<P: Protocol, S> {
    config: Config,
    ports: Vec<u16>,
    sink: S,
    /// The connections, each boxed with its key: the table holds one
    /// pointer per slot (8 bytes; a key and a pointer took 64), so it stays
    /// small and its probes stay in cache.
    flows: HashTable<Box<Tracked<P>>>,
    /// foldhash: fast, and seeded per process so crafted addresses cannot
    /// force collisions.
    hasher: foldhash::fast::RandomState,
    /// When each connection next needs attention.
    timers: Timers,
    /// Frames cut during one feed (any connection's).
    scratch: Vec<Frame>,
    counters: Counters,
    now: Option<Timestamp>,
    next_sweep: Option<Timestamp>,
    next_id: u64,
    /// The hashes of the packets whose connections the last two calls of
    /// [`prefetch`](Self::prefetch) started loading (0: none), the older at
    /// `ahead_at`: a call loads what the older one's connection points to
    /// (two packets' time after asking for it: one was not enough for it
    /// to arrive at 60,000 connections). A call that finds no packet to
    /// look at (the end of the input) does not move the ring: the next few
    /// then load for packets already handled, a wasted hint. Atomics with
    /// relaxed plain loads and stores, so that the engine stays `Sync`.
    ahead: [AtomicU64; 2],
    ahead_at: AtomicUsize,
}

/// A connection in the flow table, its key, and its description, which its
/// events share. Apart, so a packet borrows both without touching the
/// `Arc`'s count.
// The key first: the lookup compares it, then reads the connection's hot
// fields that follow.
#[repr(C)]
struct Tracked<P: Protocol> {
    key: FlowKey,
    /// The deadline queued for this connection ([`NEVER`]: none).
    scheduled: Timestamp,
    conn: Connection<P>,
    flow: Arc<Flow>,
}

impl<P: Protocol> Tracked<P> {
    /// Starts loading what a packet of this connection reads beyond it:
    /// the request an answer pairs with, the buffers of unfinished frames,
    /// the flow its events share. Reads only the connection.
    #[inline(always)]
    fn prefetch_satellites(&self) {
        self.conn.prefetch_satellites();
        // All of the flow's lines: an event reads its endpoints (past the
        // first line) and its JSON's address, and counts a reference.
        prefetch::arc_lines(&self.flow);
    }

    /// Queues the connection's next deadline if it is earlier than the one
    /// queued.
    #[inline]
    fn schedule(&mut self, timers: &mut Timers, config: &Config, hash: u64) {
        let at = self.conn.deadline(config);
        timers.schedule(&mut self.scheduled, at, hash);
    }
}

impl<P: Protocol, S: Sink<P>> Engine<P, S> {
    /// An engine with `config`, publishing to `sink`.
    pub fn new(config: Config, sink: S) -> Self {
        let ports = if config.ports.is_empty() {
            P::DEFAULT_PORTS.to_vec()
        } else {
            config.ports.clone()
        };
        Engine {
            config,
            ports,
            sink,
            flows: HashTable::new(),
            hasher: Default::default(),
            timers: Timers::default(),
            scratch: Vec::new(),
            counters: Counters::default(),
            now: None,
            next_sweep: None,
            next_id: 0,
            ahead: Default::default(),
            ahead_at: AtomicUsize::new(0),
        }
    }

    /// The counters so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The sink.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// The sink, mutably (to check a writer's error, say).
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }

    /// Consumes the engine, returning the sink. Call [`finish`](Self::finish)
    /// first, or what the connections still hold is lost.
    pub fn into_sink(self) -> S {
        self.sink
    }

    /// Connections currently tracked.
    pub fn connections(&self) -> usize {
        self.flows.len()
    }

    /// Handles one captured packet.
    #[inline]
    pub fn packet(&mut self, ts: Timestamp, link: LinkType, data: &[u8]) {
        self.counters.packets += 1;
        self.tick(ts);
        match decode_tcp(link, data) {
            Ok(seg) => {
                self.counters.packets_payload_cut += u64::from(seg.truncated);
                self.segment(ts, &seg)
            }
            Err(err) => {
                let c = &mut self.counters;
                match err {
                    DecodeError::UnsupportedLink(_) => c.packets_unsupported_link += 1,
                    DecodeError::NotIp | DecodeError::NotTcp => c.packets_not_tcp += 1,
                    DecodeError::Fragment => c.packets_ip_fragment += 1,
                    DecodeError::Truncated(_) => c.packets_truncated += 1,
                    DecodeError::Malformed(_) => c.packets_malformed += 1,
                }
            }
        }
    }

    /// Whether [`prefetch`](Self::prefetch) does anything now: enough
    /// connections are tracked that their state is mostly not cached. A
    /// caller can skip looking ahead while it does not.
    #[inline]
    pub fn prefetching(&self) -> bool {
        self.flows.len() >= PREFETCH_FROM
    }

    /// A hint, for speed: `data` (of link type `link`) will be handed to
    /// [`packet`](Self::packet) three packets from now. Starts loading the
    /// state of its connection into the CPU's caches, and what the
    /// connection found two calls before points to (the request an answer
    /// will pair with, unfinished frames, the flow its events share), so
    /// that handling them waits less on memory: with tens of thousands of
    /// connections their state is mostly not cached, and each packet would
    /// wait for it. Before handing over packet N, call
    /// [`prefetch_lookup`](Self::prefetch_lookup) for packet N + 4 and this
    /// for packet N + 3 ([`replay::feed`](crate::replay::feed) does). It
    /// changes nothing, and does nothing while few connections are tracked,
    /// nor for packets other than TCP over IPv4 or IPv6 (no extension
    /// header; one VLAN tag at most).
    ///
    /// ```
    /// use analyzer_core::{decode::LinkType, Config, Engine, Event, Kind, NetString, Protocol, Timestamp};
    ///
    /// #[derive(Protocol)]
    /// #[protocol(name = "echo", ports(3030), delimiter = b'\n')]
    /// struct Echo {
    ///     #[protocol(tag(request = b'>', response = b'<', error = b'!'))]
    ///     kind: Kind,
    ///     content: NetString,
    /// }
    ///
    /// let mut engine = Engine::new(Config::default(), |_: Event<Echo>| {});
    /// let packets: Vec<(Timestamp, Vec<u8>)> = Vec::new(); // captured frames
    /// for (i, (ts, frame)) in packets.iter().enumerate() {
    ///     if let Some((_, four_ahead)) = packets.get(i + 4) {
    ///         engine.prefetch_lookup(LinkType::Ethernet, four_ahead);
    ///     }
    ///     if let Some((_, three_ahead)) = packets.get(i + 3) {
    ///         engine.prefetch(LinkType::Ethernet, three_ahead);
    ///     }
    ///     engine.packet(*ts, LinkType::Ethernet, frame);
    /// }
    /// engine.finish();
    /// ```
    #[inline]
    pub fn prefetch(&self, link: LinkType, data: &[u8]) {
        // The connection found two calls ago (its lines loaded since): what
        // it points to, which the packet after the next one reads.
        let at = self.ahead_at.load(Relaxed) & 1;
        self.ahead_at.store(at ^ 1, Relaxed);
        let hash = self.ahead[at].load(Relaxed);
        if hash != 0 {
            self.flows.find(hash, |tracked| {
                tracked.prefetch_satellites();
                false
            });
        }
        let hash = self.prefetch_hash(link, data);
        if let Some(hash) = hash {
            // The probe reads the table's lines (prefetched a packet ago by
            // `prefetch_lookup`); the connections it finds are only
            // prefetched, never read.
            self.flows.find(hash, |tracked| {
                prefetch::lines(&**tracked);
                false
            });
        }
        self.ahead[at].store(hash.unwrap_or(0), Relaxed);
    }

    /// The first stage of [`prefetch`](Self::prefetch), a packet earlier:
    /// `data` will be handed to [`packet`](Self::packet) four packets from
    /// now. Starts loading the flow-table lines its lookup reads (computed
    /// from its addresses, reading nothing), so that
    /// [`prefetch`](Self::prefetch) then finds its connection without
    /// waiting. A hint, like [`prefetch`](Self::prefetch).
    #[inline]
    pub fn prefetch_lookup(&self, link: LinkType, data: &[u8]) {
        if let Some(hash) = self.prefetch_hash(link, data) {
            prefetch::table_lines(&self.flows, hash);
        }
    }

    /// The flow-table hash of `data`'s connection, while prefetching.
    #[inline]
    fn prefetch_hash(&self, link: LinkType, data: &[u8]) -> Option<u64> {
        if !self.prefetching() {
            return None;
        }
        // The common cases only (a VLAN tag or none, IPv4 or IPv6 without
        // extension headers), read with the least checking: a wrong guess
        // costs a useless prefetch.
        let (src, dst) = decode::endpoints_hint(link, data)?;
        let (key, _) = FlowKey::ordered(src, dst);
        Some(self.hash(&key))
    }

    /// Advances capture time to `now` (if later than what was seen):
    /// publishes requests past the transaction timeout and expires idle
    /// connections. [`packet`](Self::packet) calls it; call it on a quiet
    /// live link so timeouts still fire.
    pub fn tick(&mut self, now: Timestamp) {
        if self.now.is_some_and(|seen| now <= seen) {
            return;
        }
        self.now = Some(now);
        match self.next_sweep {
            Some(at) if now < at => {}
            _ => {
                let interval = SWEEP_INTERVAL.min(self.config.transaction_timeout);
                self.next_sweep = Some(now + interval);
                self.sweep(now);
            }
        }
    }

    /// Ends the input: every connection's unfinished messages and pending
    /// requests are published.
    pub fn finish(&mut self) {
        // Requests whose timeout passed before the last packet are published
        // as timed out, not as cut off by the end of the capture.
        if let Some(now) = self.now {
            self.sweep(now);
        }
        let mut all: Vec<Box<Tracked<P>>> = self.flows.drain().collect();
        self.timers.clear();
        all.sort_unstable_by_key(|t| t.conn.id);
        for mut tracked in all {
            self.counters.connections_flushed += 1;
            let Tracked { flow, conn, .. } = &mut *tracked;
            let (mut ctx, mut out) = split(
                &self.config,
                &mut self.counters,
                &mut self.scratch,
                &mut self.sink,
                flow,
            );
            conn.close(Close::EndOfInput, &mut ctx, &mut out);
        }
    }

    fn hash(&self, key: &FlowKey) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Handles the connections whose queued deadline is due at `now`, in
    /// creation order: requests past the transaction timeout are published,
    /// idle connections expired; the others' next deadline is queued.
    fn sweep(&mut self, now: Timestamp) {
        let mut due: Vec<(u64, u64)> = Vec::new();
        while let Some(Timer { at, hash }) = self.timers.pop_due(now) {
            // The table compares a few bits of the hash, not all: another
            // connection that queued the same deadline may be found (it is
            // due too); its own hash finds it again below.
            if let Some(tracked) = self.flows.find_mut(hash, |t| t.scheduled == at) {
                tracked.scheduled = NEVER;
                due.push((tracked.conn.id, self.hasher.hash_one(tracked.key)));
            }
        }
        due.sort_unstable();
        let idle = self.config.connection_idle_timeout;
        for (id, hash) in due {
            let Ok(mut entry) = self.flows.find_entry(hash, |t| t.conn.id == id) else {
                continue;
            };
            let tracked = &mut **entry.get_mut();
            let Tracked { flow, conn, .. } = tracked;
            let (mut ctx, mut out) = split(
                &self.config,
                &mut self.counters,
                &mut self.scratch,
                &mut self.sink,
                flow,
            );
            conn.expire(now, &mut ctx, &mut out);
            let ended = now >= conn.last_seen + idle;
            if ended {
                conn.close(Close::Idle, &mut ctx, &mut out);
                ctx.counters.connections_expired += 1;
            }
            drop(out);
            if ended {
                entry.remove();
            } else {
                tracked.schedule(&mut self.timers, &self.config, hash);
            }
        }
        self.compact_timers();
    }

    /// Drops stale deadlines once there are half as many as connections
    /// (each connection has one current entry), so the queue stays in
    /// proportion to the table: amortized, a few lookups per stale entry.
    fn compact_timers(&mut self) {
        if self.timers.len() > self.flows.len() + self.flows.len() / 2 + 1024 {
            let flows = &self.flows;
            self.timers
                .compact(|t| flows.find(t.hash, |x| x.scheduled == t.at).is_some());
        }
    }

    /// Evicts the least recently active sixteenth of the table (at least
    /// one connection), publishing what they hold. Batches keep the cost per
    /// new connection constant.
    fn evict(&mut self) {
        let mut by_age: Vec<(Timestamp, u64, u64)> = self
            .flows
            .iter()
            .map(|t| (t.conn.last_seen, t.conn.id, self.hasher.hash_one(t.key)))
            .collect();
        let count = (by_age.len() / 16).max(1);
        if count < by_age.len() {
            by_age.select_nth_unstable_by_key(count - 1, |(seen, id, _)| (*seen, *id));
        }
        let mut victims: Vec<(u64, u64)> =
            by_age[..count].iter().map(|(_, id, h)| (*id, *h)).collect();
        victims.sort_unstable();
        for (id, hash) in victims {
            if let Ok(entry) = self.flows.find_entry(hash, |t| t.conn.id == id) {
                let (mut tracked, _) = entry.remove();
                let Tracked { flow, conn, .. } = &mut *tracked;
                let (mut ctx, mut out) = split(
                    &self.config,
                    &mut self.counters,
                    &mut self.scratch,
                    &mut self.sink,
                    flow,
                );
                conn.close(Close::Evicted, &mut ctx, &mut out);
                ctx.counters.connections_evicted += 1;
            }
        }
    }

    /// A segment of a tracked connection (not a SYN) is the usual case,
    /// kept small; the rest goes to [`segment_other`](Self::segment_other).
    #[inline]
    fn segment(&mut self, ts: Timestamp, seg: &TcpSegment<'_>) {
        let (key, src_first) = FlowKey::ordered(seg.src, seg.dst);
        if !seg.flags.syn && self.feed_tracked(&key, ts, seg, src_first) {
            return;
        }
        self.segment_other(ts, seg, key, src_first);
    }

    /// Hands `seg` to the connection tracked under `key`, and stops
    /// tracking it once it is over; `false` when none is tracked.
    #[inline]
    fn feed_tracked(
        &mut self,
        key: &FlowKey,
        ts: Timestamp,
        seg: &TcpSegment<'_>,
        src_first: bool,
    ) -> bool {
        let hash = self.hash(key);
        let prefetching = self.prefetching();
        let Ok(mut entry) = self.flows.find_entry(hash, |t| t.key == *key) else {
            return false;
        };
        let tracked = &mut **entry.get_mut();
        let Tracked { flow, conn, .. } = tracked;
        // The flow's JSON and the waiting request's text, which an event of
        // this segment would copy: their addresses are cached (the
        // look-ahead loaded the flow and the request's entry), the rest
        // loads while the segment is reassembled, framed and parsed. With
        // fewer connections than the look-ahead needs, all is cached.
        if prefetching {
            if let Some(json) = flow.json.get() {
                json.prefetch();
            }
            conn.prefetch_waiting_request();
        }
        let (mut ctx, mut out) = split(
            &self.config,
            &mut self.counters,
            &mut self.scratch,
            &mut self.sink,
            flow,
        );
        if conn.segment(ts, seg, src_first, &mut ctx, &mut out) {
            ctx.counters.connections_closed += 1;
            drop(out);
            entry.remove();
        } else {
            drop(out);
            tracked.schedule(&mut self.timers, &self.config, hash);
        }
        true
    }

    /// A SYN, or a segment of a connection not tracked (yet).
    #[inline(never)]
    fn segment_other(
        &mut self,
        ts: Timestamp,
        seg: &TcpSegment<'_>,
        key: FlowKey,
        src_first: bool,
    ) {
        if seg.flags.syn {
            let hash = self.hash(&key);
            let reused = !seg.flags.ack
                && self
                    .flows
                    .find(hash, |t| t.key == key)
                    .is_some_and(|t| t.conn.is_reused_by_syn());
            if reused {
                // A new SYN on a 4-tuple that already carried a connection
                // starts a new one: the old one ends here.
                if let Ok(entry) = self.flows.find_entry(hash, |t| t.key == key) {
                    let (mut old, _) = entry.remove();
                    let Tracked { flow, conn, .. } = &mut *old;
                    let (mut ctx, mut out) = split(
                        &self.config,
                        &mut self.counters,
                        &mut self.scratch,
                        &mut self.sink,
                        flow,
                    );
                    conn.close(Close::Reused, &mut ctx, &mut out);
                    ctx.counters.connections_closed += 1;
                }
            }
            if self.feed_tracked(&key, ts, seg, src_first) {
                return;
            }
        }
        let Some(server) = self.server_of(seg) else {
            self.counters.packets_other_ports += 1;
            return;
        };
        // A connection is tracked from its SYN or its first data.
        if seg.flags.rst || (!seg.flags.syn && seg.payload.is_empty()) {
            self.counters.packets_untracked += 1;
            return;
        }
        if self.flows.len() >= self.config.max_connections.max(1) {
            self.evict();
        }
        let client = if server == seg.src { seg.dst } else { seg.src };
        let flow = Arc::new(Flow::new(client, server));
        self.next_id += 1;
        // The server is the flow key's first endpoint when it is this
        // segment's source and the source is first, or its destination and
        // the source is not.
        let server_first = (server == seg.src) == src_first;
        let mut conn = Connection::new(self.next_id, server_first, ts, &self.config);
        self.counters.connections_opened += 1;
        let (mut ctx, mut out) = split(
            &self.config,
            &mut self.counters,
            &mut self.scratch,
            &mut self.sink,
            &flow,
        );
        let ended = conn.segment(ts, seg, src_first, &mut ctx, &mut out);
        drop(out);
        if ended {
            self.counters.connections_closed += 1;
        } else {
            let hash = self.hash(&key);
            let mut tracked = Box::new(Tracked {
                key,
                scheduled: NEVER,
                conn,
                flow,
            });
            tracked.schedule(&mut self.timers, &self.config, hash);
            let hasher = &self.hasher;
            self.flows
                .insert_unique(hash, tracked, |t| hasher.hash_one(t.key));
        }
    }

    /// The server side of a new connection: the endpoint on one of the
    /// analyzer's ports; if both are, the SYN's receiver (the SYN-ACK's
    /// sender), else the lower port. `None` when neither port is analyzed.
    fn server_of(&self, seg: &TcpSegment<'_>) -> Option<(std::net::IpAddr, u16)> {
        let src = self.ports.contains(&seg.src.1);
        let dst = self.ports.contains(&seg.dst.1);
        match (src, dst) {
            (false, false) => None,
            (true, false) => Some(seg.src),
            (false, true) => Some(seg.dst),
            (true, true) if seg.flags.syn => Some(if seg.flags.ack { seg.src } else { seg.dst }),
            (true, true) => Some(if seg.src.1 < seg.dst.1 {
                seg.src
            } else {
                seg.dst
            }),
        }
    }
}

/// Borrows the engine's parts a connection needs, and wraps the sink so
/// transactions become events of `flow`.
fn split<'a, P: Protocol, S: Sink<P>>(
    config: &'a Config,
    counters: &'a mut Counters,
    scratch: &'a mut Vec<Frame>,
    sink: &'a mut S,
    flow: &'a Arc<Flow>,
) -> (Ctx<'a>, impl FnMut(Transaction<P>) + 'a) {
    let out = move |transaction: Transaction<P>| {
        sink.publish(Event {
            flow: Arc::clone(flow),
            transaction,
        })
    };
    (
        Ctx {
            config,
            counters,
            scratch,
        },
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(crate::Protocol, Debug)]
    #[protocol(name = "echo", ports(3030), delimiter = b'\n')]
    struct Echo {
        #[protocol(tag(request = b'>', response = b'<', error = b'!'))]
        kind: crate::Kind,
        content: crate::NetString,
    }

    /// One TCP segment between 10.0.0.1:`port` and 10.0.0.2:3030.
    fn segment(
        port: u16,
        from_client: bool,
        syn: bool,
        fin: bool,
        seq: u32,
        ack: u32,
        data: &[u8],
    ) -> Vec<u8> {
        let (client, server) = (([10, 0, 0, 1], port), ([10, 0, 0, 2], 3030));
        let (src, dst) = if from_client {
            (client, server)
        } else {
            (server, client)
        };
        let mut b = etherparse::PacketBuilder::ethernet2([2; 6], [4; 6])
            .ipv4(src.0, dst.0, 64)
            .tcp(src.1, dst.1, seq, 65_535);
        if syn {
            b = b.syn();
        }
        if fin {
            b = b.fin();
        }
        if !(syn && from_client) {
            b = b.ack(ack);
        }
        let mut out = Vec::new();
        b.write(&mut out, data).unwrap();
        out
    }

    /// From the client, SYN, FIN, sequence and acknowledgment numbers,
    /// payload.
    type Step = (bool, bool, bool, u32, u32, &'static [u8]);

    /// A whole connection on `port` at `t` (ms): handshake, one
    /// transaction, FINs; or, with `answered` false, the handshake and a
    /// request only.
    fn connection(engine: &mut Engine<Echo, impl Sink<Echo>>, port: u16, t: i64, answered: bool) {
        let ms = |n: i64| Timestamp::from_nanos((t + n) * 1_000_000);
        let (c, s) = (1000u32, 5000u32);
        let steps: Vec<Step> = vec![
            (true, true, false, c, 0, b""),
            (false, true, false, s, c + 1, b""),
            (true, false, false, c + 1, s + 1, b">a\n"),
            (false, false, false, s + 1, c + 4, b"<a\n"),
            (true, false, true, c + 4, s + 4, b""),
            (false, false, true, s + 4, c + 5, b""),
            (true, false, false, c + 5, s + 5, b""),
        ];
        let last = if answered { steps.len() } else { 3 };
        for (i, &(from_client, syn, fin, seq, ack, data)) in steps[..last].iter().enumerate() {
            let bytes = segment(port, from_client, syn, fin, seq, ack, data);
            engine.packet(ms(i as i64), crate::decode::LinkType::Ethernet, &bytes);
        }
    }

    /// Timeouts come from the deadline queue amid churn: a request left
    /// unanswered is published at its timeout and its connection expires
    /// when idle, while 20,000 short connections come and go; the queue
    /// holds entries in proportion to the connections open, not to all
    /// those seen.
    #[test]
    fn timeouts_fire_from_the_queue_and_it_stays_small_under_churn() {
        let mut events = Vec::new();
        let mut engine = Engine::new(Config::default(), |e: Event<Echo>| events.push(e));
        connection(&mut engine, 1, 0, false);
        let mut most = 0;
        for i in 0..20_000 {
            connection(&mut engine, 2 + (i % 60_000) as u16, 10 + i * 4, true);
            most = most.max(engine.timers.len());
        }
        // 80 s of capture: the request timed out at 10 s, its connection
        // expired at 60 s.
        let c = engine.counters().clone();
        assert_eq!(
            (c.connections_opened, c.connections_closed),
            (20_001, 20_000)
        );
        assert_eq!((c.connections_expired, c.requests_unanswered), (1, 1));
        assert_eq!(engine.connections(), 0);
        assert!(most <= 4_000, "{most} deadlines queued");
        engine.finish();
        drop(engine);
        assert_eq!(events.len(), 20_001);
        let unanswered: Vec<usize> = (0..events.len())
            .filter(|&i| events[i].transaction.response.is_none())
            .collect();
        assert_eq!(unanswered.len(), 1);
        let timed_out = &events[unanswered[0]].transaction;
        assert!(
            timed_out.notes[0].contains("transaction timeout"),
            "{timed_out:?}"
        );
        // Published within a second (the check's interval) of its deadline,
        // among the events of the connections of that time: 10 to 11 s,
        // connections 2,500 to 2,750.
        assert!((2_400..2_800).contains(&unanswered[0]), "{}", unanswered[0]);
    }

    /// The prefetch hint changes nothing: with more connections than
    /// [`PREFETCH_FROM`] open at once, the same events as without it.
    #[test]
    fn prefetching_changes_no_event() {
        let (c, s) = (1000u32, 5000u32);
        let n = PREFETCH_FROM as u16 + 1000;
        let mut packets = Vec::new();
        // Every connection opens and asks, then every one is answered.
        for port in 1..=n {
            packets.push(segment(port, true, true, false, c, 0, b""));
            packets.push(segment(port, false, true, false, s, c + 1, b""));
            packets.push(segment(port, true, false, false, c + 1, s + 1, b">a\n"));
        }
        for port in 1..=n {
            packets.push(segment(port, false, false, false, s + 1, c + 4, b"<a\n"));
        }
        let run = |prefetch: bool| {
            let mut events = Vec::new();
            let mut engine = Engine::new(Config::default(), |e: Event<Echo>| {
                events.push((e.flow.client.1, e.transaction.status()))
            });
            let ts = Timestamp::from_nanos(1_000_000);
            let link = crate::decode::LinkType::Ethernet;
            for (i, packet) in packets.iter().enumerate() {
                assert_eq!(engine.prefetching(), engine.connections() >= PREFETCH_FROM);
                if let Some(four_ahead) = packets.get(i + 4).filter(|_| prefetch) {
                    engine.prefetch_lookup(link, four_ahead);
                }
                if let Some(three_ahead) = packets.get(i + 3).filter(|_| prefetch) {
                    engine.prefetch(link, three_ahead);
                }
                engine.packet(ts, link, packet);
            }
            assert_eq!(engine.connections(), usize::from(n));
            engine.finish();
            drop(engine);
            events
        };
        let with = run(true);
        assert_eq!(with.len(), usize::from(n));
        assert_eq!(with, run(false));
    }

    /// What an idle connection holds inline (its buffers and queues are
    /// made only while they hold something): its allocation, its flow's,
    /// a table slot. `bench-pipeline` measures the whole heap.
    #[test]
    fn an_idle_connection_is_small() {
        use std::mem::size_of;
        let tracked = size_of::<Tracked<Echo>>();
        let flow = size_of::<Flow>();
        assert!(tracked <= 312, "Tracked: {tracked} bytes");
        assert!(flow <= 88, "Flow: {flow} bytes");
        assert_eq!(size_of::<FlowKey>(), 40);
        assert_eq!(size_of::<crate::reassembly::Reassembler>(), 48);
        assert_eq!(size_of::<Timer>(), 16);
    }
}
