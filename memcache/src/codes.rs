//! Names Packetbeat publishes for binary opcodes, binary status codes and the
//! command classification (`memcache.{request,response}.type`).

use serde::{Serialize, Serializer};

/// What kind of command a message is (`memcache.request.type`,
/// `memcache.response.type`), with Packetbeat's names
/// ([`name`](Self::name), which is also what it serializes as).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CommandType {
    /// A command this analyzer does not know.
    #[default]
    Unknown,
    /// Retrieval: `get`, `gets`, `VALUE`, `END`; binary Get* opcodes.
    Load,
    /// Storage: `set`, `add`, `replace`, `append`, `prepend`, `cas`, `touch`.
    Store,
    /// `delete`, `flush_all`.
    Delete,
    /// `incr`, `decr` and their numeric answers.
    Counter,
    /// `version`, `verbosity`, `quit`, `noop`.
    Info,
    /// `slabs reassign`, `slabs automove`.
    SlabCtrl,
    /// `lru_crawler ...`.
    LruCrawler,
    /// `stats` and its `STAT` lines.
    Stats,
    /// A text reply meaning success: `STORED`, `DELETED`, `OK`...
    Success,
    /// A text reply meaning failure: `ERROR`, `NOT_FOUND`, `SERVER_ERROR`...
    Fail,
    /// Binary SASL commands.
    Auth,
}

impl CommandType {
    /// Its name, as published (`Load`, `LRUCrawler`, `UNKNOWN`...).
    pub fn name(self) -> &'static str {
        match self {
            CommandType::Unknown => "UNKNOWN",
            CommandType::Load => "Load",
            CommandType::Store => "Store",
            CommandType::Delete => "Delete",
            CommandType::Counter => "Counter",
            CommandType::Info => "Info",
            CommandType::SlabCtrl => "SlabCtrl",
            CommandType::LruCrawler => "LRUCrawler",
            CommandType::Stats => "Stats",
            CommandType::Success => "Success",
            CommandType::Fail => "Fail",
            CommandType::Auth => "Auth",
        }
    }
}

/// One list of names: `event.action` (`memcache.load`) and
/// `memcache.*.type` (`Load`) cannot drift apart.
impl Serialize for CommandType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// Binary opcodes of quiet commands: the server answers them only on error
/// (or, for GetQ/GetKQ, on a hit).
pub(crate) fn is_quiet(opcode: u8) -> bool {
    matches!(
        opcode,
        0x09 | 0x0d | 0x11..=0x1a | 0x1e | 0x24 | 0x32 | 0x34 | 0x36 | 0x38 | 0x3a | 0x3c
    )
}

/// The text command a binary opcode stands for, and its classification.
pub(crate) fn binary_command(opcode: u8) -> (&'static str, CommandType) {
    use CommandType::*;
    match opcode {
        0x00 | 0x09 | 0x0c | 0x0d => ("get", Load),
        0x01 | 0x11 => ("set", Store),
        0x02 | 0x12 => ("add", Store),
        0x03 | 0x13 => ("replace", Store),
        0x04 | 0x14 => ("delete", Delete),
        0x05 | 0x15 => ("incr", Counter),
        0x06 | 0x16 => ("decr", Counter),
        0x07 | 0x17 => ("quit", Info),
        0x08 | 0x18 => ("flush_all", Delete),
        0x0a => ("noop", Info),
        0x0b => ("version", Info),
        0x0e | 0x19 => ("append", Store),
        0x0f | 0x1a => ("prepend", Store),
        0x10 => ("stats", Stats),
        0x1b => ("verbosity", Info),
        0x1c => ("touch", Store),
        0x20 => ("sasl_list", Auth),
        0x21 => ("sasl_auth", Auth),
        0x22 => ("sasl_step", Auth),
        _ => ("UNKNOWN", Unknown),
    }
}

/// Packetbeat's name of a binary opcode (`memcache.request.opcode`).
pub(crate) fn opcode_name(opcode: u8) -> Option<&'static str> {
    const NAMES: [&str; 0x48] = [
        "Get",
        "Set",
        "Add",
        "Replace",
        "Delete",
        "Increment",
        "Decrement",
        "Quit",
        "Flush",
        "GetQ",
        "No-op",
        "Version",
        "GetK",
        "GetKQ",
        "Append",
        "Prepend",
        "Stat",
        "SetQ",
        "AddQ",
        "ReplaceQ",
        "DeleteQ",
        "IncrementQ",
        "DecrementQ",
        "QuitQ",
        "FlushQ",
        "AppendQ",
        "PrependQ",
        "Verbosity",
        "Touch",
        "GAT",
        "GATQ",
        "",
        "SASL list mechs",
        "SASL Auth",
        "SASL Step",
        "GatK",
        "GatKQ",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "RGet",
        "RSet",
        "RSetQ",
        "RAppend",
        "RAppendQ",
        "RPrepend",
        "RPrependQ",
        "RDelete",
        "RDeleteQ",
        "RIncr",
        "RIncrQ",
        "RDecr",
        "RDecrQ",
        "Set VBucket",
        "Get VBucket",
        "Del VBucket",
        "TAP Connect",
        "TAP Mutation",
        "TAP Delete",
        "TAP Flush",
        "TAP Opaque",
        "TAP VBucket Set",
        "TAP Checkpoint Start",
        "TAP Checkpoint End",
    ];
    NAMES
        .get(usize::from(opcode))
        .copied()
        .filter(|name| !name.is_empty())
}

/// Packetbeat's name of a binary response status (`memcache.response.status`).
pub(crate) fn status_name(status: u16) -> Option<&'static str> {
    Some(match status {
        0x00 => "Success",
        0x01 => "Key not found",
        0x02 => "Key exists",
        0x03 => "Value too large",
        0x04 => "Invalid arguments",
        0x05 => "Item not stored",
        0x06 => "Incr/Decr on non-numeric value.",
        0x07 => "The vbucket belongs to another server",
        0x20 => "Authentication error",
        0x21 => "Authentication continue",
        0x81 => "Unknown command",
        0x82 => "Out of memory",
        0x83 => "Not supported",
        0x84 => "Internal error",
        0x85 => "Busy",
        0x86 => "Temporary failure",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcode_names_line_up_with_their_values() {
        assert_eq!(opcode_name(0x0d), Some("GetKQ"));
        assert_eq!(opcode_name(0x20), Some("SASL list mechs"));
        assert_eq!(opcode_name(0x30), Some("RGet"));
        assert_eq!(opcode_name(0x3d), Some("Set VBucket"));
        assert_eq!(opcode_name(0x47), Some("TAP Checkpoint End"));
        assert_eq!(opcode_name(0x1f), None);
        assert_eq!(opcode_name(0x48), None);
        assert!(is_quiet(0x0d) && is_quiet(0x17) && !is_quiet(0x0c) && !is_quiet(0x1b));
    }
}
