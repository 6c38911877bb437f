//! The derive input as a small typed AST: the struct's fields or the enum's
//! variants, with the attributes on each, parsed.

use quote::quote;
use syn::{Data as SynData, DeriveInput, Fields, Generics, Ident, Type};

use crate::attr::{self, Container, FieldAttrs, SerdeAttrs, VariantAttrs};
use crate::ctxt::Ctxt;

/// A `#[derive(Protocol)]` input.
pub struct Input<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: Container<'a>,
    /// `#[serde(rename_all = "..")]` on the type.
    pub rename_all: Option<String>,
    pub data: Data<'a>,
}

pub enum Data<'a> {
    Struct(Struct<'a>),
    Enum(Vec<Variant<'a>>),
    /// A union: not supported (that error is already reported).
    Union,
}

pub struct Struct<'a> {
    /// The fields as written, for spans and the shape.
    pub original: &'a Fields,
    pub fields: Vec<Field<'a>>,
}

/// A named field (of the struct, or of a struct variant).
pub struct Field<'a> {
    /// `None` in a tuple struct or variant.
    pub ident: Option<&'a Ident>,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
    pub serde: SerdeAttrs,
}

/// A variant of the enum.
pub struct Variant<'a> {
    pub ident: &'a Ident,
    pub original: &'a Fields,
    pub fields: Vec<Field<'a>>,
    pub attrs: VariantAttrs,
    pub serde: SerdeAttrs,
}

impl<'a> Input<'a> {
    /// Parses the input's attributes and fields or variants, reporting to
    /// `cx` every error found and keeping what could be parsed, so later
    /// stages can report theirs too.
    pub fn from_syn(cx: &mut Ctxt, node: &'a DeriveInput) -> Self {
        let attrs = attr::container(cx, &node.attrs);
        let rename_all = attr::serde_container(cx, &node.attrs);
        let ident = &node.ident;
        let data = match &node.data {
            SynData::Struct(data) => Data::Struct(Struct {
                original: &data.fields,
                fields: fields(cx, &data.fields, true),
            }),
            SynData::Enum(data) => Data::Enum(
                data.variants
                    .iter()
                    .map(|variant| Variant {
                        ident: &variant.ident,
                        original: &variant.fields,
                        fields: fields(cx, &variant.fields, false),
                        attrs: attr::variant(cx, &variant.attrs),
                        serde: attr::serde_member(cx, &variant.attrs),
                    })
                    .collect(),
            ),
            SynData::Union(data) => {
                let token = data.union_token;
                cx.error_spanned(
                    quote!(#token #ident),
                    "#[derive(Protocol)] needs a struct or an enum, not a union",
                );
                Data::Union
            }
        };
        Input {
            ident,
            generics: &node.generics,
            attrs,
            rename_all,
            data,
        }
    }
}

/// The fields, with their attributes (`own`: a struct's, where
/// `#[protocol]` may go; else a variant's, where it may not).
fn fields<'a>(cx: &mut Ctxt, fields: &'a Fields, own: bool) -> Vec<Field<'a>> {
    fields
        .iter()
        .map(|field| {
            let attrs = if own {
                attr::field(cx, &field.attrs)
            } else {
                attr::variant_field(cx, &field.attrs);
                FieldAttrs::default()
            };
            Field {
                ident: field.ident.as_ref(),
                ty: &field.ty,
                attrs,
                serde: attr::serde_member(cx, &field.attrs),
            }
        })
        .collect()
}
