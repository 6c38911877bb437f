//! The message's event fields, checked: a struct writes its named fields
//! (as `#[derive(Serialize)]` would, following `rename`, `rename_all`,
//! `skip`, `skip_serializing_if` and `flatten`, except that a `None` option
//! is left out: events carry no nulls; `#[protocol(skip)]` leaves a field
//! out); an enum writes `"type": "<Variant>"`, then its field as
//! `"content"`, or its named fields.

use syn::Ident;

use crate::ast::{Data, Field, Input};
use crate::attr::convert;
use crate::ctxt::Ctxt;

pub enum Write {
    Struct(Vec<WriteField>),
    Enum(Vec<WriteVariant>),
}

pub struct WriteField {
    /// The field's name (a binding of the same name in enum arms).
    pub ident: Ident,
    pub key: String,
    pub skip_if: Option<syn::Path>,
    pub flatten: bool,
    /// An `Option`: left out of events when `None`.
    pub option: bool,
}

pub struct WriteVariant {
    pub ident: Ident,
    pub key: String,
    pub shape: Shape,
}

pub enum Shape {
    Unit,
    /// One unnamed field; `None` when it is skipped.
    Content(Option<Option<syn::Path>>),
    Named(Vec<WriteField>),
    /// Named fields, all skipped in the pattern (`{ .. }`).
    Skipped,
}

pub fn check(cx: &mut Ctxt, input: &Input<'_>) -> Option<Write> {
    let rule = input.rename_all.as_deref();
    match &input.data {
        Data::Struct(data) => fields(cx, &data.fields, rule).map(Write::Struct),
        Data::Enum(variants) => {
            let mut out = Vec::new();
            let mut ok = true;
            for variant in variants {
                let name = variant.ident.to_string();
                let key = match (&variant.serde.rename, rule) {
                    (Some(rename), _) => rename.clone(),
                    (None, Some(rule)) => convert(rule, &name, true).unwrap_or(name),
                    (None, None) => name,
                };
                let shape = match variant.original {
                    syn::Fields::Unit => Shape::Unit,
                    syn::Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => {
                        let field = &variant.fields[0];
                        if field.serde.skip || field.attrs.skip.is_some() {
                            Shape::Content(None)
                        } else {
                            Shape::Content(Some(field.serde.skip_if.clone()))
                        }
                    }
                    syn::Fields::Unnamed(unnamed) => {
                        cx.error_spanned(
                            unnamed,
                            "a variant written to events has named fields or one unnamed field",
                        );
                        ok = false;
                        Shape::Unit
                    }
                    syn::Fields::Named(_) => match fields(cx, &variant.fields, None) {
                        Some(fields) if fields.is_empty() => Shape::Skipped,
                        Some(fields) => Shape::Named(fields),
                        None => {
                            ok = false;
                            Shape::Unit
                        }
                    },
                };
                if variant.serde.skip {
                    // Written as its name alone.
                    out.push(WriteVariant {
                        ident: variant.ident.clone(),
                        key,
                        shape: match shape {
                            Shape::Unit => Shape::Unit,
                            Shape::Content(_) => Shape::Content(None),
                            _ => Shape::Skipped,
                        },
                    });
                    continue;
                }
                out.push(WriteVariant {
                    ident: variant.ident.clone(),
                    key,
                    shape,
                });
            }
            ok.then_some(Write::Enum(out))
        }
        Data::Union => None,
    }
}

fn fields(cx: &mut Ctxt, fields: &[Field<'_>], rule: Option<&str>) -> Option<Vec<WriteField>> {
    let mut out = Vec::new();
    for field in fields {
        let ident = field.ident?;
        if field.serde.skip || field.attrs.skip.is_some() {
            continue;
        }
        let name = ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
        let key = match (&field.serde.rename, rule) {
            (Some(rename), _) => rename.clone(),
            (None, Some(rule)) => convert(rule, &name, false).unwrap_or(name),
            (None, None) => name,
        };
        if key.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
            cx.error_spanned(ident, "an event field's name needs no escaping in JSON");
            continue;
        }
        out.push(WriteField {
            ident: ident.clone(),
            key,
            skip_if: field.serde.skip_if.clone(),
            flatten: field.serde.flatten,
            option: super::is_type(field.ty, &["Option"]),
        });
    }
    Some(out)
}
