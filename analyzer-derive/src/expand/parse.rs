//! `fn parse` and `fn kind`.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ExprPath, Ident, LitByteStr, Member, Type};

use super::at;
use crate::ast::Field;
use crate::attr::{Role, SelectorKind, SelectorValue, TagEntry};
use crate::valid::{KindFrom, Parse, Selected};

/// Reserved-looking names for the locals: a `const rest` in the user's scope
/// would otherwise turn a binding into a pattern.
fn local(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

pub fn parse(parse: &Parse) -> TokenStream {
    let [payload, direction] = ["__payload", "__direction"].map(local);
    let body = match parse {
        Parse::With(path) => call(path, quote!(#payload, #direction)),
        Parse::Tagged { tag, tags, body } => tagged(&payload, tag, tags, body),
        Parse::Variants { by, variants } => selected(&payload, *by, variants),
    };
    // Inlined into the engine's loop: a parsed message then stays in
    // registers instead of round-tripping through memory.
    quote! {
        #[inline]
        fn parse(
            #payload: ::analyzer_core::__private::Bytes,
            #direction: ::analyzer_core::Direction,
        ) -> ::core::result::Result<Self, ::analyzer_core::ParseError> {
            #body
        }
    }
}

pub fn kind(kind: &KindFrom) -> TokenStream {
    let body = match kind {
        KindFrom::Field(field) => field_of_self(field),
        KindFrom::With(path) => call_on_self(path),
        KindFrom::Variants(roles) => {
            let arms = roles.iter().map(|(ident, role)| {
                let role = role_path(*role);
                quote!(Self::#ident { .. } => #role,)
            });
            quote!(match self { #(#arms)* })
        }
    };
    quote! {
        fn kind(&self) -> ::analyzer_core::Kind {
            #body
        }
    }
}

/// `path(args)`, located at the path: a function with the wrong signature
/// is reported there.
pub fn call(path: &ExprPath, args: TokenStream) -> TokenStream {
    quote_spanned!(at(path.span())=> #path(#args))
}

/// `path(self)`, all located at the path: a function taking another type is
/// reported there too.
pub fn call_on_self(path: &ExprPath) -> TokenStream {
    let span = at(path.span());
    quote_spanned!(span=> #path(self))
}

fn role_path(role: Role) -> TokenStream {
    match role {
        Role::Request => quote!(::analyzer_core::Kind::Request),
        Role::Response => quote!(::analyzer_core::Kind::Response),
        Role::Error => quote!(::analyzer_core::Kind::Error),
    }
}

/// `self.field`, located at the field's type: a type that merely shares the
/// name `Kind` gets its type errors pointed there.
fn field_of_self(field: &Field) -> TokenStream {
    let member = member_at(&field.member, at(field.ty.span()));
    quote_spanned!(at(field.ty.span())=> self.#member)
}

fn member_at(member: &Member, span: Span) -> Member {
    let mut member = member.clone();
    match &mut member {
        Member::Named(ident) => ident.set_span(span),
        Member::Unnamed(index) => index.span = span,
    }
    member
}

/// `<Type as From<Bytes>>::from`, located at the type: a type that merely
/// shares the name `NetString` or `Bytes` gets its errors pointed there.
fn from_bytes(ty: &Type) -> TokenStream {
    quote_spanned!(ty.span()=>
        <#ty as ::core::convert::From<::analyzer_core::__private::Bytes>>::from
    )
}

fn tagged(payload: &Ident, tag: &Field, tags: &[TagEntry], body: &Field) -> TokenStream {
    let [kind, rest] = ["__kind", "__rest"].map(local);
    let tags = tags.iter().map(|entry| {
        let byte = &entry.byte;
        let role = role_path(entry.role);
        quote!((#byte, #role))
    });
    let tag_member = member_at(&tag.member, at(tag.ty.span()));
    let mut kind_value = kind.clone();
    kind_value.set_span(at(tag.ty.span()));
    let body_member = &body.member;
    let body_value = from_bytes(body.ty);
    quote! {
        let (#kind, #rest) = ::analyzer_core::__private::split_tag(
            #payload,
            &[#(#tags),*],
        )?;
        ::core::result::Result::Ok(Self {
            #tag_member: #kind_value,
            #body_member: #body_value(#rest),
        })
    }
}

fn selected(payload: &Ident, by: SelectorKind, variants: &[Selected]) -> TokenStream {
    let rest = local("__rest");
    let values = variants.iter().map(|variant| match variant.value {
        SelectorValue::Byte(byte) => quote!(#byte),
        SelectorValue::Keyword(word) => {
            let bytes = LitByteStr::new(word.value().as_bytes(), word.span());
            quote!(#bytes)
        }
    });
    let matcher = match by {
        SelectorKind::Tag => quote!(::analyzer_core::__private::match_tag),
        SelectorKind::Keyword => quote!(::analyzer_core::__private::match_keyword),
    };
    let arms = variants.iter().enumerate().map(|(i, variant)| {
        let index = Literal::usize_suffixed(i);
        let ident = variant.ident;
        match variant.body {
            Some(field) => {
                let value = from_bytes(&field.ty);
                quote! {
                    (#index, #rest) => ::core::result::Result::Ok(Self::#ident(#value(#rest))),
                }
            }
            None => quote! {
                (#index, _) => ::core::result::Result::Ok(Self::#ident),
            },
        }
    });
    quote! {
        match #matcher(#payload, &[#(#values),*])? {
            #(#arms)*
            _ => ::core::result::Result::Err(::analyzer_core::ParseError::Invalid(
                ::core::convert::From::from("no variant for the matched selector"),
            )),
        }
    }
}
