//! Parsing of `#[protocol(...)]`, `#[delimiter(...)]` and `#[tag(...)]`.
//!
//! This stage checks syntax only (which keys exist, what kind of literal each
//! takes, no key twice); what the values mean is checked in `valid.rs`.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::Parse;
use syn::punctuated::Punctuated;
use syn::{parenthesized, Attribute, Ident, Lit, LitByte, LitInt, LitStr, Token};

use crate::ctxt::Ctxt;

/// A value that was written: `Valid`, or `Invalid` when it did not parse
/// (that error is already reported). Telling an invalid value from a
/// missing one keeps a typo from also being reported as "missing".
pub enum Parsed<T> {
    Valid(T),
    Invalid,
}

/// The attributes on the struct.
#[derive(Default)]
pub struct ContainerAttrs<'a> {
    pub protocol: Option<ProtocolAttr<'a>>,
    pub delimiter: Option<Parsed<Delimiter>>,
}

/// `#[protocol(name = "...", ports(...))]`.
pub struct ProtocolAttr<'a> {
    pub original: &'a Attribute,
    pub name: Option<Parsed<LitStr>>,
    pub ports: Vec<LitInt>,
}

/// The argument of `#[delimiter(b'\n')]` or `#[delimiter(b"\r\n")]`.
pub struct Delimiter {
    /// The literal as written, for spans.
    pub lit: Lit,
    pub bytes: Vec<u8>,
}

/// The attributes on one field.
#[derive(Default)]
pub struct FieldAttrs<'a> {
    pub tag: Option<Tag<'a>>,
}

/// `#[tag(request = b'>', response = b'<', error = b'!')]`.
pub struct Tag<'a> {
    pub original: &'a Attribute,
    /// The entries that parsed.
    pub entries: Vec<TagEntry>,
    /// Whether some part did not parse (that error is already reported).
    pub invalid: bool,
}

/// One `kind = b'x'` entry of `#[tag(...)]`.
pub struct TagEntry {
    pub kind: TagKind,
    pub byte: LitByte,
}

/// The keys of `#[tag(...)]`, one per `analyzer_core::Kind` variant.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    Request,
    Response,
    Error,
}

impl TagKind {
    fn from_key(key: &str) -> Option<Self> {
        match key {
            "request" => Some(TagKind::Request),
            "response" => Some(TagKind::Response),
            "error" => Some(TagKind::Error),
            _ => None,
        }
    }

    /// The key as written in `#[tag(...)]`, which is also the variant name in
    /// lowercase.
    pub fn key(self) -> &'static str {
        match self {
            TagKind::Request => "request",
            TagKind::Response => "response",
            TagKind::Error => "error",
        }
    }
}

/// Parses the attributes on the struct, ignoring those that are not ours.
pub fn container<'a>(cx: &mut Ctxt, attrs: &'a [Attribute]) -> ContainerAttrs<'a> {
    let mut out = ContainerAttrs::default();
    for attr in attrs {
        if attr.path().is_ident("protocol") {
            let parsed = protocol(cx, attr);
            if out.protocol.is_some() {
                cx.error_spanned(attr, "duplicate #[protocol] attribute");
            } else {
                out.protocol = Some(parsed);
            }
        } else if attr.path().is_ident("delimiter") {
            let parsed = delimiter(cx, attr);
            if out.delimiter.is_some() {
                cx.error_spanned(attr, "duplicate #[delimiter] attribute");
            } else {
                out.delimiter = Some(parsed);
            }
        } else if attr.path().is_ident("tag") {
            cx.error_spanned(
                attr,
                "#[tag] belongs on the struct's `Kind` field, not on the struct",
            );
        }
    }
    out
}

/// Parses the attributes on a field, ignoring those that are not ours.
pub fn field<'a>(cx: &mut Ctxt, attrs: &'a [Attribute]) -> FieldAttrs<'a> {
    let mut out = FieldAttrs::default();
    for attr in attrs {
        if attr.path().is_ident("tag") {
            let parsed = tag(cx, attr);
            if out.tag.is_some() {
                cx.error_spanned(attr, "duplicate #[tag] attribute");
            } else {
                out.tag = Some(parsed);
            }
        } else if attr.path().is_ident("protocol") || attr.path().is_ident("delimiter") {
            let name = attr.path().get_ident().map(Ident::to_string);
            let message = format!(
                "#[{}] belongs on the struct, not on a field",
                name.unwrap_or_default()
            );
            cx.error_spanned(attr, message);
        }
    }
    out
}

fn protocol<'a>(cx: &mut Ctxt, attr: &'a Attribute) -> ProtocolAttr<'a> {
    let mut out = ProtocolAttr {
        original: attr,
        name: None,
        ports: Vec::new(),
    };
    let mut seen_ports = false;
    let result = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("name") {
            let name = value::<LitStr>(cx, &meta, "expected a string literal like `\"echo\"`")?;
            if out.name.is_some() {
                cx.push(meta.error("duplicate `name` in #[protocol]"));
            } else {
                out.name = Some(name);
            }
        } else if meta.path.is_ident("ports") {
            let content;
            parenthesized!(content in meta.input);
            let ports = Punctuated::<LitInt, Token![,]>::parse_terminated(&content);
            let ports = ports.unwrap_or_else(|error| {
                cx.push(syn::Error::new(
                    error.span(),
                    "expected a port number like `3030`",
                ));
                Punctuated::new()
            });
            if seen_ports {
                cx.push(meta.error("duplicate `ports` in #[protocol]"));
            } else {
                seen_ports = true;
                out.ports.extend(ports);
            }
            // The rest of a list that did not parse.
            content.parse::<TokenStream>()?;
        } else {
            cx.push(unknown_key(&meta, "protocol", "`name` or `ports`"));
            skip_value(&meta)?;
        }
        Ok(())
    });
    if let Err(error) = result {
        cx.push(error);
        out.name.get_or_insert(Parsed::Invalid);
    }
    out
}

fn delimiter(cx: &mut Ctxt, attr: &Attribute) -> Parsed<Delimiter> {
    let lit: Lit = match attr.parse_args() {
        Ok(lit) => lit,
        Err(error) => {
            cx.push(error);
            return Parsed::Invalid;
        }
    };
    let bytes = match &lit {
        Lit::Byte(byte) => vec![byte.value()],
        Lit::ByteStr(bytes) => bytes.value(),
        Lit::Str(_) => {
            cx.error_spanned(&lit, "expected a byte string literal like `b\"\\r\\n\"`");
            return Parsed::Invalid;
        }
        _ => {
            cx.error_spanned(
                &lit,
                "expected a byte literal like `b'\\n'` or a byte string literal like `b\"\\r\\n\"`",
            );
            return Parsed::Invalid;
        }
    };
    Parsed::Valid(Delimiter { lit, bytes })
}

fn tag<'a>(cx: &mut Ctxt, attr: &'a Attribute) -> Tag<'a> {
    let mut out = Tag {
        original: attr,
        entries: Vec::new(),
        invalid: false,
    };
    let result = attr.parse_nested_meta(|meta| {
        let kind = meta
            .path
            .get_ident()
            .and_then(|key| TagKind::from_key(&key.to_string()));
        let Some(kind) = kind else {
            cx.push(unknown_key(
                &meta,
                "tag",
                "`request`, `response` or `error`",
            ));
            out.invalid = true;
            return skip_value(&meta);
        };
        let byte = match value::<LitByte>(cx, &meta, "expected a byte literal like `b'>'`")? {
            Parsed::Valid(byte) => byte,
            Parsed::Invalid => {
                out.invalid = true;
                return Ok(());
            }
        };
        if out.entries.iter().any(|entry| entry.kind == kind) {
            cx.push(meta.error(format_args!("duplicate `{}` in #[tag]", kind.key())));
            return Ok(());
        }
        out.entries.push(TagEntry { kind, byte });
        Ok(())
    });
    if let Err(error) = result {
        cx.push(error);
        out.invalid = true;
    }
    out
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
