//! What `#[delimiter]` framing can add: `#[block(...)]` (a data block after
//! some lines, its byte count written on the line) and `#[parts(...)]` (a
//! multi-part message up to a terminator line). Each may be given several
//! times.

use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{parenthesized, Attribute, Ident, LitInt, LitStr, Token};

use super::{skip_value, unknown_key, Parsed};
use crate::ctxt::Ctxt;

/// `#[block(after("set", "add"), length_word(4))]`.
///
/// The values are in parentheses, not after `=`: the attribute is repeated,
/// and clippy's `duplicated_attributes` takes a repeated `key = value` in
/// repeated attributes for a duplicate.
pub struct BlockAttr<'a> {
    pub original: &'a Attribute,
    /// The first words of the lines followed by a block.
    pub after: Option<Vec<LitStr>>,
    /// Which word of the line holds the byte count.
    pub length_word: Option<Parsed<LitInt>>,
}

/// `#[parts("VALUE", until("END"), max(1000))]`.
pub struct PartsAttr<'a> {
    pub original: &'a Attribute,
    pub keyword: LitStr,
    pub until: Option<LitStr>,
    pub max: Option<LitInt>,
}

pub fn block<'a>(cx: &mut Ctxt, attr: &'a Attribute) -> Option<BlockAttr<'a>> {
    let mut out = BlockAttr {
        original: attr,
        after: None,
        length_word: None,
    };
    let result = attr.parse_nested_meta(|meta| {
        let key = meta.path.get_ident().map(ToString::to_string);
        match key.as_deref() {
            Some("after") => {
                let content;
                parenthesized!(content in meta.input);
                let words = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                if out.after.is_some() {
                    cx.push(meta.error("duplicate `after` in #[block]"));
                } else {
                    out.after = Some(words.into_iter().collect());
                }
                Ok(())
            }
            Some("length_word") => {
                let content;
                parenthesized!(content in meta.input);
                let parsed = match content.parse::<LitInt>() {
                    Ok(lit) if content.is_empty() => Parsed::Valid(lit),
                    _ => {
                        cx.push(meta.error(
                            "expected which word holds the byte count, like `length_word(4)`",
                        ));
                        Parsed::Invalid
                    }
                };
                if out.length_word.is_some() {
                    cx.push(meta.error("duplicate `length_word` in #[block]"));
                } else {
                    out.length_word = Some(parsed);
                }
                Ok(())
            }
            _ => {
                cx.push(unknown_key(
                    &meta,
                    "block",
                    "`after(...)` or `length_word(...)`",
                ));
                skip_value(&meta)
            }
        }
    });
    match result {
        Ok(()) => Some(out),
        Err(error) => {
            cx.push(error);
            None
        }
    }
}

pub fn parts<'a>(cx: &mut Ctxt, attr: &'a Attribute) -> Option<PartsAttr<'a>> {
    const EXPECTED: &str = "expected the first word of the parts, then their terminator, \
                            like #[parts(\"VALUE\", until(\"END\"))]";
    let result = attr.parse_args_with(|input: ParseStream| {
        let keyword: LitStr = input
            .parse()
            .map_err(|error| syn::Error::new(error.span(), EXPECTED))?;
        let (mut until, mut max) = (None, None);
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            let content;
            parenthesized!(content in input);
            let duplicate = match key.to_string().as_str() {
                "until" => until.replace(content.parse::<LitStr>()?).is_some(),
                "max" => max.replace(content.parse::<LitInt>()?).is_some(),
                _ => {
                    let message = format!(
                        "unknown key `{key}` in #[parts]; expected `until(...)` or `max(...)`"
                    );
                    return Err(syn::Error::new(key.span(), message));
                }
            };
            if duplicate {
                let message = format!("duplicate `{key}` in #[parts]");
                return Err(syn::Error::new(key.span(), message));
            }
        }
        Ok((keyword, until, max))
    });
    match result {
        Ok((keyword, until, max)) => Some(PartsAttr {
            original: attr,
            keyword,
            until,
            max,
        }),
        Err(error) => {
            cx.push(error);
            None
        }
    }
}
