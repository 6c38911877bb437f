//! `#[protocol(...)]` on a struct's field (`tag(..)`, `kind`, `skip`) and
//! on an enum's variant (`tag(..)` or `keyword(..)`).
//!
//! One grammar for both: `tag(request = b'>', response = b'<')` maps
//! leading bytes to roles; on a field it may map several, on a variant it
//! maps one (the byte that selects the variant, and its role). Likewise
//! `keyword(request = "GET")`.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, Ident, LitByte, LitStr};

use super::{flag, key_of, once, skip_value, unknown_key, value};
use crate::ctxt::Ctxt;

/// The roles of a message, one per `analyzer_core::Kind` variant.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Request,
    Response,
    Error,
    Greeting,
}

impl Role {
    fn from_key(key: &str) -> Option<Self> {
        match key {
            "request" => Some(Role::Request),
            "response" => Some(Role::Response),
            "error" => Some(Role::Error),
            "greeting" => Some(Role::Greeting),
            _ => None,
        }
    }

    /// The `Kind` variant's name.
    pub fn variant(self) -> &'static str {
        match self {
            Role::Request => "Request",
            Role::Response => "Response",
            Role::Error => "Error",
            Role::Greeting => "Greeting",
        }
    }
}

/// `tag(role = b'x', ..)` or `keyword(role = "WORD", ..)`: the entries
/// that parsed.
pub struct Selector<T> {
    /// The key, for spans.
    pub key: Ident,
    pub entries: Vec<(Role, T)>,
}

/// What `#[protocol(...)]` said on a field.
#[derive(Default)]
pub struct FieldAttrs {
    pub tag: Option<Selector<LitByte>>,
    pub kind: Option<Ident>,
    pub skip: Option<Ident>,
}

/// What `#[protocol(...)]` said on a variant.
#[derive(Default)]
pub struct VariantAttrs {
    pub tag: Option<Selector<LitByte>>,
    pub keyword: Option<Selector<LitStr>>,
}

/// `(role = value, ..)`.
fn selector<T: syn::parse::Parse>(
    cx: &mut Ctxt,
    meta: &ParseNestedMeta,
    expected: &str,
) -> syn::Result<Option<Selector<T>>> {
    let key = meta.path.get_ident().cloned().expect("a one-word key");
    let mut entries = Vec::new();
    meta.parse_nested_meta(|inner| {
        let role_key = key_of(&inner);
        let Some(role) = Role::from_key(&role_key) else {
            cx.push(inner.error(format_args!(
                "unknown role `{role_key}`; expected `request`, `response`, `error` or `greeting`"
            )));
            skip_value(&inner)?;
            return Ok(());
        };
        if entries.iter().any(|(r, _)| *r == role) {
            cx.push(inner.error(format_args!("duplicate role `{role_key}`")));
        }
        if let Some(lit) = value::<T>(cx, &inner, expected)? {
            entries.push((role, lit));
        }
        Ok(())
    })?;
    Ok(Some(Selector { key, entries }))
}

const BYTE: &str = "expected a byte literal like `b'>'`";
const WORD: &str = "expected a string literal like `\"GET\"`";

/// Parses every `#[protocol(...)]` on a struct's field.
pub fn field(cx: &mut Ctxt, attrs: &[Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("protocol")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = key_of(&meta);
            match key.as_str() {
                "tag" => {
                    let tag = selector::<LitByte>(cx, &meta, BYTE)?;
                    once(cx, &mut out.tag, &meta, tag);
                }
                "kind" | "skip" => {
                    flag(cx, &meta)?;
                    let slot = if key == "kind" {
                        &mut out.kind
                    } else {
                        &mut out.skip
                    };
                    once(cx, slot, &meta, meta.path.get_ident().cloned());
                }
                "keyword" => {
                    cx.push(meta.error("`keyword` belongs on an enum's variants"));
                    skip_value(&meta)?;
                }
                _ => {
                    cx.push(unknown_key(&meta, "a field", "`tag`, `kind` or `skip`"));
                    skip_value(&meta)?;
                }
            }
            Ok(())
        });
        if let Err(error) = result {
            cx.push(error);
        }
    }
    out
}

/// Parses every `#[protocol(...)]` on an enum's variant.
pub fn variant(cx: &mut Ctxt, attrs: &[Attribute]) -> VariantAttrs {
    let mut out = VariantAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("protocol")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = key_of(&meta);
            match key.as_str() {
                "tag" => {
                    let tag = selector::<LitByte>(cx, &meta, BYTE)?;
                    once(cx, &mut out.tag, &meta, tag);
                }
                "keyword" => {
                    let keyword = selector::<LitStr>(cx, &meta, WORD)?;
                    once(cx, &mut out.keyword, &meta, keyword);
                }
                "kind" | "skip" => {
                    cx.push(meta.error(format_args!(
                        "`{key}` belongs on a struct's field; a variant's role is given by \
                         its `tag(role = b'x')` or `keyword(role = \"WORD\")`"
                    )));
                    skip_value(&meta)?;
                }
                _ => {
                    cx.push(unknown_key(&meta, "a variant", "`tag` or `keyword`"));
                    skip_value(&meta)?;
                }
            }
            Ok(())
        });
        if let Err(error) = result {
            cx.push(error);
        }
    }
    out
}

/// Reports `#[protocol(...)]` on a variant's field: none belongs there.
pub fn variant_field(cx: &mut Ctxt, attrs: &[Attribute]) {
    for attr in attrs.iter().filter(|a| a.path().is_ident("protocol")) {
        cx.error_spanned(
            attr,
            "#[protocol(...)] belongs on the variant, not on its field",
        );
    }
}
