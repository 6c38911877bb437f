//! The expansion: an `impl ::analyzer_core::Protocol` that declares the
//! protocol's constants and calls into `analyzer_core` (framers, tag and
//! keyword matching, the JSON writer) and into the protocol's own functions
//! for the rest, and an empty `impl ::analyzer_core::Conversation` unless
//! the type writes its own. `framing.rs` writes the framer, `read.rs`
//! `parse` and `kind`, `write.rs` `write_fields`.

mod framing;
mod read;
mod write;

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
            let fallback = fallback(node, input.attrs.conversation.is_none());
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
    let (framer_type, framer) = framing::framer(&checked.framing);
    let parse = read::parse(&checked.read);
    let kind = read::kind(&checked.kind);
    let write = write::write_fields(&checked.write);
    let prefetch = write::prefetch(&checked.write);
    let conversation = (!checked.conversation).then(|| {
        quote! {
            #[automatically_derived]
            impl ::analyzer_core::Conversation for #ident {
                type Session = ();
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl ::analyzer_core::Protocol for #ident {
            const NAME: &'static ::core::primitive::str = #name;
            const DEFAULT_PORTS: &'static [::core::primitive::u16] = &[#(#ports),*];
            type Framer = #framer_type;

            #[inline]
            fn framer(_direction: ::analyzer_core::Direction) -> Self::Framer {
                #framer
            }

            #parse
            #kind
            #write
            #prefetch
        }
        #conversation
    }
}

/// An impl that type-checks but is never run (the crate does not compile),
/// emitted next to the errors. None for generic inputs, which would need
/// bounds we cannot know, nor for unions.
fn fallback(node: &DeriveInput, conversation: bool) -> TokenStream {
    if !node.generics.params.is_empty() || matches!(node.data, Data::Union(_)) {
        return TokenStream::new();
    }
    let ident = &node.ident;
    let conversation = conversation.then(|| {
        quote! {
            #[automatically_derived]
            impl ::analyzer_core::Conversation for #ident {
                type Session = ();
            }
        }
    });
    quote! {
        #conversation
        #[automatically_derived]
        impl ::analyzer_core::Protocol for #ident {
            const NAME: &'static ::core::primitive::str = "";
            const DEFAULT_PORTS: &'static [::core::primitive::u16] = &[];
            type Framer = ::analyzer_core::framing::Delimiter;

            fn framer(_direction: ::analyzer_core::Direction) -> Self::Framer {
                ::core::unreachable!()
            }

            fn parse(
                _frame: ::analyzer_core::__private::Bytes,
                _cx: &::analyzer_core::Cx<'_, Self>,
            ) -> ::core::result::Result<Self, ::analyzer_core::ParseError> {
                ::core::unreachable!()
            }

            fn kind(&self) -> ::core::option::Option<::analyzer_core::Kind> {
                ::core::unreachable!()
            }

            fn write_fields(&self, _out: &mut ::analyzer_core::JsonFields<'_>) {}
        }
    }
}
