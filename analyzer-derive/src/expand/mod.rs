//! The expansion: an `impl ::analyzer_core::Protocol` that declares the
//! protocol's constants and calls into `analyzer_core` (framing, tag and
//! keyword matching) and into the protocol's own functions for the rest.
//! `framing.rs` writes `FRAMING`, `parse.rs` `parse` and `kind`, `hooks.rs`
//! the optional methods, `json.rs` the JSON writer of `fast_json`.

mod framing;
mod hooks;
mod json;
mod parse;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Data, DeriveInput};

use crate::ast::Input;
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

/// A span that resolves like the rest of the expansion (at the call site)
/// but points at `span` in error messages: type errors in what the user
/// wrote (a field's type, a function's signature) are reported there.
fn at(span: Span) -> Span {
    Span::call_site().located_at(span)
}

fn impl_protocol(checked: &Checked) -> TokenStream {
    let Checked {
        ident, name, ports, ..
    } = checked;
    let framing = framing::framing(&checked.framing);
    let parse = parse::parse(&checked.parse);
    let kind = parse::kind(&checked.kind);
    let hooks = hooks::hooks(&checked.hooks);
    let fast_json = json::fast_json(name, checked.fast_json.as_ref());
    quote! {
        #[automatically_derived]
        impl ::analyzer_core::Protocol for #ident {
            const NAME: &'static ::core::primitive::str = #name;
            const DEFAULT_PORTS: &'static [::core::primitive::u16] = &[#(#ports),*];
            const FRAMING: ::analyzer_core::Framing = #framing;
            #parse
            #kind
            #hooks
            #fast_json
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
            const NAME: &'static ::core::primitive::str = "";
            const DEFAULT_PORTS: &'static [::core::primitive::u16] = &[];
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
