//! Folding a further frame into the message it continues.

use crate::message::Message;
use crate::protocol::Conversation;
use crate::role::Kind;

/// Folds `next`, a further frame, into `whole`: its end, its bytes, its
/// fields ([`Conversation::fold`]); an answer with an error frame is an
/// error; a frame lost or unreadable leaves the message incomplete. The raw
/// bytes kept are the first frame's.
pub(crate) fn fold_into<P: Conversation>(whole: &mut Message<P>, next: Message<P>) {
    whole.end = next.end;
    whole.wire_len += next.wire_len;
    if next.kind == Kind::Error && whole.kind.is_answer() {
        whole.kind = Kind::Error;
    }
    whole.cut |= next.cut;
    match (&mut whole.fields, next.fields) {
        (Some(fields), Some(more)) => fields.fold(more),
        (_, None) => whole.cut = true,
        (None, Some(_)) => {}
    }
}
