//! The attributes that say a message's role: `#[tag(...)]` on a struct's
//! `Kind` field, `#[tag(b'>', role)]` or `#[keyword("GET", role)]` on an
//! enum's variants. (`#[kind]` has no arguments: see `field` in `mod.rs`.)

use proc_macro2::TokenTree;
use syn::parse::ParseStream;
use syn::{Attribute, Ident, Lit, LitByte, LitStr, Meta, Token};

use super::{skip_value, unknown_key, value, Parsed};
use crate::ctxt::Ctxt;

/// The roles of a message, one per `analyzer_core::Kind` variant.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Request,
    Response,
    Error,
}

impl Role {
    fn from_key(key: &str) -> Option<Self> {
        match key {
            "request" => Some(Role::Request),
            "response" => Some(Role::Response),
            "error" => Some(Role::Error),
            _ => None,
        }
    }

    /// The role as written in the attributes, which is also the `Kind`
    /// variant's name in lowercase.
    pub fn key(self) -> &'static str {
        match self {
            Role::Request => "request",
            Role::Response => "response",
            Role::Error => "error",
        }
    }
}

/// `#[tag(request = b'>', response = b'<', error = b'!')]` on a struct's
/// `Kind` field.
pub struct Tag<'a> {
    pub original: &'a Attribute,
    /// The entries that parsed.
    pub entries: Vec<TagEntry>,
    /// Whether some part did not parse (that error is already reported).
    pub invalid: bool,
}

/// One `role = b'x'` entry of a field's `#[tag(...)]`.
pub struct TagEntry {
    pub role: Role,
    pub byte: LitByte,
}

/// How an enum's variants are told apart.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SelectorKind {
    /// `#[tag(b'>', role)]`: the first byte.
    Tag,
    /// `#[keyword("GET", role)]`: the first word.
    Keyword,
}

impl SelectorKind {
    /// The attribute's name.
    pub fn name(self) -> &'static str {
        match self {
            SelectorKind::Tag => "tag",
            SelectorKind::Keyword => "keyword",
        }
    }
}

/// `#[tag(b'>', request)]` or `#[keyword("GET", request)]` on a variant.
pub struct Selector<'a> {
    pub original: &'a Attribute,
    pub kind: SelectorKind,
    pub value: Parsed<(SelectorValue, Role)>,
}

pub enum SelectorValue {
    Byte(LitByte),
    Keyword(LitStr),
}

pub fn field_tag<'a>(cx: &mut Ctxt, attr: &'a Attribute) -> Tag<'a> {
    let mut out = Tag {
        original: attr,
        entries: Vec::new(),
        invalid: false,
    };
    if let Meta::List(list) = &attr.meta {
        if let Some(TokenTree::Literal(first)) = list.tokens.clone().into_iter().next() {
            cx.error_spanned(
                first,
                "on a field, #[tag] gives each role its byte, like \
                 #[tag(request = b'>', response = b'<')]; #[tag(b'>', request)] is for enum \
                 variants",
            );
            out.invalid = true;
            return out;
        }
    }
    let result = attr.parse_nested_meta(|meta| {
        let role = meta
            .path
            .get_ident()
            .and_then(|key| Role::from_key(&key.to_string()));
        let Some(role) = role else {
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
        if out.entries.iter().any(|entry| entry.role == role) {
            cx.push(meta.error(format_args!("duplicate `{}` in #[tag]", role.key())));
            return Ok(());
        }
        out.entries.push(TagEntry { role, byte });
        Ok(())
    });
    if let Err(error) = result {
        cx.push(error);
        out.invalid = true;
    }
    out
}

pub fn selector<'a>(cx: &mut Ctxt, attr: &'a Attribute, name: &str) -> Selector<'a> {
    let kind = if name == "tag" {
        SelectorKind::Tag
    } else {
        SelectorKind::Keyword
    };
    let example = match kind {
        SelectorKind::Tag => "#[tag(b'>', request)]",
        SelectorKind::Keyword => "#[keyword(\"GET\", request)]",
    };
    let result = attr.parse_args_with(|input: ParseStream| {
        if input.peek(Ident) && input.peek2(Token![=]) {
            let message = format!(
                "on a variant, #[{name}] takes the {} and the role, like {example}",
                if kind == SelectorKind::Tag {
                    "byte"
                } else {
                    "keyword"
                }
            );
            return Err(input.error(message));
        }
        let expected = match kind {
            SelectorKind::Tag => format!("expected a byte literal, like {example}"),
            SelectorKind::Keyword => format!("expected a string literal, like {example}"),
        };
        let lit: Lit = input
            .parse()
            .map_err(|error| syn::Error::new(error.span(), &expected))?;
        let value = match (kind, lit) {
            (SelectorKind::Tag, Lit::Byte(byte)) => SelectorValue::Byte(byte),
            (SelectorKind::Keyword, Lit::Str(word)) => SelectorValue::Keyword(word),
            (_, other) => return Err(syn::Error::new_spanned(other, expected)),
        };
        let missing_role = format!(
            "missing the role after the {name}: `request`, `response` or `error`, like {example}"
        );
        if input.is_empty() {
            return Err(syn::Error::new_spanned(attr, missing_role));
        }
        input.parse::<Token![,]>()?;
        let role: Ident = input
            .parse()
            .map_err(|error| syn::Error::new(error.span(), &missing_role))?;
        let role = Role::from_key(&role.to_string()).ok_or_else(|| {
            let message =
                format!("unknown role `{role}`; expected `request`, `response` or `error`");
            syn::Error::new(role.span(), message)
        })?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        Ok((value, role))
    });
    let value = match result {
        Ok(value) => Parsed::Valid(value),
        Err(error) => {
            cx.push(error);
            Parsed::Invalid
        }
    };
    Selector {
        original: attr,
        kind,
        value,
    }
}
