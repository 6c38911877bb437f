//! The derive input as a small typed AST: the struct's fields or the enum's
//! variants, and the attributes on each, parsed.

use quote::quote;
use syn::{Attribute, Data as SynData, DeriveInput, Fields, Generics, Ident, Index, Member, Type};

use crate::attr::{self, ContainerAttrs, FieldAttrs, VariantAttrs};
use crate::ctxt::Ctxt;

/// A `#[derive(Protocol)]` input.
pub struct Input<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: ContainerAttrs<'a>,
    pub data: Data<'a>,
    /// Every `#[serde(...)]` attribute, on the type, its fields, its
    /// variants or their fields: what makes `Serialize` differ from the
    /// plain derive's.
    pub serde_attrs: Vec<&'a Attribute>,
}

pub enum Data<'a> {
    Struct(Struct<'a>),
    Enum(Enum<'a>),
    /// A union: not supported (that error is already reported).
    Union,
}

pub struct Struct<'a> {
    /// The fields as written, for spans and the shape.
    pub original: &'a Fields,
    pub fields: Vec<Field<'a>>,
}

/// A field of the struct.
pub struct Field<'a> {
    /// Its name, or its index in a tuple struct.
    pub member: Member,
    pub ty: &'a Type,
    pub attrs: FieldAttrs<'a>,
}

pub struct Enum<'a> {
    /// The `enum` keyword, for spans.
    pub enum_token: syn::token::Enum,
    pub variants: Vec<Variant<'a>>,
}

/// A variant of the enum.
pub struct Variant<'a> {
    pub ident: &'a Ident,
    pub fields: &'a Fields,
    pub attrs: VariantAttrs<'a>,
}

impl<'a> Input<'a> {
    /// Parses the input's attributes and fields or variants, reporting to
    /// `cx` every error found and keeping what could be parsed, so later
    /// stages can report theirs too.
    pub fn from_syn(cx: &mut Ctxt, node: &'a DeriveInput) -> Self {
        let is_enum = matches!(node.data, SynData::Enum(_));
        let attrs = attr::container(cx, &node.attrs, is_enum);
        let ident = &node.ident;
        let data = match &node.data {
            SynData::Struct(data) => Data::Struct(Struct {
                original: &data.fields,
                fields: fields(cx, &data.fields),
            }),
            SynData::Enum(data) => {
                let token = data.enum_token;
                let variants = data.variants.iter().map(|variant| {
                    for field in &variant.fields {
                        attr::variant_field(cx, &field.attrs);
                    }
                    Variant {
                        ident: &variant.ident,
                        fields: &variant.fields,
                        attrs: attr::variant(cx, &variant.attrs),
                    }
                });
                Data::Enum(Enum {
                    enum_token: token,
                    variants: variants.collect(),
                })
            }
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
            data,
            serde_attrs: serde_attrs(node),
        }
    }
}

fn field_attrs(fields: &Fields) -> impl Iterator<Item = &Attribute> {
    fields.iter().flat_map(|field| &field.attrs)
}

fn serde_attrs(node: &DeriveInput) -> Vec<&Attribute> {
    let mut all: Vec<&Attribute> = node.attrs.iter().collect();
    match &node.data {
        SynData::Struct(data) => all.extend(field_attrs(&data.fields)),
        SynData::Enum(data) => {
            for variant in &data.variants {
                all.extend(&variant.attrs);
                all.extend(field_attrs(&variant.fields));
            }
        }
        SynData::Union(_) => {}
    }
    all.retain(|attr| attr.path().is_ident("serde"));
    all
}

fn fields<'a>(cx: &mut Ctxt, fields: &'a Fields) -> Vec<Field<'a>> {
    fields
        .iter()
        .enumerate()
        .map(|(i, field)| Field {
            member: match &field.ident {
                Some(ident) => Member::Named(ident.clone()),
                None => Member::Unnamed(Index {
                    index: i as u32,
                    span: syn::spanned::Spanned::span(&field.ty),
                }),
            },
            ty: &field.ty,
            attrs: attr::field(cx, &field.attrs),
        })
        .collect()
}
