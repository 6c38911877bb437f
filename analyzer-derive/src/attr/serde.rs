//! The `#[serde(...)]` keys the event writer follows, so that a message's
//! event fields are what its `#[derive(Serialize)]` would write: `rename`,
//! `rename_all`, `skip`, `skip_serializing`, `skip_serializing_if` and
//! `flatten`. Keys that only concern deserializing are ignored; keys that
//! change serializing in ways the writer does not follow are errors.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr};

use super::{key_of, skip_value, value};
use crate::ctxt::Ctxt;

/// What `#[serde(...)]` said on a field or variant.
#[derive(Default)]
pub struct SerdeAttrs {
    pub rename: Option<String>,
    pub skip: bool,
    pub skip_if: Option<syn::Path>,
    pub flatten: bool,
}

/// Keys that change only deserializing, or nothing the writer writes.
const IGNORED: &[&str] = &[
    "default",
    "alias",
    "deserialize_with",
    "borrow",
    "deny_unknown_fields",
    "bound",
    "crate",
    "expecting",
    "skip_deserializing",
    "other",
    "from",
    "try_from",
];

fn unsupported(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<()> {
    let key = key_of(meta);
    if !IGNORED.contains(&key.as_str()) {
        cx.push(meta.error(format_args!(
            "#[serde({key})] is not followed by the event writer of #[derive(Protocol)]: \
             write the fields yourself in `Conversation::fields` (with \
             #[protocol(conversation)]), or leave the field out of events with \
             #[protocol(skip)]"
        )));
    }
    skip_value(meta)
}

/// `rename = "x"` or `rename(serialize = "x")`.
fn rename(cx: &mut Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<String>> {
    if meta.input.peek(syn::token::Paren) {
        let mut name = None;
        meta.parse_nested_meta(|inner| {
            if inner.path.is_ident("serialize") {
                name = value::<LitStr>(cx, &inner, "expected a string literal")?;
            } else {
                skip_value(&inner)?;
            }
            Ok(())
        })?;
        return Ok(name.map(|n| n.value()));
    }
    Ok(value::<LitStr>(cx, meta, "expected a string literal")?.map(|n| n.value()))
}

/// `#[serde(rename_all = "..")]` on the type, as a case conversion.
pub fn serde_container(cx: &mut Ctxt, attrs: &[Attribute]) -> Option<String> {
    let mut out = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename_all") {
                let rule = rename(cx, &meta)?;
                if let Some(rule) = &rule {
                    if convert(rule, "ab_cd", false).is_none() {
                        cx.push(meta.error(format_args!("unknown case `{rule}`")));
                    }
                }
                out = rule;
                Ok(())
            } else if meta.path.is_ident("rename") {
                // The type's own name: not in events.
                skip_value(&meta)
            } else {
                unsupported(cx, &meta)
            }
        });
        if let Err(error) = result {
            cx.push(error);
        }
    }
    out
}

/// `#[serde(...)]` on a field or variant.
pub fn serde_member(cx: &mut Ctxt, attrs: &[Attribute]) -> SerdeAttrs {
    let mut out = SerdeAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let result = attr.parse_nested_meta(|meta| {
            let key = key_of(&meta);
            match key.as_str() {
                "rename" => out.rename = rename(cx, &meta)?,
                "skip" | "skip_serializing" => out.skip = true,
                "flatten" => out.flatten = true,
                "skip_serializing_if" => {
                    let path =
                        value::<LitStr>(cx, &meta, "expected a string literal naming a function")?;
                    out.skip_if = path.and_then(|p| match p.parse() {
                        Ok(path) => Some(path),
                        Err(_) => {
                            cx.error_spanned(&p, "expected the path of a `fn(&T) -> bool`");
                            None
                        }
                    });
                }
                _ => unsupported(cx, &meta)?,
            }
            Ok(())
        });
        if let Err(error) = result {
            cx.push(error);
        }
    }
    out
}

/// `name` (a field's `snake_case` name, or a variant's `PascalCase` one
/// when `variant`) in the case `rule` names, as serde's `rename_all`
/// writes it; `None` for an unknown rule.
pub fn convert(rule: &str, name: &str, variant: bool) -> Option<String> {
    if variant {
        let snake = {
            let mut out = String::new();
            for (i, c) in name.char_indices() {
                if c.is_uppercase() && i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            }
            out
        };
        return Some(match rule {
            "lowercase" => name.to_ascii_lowercase(),
            "UPPERCASE" => name.to_ascii_uppercase(),
            "PascalCase" => name.to_owned(),
            "camelCase" => {
                let mut chars = name.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            }
            "snake_case" => snake,
            "SCREAMING_SNAKE_CASE" => snake.to_ascii_uppercase(),
            "kebab-case" => snake.replace('_', "-"),
            "SCREAMING-KEBAB-CASE" => snake.to_ascii_uppercase().replace('_', "-"),
            _ => return None,
        });
    }
    let pascal: String = name
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    Some(match rule {
        "lowercase" | "snake_case" => name.to_owned(),
        "UPPERCASE" | "SCREAMING_SNAKE_CASE" => name.to_ascii_uppercase(),
        "PascalCase" => pascal,
        "camelCase" => {
            let mut chars = pascal.chars();
            chars
                .next()
                .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                .unwrap_or_default()
        }
        "kebab-case" => name.replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => name.to_ascii_uppercase().replace('_', "-"),
        _ => return None,
    })
}
