//! `#[protocol(fast_json)]`: `__own_fields_json`, the protocol's own
//! fields written as JSON without serde's generic path. The constant parts
//! (braces, keys) are byte strings made here; each field is written by
//! `analyzer_core` (`__private::Field`: directly for the types it knows,
//! through `Serialize` otherwise), and the `<name>: {"request": ..,
//! "response": ..}` around the messages by `__private::own_fields_json`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::{LitByteStr, LitStr};

use crate::valid::FastJson;

/// A JSON key or string as `serde_json` writes it. An identifier holds no
/// quote, backslash or control character, so nothing in one is escaped.
fn quoted(name: &str) -> String {
    debug_assert!(!name.contains(|c: char| c == '"' || c == '\\' || c.is_control()));
    format!("\"{name}\"")
}

fn bytes(text: &str) -> LitByteStr {
    LitByteStr::new(text.as_bytes(), Span::call_site())
}

/// `name` is the protocol's name, valid (plain lowercase ASCII).
pub fn fast_json(name: &LitStr, fast_json: Option<&FastJson>) -> TokenStream {
    let Some(shape) = fast_json else {
        return TokenStream::new();
    };
    let open = bytes(&format!(",{}:{{", quoted(&name.value())));
    let [request, response, out, message, field] =
        ["__request", "__response", "__out", "__message", "__field"]
            .map(|name| Ident::new(name, Span::call_site()));
    let private = quote!(::analyzer_core::__private);
    let write = |value: TokenStream| quote!((&#private::Field(#value)).write_field(#out)?;);
    let body = match shape {
        FastJson::Struct(fields) if fields.is_empty() => quote!(#out.extend_from_slice(b"{}");),
        FastJson::Struct(fields) => {
            let fields = fields.iter().enumerate().map(|(i, (member, key))| {
                let open = bytes(&format!(
                    "{}{}:",
                    if i == 0 { "{" } else { "," },
                    quoted(key)
                ));
                let value = write(quote!(&#message.#member));
                quote!(#out.extend_from_slice(#open); #value)
            });
            quote!(#(#fields)* #out.push(b'}');)
        }
        FastJson::Enum(variants) => {
            let arms = variants.iter().map(|(ident, name, newtype)| {
                if *newtype {
                    let open = bytes(&format!("{{{}:", quoted(name)));
                    let value = write(quote!(#field));
                    quote! {
                        Self::#ident(#field) => {
                            #out.extend_from_slice(#open);
                            #value
                            #out.push(b'}');
                        }
                    }
                } else {
                    let text = bytes(&quoted(name));
                    quote!(Self::#ident => #out.extend_from_slice(#text),)
                }
            });
            quote!(match #message { #(#arms)* })
        }
    };
    quote! {
        // `(&Field(..))`: the borrow picks `ViaWriteJson` where it applies.
        #[allow(clippy::needless_borrow)]
        fn __own_fields_json(
            #request: ::core::option::Option<&Self>,
            #response: ::core::option::Option<&Self>,
            #out: &mut ::std::vec::Vec<::core::primitive::u8>,
        ) -> ::core::result::Result<(), #private::Unsupported> {
            #[allow(unused_imports)]
            use #private::{ViaSerialize as _, ViaWriteJson as _};
            #private::own_fields_json(
                #open,
                #request,
                #response,
                #out,
                |#message: &Self, #out: &mut ::std::vec::Vec<::core::primitive::u8>| {
                    #body
                    ::core::result::Result::Ok(())
                },
            )
        }
    }
}
