//! The expansion: an `impl ::analyzer_core::Protocol` that declares the
//! protocol's constants and calls into `analyzer_core` for the framing logic.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Ident, LitByteStr};

use crate::ast::Input;
use crate::attr::TagKind;
use crate::ctxt::Ctxt;
use crate::valid::{self, Checked};

/// Runs the pipeline: parse into the AST, validate, expand. On errors, emits
/// them all plus a placeholder impl, so that uses of the type as a
/// `Protocol` elsewhere do not add errors of their own.
pub fn derive(node: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let input = Input::from_syn(&mut cx, node);
    let checked = valid::validate(&mut cx, &input);
    match (cx.finish(), checked) {
        (Ok(()), Some(checked)) => impl_protocol(&checked),
        (Err(errors), _) => {
            let errors = errors.to_compile_error();
            let fallback = fallback(node);
            quote!(#errors #fallback)
        }
        (Ok(()), None) => unreachable!("validation failed without reporting an error"),
    }
}

fn impl_protocol(checked: &Checked) -> TokenStream {
    let Checked {
        ident,
        name,
        ports,
        delimiter,
        tag,
        tags,
        body,
    } = checked;
    let delimiter = LitByteStr::new(delimiter, Span::call_site());
    let tags = tags.iter().map(|entry| {
        let byte = &entry.byte;
        let kind = match entry.kind {
            TagKind::Request => quote!(Request),
            TagKind::Response => quote!(Response),
            TagKind::Error => quote!(Error),
        };
        quote!((#byte, ::analyzer_core::Kind::#kind))
    });
    let body_ident = body.ident;
    // Reserved-looking names for the locals: a `const rest` in the user's
    // scope would otherwise turn a binding into a pattern.
    let [payload, kind, rest] =
        ["__payload", "__kind", "__rest"].map(|name| Ident::new(name, Span::call_site()));
    // The uses of the tag and body values are located at the fields' types
    // (same names, same hygiene), so that a type that merely shares the name
    // (`Kind`, `NetString`, `Bytes`) gets its type errors pointed there.
    let at_tag_ty = Span::call_site().located_at(tag.ty.span());
    let mut kind_value = kind.clone();
    kind_value.set_span(at_tag_ty);
    let mut tag_ident = tag.ident.clone();
    tag_ident.set_span(at_tag_ty);
    let kind_of_self = quote_spanned!(at_tag_ty=> self.#tag_ident);
    let body_ty = body.ty;
    let body_value = quote_spanned!(body_ty.span()=>
        <#body_ty as ::core::convert::From<::analyzer_core::__private::Bytes>>::from
    );
    quote! {
        #[automatically_derived]
        impl ::analyzer_core::Protocol for #ident {
            const NAME: &'static str = #name;
            const DEFAULT_PORTS: &'static [u16] = &[#(#ports),*];
            const FRAMING: ::analyzer_core::Framing =
                ::analyzer_core::Framing::Delimiter(#delimiter);

            fn parse(
                #payload: ::analyzer_core::__private::Bytes,
                _direction: ::analyzer_core::Direction,
            ) -> ::core::result::Result<Self, ::analyzer_core::ParseError> {
                let (#kind, #rest) = ::analyzer_core::__private::split_tag(
                    #payload,
                    &[#(#tags),*],
                )?;
                ::core::result::Result::Ok(Self {
                    #tag_ident: #kind_value,
                    #body_ident: #body_value(#rest),
                })
            }

            fn kind(&self) -> ::analyzer_core::Kind {
                #kind_of_self
            }
        }
    }
}

/// An impl that type-checks but is never run (the crate does not compile),
/// emitted next to the errors. None for generic inputs, which would need
/// bounds we cannot know, nor for unions, which cannot be `Serialize`.
fn fallback(node: &DeriveInput) -> TokenStream {
    if !node.generics.params.is_empty() || matches!(node.data, Data::Union(_)) {
        return TokenStream::new();
    }
    let ident = &node.ident;
    quote! {
        #[automatically_derived]
        impl ::analyzer_core::Protocol for #ident {
            const NAME: &'static str = "";
            const DEFAULT_PORTS: &'static [u16] = &[];
            const FRAMING: ::analyzer_core::Framing = ::analyzer_core::Framing::Delimiter(b"\n");

            fn parse(
                _payload: ::analyzer_core::__private::Bytes,
                _direction: ::analyzer_core::Direction,
            ) -> ::core::result::Result<Self, ::analyzer_core::ParseError> {
                ::core::unreachable!()
            }

            fn kind(&self) -> ::analyzer_core::Kind {
                ::core::unreachable!()
            }
        }
    }
}
