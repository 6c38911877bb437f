//! `const FRAMING`.

use proc_macro2::{Literal, Span, TokenStream};
use quote::quote;
use syn::LitByteStr;

use crate::valid::{Framing, LengthPrefix};

pub fn framing(framing: &Framing) -> TokenStream {
    match framing {
        Framing::Delimiter(delimiter) => {
            let delimiter = LitByteStr::new(delimiter, Span::call_site());
            quote!(::analyzer_core::Framing::Delimiter(#delimiter))
        }
        Framing::LengthPrefix(prefix) => {
            let prefix = length_prefix(prefix);
            quote!(::analyzer_core::Framing::LengthPrefixed(#prefix))
        }
        Framing::Custom {
            frame,
            sync,
            resume,
        } => {
            let sync = LitByteStr::new(sync, Span::call_site());
            let resume = match resume {
                Some(path) => quote!(::core::option::Option::Some(#path)),
                None => quote!(::core::option::Option::None),
            };
            quote! {
                ::analyzer_core::Framing::Custom(::analyzer_core::framing::CustomFraming {
                    frame: #frame,
                    sync: #sync,
                    resume: #resume,
                })
            }
        }
    }
}

/// `LengthPrefix::new(width)` and a builder call for each key written.
fn length_prefix(prefix: &LengthPrefix) -> TokenStream {
    let width = Literal::usize_unsuffixed(prefix.width);
    let mut out = quote!(::analyzer_core::framing::LengthPrefix::new(#width));
    if let Some(offset) = prefix.offset {
        let offset = Literal::usize_unsuffixed(offset);
        out.extend(quote!(.offset(#offset)));
    }
    if let Some((negative, value)) = prefix.adjust {
        let value = Literal::u64_unsuffixed(value);
        let sign = negative.then(|| quote!(-));
        out.extend(quote!(.adjust(#sign #value)));
    }
    if let Some(skip) = prefix.skip {
        let skip = Literal::usize_unsuffixed(skip);
        out.extend(quote!(.skip(#skip)));
    }
    if let Some(max) = prefix.max_frame {
        let max = Literal::usize_unsuffixed(max);
        out.extend(quote!(.max_frame(#max)));
    }
    if prefix.little_endian {
        out.extend(quote!(.little_endian()));
    }
    out
}
