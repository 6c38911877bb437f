//! `#[protocol(name = "...", ports(...), fast_json)]`.

use proc_macro2::TokenStream;
use syn::punctuated::Punctuated;
use syn::{parenthesized, Attribute, Ident, LitInt, LitStr, Token};

use super::{skip_value, unknown_key, value, Parsed};
use crate::ctxt::Ctxt;

/// `#[protocol(name = "...", ports(...), fast_json)]`.
pub struct ProtocolAttr<'a> {
    pub original: &'a Attribute,
    pub name: Option<Parsed<LitStr>>,
    pub ports: Vec<LitInt>,
    /// The `fast_json` key, for spans.
    pub fast_json: Option<Ident>,
}

pub fn protocol<'a>(cx: &mut Ctxt, attr: &'a Attribute) -> ProtocolAttr<'a> {
    let mut out = ProtocolAttr {
        original: attr,
        name: None,
        ports: Vec::new(),
        fast_json: None,
    };
    let mut seen_ports = false;
    let result = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("name") {
            let name = value::<LitStr>(cx, &meta, "expected a string literal like `\"echo\"`")?;
            if out.name.is_some() {
                cx.push(meta.error("duplicate `name` in #[protocol]"));
            } else {
                out.name = Some(name);
            }
        } else if meta.path.is_ident("ports") {
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
            if seen_ports {
                cx.push(meta.error("duplicate `ports` in #[protocol]"));
            } else {
                seen_ports = true;
                out.ports.extend(ports);
            }
            // The rest of a list that did not parse.
            content.parse::<TokenStream>()?;
        } else if meta.path.is_ident("fast_json") {
            if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
                cx.push(meta.error("`fast_json` takes no value"));
                skip_value(&meta)?;
            }
            if out.fast_json.is_some() {
                cx.push(meta.error("duplicate `fast_json` in #[protocol]"));
            } else {
                out.fast_json = meta.path.get_ident().cloned();
            }
        } else {
            cx.push(unknown_key(
                &meta,
                "protocol",
                "`name`, `ports` or `fast_json`",
            ));
            skip_value(&meta)?;
        }
        Ok(())
    });
    if let Err(error) = result {
        cx.push(error);
        out.name.get_or_insert(Parsed::Invalid);
    }
    out
}
