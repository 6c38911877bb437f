//! `const FRAMING`.

use proc_macro2::{Literal, Span, TokenStream};
use quote::quote;
use syn::LitByteStr;

use crate::attr::Side;
use crate::valid::{Framing, LengthPrefix, Lines};

pub fn framing(framing: &Framing) -> TokenStream {
    match framing {
        Framing::Delimiter(delimiter) => {
            let delimiter = LitByteStr::new(delimiter, Span::call_site());
            quote!(::analyzer_core::Framing::Delimiter(#delimiter))
        }
        Framing::Lines(lines_framing) => {
            let lines = lines(lines_framing);
            quote!(::analyzer_core::Framing::Lines(#lines))
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

/// `Lines::new(delimiter)` and a builder call for each thing declared.
fn lines(lines: &Lines) -> TokenStream {
    let bytes = |s: &[u8]| LitByteStr::new(s, Span::call_site());
    let side = |side: &Option<Side>| {
        side.map(|side| match side {
            Side::Client => quote!(.from(::analyzer_core::Direction::FromClient)),
            Side::Server => quote!(.from(::analyzer_core::Direction::FromServer)),
        })
    };
    let delimiter = bytes(lines.delimiter);
    let mut out = quote!(::analyzer_core::framing::Lines::new(#delimiter));
    if let Some(max) = lines.max_line {
        let max = Literal::usize_unsuffixed(max);
        out.extend(quote!(.max_line(#max)));
    }
    if lines.bare_end {
        out.extend(quote!(.bare_end()));
    }
    if lines.exact_case {
        out.extend(quote!(.exact_case()));
    }
    if !lines.blocks.is_empty() {
        let blocks = lines.blocks.iter().map(|block| {
            let after = block.after.iter().map(|w| bytes(w.as_bytes()));
            let word = Literal::usize_unsuffixed(block.length_word);
            let max_len = block.max_len.map(|max| {
                let max = Literal::u64_unsuffixed(max);
                quote!(.max_len(#max))
            });
            let from = side(&block.from);
            quote!(::analyzer_core::framing::Block::new(&[#(#after),*], #word) #max_len #from)
        });
        out.extend(quote!(.blocks(&[#(#blocks),*])));
    }
    if !lines.parts.is_empty() {
        let parts = lines.parts.iter().map(|parts| {
            let keyword = bytes(parts.keyword.as_bytes());
            let until = parts.until.as_ref().map(|until| {
                let until = bytes(until.as_bytes());
                quote!(.until(#until))
            });
            let max = parts.max.map(|max| {
                let max = Literal::usize_unsuffixed(max);
                quote!(.max_parts(#max))
            });
            let from = side(&parts.from);
            quote!(::analyzer_core::framing::Parts::new(#keyword) #until #max #from)
        });
        out.extend(quote!(.parts(&[#(#parts),*])));
    }
    out
}
