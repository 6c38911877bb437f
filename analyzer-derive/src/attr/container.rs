//! `#[protocol(...)]` on the type: `name`, `ports`, the framing, how a
//! frame is read (`parse`, `nom`), and `conversation`.

use proc_macro2::TokenStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{parenthesized, Attribute, Ident, LitInt, LitStr, Token};

use super::framing::{self, Block, Framing, Parts};
use super::{flag, key_of, once, skip_value, unknown_key, value};
use crate::ctxt::Ctxt;

/// Everything `#[protocol(...)]` said on the type (over one or several
/// attributes).
#[derive(Default)]
pub struct Container<'a> {
    /// The first `#[protocol]` attribute, for spans.
    pub first: Option<&'a Attribute>,
    pub name: Option<LitStr>,
    /// `ports(..)`, once given.
    pub ports: Option<Vec<LitInt>>,
    /// Every framing given, with the key's span: more than one is an error.
    pub framings: Vec<(proc_macro2::Span, Framing)>,
    pub max_line: Option<LitInt>,
    pub bare_end: Option<Ident>,
    pub exact_case: Option<Ident>,
    pub blocks: Vec<Block>,
    pub parts: Vec<Parts>,
    pub parse: Option<syn::Path>,
    pub nom: Option<syn::Path>,
    pub conversation: Option<Ident>,
}

const KEYS: &str = "`name`, `ports`, `delimiter`, `length`, `framer`, `max_line`, \
                    `bare_end`, `exact_case`, `block`, `parts`, `parse`, `nom` or `conversation`";

/// Parses every `#[protocol(...)]` on the type, ignoring other attributes.
pub fn container<'a>(cx: &mut Ctxt, attrs: &'a [Attribute]) -> Container<'a> {
    let mut out = Container::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("protocol")) {
        out.first.get_or_insert(attr);
        let result = attr.parse_nested_meta(|meta| {
            let key = key_of(&meta);
            match key.as_str() {
                "name" => {
                    let name = value(cx, &meta, "expected a string literal like `\"echo\"`")?;
                    once(cx, &mut out.name, &meta, name);
                }
                "ports" => {
                    let ports = ports(cx, &meta)?;
                    once(cx, &mut out.ports, &meta, Some(ports));
                }
                "delimiter" => {
                    let span = meta.path.span();
                    if let Some(framing) = framing::delimiter(cx, &meta)? {
                        out.framings.push((span, framing));
                    }
                }
                "length" => {
                    let span = meta.path.span();
                    if let Some(framing) = framing::length(cx, &meta)? {
                        out.framings.push((span, framing));
                    }
                }
                "framer" => {
                    let span = meta.path.span();
                    if let Some(framing) = framing::framer(cx, &meta)? {
                        out.framings.push((span, framing));
                    }
                }
                "max_line" => {
                    let max = value(cx, &meta, "expected an integer literal")?;
                    once(cx, &mut out.max_line, &meta, max);
                }
                "bare_end" | "exact_case" | "conversation" => {
                    flag(cx, &meta)?;
                    let ident = meta.path.get_ident().cloned();
                    let slot = match key.as_str() {
                        "bare_end" => &mut out.bare_end,
                        "exact_case" => &mut out.exact_case,
                        _ => &mut out.conversation,
                    };
                    once(cx, slot, &meta, ident);
                }
                "block" => out.blocks.push(framing::block(cx, &meta)?),
                "parts" => out.parts.push(framing::parts(cx, &meta)?),
                "parse" | "nom" => {
                    let expected = if key == "parse" {
                        "expected the path of a `fn(Bytes, &Cx<'_, Self>) -> Result<Self, ParseError>`"
                    } else {
                        "expected the path of a nom parser `fn(&[u8], &Cx<'_, Self>) -> IResult<&[u8], Self>`"
                    };
                    let path = value(cx, &meta, expected)?;
                    let slot = if key == "parse" {
                        &mut out.parse
                    } else {
                        &mut out.nom
                    };
                    once(cx, slot, &meta, path);
                }
                "tag" | "keyword" | "kind" | "skip" => {
                    cx.push(meta.error(format_args!(
                        "`{key}` belongs on a field or a variant, not on the type"
                    )));
                    skip_value(&meta)?;
                }
                _ => {
                    cx.push(unknown_key(&meta, "the type", KEYS));
                    skip_value(&meta)?;
                }
            }
            Ok(())
        });
        if let Err(error) = result {
            cx.push(error);
        }
    }
    out
}

/// `(3030, 4000)`.
fn ports(cx: &mut Ctxt, meta: &syn::meta::ParseNestedMeta) -> syn::Result<Vec<LitInt>> {
    let content;
    parenthesized!(content in meta.input);
    let ports = Punctuated::<LitInt, Token![,]>::parse_terminated(&content);
    let ports = ports.unwrap_or_else(|error| {
        cx.push(syn::Error::new(
            error.span(),
            "expected a port number like `3030`",
        ));
        Punctuated::new()
    });
    // The rest of a list that did not parse.
    content.parse::<TokenStream>()?;
    Ok(ports.into_iter().collect())
}
