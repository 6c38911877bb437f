//! Validation: what the attributes mean, with an error spanned at the
//! offending attribute, key, literal or field. Produces the checked model
//! `expand.rs` turns into code.

use std::collections::HashSet;

use syn::{Ident, LitInt, LitStr, Type};

use crate::ast::{Field, Input};
use crate::attr::{Parsed, Tag, TagEntry};
use crate::ctxt::Ctxt;

/// A valid input: everything the expansion needs, nothing it must check.
pub struct Checked<'a> {
    pub ident: &'a Ident,
    pub name: &'a LitStr,
    pub ports: Vec<u16>,
    pub delimiter: &'a [u8],
    pub tag: &'a Field<'a>,
    pub tags: &'a [TagEntry],
    pub body: &'a Field<'a>,
}

/// Checks `input`, reporting every error to `cx`. Returns the model only when
/// there was none.
pub fn validate<'a>(cx: &mut Ctxt, input: &'a Input<'a>) -> Option<Checked<'a>> {
    let generic = generics(cx, input);
    let protocol = protocol(cx, input);
    let delimiter = delimiter(cx, input);
    let fields = fields(cx, input);
    generic?;
    let ((name, ports), delimiter, (tag, tags, body)) = (protocol?, delimiter?, fields?);
    Some(Checked {
        ident: input.ident,
        name,
        ports,
        delimiter,
        tag,
        tags,
        body,
    })
}

fn generics(cx: &mut Ctxt, input: &Input) -> Option<()> {
    let generics = input.generics;
    let message = "#[derive(Protocol)] does not support generic structs yet";
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
        cx.error_spanned(
            input.ident,
            "missing #[protocol(name = \"...\")] attribute on the struct",
        );
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

fn delimiter<'a>(cx: &mut Ctxt, input: &'a Input) -> Option<&'a [u8]> {
    let delimiter = match &input.attrs.delimiter {
        Some(Parsed::Valid(delimiter)) => delimiter,
        Some(Parsed::Invalid) => return None,
        None => {
            cx.error_spanned(
                input.ident,
                "missing #[delimiter(...)] attribute on the struct: the bytes every message ends \
                 with, like #[delimiter(b'\\n')] or #[delimiter(b\"\\r\\n\")]",
            );
            return None;
        }
    };
    if delimiter.bytes.is_empty() {
        cx.error_spanned(&delimiter.lit, "the delimiter must not be empty");
        return None;
    }
    Some(&delimiter.bytes)
}

type Fields<'a> = (&'a Field<'a>, &'a [TagEntry], &'a Field<'a>);

fn fields<'a>(cx: &mut Ctxt, input: &'a Input<'a>) -> Option<Fields<'a>> {
    let fields = input.fields.as_deref()?;
    let mut tagged = fields.iter().filter(|f| f.attrs.tag.is_some());
    let first_tagged = tagged.next();
    for extra in tagged.filter_map(|f| f.attrs.tag.as_ref()) {
        cx.error_spanned(extra.original, "only one field can have #[tag]");
    }
    // Without a #[tag], a field of type `Kind` was most likely meant to
    // have one: say so there, and do not count it as a body field.
    let untagged_kind = fields.iter().find(|f| known_type(f.ty) == Some("Kind"));
    let tag = match first_tagged {
        Some(field) => tag(cx, field),
        None => {
            match untagged_kind {
                Some(field) => cx.error_spanned(
                    field.ident,
                    "this `Kind` field needs #[tag(...)] to say which leading byte means which \
                     kind, like #[tag(request = b'>', response = b'<')]",
                ),
                None => cx.error_spanned(
                    input.ident,
                    "missing the tag field: a field of type `Kind` with #[tag(...)]",
                ),
            }
            None
        }
    };
    let presumed_tag = first_tagged.or(untagged_kind);
    let mut bodies = fields.iter().filter(|f| {
        f.attrs.tag.is_none() && !presumed_tag.is_some_and(|tag| std::ptr::eq(tag, *f))
    });
    let body = bodies.next();
    for extra in bodies {
        let message = format!(
            "unexpected field: a message has a #[tag] field and one body field, and `{}` is \
             already the body",
            body.map_or_else(String::new, |body| body.ident.to_string()),
        );
        cx.error_spanned(extra.ident, message);
    }
    let body = match body {
        Some(body) => body_is_valid(cx, body).then_some(body),
        None => {
            cx.error_spanned(
                input.ident,
                "missing the body field: a `NetString` or `Bytes` field that receives the rest \
                 of the frame after the tag byte",
            );
            None
        }
    };
    let (tag_field, tags) = tag?;
    Some((tag_field, tags, body?))
}

fn tag<'a>(cx: &mut Ctxt, field: &'a Field<'a>) -> Option<(&'a Field<'a>, &'a [TagEntry])> {
    let attr: &Tag = field.attrs.tag.as_ref()?;
    let mut valid = true;
    if known_type(field.ty) != Some("Kind") {
        cx.error_spanned(
            field.ty,
            "the #[tag] field must be of type `Kind` (`analyzer_core::Kind`)",
        );
        valid = false;
    }
    if attr.entries.is_empty() && !attr.invalid {
        cx.error_spanned(
            attr.original,
            "#[tag] needs at least one of `request = b'..'`, `response = b'..'`, `error = b'..'`",
        );
        valid = false;
    }
    for (i, entry) in attr.entries.iter().enumerate() {
        let byte = entry.byte.value();
        if let Some(first) = attr.entries[..i].iter().find(|e| e.byte.value() == byte) {
            let message = format!(
                "tag byte b'{}' is already used for `{}`",
                byte.escape_ascii(),
                first.kind.key()
            );
            cx.error_spanned(&entry.byte, message);
            valid = false;
        }
    }
    valid.then_some((field, attr.entries.as_slice()))
}

fn body_is_valid(cx: &mut Ctxt, field: &Field) -> bool {
    let valid = matches!(known_type(field.ty), Some("NetString" | "Bytes"));
    if !valid {
        cx.error_spanned(
            field.ty,
            "the body field must be a `NetString` or `Bytes`: it receives the rest of the frame \
             after the tag byte",
        );
    }
    valid
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
            ["Kind", "NetString", "Bytes"]
                .into_iter()
                .find(|name| last.ident == name)
        }
        _ => None,
    }
}
