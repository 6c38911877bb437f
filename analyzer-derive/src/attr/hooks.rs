//! The attributes that name a function of the protocol's own:
//! `#[parse_with(path)]`, `#[kind_with(path)]`, `#[no_response_if(path)]`,
//! `#[optional_response_if(path)]`, `#[describe_with(path)]`,
//! `#[fields_with(path)]`, `#[fields_json_with(path)]`, and
//! `#[correlate(by = field)]` /
//! `#[correlate(with = path)]`.

use syn::{Attribute, Expr, ExprPath, Index, Lit, Member, Meta};

use super::{skip_value, unknown_key, Parsed};
use crate::ctxt::Ctxt;

/// An attribute naming a function: `#[parse_with(path)]`.
pub struct Hook<'a> {
    pub original: &'a Attribute,
    pub path: Parsed<ExprPath>,
}

impl Hook<'_> {
    pub fn path(&self) -> Option<&ExprPath> {
        self.path.valid()
    }
}

/// `#[correlate(by = field)]` or `#[correlate(with = path)]`.
pub struct Correlate {
    pub by: Parsed<CorrelateBy>,
}

pub enum CorrelateBy {
    /// `by = field` (a name, or an index in a tuple struct).
    Field(Member),
    /// `with = path`.
    With(ExprPath),
}

/// The signature the function named by each attribute must have, for
/// messages.
pub fn signature(name: &str) -> &'static str {
    match name {
        "parse_with" => "fn(Bytes, Direction) -> Result<Self, ParseError>",
        "kind_with" => "fn(&Self) -> Kind",
        "no_response_if" | "optional_response_if" => "fn(&Self) -> bool",
        "describe_with" => "fn(&Self) -> Description<'_>",
        "fields_with" => {
            "fn<M: SerializeMap>(Option<&Self>, Option<&Self>, &mut M) -> Result<(), M::Error>"
        }
        "fields_json_with" => "fn(Option<&Self>, Option<&Self>, &mut JsonFields<'_>)",
        _ => "fn",
    }
}

pub fn hook<'a>(cx: &mut Ctxt, attr: &'a Attribute, name: &str) -> Hook<'a> {
    let expected = format!(
        "expected the path of a function, a `{}`, like #[{name}(my_function)]",
        signature(name)
    );
    let path = match &attr.meta {
        Meta::List(list) if list.tokens.is_empty() => {
            cx.error_spanned(attr, expected);
            Parsed::Invalid
        }
        Meta::List(list) => match syn::parse2::<ExprPath>(list.tokens.clone()) {
            Ok(path) => Parsed::Valid(path),
            Err(error) => {
                cx.push(syn::Error::new(error.span(), expected));
                Parsed::Invalid
            }
        },
        Meta::NameValue(_) | Meta::Path(_) => {
            cx.error_spanned(attr, expected);
            Parsed::Invalid
        }
    };
    Hook {
        original: attr,
        path,
    }
}

pub fn correlate(cx: &mut Ctxt, attr: &Attribute) -> Correlate {
    let mut by = None;
    let mut invalid = false;
    let result = attr.parse_nested_meta(|meta| {
        let parsed = if meta.path.is_ident("by") {
            match meta.value()?.parse()? {
                Expr::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => {
                    let ident = path.path.get_ident().cloned();
                    ident.map(|ident| CorrelateBy::Field(Member::Named(ident)))
                }
                Expr::Lit(syn::ExprLit {
                    lit: Lit::Int(lit), ..
                }) if lit.suffix().is_empty() => lit.base10_parse().ok().map(|index| {
                    CorrelateBy::Field(Member::Unnamed(Index {
                        index,
                        span: lit.span(),
                    }))
                }),
                other => {
                    cx.error_spanned(other, "expected a field name, like `by = opaque`");
                    None
                }
            }
        } else if meta.path.is_ident("with") {
            match meta.value()?.parse()? {
                Expr::Path(path) => Some(CorrelateBy::With(path)),
                other => {
                    cx.error_spanned(
                        other,
                        "expected the path of a function, a `fn(&Self) -> Option<u64>`, like \
                         `with = correlation_key`",
                    );
                    None
                }
            }
        } else {
            cx.push(unknown_key(
                &meta,
                "correlate",
                "`by = field` or `with = path`",
            ));
            invalid = true;
            return skip_value(&meta);
        };
        if by.is_some() {
            cx.push(meta.error("#[correlate] takes one of `by = field` or `with = path`"));
        } else {
            invalid |= parsed.is_none();
            by = Some(parsed);
        }
        Ok(())
    });
    if let Err(error) = result {
        cx.push(error);
        invalid = true;
    }
    let by = match by {
        Some(Some(by)) => Parsed::Valid(by),
        Some(None) => Parsed::Invalid,
        None if invalid => Parsed::Invalid,
        None => {
            cx.error_spanned(
                attr,
                "#[correlate] needs `by = field` (an unsigned integer field) or `with = path` \
                 (a `fn(&Self) -> Option<u64>`)",
            );
            Parsed::Invalid
        }
    };
    Correlate { by }
}
