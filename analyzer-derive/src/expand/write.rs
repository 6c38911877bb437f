//! `write_fields`: the message's own event fields.
//!
//! The generated code's own names start with `__analyzer_`: an enum
//! variant's fields are bound by their names, and a field named `out` or
//! `buf` would otherwise shadow them.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::at;
use crate::valid::write::Shape;
use crate::valid::{Write, WriteField, WriteVariant};

/// Writes one value at `key` (a `&T` expression), directly when its type
/// has `WriteJson`, else through its `Serialize`.
fn entry(key: &str, value: &TokenStream) -> TokenStream {
    // `"key":`, checked to need no escaping when validated.
    let quoted = syn::LitByteStr::new(
        format!("\"{key}\":").as_bytes(),
        proc_macro2::Span::call_site(),
    );
    quote! {{
        #[allow(unused_imports)]
        use ::analyzer_core::__private::{ViaSerialize as _, ViaWriteJson as _};
        let __analyzer_buf = __analyzer_out.__key(#quoted);
        (&::analyzer_core::__private::Field(#value)).write_field(__analyzer_buf);
    }}
}

fn field(field: &WriteField, value: TokenStream) -> TokenStream {
    let write = match (field.flatten, field.option) {
        (true, _) => quote!(__analyzer_out.flatten(#value);),
        // A `None` is left out: events carry no nulls.
        (false, true) => {
            let entry = entry(&field.key, &quote!(__analyzer_some));
            quote!(if let ::core::option::Option::Some(__analyzer_some) = #value { #entry })
        }
        (false, false) => entry(&field.key, &value),
    };
    match &field.skip_if {
        Some(path) => {
            let check = quote_spanned!(at(path.span())=> #path(#value));
            quote!(if !#check { #write })
        }
        None => write,
    }
}

fn variant(v: &WriteVariant) -> TokenStream {
    let ident = &v.ident;
    let key = &v.key;
    let name = quote!(__analyzer_out.str(const { ::analyzer_core::JsonKey::new("type") }, #key););
    match &v.shape {
        Shape::Unit => quote!(Self::#ident => { #name }),
        Shape::Skipped => quote!(Self::#ident { .. } => { #name }),
        Shape::Content(None) => quote!(Self::#ident(..) => { #name }),
        Shape::Content(Some(skip_if)) => {
            let write = entry("content", &quote!(content));
            let write = match skip_if {
                Some(path) => quote!(if !#path(content) { #write }),
                None => write,
            };
            quote!(Self::#ident(content) => { #name #write })
        }
        Shape::Named(fields) => {
            let idents = fields.iter().map(|f| &f.ident);
            let writes = fields.iter().map(|f| {
                let ident = &f.ident;
                field(f, quote!(#ident))
            });
            quote!(Self::#ident { #(#idents,)* .. } => { #name #(#writes)* })
        }
    }
}

/// Starts loading what writing `value` (a `&T` expression) reads, when its
/// type has `WriteJson` (nothing through `Serialize`).
fn prefetch_entry(value: &TokenStream) -> TokenStream {
    quote! {{
        #[allow(unused_imports)]
        use ::analyzer_core::__private::{ViaSerialize as _, ViaWriteJson as _};
        (&::analyzer_core::__private::Field(#value)).prefetch_field();
    }}
}

/// The prefetches of the fields written directly (not flattened ones).
fn prefetch_fields<'a>(
    fields: impl Iterator<Item = &'a WriteField>,
    value: impl Fn(&syn::Ident) -> TokenStream,
) -> Vec<TokenStream> {
    fields
        .filter(|f| !f.flatten)
        .map(|f| prefetch_entry(&value(&f.ident)))
        .collect()
}

/// `Protocol::prefetch`: each written field's `WriteJson::prefetch`.
pub fn prefetch(write: &Write) -> TokenStream {
    let body = match write {
        Write::Struct(fields) => {
            let prefetches = prefetch_fields(fields.iter(), |ident| {
                let span = ident.span();
                quote_spanned!(span=> &self.#ident)
            });
            quote!(#(#prefetches)*)
        }
        Write::Enum(variants) => {
            let arms = variants.iter().map(|v| {
                let ident = &v.ident;
                match &v.shape {
                    Shape::Content(Some(_)) => {
                        let prefetch = prefetch_entry(&quote!(content));
                        quote!(Self::#ident(content) => { #prefetch })
                    }
                    Shape::Named(fields) => {
                        let idents = fields.iter().map(|f| &f.ident);
                        let prefetches = prefetch_fields(fields.iter(), |ident| quote!(#ident));
                        quote!(Self::#ident { #(#idents,)* .. } => { #(#prefetches)* })
                    }
                    _ => quote!(Self::#ident { .. } => {}),
                }
            });
            quote!(#[allow(unused_variables)] match self { #(#arms)* })
        }
    };
    quote! {
        #[inline]
        fn prefetch(&self) {
            #body
        }
    }
}

pub fn write_fields(write: &Write) -> TokenStream {
    let body = match write {
        Write::Struct(fields) => {
            let writes = fields.iter().map(|f| {
                let ident = &f.ident;
                let span = ident.span();
                field(f, quote_spanned!(span=> &self.#ident))
            });
            quote!(#(#writes)*)
        }
        Write::Enum(variants) => {
            let arms = variants.iter().map(variant);
            quote!(match self { #(#arms)* })
        }
    };
    quote! {
        #[inline]
        fn write_fields(&self, __analyzer_out: &mut ::analyzer_core::JsonFields<'_>) {
            #body
        }
    }
}
