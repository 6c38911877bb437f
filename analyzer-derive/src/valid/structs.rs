//! A struct: parsed field by field (a `#[tag]` `Kind` field and a body
//! field), or by `#[parse_with]` with its kind from a `#[kind]` field or
//! `#[kind_with]`.

use quote::ToTokens;
use syn::Fields;

use super::{known_type, KindFrom, Parse};
use crate::ast::{Field, Input, Struct};
use crate::attr::{Hook, Tag};
use crate::ctxt::Ctxt;

pub fn validate<'a>(
    cx: &mut Ctxt,
    input: &'a Input<'a>,
    data: &'a Struct<'a>,
) -> Option<(Parse<'a>, KindFrom<'a>)> {
    match &input.attrs.parse_with {
        Some(parse_with) => with_parse(cx, input, data, parse_with),
        None => tagged(cx, input, data),
    }
}

/// The name of a field, for messages: `kind`, or `0` in a tuple struct.
pub fn field_name(field: &Field) -> String {
    field.member.to_token_stream().to_string()
}

fn with_parse<'a>(
    cx: &mut Ctxt,
    input: &'a Input<'a>,
    data: &'a Struct<'a>,
    parse_with: &'a Hook<'a>,
) -> Option<(Parse<'a>, KindFrom<'a>)> {
    let mut tagged = false;
    for tag in data.fields.iter().filter_map(|f| f.attrs.tag.as_ref()) {
        tagged = true;
        cx.error_spanned(
            tag.original,
            "#[tag] cannot be used with #[parse_with]: the parse function builds the message; \
             mark its `Kind` field #[kind] instead",
        );
    }
    let mut marked = data.fields.iter().filter(|f| f.attrs.kind.is_some());
    let kind_field = marked.next();
    for extra in marked.filter_map(|f| f.attrs.kind) {
        cx.error_spanned(extra, "only one field can have #[kind]");
    }
    let mut valid = true;
    if let Some(field) = kind_field {
        valid &= kind_type_is_valid(cx, field, "#[kind]");
    }
    let kind = match (kind_field, &input.attrs.kind_with) {
        (Some(field), Some(kind_with)) => {
            let message = format!(
                "two sources for the kind: the field `{}` is marked #[kind] already; keep one",
                field_name(field)
            );
            cx.error_spanned(kind_with.original, message);
            None
        }
        (Some(field), None) => Some(KindFrom::Field(field)),
        (None, Some(kind_with)) => kind_with.path().map(KindFrom::With),
        // The #[tag] field, reported above, was meant to give it.
        (None, None) if tagged => None,
        (None, None) => {
            cx.error_spanned(
                parse_with.original,
                "with #[parse_with], say where the message's kind comes from: mark a `Kind` \
                 field #[kind], or add #[kind_with(path)] with a `fn(&Self) -> Kind`",
            );
            None
        }
    };
    let parse = Parse::With(parse_with.path()?);
    let kind = kind?;
    (valid && !tagged).then_some((parse, kind))
}

const SHAPE: &str = "#[derive(Protocol)] needs a struct with named fields: a `Kind` field with \
                     #[tag(...)] and a body field";

fn tagged<'a>(
    cx: &mut Ctxt,
    input: &'a Input<'a>,
    data: &'a Struct<'a>,
) -> Option<(Parse<'a>, KindFrom<'a>)> {
    let hint = "; or parse it yourself with #[parse_with(path)]";
    match data.original {
        Fields::Named(_) => {}
        Fields::Unnamed(unnamed) => {
            cx.error_spanned(unnamed, format!("{SHAPE}, not a tuple struct{hint}"));
            return None;
        }
        Fields::Unit => {
            cx.error_spanned(input.ident, format!("{SHAPE}, not a unit struct{hint}"));
            return None;
        }
    }
    let fields = &data.fields;
    let marked = fields.iter().find(|f| f.attrs.kind.is_some());
    for attr in fields.iter().filter_map(|f| f.attrs.kind) {
        cx.error_spanned(
            attr,
            "#[kind] marks the `Kind` field of a message parsed by #[parse_with(...)]; without \
             it, give the field #[tag(...)] to say which leading byte means which kind",
        );
    }
    let mut tagged = fields.iter().filter(|f| f.attrs.tag.is_some());
    let first_tagged = tagged.next();
    for extra in tagged.filter_map(|f| f.attrs.tag.as_ref()) {
        cx.error_spanned(extra.original, "only one field can have #[tag]");
    }
    if let Some(kind_with) = &input.attrs.kind_with {
        let message = match first_tagged {
            Some(field) => format!(
                "two sources for the kind: the #[tag] field `{}` gives it already",
                field_name(field)
            ),
            None => "#[kind_with] needs #[parse_with(...)]: a message parsed field by field \
                     takes its kind from its #[tag] field"
                .to_owned(),
        };
        cx.error_spanned(kind_with.original, message);
    }
    // Without a #[tag], a field of type `Kind` was most likely meant to
    // have one: say so there, and do not count it as a body field.
    let untagged_kind = fields.iter().find(|f| known_type(f.ty) == Some("Kind"));
    let tag = match first_tagged {
        Some(field) => tag(cx, field),
        None => {
            match (marked, untagged_kind) {
                // Reported above.
                (Some(_), _) => {}
                (None, _) if input.attrs.kind_with.is_some() => {}
                (None, Some(field)) => cx.error_spanned(
                    &field.member,
                    "this `Kind` field needs #[tag(...)] to say which leading byte means which \
                     kind, like #[tag(request = b'>', response = b'<')]",
                ),
                (None, None) => cx.error_spanned(
                    input.ident,
                    "missing the tag field: a field of type `Kind` with #[tag(...)]",
                ),
            }
            None
        }
    };
    let presumed_tag = first_tagged.or(marked).or(untagged_kind);
    let mut bodies = fields.iter().filter(|f| {
        f.attrs.tag.is_none() && !presumed_tag.is_some_and(|tag| std::ptr::eq(tag, *f))
    });
    let body = bodies.next();
    for extra in bodies {
        let message = format!(
            "unexpected field: a message has a #[tag] field and one body field, and `{}` is \
             already the body",
            body.map_or_else(String::new, field_name),
        );
        cx.error_spanned(&extra.member, message);
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
    if input.attrs.kind_with.is_some() {
        return None;
    }
    let (tag_field, tags) = tag?;
    Some((
        Parse::Tagged {
            tag: tag_field,
            tags,
            body: body?,
        },
        KindFrom::Field(tag_field),
    ))
}

fn tag<'a>(
    cx: &mut Ctxt,
    field: &'a Field<'a>,
) -> Option<(&'a Field<'a>, &'a [crate::attr::TagEntry])> {
    let attr: &Tag = field.attrs.tag.as_ref()?;
    let mut valid = kind_type_is_valid(cx, field, "#[tag]");
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
                first.role.key()
            );
            cx.error_spanned(&entry.byte, message);
            valid = false;
        }
    }
    (valid && !attr.invalid).then_some((field, attr.entries.as_slice()))
}

fn kind_type_is_valid(cx: &mut Ctxt, field: &Field, attr: &str) -> bool {
    let valid = known_type(field.ty) == Some("Kind");
    if !valid {
        let message = format!("the {attr} field must be of type `Kind` (`analyzer_core::Kind`)");
        cx.error_spanned(field.ty, message);
    }
    valid
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
