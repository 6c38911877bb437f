//! The framer: its type and the value each direction starts with.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::LitByteStr;

use super::at;
use crate::attr::Side;
use crate::valid::{CheckedBlock, CheckedFraming, CheckedLength, CheckedParts};

fn bytes(value: &[u8]) -> LitByteStr {
    LitByteStr::new(value, Span::call_site())
}

fn side(side: Option<Side>) -> Option<TokenStream> {
    side.map(|side| match side {
        Side::Client => quote!(.from(::analyzer_core::Direction::FromClient)),
        Side::Server => quote!(.from(::analyzer_core::Direction::FromServer)),
    })
}

/// The framer's type, and an expression making one.
pub fn framer(framing: &CheckedFraming) -> (TokenStream, TokenStream) {
    match framing {
        CheckedFraming::Delimiter(delimiter) => {
            let delimiter = bytes(delimiter);
            (
                quote!(::analyzer_core::framing::Delimiter),
                quote!(::analyzer_core::framing::Delimiter::new(#delimiter)),
            )
        }
        CheckedFraming::Lines {
            delimiter,
            max_line,
            bare_end,
            exact_case,
            blocks,
            parts,
        } => {
            let delimiter = bytes(delimiter);
            let max_line = max_line.as_ref().map(|max| quote!(.max_line(#max)));
            let bare_end = bare_end.then(|| quote!(.bare_end()));
            let exact_case = exact_case.then(|| quote!(.exact_case()));
            let blocks = blocks.iter().map(block);
            let parts = parts.iter().map(self::parts);
            (
                quote!(::analyzer_core::framing::Lines),
                quote! {{
                    const LINES: ::analyzer_core::framing::Lines =
                        ::analyzer_core::framing::Lines::new(#delimiter)
                            #max_line #bare_end #exact_case
                            .blocks(&[#(#blocks),*])
                            .parts(&[#(#parts),*]);
                    LINES
                }},
            )
        }
        CheckedFraming::Length(length) => (
            quote!(::analyzer_core::framing::LengthPrefix),
            self::length(length),
        ),
        CheckedFraming::Framer(ty) => (
            quote!(#ty),
            quote_spanned!(at(ty.span())=> <#ty as ::core::default::Default>::default()),
        ),
        CheckedFraming::Nom(path) => (
            quote!(::analyzer_core::framing::Nom<Self>),
            quote_spanned!(at(path.span())=> ::analyzer_core::framing::Nom::new(#path)),
        ),
    }
}

fn block(block: &CheckedBlock) -> TokenStream {
    let after = block.after.iter().map(|w| bytes(w.as_bytes()));
    let length_word = &block.length_word;
    let max_len = block.max_len.as_ref().map(|max| quote!(.max_len(#max)));
    let from = side(block.from);
    quote! {
        ::analyzer_core::framing::Block::new(&[#(#after),*], #length_word) #max_len #from
    }
}

fn parts(parts: &CheckedParts) -> TokenStream {
    let open = match &parts.keyword {
        Some(keyword) => {
            let keyword = bytes(keyword.as_bytes());
            quote!(::analyzer_core::framing::Parts::new(#keyword))
        }
        None => quote!(::analyzer_core::framing::Parts::reply_code()),
    };
    let until = parts.until.as_ref().map(|w| {
        let w = bytes(w.as_bytes());
        quote!(.until(#w))
    });
    let max = parts.max.as_ref().map(|max| quote!(.max_parts(#max)));
    let from = side(parts.from);
    quote!(#open #until #max #from)
}

fn length(length: &CheckedLength) -> TokenStream {
    let new = match (&length.width, &length.varint) {
        (Some(width), _) => quote!(::analyzer_core::framing::LengthPrefix::new(#width)),
        (None, Some(varint)) => quote!(::analyzer_core::framing::LengthPrefix::varint(#varint)),
        (None, None) => quote!(::analyzer_core::framing::LengthPrefix::new(4)),
    };
    let offset = length.offset.as_ref().map(|n| quote!(.offset(#n)));
    let adjust = length.adjust.map(|n| quote!(.adjust(#n)));
    let skip = length.skip.as_ref().map(|n| quote!(.skip(#n)));
    let max_frame = length.max_frame.as_ref().map(|n| quote!(.max_frame(#n)));
    let little = length.little_endian.then(|| quote!(.little_endian()));
    let counts = length.counts_itself.then(|| quote!(.counts_itself()));
    let plausible = length
        .plausible
        .as_ref()
        .map(|path| quote_spanned!(at(path.span())=> .plausible(#path)));
    quote! {{
        const LENGTH: ::analyzer_core::framing::LengthPrefix =
            #new #offset #adjust #skip #max_frame #little #counts #plausible;
        LENGTH
    }}
}
