//! Parsing of the derive's attributes, one family per file: `protocol.rs`
//! (`#[protocol]`), `framing.rs` (`#[delimiter]`, `#[length_prefix]`,
//! `#[frame_with]`), `lines.rs` (`#[block]`, `#[parts]`), `hooks.rs` (`#[parse_with]`, `#[kind_with]`,
//! `#[correlate]` and the other functions), `select.rs` (`#[tag]`,
//! `#[keyword]`, `#[kind]`).
//!
//! This stage checks syntax only (which keys exist, what kind of literal each
//! takes, no key or attribute twice, each attribute in its place); what the
//! values mean is checked in `valid`.

mod framing;
mod hooks;
mod lines;
mod protocol;
mod select;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::Parse;
use syn::{parenthesized, Attribute, Meta, Token};

use crate::ctxt::Ctxt;

pub use framing::{Adjust, DelimiterAttr, FramingAttr, FramingSpec, LengthPrefixAttr};
pub use hooks::{Correlate, CorrelateBy, Hook};
pub use lines::{BlockAttr, PartsAttr, Side};
pub use protocol::ProtocolAttr;
pub use select::{Role, Selector, SelectorKind, SelectorValue, Tag, TagEntry};

/// A value that was written: `Valid`, or `Invalid` when it did not parse
/// (that error is already reported). Telling an invalid value from a
/// missing one keeps a typo from also being reported as "missing".
pub enum Parsed<T> {
    Valid(T),
    Invalid,
}

impl<T> Parsed<T> {
    pub fn valid(&self) -> Option<&T> {
        match self {
            Parsed::Valid(value) => Some(value),
            Parsed::Invalid => None,
        }
    }
}

/// The attributes on the type (struct or enum).
#[derive(Default)]
pub struct ContainerAttrs<'a> {
    pub protocol: Option<ProtocolAttr<'a>>,
    pub framing: Option<FramingAttr<'a>>,
    /// `#[block(...)]`s, in order.
    pub blocks: Vec<BlockAttr<'a>>,
    /// `#[parts(...)]`s, in order.
    pub parts: Vec<PartsAttr<'a>>,
    pub parse_with: Option<Hook<'a>>,
    pub kind_with: Option<Hook<'a>>,
    pub correlate: Option<Correlate>,
    pub no_response_if: Option<Hook<'a>>,
    pub optional_response_if: Option<Hook<'a>>,
    pub describe_with: Option<Hook<'a>>,
    pub fields_with: Option<Hook<'a>>,
    pub fields_json_with: Option<Hook<'a>>,
}

/// The attributes on one field of a struct.
#[derive(Default)]
pub struct FieldAttrs<'a> {
    pub tag: Option<Tag<'a>>,
    /// `#[kind]`: the attribute.
    pub kind: Option<&'a Attribute>,
}

/// The attributes on one variant of an enum.
#[derive(Default)]
pub struct VariantAttrs<'a> {
    pub selector: Option<Selector<'a>>,
}

/// The attributes that go on the type.
const CONTAINER: &[&str] = &[
    "protocol",
    "delimiter",
    "length_prefix",
    "frame_with",
    "block",
    "parts",
    "parse_with",
    "kind_with",
    "correlate",
    "no_response_if",
    "optional_response_if",
    "describe_with",
    "fields_with",
    "fields_json_with",
];

fn name_of(attr: &Attribute) -> Option<String> {
    attr.path().get_ident().map(ToString::to_string)
}

/// Parses the attributes on the type, ignoring those that are not ours.
pub fn container<'a>(cx: &mut Ctxt, attrs: &'a [Attribute], is_enum: bool) -> ContainerAttrs<'a> {
    let mut out = ContainerAttrs::default();
    for attr in attrs {
        let Some(name) = name_of(attr) else { continue };
        match name.as_str() {
            "protocol" => {
                let parsed = protocol::protocol(cx, attr);
                once(cx, &mut out.protocol, attr, parsed);
            }
            "delimiter" | "length_prefix" | "frame_with" => {
                let parsed = framing::framing(cx, attr, &name);
                framing::once(cx, &mut out.framing, parsed);
            }
            "block" => out.blocks.extend(lines::block(cx, attr)),
            "parts" => out.parts.extend(lines::parts(cx, attr)),
            "correlate" => {
                let parsed = hooks::correlate(cx, attr);
                once(cx, &mut out.correlate, attr, parsed);
            }
            "tag" if is_enum => misplaced(cx, attr, "the enum's variants, not on the enum"),
            "tag" => misplaced(cx, attr, "the struct's `Kind` field, not on the struct"),
            "keyword" => misplaced(cx, attr, "an enum's variants, not on the type"),
            "kind" => cx.error_spanned(
                attr,
                "#[kind] belongs on a struct's `Kind` field; on the type, use \
                 #[kind_with(path)] with a `fn(&Self) -> Kind`",
            ),
            other => {
                if let Some(slot) = hook_slot(&mut out, other) {
                    let parsed = hooks::hook(cx, attr, other);
                    once(cx, slot, attr, parsed);
                }
            }
        }
    }
    out
}

/// Where the attribute that names a function goes, if `name` is one.
fn hook_slot<'b, 'a>(
    out: &'b mut ContainerAttrs<'a>,
    name: &str,
) -> Option<&'b mut Option<Hook<'a>>> {
    match name {
        "parse_with" => Some(&mut out.parse_with),
        "kind_with" => Some(&mut out.kind_with),
        "no_response_if" => Some(&mut out.no_response_if),
        "optional_response_if" => Some(&mut out.optional_response_if),
        "describe_with" => Some(&mut out.describe_with),
        "fields_with" => Some(&mut out.fields_with),
        "fields_json_with" => Some(&mut out.fields_json_with),
        _ => None,
    }
}

const KIND_ARGS: &str = "#[kind] takes no arguments: it marks the field that holds the \
                         message's `Kind`";

/// Parses the attributes on a field of a struct.
pub fn field<'a>(cx: &mut Ctxt, attrs: &'a [Attribute]) -> FieldAttrs<'a> {
    let mut out = FieldAttrs::default();
    for attr in attrs {
        let Some(name) = name_of(attr) else { continue };
        match name.as_str() {
            "tag" => {
                let parsed = select::field_tag(cx, attr);
                once(cx, &mut out.tag, attr, parsed);
            }
            "kind" => {
                match &attr.meta {
                    Meta::Path(_) => {}
                    Meta::List(list) => cx.error_spanned(&list.tokens, KIND_ARGS),
                    Meta::NameValue(name_value) => cx.error_spanned(&name_value.value, KIND_ARGS),
                }
                once(cx, &mut out.kind, attr, attr);
            }
            "keyword" => misplaced(cx, attr, "an enum's variants, not on a field"),
            _ if CONTAINER.contains(&name.as_str()) => {
                misplaced(cx, attr, "the struct, not on a field");
            }
            _ => {}
        }
    }
    out
}

/// Parses the attributes on a variant of an enum.
pub fn variant<'a>(cx: &mut Ctxt, attrs: &'a [Attribute]) -> VariantAttrs<'a> {
    let mut out = VariantAttrs::default();
    for attr in attrs {
        let Some(name) = name_of(attr) else { continue };
        match name.as_str() {
            "tag" | "keyword" => {
                let parsed = select::selector(cx, attr, &name);
                match &out.selector {
                    Some(first) if first.kind.name() == name => {
                        cx.error_spanned(attr, format!("duplicate #[{name}] attribute"));
                    }
                    Some(first) => cx.error_spanned(
                        attr,
                        format!(
                            "a variant is selected by one #[tag] or one #[keyword], and this one \
                             has #[{}] already",
                            first.kind.name()
                        ),
                    ),
                    None => out.selector = Some(parsed),
                }
            }
            "kind" => cx.error_spanned(
                attr,
                "#[kind] belongs on a struct's `Kind` field; an enum variant's role is given by \
                 its #[tag(b'..', role)] or #[keyword(\"..\", role)], or by #[kind_with(path)] \
                 on the enum",
            ),
            _ if CONTAINER.contains(&name.as_str()) => {
                misplaced(cx, attr, "the enum, not on a variant");
            }
            _ => {}
        }
    }
    out
}

/// Reports any of our attributes on a field of an enum variant: none belongs
/// there.
pub fn variant_field(cx: &mut Ctxt, attrs: &[Attribute]) {
    for attr in attrs {
        let Some(name) = name_of(attr) else { continue };
        match name.as_str() {
            "tag" | "keyword" => misplaced(cx, attr, "the variant, not on its field"),
            "kind" => cx.error_spanned(
                attr,
                "#[kind] belongs on a struct's `Kind` field, not on a variant's field",
            ),
            _ if CONTAINER.contains(&name.as_str()) => {
                misplaced(cx, attr, "the enum, not on a variant's field");
            }
            _ => {}
        }
    }
}

fn misplaced(cx: &mut Ctxt, attr: &Attribute, place: &str) {
    let name = name_of(attr).unwrap_or_default();
    cx.error_spanned(attr, format!("#[{name}] belongs on {place}"));
}

/// Keeps the first of an attribute that may appear once; reports the others.
fn once<T>(cx: &mut Ctxt, slot: &mut Option<T>, attr: &Attribute, parsed: T) {
    if slot.is_some() {
        let name = name_of(attr).unwrap_or_default();
        cx.error_spanned(attr, format!("duplicate #[{name}] attribute"));
    } else {
        *slot = Some(parsed);
    }
}

/// Parses `= value` after a key. A value that is not a `T` is reported
/// (saying what was `expected`) and skipped, so that the keys after it are
/// still checked.
fn value<T: Parse>(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta,
    expected: &str,
) -> syn::Result<Parsed<T>> {
    let expr: syn::Expr = meta.value()?.parse()?;
    match syn::parse2(expr.to_token_stream()) {
        Ok(value) => Ok(Parsed::Valid(value)),
        Err(_) => {
            cx.error_spanned(expr, expected);
            Ok(Parsed::Invalid)
        }
    }
}

fn unknown_key(meta: &ParseNestedMeta, attr: &str, expected: &str) -> syn::Error {
    let key = meta.path.to_token_stream().to_string().replace(' ', "");
    meta.error(format_args!(
        "unknown key `{key}` in #[{attr}]; expected {expected}"
    ))
}

/// Consumes the value after an unknown key (`= value` or `(...)`), so that
/// the keys after it are still parsed and checked.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}
