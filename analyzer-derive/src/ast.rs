//! The derive input as a small typed AST: the struct, its fields, and the
//! attributes on each, parsed.

use quote::quote;
use syn::{Data, DeriveInput, Fields, Generics, Ident, Type};

use crate::attr::{self, ContainerAttrs, FieldAttrs};
use crate::ctxt::Ctxt;

/// A `#[derive(Protocol)]` input.
pub struct Input<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: ContainerAttrs<'a>,
    /// The named fields; `None` when the input is not a struct with named
    /// fields (that error is already reported).
    pub fields: Option<Vec<Field<'a>>>,
}

/// A named field of the struct.
pub struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub attrs: FieldAttrs<'a>,
}

impl<'a> Input<'a> {
    /// Parses the input's attributes and fields, reporting to `cx` every error
    /// found and keeping what could be parsed, so later stages can report
    /// theirs too.
    pub fn from_syn(cx: &mut Ctxt, node: &'a DeriveInput) -> Self {
        let attrs = attr::container(cx, &node.attrs);
        let fields = fields(cx, node);
        Input {
            ident: &node.ident,
            generics: &node.generics,
            attrs,
            fields,
        }
    }
}

const SHAPE: &str = "#[derive(Protocol)] needs a struct with named fields: \
                     a `Kind` field with #[tag(...)] and a body field";

fn fields<'a>(cx: &mut Ctxt, node: &'a DeriveInput) -> Option<Vec<Field<'a>>> {
    let ident = &node.ident;
    let named = match &node.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => named,
            Fields::Unnamed(unnamed) => {
                let message = format!("{SHAPE}, not a tuple struct");
                cx.error_spanned(unnamed, message);
                return None;
            }
            Fields::Unit => {
                cx.error_spanned(ident, format!("{SHAPE}, not a unit struct"));
                return None;
            }
        },
        Data::Enum(data) => {
            let token = data.enum_token;
            cx.error_spanned(quote!(#token #ident), format!("{SHAPE}, not an enum"));
            return None;
        }
        Data::Union(data) => {
            let token = data.union_token;
            cx.error_spanned(quote!(#token #ident), format!("{SHAPE}, not a union"));
            return None;
        }
    };
    let fields = named
        .named
        .iter()
        .filter_map(|field| {
            Some(Field {
                ident: field.ident.as_ref()?,
                ty: &field.ty,
                attrs: attr::field(cx, &field.attrs),
            })
        })
        .collect();
    Some(fields)
}
