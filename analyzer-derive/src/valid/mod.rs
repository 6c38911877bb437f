//! Validation: what the attributes mean, with an error spanned at the
//! offending attribute, key, literal, field or variant. Produces the checked
//! model `expand` turns into code. `framing.rs` checks the framing,
//! `structs.rs` and `enums.rs` how a message is parsed and where its kind
//! comes from, `hooks.rs` the other functions.

mod enums;
mod framing;
mod hooks;
mod json;
mod lines;
mod structs;

use std::collections::HashSet;

use syn::{ExprPath, Ident, LitInt, LitStr, Type};

use crate::ast::{Data, Field, Input};
use crate::attr::{Parsed, Role, SelectorKind, SelectorValue, TagEntry};
use crate::ctxt::Ctxt;

pub use framing::{Framing, LengthPrefix};
pub use hooks::{Correlation, Hooks};
pub use json::FastJson;
pub use lines::Lines;

/// A valid input: everything the expansion needs, nothing it must check.
pub struct Checked<'a> {
    pub ident: &'a Ident,
    pub name: &'a LitStr,
    pub ports: Vec<u16>,
    pub framing: Framing<'a>,
    pub parse: Parse<'a>,
    pub kind: KindFrom<'a>,
    pub hooks: Hooks<'a>,
    /// `#[protocol(fast_json)]`: the shape its writer writes.
    pub fast_json: Option<FastJson<'a>>,
}

/// How `parse` builds the message.
pub enum Parse<'a> {
    /// `#[parse_with(path)]`: the protocol's own function.
    With(&'a ExprPath),
    /// A struct with a `#[tag]` field and a body field.
    Tagged {
        tag: &'a Field<'a>,
        tags: &'a [TagEntry],
        body: &'a Field<'a>,
    },
    /// An enum whose variants are chosen by their tag byte or keyword.
    Variants {
        by: SelectorKind,
        variants: Vec<Selected<'a>>,
    },
}

/// A variant of an enum parsed by `Parse::Variants`.
pub struct Selected<'a> {
    pub ident: &'a Ident,
    pub value: &'a SelectorValue,
    pub role: Role,
    /// The variant's one field, which receives the rest of the frame; `None`
    /// for a unit variant.
    pub body: Option<&'a syn::Field>,
}

/// Where `kind()` gets the message's role.
pub enum KindFrom<'a> {
    /// A `Kind` field (`#[tag]` or `#[kind]`).
    Field(&'a Field<'a>),
    /// `#[kind_with(path)]`.
    With(&'a ExprPath),
    /// Each enum variant's role.
    Variants(Vec<(&'a Ident, Role)>),
}

/// Checks `input`, reporting every error to `cx`. Returns the model only when
/// there was none.
pub fn validate<'a>(cx: &mut Ctxt, input: &'a Input<'a>) -> Option<Checked<'a>> {
    let generic = generics(cx, input);
    let protocol = protocol(cx, input);
    let framing = framing::validate(cx, input);
    let parse = match &input.data {
        Data::Struct(data) => structs::validate(cx, input, data),
        Data::Enum(data) => enums::validate(cx, input, data),
        Data::Union => None,
    };
    let hooks = hooks::validate(cx, input);
    let fast_json = json::validate(cx, input);
    generic?;
    let ((name, ports), framing, (parse, kind), hooks) = (protocol?, framing?, parse?, hooks?);
    let fast_json = fast_json?;
    Some(Checked {
        ident: input.ident,
        name,
        ports,
        framing,
        parse,
        kind,
        hooks,
        fast_json,
    })
}

/// "struct", "enum" or "union", for messages.
fn what(input: &Input) -> &'static str {
    match input.data {
        Data::Struct(_) => "struct",
        Data::Enum(_) => "enum",
        Data::Union => "union",
    }
}

fn generics(cx: &mut Ctxt, input: &Input) -> Option<()> {
    let generics = input.generics;
    let message = "#[derive(Protocol)] does not support generic types yet";
    if !generics.params.is_empty() {
        cx.error_spanned(generics, message);
    } else if let Some(where_clause) = &generics.where_clause {
        cx.error_spanned(where_clause, message);
    } else {
        return Some(());
    }
    None
}

fn protocol<'a>(cx: &mut Ctxt, input: &'a Input) -> Option<(&'a LitStr, Vec<u16>)> {
    let Some(attr) = &input.attrs.protocol else {
        let message = format!(
            "missing #[protocol(name = \"...\")] attribute on the {}",
            what(input)
        );
        cx.error_spanned(input.ident, message);
        return None;
    };
    let name = match &attr.name {
        Some(Parsed::Valid(name)) => name_is_valid(cx, name).then_some(name),
        Some(Parsed::Invalid) => None,
        None => {
            cx.error_spanned(attr.original, "missing `name = \"...\"` in #[protocol]");
            None
        }
    };
    let ports = ports(cx, &attr.ports);
    Some((name?, ports?))
}

/// The name becomes a JSON key and the event's `type`: keep it plain.
fn name_is_valid(cx: &mut Ctxt, name: &LitStr) -> bool {
    let value = name.value();
    let mut chars = value.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        cx.error_spanned(
            name,
            format!(
                "invalid protocol name {value:?}: it becomes a JSON key, so it must start with a \
                 lowercase ASCII letter and hold only lowercase ASCII letters, digits and `_`"
            ),
        );
    }
    valid
}

fn ports(cx: &mut Ctxt, lits: &[LitInt]) -> Option<Vec<u16>> {
    let mut ports = Vec::new();
    let mut seen = HashSet::new();
    let mut valid = true;
    for lit in lits {
        if !matches!(lit.suffix(), "" | "u16") {
            cx.error_spanned(lit, "a port is a plain integer, like `3030`");
            valid = false;
            continue;
        }
        let port = lit
            .base10_parse::<u64>()
            .ok()
            .filter(|p| (1..=65535).contains(p));
        let Some(port) = port.and_then(|p| u16::try_from(p).ok()) else {
            cx.error_spanned(lit, "a port must be in 1..=65535");
            valid = false;
            continue;
        };
        if !seen.insert(port) {
            cx.error_spanned(lit, format!("duplicate port {port}"));
            valid = false;
            continue;
        }
        ports.push(port);
    }
    valid.then_some(ports)
}

/// Which of the types the derive knows `ty` names, going by its last path
/// segment (`Kind` for `analyzer_core::Kind`); `None` for any other type.
fn known_type(ty: &Type) -> Option<&'static str> {
    match ty {
        Type::Group(group) => known_type(&group.elem),
        Type::Paren(paren) => known_type(&paren.elem),
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            if !last.arguments.is_none() {
                return None;
            }
            ["Kind", "NetString", "Bytes", "u8", "u16", "u32", "u64"]
                .into_iter()
                .find(|name| last.ident == name)
        }
        _ => None,
    }
}
