//! Which text replies answer which commands: after packet loss, a reply of
//! another class cannot answer the command
//! ([`Conversation::fits`](analyzer_core::Conversation::fits)). Binary
//! messages pair by `opaque`, which needs no guessing.

use analyzer_core::Fit;

use crate::codes::CommandType::*;
use crate::Fields;

/// Whether the text reply `reply` can answer the request `request`.
pub(crate) fn fits(reply: &Fields, request: &Fields) -> Fit {
    if reply.opcode_value.is_some() || request.opcode_value.is_some() {
        return Fit::Possible;
    }
    let asked = request.command_type;
    let possible = match reply.command {
        // `VALUE` blocks, or `END` alone (a miss, or stats with none).
        "VALUE" | "END" => matches!(asked, Load | Stats),
        "STAT" => asked == Stats,
        "<counter_op_res>" => asked == Counter,
        "STORED" | "NOT_STORED" | "EXISTS" => asked == Store,
        "DELETED" => asked == Delete,
        "TOUCHED" => request.command == "touch",
        "NOT_FOUND" => matches!(asked, Delete | Counter | Store),
        "VERSION" => request.command == "version",
        "OK" => !matches!(asked, Load | Counter | Stats),
        // Errors answer anything; unknown lines are not judged.
        _ => true,
    };
    if possible {
        Fit::Possible
    } else {
        Fit::Impossible
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use analyzer_core::{Direction, Protocol};

    fn fields(line: &str, direction: Direction) -> Fields {
        crate::MemcacheMessage::parse_one(line.to_owned(), direction)
            .expect("parses")
            .fields
    }

    #[test]
    fn reply_classes_rule_commands_out() {
        let get = fields("get k", Direction::FromClient);
        let set = fields("set k 0 0 1\r\nx\r\n", Direction::FromClient);
        let incr = fields("incr k 1", Direction::FromClient);
        let stored = fields("STORED", Direction::FromServer);
        let end = fields("END", Direction::FromServer);
        let number = fields("5", Direction::FromServer);
        let error = fields("SERVER_ERROR out of memory", Direction::FromServer);
        assert_eq!(fits(&stored, &get), Fit::Impossible);
        assert_eq!(fits(&stored, &set), Fit::Possible);
        assert_eq!(fits(&end, &get), Fit::Possible);
        assert_eq!(fits(&end, &incr), Fit::Impossible);
        assert_eq!(fits(&number, &incr), Fit::Possible);
        assert_eq!(fits(&number, &set), Fit::Impossible);
        assert_eq!(fits(&error, &get), Fit::Possible);
    }
}
