//! `parse` and `kind`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{LitByte, LitByteStr};

use super::at;
use crate::attr::Role;
use crate::valid::{Kind, Read};

fn role(role: Role) -> TokenStream {
    let variant = format_ident!("{}", role.variant());
    quote!(::analyzer_core::Kind::#variant)
}

pub fn parse(read: &Read) -> TokenStream {
    let body = match read {
        Read::Tag { kind, body, tags } => {
            let tags = tags.iter().map(|(byte, r)| {
                let byte = LitByte::new(*byte, Span::call_site());
                let r = role(*r);
                quote!((#byte, #r))
            });
            quote! {
                let (#kind, rest) = ::analyzer_core::__private::split_tag(frame, &[#(#tags),*])?;
                ::core::result::Result::Ok(Self { #kind, #body: ::core::convert::From::from(rest) })
            }
        }
        Read::Variants { keyword, arms } => {
            let cases = arms.iter().enumerate().map(|(i, arm)| {
                let variant = &arm.variant;
                if arm.field {
                    quote!((#i, rest) => ::core::result::Result::Ok(Self::#variant(::core::convert::From::from(rest))))
                } else {
                    quote!((#i, _) => ::core::result::Result::Ok(Self::#variant))
                }
            });
            let unknown = quote! {
                _ => ::core::result::Result::Err(::analyzer_core::ParseError::invalid("no such variant"))
            };
            if *keyword {
                let words = arms
                    .iter()
                    .map(|a| LitByteStr::new(&a.value, Span::call_site()));
                quote! {
                    match ::analyzer_core::__private::match_keyword(frame, &[#(#words),*])? {
                        #(#cases,)*
                        #unknown
                    }
                }
            } else {
                let bytes = arms
                    .iter()
                    .map(|a| LitByte::new(a.value[0], Span::call_site()));
                quote! {
                    match ::analyzer_core::__private::match_tag(frame, &[#(#bytes),*])? {
                        #(#cases,)*
                        #unknown
                    }
                }
            }
        }
        Read::Parse(path) => quote_spanned!(at(path.span())=> #path(frame, cx)),
        Read::Nom(path) => quote_spanned! {at(path.span())=>
            ::analyzer_core::__private::nom_complete(#path, &frame, cx)
        },
    };
    let cx = match read {
        Read::Parse(_) | Read::Nom(_) => quote!(cx),
        _ => quote!(_cx),
    };
    quote! {
        #[inline]
        fn parse(
            frame: ::analyzer_core::__private::Bytes,
            #cx: &::analyzer_core::Cx<'_, Self>,
        ) -> ::core::result::Result<Self, ::analyzer_core::ParseError> {
            #body
        }
    }
}

pub fn kind(kind: &Kind) -> TokenStream {
    let body = match kind {
        Kind::Field(field) => quote!(::core::option::Option::Some(self.#field)),
        Kind::Variants(arms) => {
            let arms = arms.iter().map(|(variant, r)| {
                let r = role(*r);
                quote!(Self::#variant { .. } => #r)
            });
            quote!(::core::option::Option::Some(match self { #(#arms,)* }))
        }
        Kind::Conversation => quote!(<Self as ::analyzer_core::Conversation>::role(self)),
    };
    quote! {
        #[inline]
        fn kind(&self) -> ::core::option::Option<::analyzer_core::Kind> {
            #body
        }
    }
}
