//! `#[protocol(fast_json)]`: the shapes the generated JSON writer knows,
//! and what it cannot be used with. The writer must give exactly what a
//! plain `#[derive(Serialize)]` gives: `#[serde]` attributes (which change
//! that) and `#[fields_with]` (which replaces the fields it writes) are
//! errors with it.

use syn::ext::IdentExt;
use syn::{Fields, Ident, Member};

use crate::ast::{Data, Input};
use crate::ctxt::Ctxt;

/// What the generated writer writes, with each JSON key as
/// `#[derive(Serialize)]` names it (the identifier without `r#`).
pub enum FastJson<'a> {
    /// A struct with named fields: `{"key":value,...}`.
    Struct(Vec<(&'a Member, String)>),
    /// An enum: each variant and its name, with `true` when it has one
    /// unnamed field (`{"Name":value}`), `false` for a unit (`"Name"`).
    Enum(Vec<(&'a Ident, String, bool)>),
}

/// `Some(None)` without `fast_json`; `None` after an error.
pub fn validate<'a>(cx: &mut Ctxt, input: &'a Input<'a>) -> Option<Option<FastJson<'a>>> {
    let Some(key) = input
        .attrs
        .protocol
        .as_ref()
        .and_then(|p| p.fast_json.as_ref())
    else {
        return Some(None);
    };
    let mut valid = true;
    if let Some(fields_with) = &input.attrs.fields_with {
        cx.error_spanned(
            fields_with.original,
            "`fast_json` writes the default own fields (`<name>: {\"request\": .., \
             \"response\": ..}`), which #[fields_with] replaces: keep one",
        );
        valid = false;
    }
    for attr in &input.serde_attrs {
        cx.error_spanned(
            attr,
            "`fast_json` writes what a plain #[derive(Serialize)] writes, which #[serde] \
             attributes change: remove them or `fast_json`",
        );
        valid = false;
    }
    let shape = match &input.data {
        Data::Struct(data) => match data.original {
            Fields::Named(_) => Some(FastJson::Struct(
                data.fields
                    .iter()
                    .map(|field| (&field.member, key_of(&field.member)))
                    .collect(),
            )),
            _ => {
                cx.error_spanned(key, "`fast_json` writes structs with named fields only");
                None
            }
        },
        Data::Enum(data) => {
            let mut variants = Vec::new();
            for variant in &data.variants {
                let newtype = match variant.fields {
                    Fields::Unit => false,
                    Fields::Unnamed(fields) if fields.unnamed.len() == 1 => true,
                    _ => {
                        cx.error_spanned(
                            variant.ident,
                            "`fast_json` writes unit variants and variants with one unnamed \
                             field only",
                        );
                        valid = false;
                        continue;
                    }
                };
                let name = variant.ident.unraw().to_string();
                variants.push((variant.ident, name, newtype));
            }
            Some(FastJson::Enum(variants))
        }
        Data::Union => None,
    };
    if valid {
        shape.map(Some)
    } else {
        None
    }
}

/// A named field's key: its name without `r#`.
fn key_of(member: &Member) -> String {
    match member {
        Member::Named(ident) => ident.unraw().to_string(),
        Member::Unnamed(index) => index.index.to_string(),
    }
}
