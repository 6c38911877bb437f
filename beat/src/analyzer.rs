//! Several protocols in one run: the [`Analyzer`] trait, the protocol
//! [`Registration`]s a beat is built from, and the [`Output`] every protocol's
//! events share.
//!
//! One [`Engine`] runs per protocol and every packet is handed to each of
//! them; an engine only tracks connections on its own ports and counts the
//! rest as `packets_other_ports`. This keeps `analyzer-core` unchanged and
//! each protocol's counters its own (the packet-level ones, `packets`,
//! `packets_not_tcp`, `packets_truncated`..., are then the same in each).
//! The cost: each packet's link, IP and TCP headers are decoded once per
//! protocol. Measured on a 3-million-packet Redis workload: 2.60 s with
//! Redis alone, 2.92 s with echo and Memcache beside it, about 50 ns per
//! packet per extra protocol.
//!
//! The engines' sinks all write to one [`Output`] (behind an
//! `Rc<RefCell<..>>`), so the events of all protocols come out in one
//! stream, in the order they were published.

use std::marker::PhantomData;

use analyzer_core::decode::LinkType;
use analyzer_core::{Config, Counters, Engine, Event, Protocol, Sink, Timestamp};

/// What a beat needs of one protocol's engine, without its type parameters:
/// the beat holds a `Vec<Box<dyn Analyzer>>` and feeds each packet to all.
pub trait Analyzer {
    /// The protocol's name (`echo`, `redis`...).
    fn name(&self) -> &'static str;
    /// Handles one captured packet.
    fn packet(&mut self, ts: Timestamp, link: LinkType, data: &[u8]);
    /// A hint: `data` will be handed to [`packet`](Self::packet) three
    /// packets from now ([`Engine::prefetch`]). Does nothing by default.
    fn prefetch(&self, link: LinkType, data: &[u8]) {
        let _ = (link, data);
    }
    /// A hint: `data` will be handed to [`packet`](Self::packet) four
    /// packets from now ([`Engine::prefetch_lookup`]). Does nothing by
    /// default.
    fn prefetch_lookup(&self, link: LinkType, data: &[u8]) {
        let _ = (link, data);
    }
    /// Whether [`prefetch`](Self::prefetch) does anything now
    /// ([`Engine::prefetching`]). `false` by default.
    fn prefetching(&self) -> bool {
        false
    }
    /// Advances capture time on a quiet link, so timeouts fire.
    fn tick(&mut self, now: Timestamp);
    /// Ends the input: what is pending is published.
    fn finish(&mut self);
    /// The engine's counters.
    fn counters(&self) -> &Counters;
}

impl<P: Protocol, S: Sink<P>> Analyzer for Engine<P, S> {
    fn name(&self) -> &'static str {
        P::NAME
    }
    fn packet(&mut self, ts: Timestamp, link: LinkType, data: &[u8]) {
        Engine::packet(self, ts, link, data)
    }
    fn prefetch(&self, link: LinkType, data: &[u8]) {
        Engine::prefetch(self, link, data)
    }
    fn prefetch_lookup(&self, link: LinkType, data: &[u8]) {
        Engine::prefetch_lookup(self, link, data)
    }
    fn prefetching(&self) -> bool {
        Engine::prefetching(self)
    }
    fn tick(&mut self, now: Timestamp) {
        Engine::tick(self, now)
    }
    fn finish(&mut self) {
        Engine::finish(self)
    }
    fn counters(&self) -> &Counters {
        Engine::counters(self)
    }
}

/// One protocol a beat can run: its name, default ports and how to build its
/// engine. Adding a protocol to a beat is one line, `protocol::<P>()`.
#[derive(Clone, Copy)]
pub struct Registration {
    /// The protocol's name: the config file's `type`.
    pub name: &'static str,
    /// Ports analyzed when neither the config nor the command line name any.
    pub default_ports: &'static [u16],
    /// The protocol's own settings a config file or `--option` may give
    /// (HTTP's `send_headers`): [`Conversation::OPTIONS`](analyzer_core::Conversation::OPTIONS).
    pub options: &'static [&'static str],
    check_option: fn(&str, &serde_json::Value) -> Result<(), String>,
    build: fn(Config, &Output) -> Box<dyn Analyzer>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("name", &self.name)
            .field("default_ports", &self.default_ports)
            .field("options", &self.options)
            .finish()
    }
}

impl Registration {
    /// An engine for this protocol with `config`, publishing to `output`.
    pub fn build(&self, config: Config, output: &Output) -> Box<dyn Analyzer> {
        (self.build)(config, output)
    }

    /// Checks `value` for the protocol's option `name` (one of
    /// [`options`](Registration::options)): [`Conversation::check_option`](analyzer_core::Conversation::check_option).
    pub fn check_option(&self, name: &str, value: &serde_json::Value) -> Result<(), String> {
        (self.check_option)(name, value)
    }
}

/// The registration of protocol `P`:
///
/// ```
/// use analyzer_beat::{protocol, Registration};
/// const PROTOCOLS: &[Registration] = &[
///     protocol::<echo::EchoMessage>(),
///     protocol::<redis::RedisMessage>(),
/// ];
/// assert_eq!(PROTOCOLS[1].name, "redis");
/// ```
pub const fn protocol<P: Protocol + 'static>() -> Registration {
    Registration {
        name: P::NAME,
        default_ports: P::DEFAULT_PORTS,
        options: P::OPTIONS,
        check_option: P::check_option,
        build: build::<P>,
    }
}

fn build<P: Protocol + 'static>(config: Config, output: &Output) -> Box<dyn Analyzer> {
    let sink = OutputSink::<P> {
        output: output.clone(),
        index: output.add_protocol(P::NAME),
        _protocol: PhantomData,
    };
    Box::new(Engine::new(config, sink))
}

pub use crate::output::Output;

/// The sink of one protocol's engine: writes to the shared [`Output`].
pub struct OutputSink<P> {
    output: Output,
    index: usize,
    _protocol: PhantomData<fn(P)>,
}

impl<P: Protocol> Sink<P> for OutputSink<P> {
    fn publish(&mut self, event: Event<P>) {
        self.output.publish(self.index, event)
    }
}
