//! What `#[delimiter]` framing can add: `#[block(...)]` (a data block after
//! some lines, its byte count written on the line) and `#[parts(...)]` (a
//! multi-part message). Each may be given several times.
//!
//! Their values are in parentheses (`length_word(4)`), not after `=`: the
//! attributes are repeated, and clippy's `duplicated_attributes` takes a
//! repeated `key = value` in repeated attributes for a duplicate.

use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{parenthesized, Attribute, Ident, LitInt, LitStr, Token};

use super::Parsed;
use crate::ctxt::Ctxt;

/// `#[block(after("set", "add"), length_word(4), max_len(2147483645), from(client))]`.
pub struct BlockAttr<'a> {
    pub original: &'a Attribute,
    /// The first words of the lines followed by a block.
    pub after: Option<Vec<LitStr>>,
    /// Which word of the line holds the byte count.
    pub length_word: Option<Parsed<LitInt>>,
    pub max_len: Option<LitInt>,
    pub from: Option<Side>,
}

/// `#[parts("VALUE", until("END"), max(1000), from(server))]`.
pub struct PartsAttr<'a> {
    pub original: &'a Attribute,
    pub keyword: LitStr,
    pub until: Option<LitStr>,
    pub max: Option<LitInt>,
    pub from: Option<Side>,
}

/// `from(client)` or `from(server)`: which side sends the lines.
#[derive(Clone, Copy)]
pub enum Side {
    Client,
    Server,
}

/// `(value)` after a key, as a `T`.
fn inner<T: syn::parse::Parse>(input: ParseStream) -> syn::Result<T> {
    let content;
    parenthesized!(content in input);
    let value = content.parse()?;
    if !content.is_empty() {
        return Err(content.error("expected one value"));
    }
    Ok(value)
}

/// `(client)` or `(server)`.
fn side(input: ParseStream) -> syn::Result<Side> {
    let ident: Ident = inner(input)?;
    match ident.to_string().as_str() {
        "client" => Ok(Side::Client),
        "server" => Ok(Side::Server),
        _ => Err(syn::Error::new(
            ident.span(),
            "expected `client` or `server`: the side that sends these lines",
        )),
    }
}

/// Stores `value` in `slot` unless `key` was given already.
fn once<T>(slot: &mut Option<T>, value: T, key: &Ident, attr: &str) -> syn::Result<()> {
    if slot.replace(value).is_some() {
        let message = format!("duplicate `{key}` in #[{attr}]");
        return Err(syn::Error::new(key.span(), message));
    }
    Ok(())
}

pub fn block<'a>(cx: &mut Ctxt, attr: &'a Attribute) -> Option<BlockAttr<'a>> {
    let mut out = BlockAttr {
        original: attr,
        after: None,
        length_word: None,
        max_len: None,
        from: None,
    };
    let result = attr.parse_args_with(|input: ParseStream| {
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            match key.to_string().as_str() {
                "after" => {
                    let content;
                    parenthesized!(content in input);
                    let words = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                    once(&mut out.after, words.into_iter().collect(), &key, "block")?;
                }
                "length_word" => {
                    let lit = inner::<LitInt>(input).map_err(|_| {
                        syn::Error::new(
                            key.span(),
                            "expected which word holds the byte count, like `length_word(4)`",
                        )
                    })?;
                    once(&mut out.length_word, Parsed::Valid(lit), &key, "block")?;
                }
                "max_len" => once(&mut out.max_len, inner(input)?, &key, "block")?,
                "from" => once(&mut out.from, side(input)?, &key, "block")?,
                _ => {
                    let message = format!(
                        "unknown key `{key}` in #[block]; expected `after(...)`, \
                         `length_word(...)`, `max_len(...)` or `from(...)`"
                    );
                    return Err(syn::Error::new(key.span(), message));
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(())
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
    const EXPECTED: &str = "expected the first word of the message's opening line, like \
                            #[parts(\"VALUE\")] or #[parts(\"BEGIN\", until(\"END\"))]";
    let result = attr.parse_args_with(|input: ParseStream| {
        let keyword: LitStr = input
            .parse()
            .map_err(|error| syn::Error::new(error.span(), EXPECTED))?;
        let (mut until, mut max, mut from) = (None, None, None);
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            match key.to_string().as_str() {
                "until" => once(&mut until, inner(input)?, &key, "parts")?,
                "max" => once(&mut max, inner(input)?, &key, "parts")?,
                "from" => once(&mut from, side(input)?, &key, "parts")?,
                _ => {
                    let message = format!(
                        "unknown key `{key}` in #[parts]; expected `until(...)`, `max(...)` or \
                         `from(...)`"
                    );
                    return Err(syn::Error::new(key.span(), message));
                }
            }
        }
        Ok((keyword, until, max, from))
    });
    match result {
        Ok((keyword, until, max, from)) => Some(PartsAttr {
            original: attr,
            keyword,
            until,
            max,
            from,
        }),
        Err(error) => {
            cx.push(error);
            None
        }
    }
}
