//! The optional methods: `correlation_key`, `expects_response`,
//! `response_optional`, `describe`, `own_fields` and `__own_fields_json`
//! (`#[fields_json_with]`), each written only when
//! its attribute is (the trait's defaults stand otherwise).

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::at;
use super::parse::{call, call_on_self};
use crate::valid::{Correlation, Hooks};

/// The path of serde's `SerializeMap`, named in `own_fields`' signature.
fn serialize_map() -> TokenStream {
    quote!(::analyzer_core::__private::SerializeMap)
}

pub fn hooks(hooks: &Hooks) -> TokenStream {
    let mut out = TokenStream::new();
    if let Some(correlate) = &hooks.correlate {
        let key = match correlate {
            Correlation::Field(field) => {
                let member = &field.member;
                let value = quote_spanned!(at(field.ty.span())=>
                    ::core::convert::From::from(self.#member)
                );
                quote!(::core::option::Option::Some(#value))
            }
            Correlation::With(path) => call_on_self(path),
        };
        out.extend(quote! {
            fn correlation_key(
                &self,
            ) -> ::core::option::Option<::core::primitive::u64> {
                #key
            }
        });
    }
    if let Some(path) = hooks.no_response_if {
        let call = call_on_self(path);
        out.extend(quote! {
            fn expects_response(&self) -> ::core::primitive::bool {
                !#call
            }
        });
    }
    if let Some(path) = hooks.optional_response_if {
        let call = call_on_self(path);
        out.extend(quote! {
            fn response_optional(&self) -> ::core::primitive::bool {
                #call
            }
        });
    }
    if let Some(path) = hooks.describe_with {
        let call = call_on_self(path);
        out.extend(quote! {
            fn describe(&self) -> ::analyzer_core::Description<'_> {
                #call
            }
        });
    }
    if let Some(path) = hooks.fields_with {
        let [request, response, map, m] = ["__request", "__response", "__map", "__M"]
            .map(|name| Ident::new(name, Span::call_site()));
        let call = call(path, quote!(#request, #response, #map));
        let serialize_map = serialize_map();
        out.extend(quote! {
            fn own_fields<#m: #serialize_map>(
                #request: ::core::option::Option<&Self>,
                #response: ::core::option::Option<&Self>,
                #map: &mut #m,
            ) -> ::core::result::Result<(), <#m as #serialize_map>::Error> {
                #call
            }
        });
    }
    if let Some(path) = hooks.fields_json_with {
        let [request, response, out_bytes, fields] =
            ["__request", "__response", "__out", "__fields"]
                .map(|name| Ident::new(name, Span::call_site()));
        let call = call(path, quote!(#request, #response, &mut #fields));
        out.extend(quote! {
            fn __own_fields_json(
                #request: ::core::option::Option<&Self>,
                #response: ::core::option::Option<&Self>,
                #out_bytes: &mut ::std::vec::Vec<::core::primitive::u8>,
            ) -> ::core::result::Result<(), ::analyzer_core::__private::Unsupported> {
                let mut #fields = ::analyzer_core::__private::json_fields(#out_bytes);
                // `let ()`: a function returning anything (a `Result`
                // whose errors would be dropped) is refused here.
                let () = #call;
                ::analyzer_core::__private::json_fields_done(#fields)
            }
        });
    }
    out
}
