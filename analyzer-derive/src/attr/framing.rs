//! The framing attributes: `#[delimiter(...)]`, `#[length_prefix(...)]` and
//! `#[frame_with(...)]`. A type has one of them.

use syn::parse::ParseStream;
use syn::{Attribute, Expr, ExprPath, Ident, Lit, LitInt, Meta, Token, UnOp};

use super::{skip_value, unknown_key, value, Parsed};
use crate::ctxt::Ctxt;

/// One framing attribute, as written.
pub struct FramingAttr<'a> {
    pub original: &'a Attribute,
    /// `delimiter`, `length_prefix` or `frame_with`.
    pub name: String,
    pub spec: Parsed<FramingSpec>,
}

pub enum FramingSpec {
    /// `#[delimiter(b'\n')]` or `#[delimiter(b"\r\n", max_line = 8192, bare_end)]`.
    Delimiter(DelimiterAttr),
    /// `#[length_prefix(width = 4, ...)]`.
    LengthPrefix(LengthPrefixAttr),
    /// `#[frame_with(path, sync = b"...")]`.
    Custom(FrameWith),
}

/// `#[delimiter(b"\r\n", max_line = 8192, bare_end, exact_case)]`.
pub struct DelimiterAttr {
    pub lit: ByteLit,
    pub max_line: Option<LitInt>,
    /// The `bare_end` flag, as written.
    pub bare_end: Option<Ident>,
    /// The `exact_case` flag, as written.
    pub exact_case: Option<Ident>,
}

/// A byte literal or byte string literal, and its bytes.
pub struct ByteLit {
    /// The literal as written, for spans.
    pub lit: Lit,
    pub bytes: Vec<u8>,
}

/// `#[length_prefix(width = 4, offset = 8, adjust = -4, skip = 0, max_frame = 65536, little_endian)]`.
#[derive(Default)]
pub struct LengthPrefixAttr {
    pub width: Option<Parsed<LitInt>>,
    pub offset: Option<Parsed<LitInt>>,
    pub skip: Option<Parsed<LitInt>>,
    pub max_frame: Option<Parsed<LitInt>>,
    pub adjust: Option<Parsed<Adjust>>,
    /// The `little_endian` or `big_endian` flag, as written.
    pub endian: Option<Ident>,
}

/// The value of `adjust = ...`: an integer literal, possibly negated.
pub struct Adjust {
    /// The whole expression, for spans.
    pub expr: Expr,
    pub negative: bool,
    pub lit: LitInt,
}

/// `#[frame_with(path, sync = b"...", resume = path)]`.
pub struct FrameWith {
    pub path: ExprPath,
    pub sync: Option<ByteLit>,
    pub resume: Option<ExprPath>,
}

pub fn framing<'a>(cx: &mut Ctxt, attr: &'a Attribute, name: &str) -> FramingAttr<'a> {
    let spec = match name {
        "delimiter" => delimiter(cx, attr),
        "length_prefix" => length_prefix(cx, attr),
        _ => frame_with(cx, attr),
    };
    FramingAttr {
        original: attr,
        name: name.to_owned(),
        spec,
    }
}

/// Keeps the first framing attribute; reports the others.
pub fn once<'a>(cx: &mut Ctxt, slot: &mut Option<FramingAttr<'a>>, parsed: FramingAttr<'a>) {
    match slot {
        Some(first) if first.name == parsed.name => {
            cx.error_spanned(
                parsed.original,
                format!("duplicate #[{}] attribute", parsed.name),
            );
        }
        Some(first) => cx.error_spanned(
            parsed.original,
            format!(
                "conflicting framing: the type is already framed by #[{}]; use one of \
                 #[delimiter], #[length_prefix] or #[frame_with]",
                first.name
            ),
        ),
        None => *slot = Some(parsed),
    }
}

fn delimiter(cx: &mut Ctxt, attr: &Attribute) -> Parsed<FramingSpec> {
    let result = attr.parse_args_with(|input: ParseStream| {
        let lit: Lit = input.parse()?;
        let (mut max_line, mut bare_end, mut exact_case) =
            (None::<LitInt>, None::<Ident>, None::<Ident>);
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            let duplicate = match key.to_string().as_str() {
                "max_line" => {
                    input.parse::<Token![=]>()?;
                    max_line.replace(input.parse()?).is_some()
                }
                "bare_end" => bare_end.replace(key.clone()).is_some(),
                "exact_case" => exact_case.replace(key.clone()).is_some(),
                _ => {
                    let message = format!(
                        "unknown key `{key}` in #[delimiter]; expected `max_line`, `bare_end` \
                         or `exact_case`"
                    );
                    return Err(syn::Error::new(key.span(), message));
                }
            };
            if duplicate {
                let message = format!("duplicate `{key}` in #[delimiter]");
                return Err(syn::Error::new(key.span(), message));
            }
        }
        Ok((lit, max_line, bare_end, exact_case))
    });
    let (lit, max_line, bare_end, exact_case) = match result {
        Ok(parsed) => parsed,
        Err(error) => {
            cx.push(error);
            return Parsed::Invalid;
        }
    };
    match byte_lit(cx, lit) {
        Some(lit) => Parsed::Valid(FramingSpec::Delimiter(DelimiterAttr {
            lit,
            max_line,
            bare_end,
            exact_case,
        })),
        None => Parsed::Invalid,
    }
}

/// Checks that `lit` is a byte or byte string literal.
fn byte_lit(cx: &mut Ctxt, lit: Lit) -> Option<ByteLit> {
    let bytes = match &lit {
        Lit::Byte(byte) => vec![byte.value()],
        Lit::ByteStr(bytes) => bytes.value(),
        Lit::Str(_) => {
            cx.error_spanned(&lit, "expected a byte string literal like `b\"\\r\\n\"`");
            return None;
        }
        _ => {
            cx.error_spanned(
                &lit,
                "expected a byte literal like `b'\\n'` or a byte string literal like `b\"\\r\\n\"`",
            );
            return None;
        }
    };
    Some(ByteLit { lit, bytes })
}

fn length_prefix(cx: &mut Ctxt, attr: &Attribute) -> Parsed<FramingSpec> {
    let mut out = LengthPrefixAttr::default();
    let result = attr.parse_nested_meta(|meta| {
        let key = meta.path.get_ident().map(ToString::to_string);
        let (slot, expected) = match key.as_deref() {
            Some("width") => (&mut out.width, "expected the width in bytes: 1, 2, 4 or 8"),
            Some("offset") => (&mut out.offset, "expected a byte count like `8`"),
            Some("skip") => (&mut out.skip, "expected a byte count like `4`"),
            Some("max_frame") => (&mut out.max_frame, "expected a byte count like `1048576`"),
            Some("adjust") => {
                let parsed = adjust(cx, meta.value()?.parse()?);
                if out.adjust.is_some() {
                    cx.push(meta.error("duplicate `adjust` in #[length_prefix]"));
                } else {
                    out.adjust = Some(parsed);
                }
                return Ok(());
            }
            Some("little_endian" | "big_endian") => {
                let flag = meta.path.get_ident().cloned();
                if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
                    cx.push(meta.error(format_args!(
                        "`{}` is a flag: write it alone, without a value",
                        key.unwrap_or_default()
                    )));
                    return skip_value(&meta);
                }
                if let Some(first) = &out.endian {
                    cx.push(meta.error(format_args!(
                        "the byte order is given once, and `{first}` already did"
                    )));
                } else {
                    out.endian = flag;
                }
                return Ok(());
            }
            _ => {
                cx.push(unknown_key(
                    &meta,
                    "length_prefix",
                    "`width`, `offset`, `adjust`, `skip`, `max_frame` or `little_endian`",
                ));
                return skip_value(&meta);
            }
        };
        let parsed = value::<LitInt>(cx, &meta, expected)?;
        if slot.is_some() {
            let key = key.unwrap_or_default();
            cx.push(meta.error(format_args!("duplicate `{key}` in #[length_prefix]")));
        } else {
            *slot = Some(parsed);
        }
        Ok(())
    });
    match result {
        Ok(()) => Parsed::Valid(FramingSpec::LengthPrefix(out)),
        Err(error) => {
            cx.push(error);
            Parsed::Invalid
        }
    }
}

fn adjust(cx: &mut Ctxt, expr: Expr) -> Parsed<Adjust> {
    let int = |expr: &Expr| match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(lit), ..
        }) => Some(lit.clone()),
        _ => None,
    };
    let parsed = match &expr {
        Expr::Unary(syn::ExprUnary {
            op: UnOp::Neg(_),
            expr: inner,
            ..
        }) => int(inner).map(|lit| (true, lit)),
        other => int(other).map(|lit| (false, lit)),
    };
    match parsed {
        Some((negative, lit)) => Parsed::Valid(Adjust {
            expr,
            negative,
            lit,
        }),
        None => {
            cx.error_spanned(expr, "expected an integer literal like `12` or `-4`");
            Parsed::Invalid
        }
    }
}

fn frame_with(cx: &mut Ctxt, attr: &Attribute) -> Parsed<FramingSpec> {
    const EXPECTED: &str = "expected the path of a framing function, a \
                            `fn(&[u8], Direction) -> FrameLen`, like #[frame_with(frame_message)]";
    if matches!(&attr.meta, Meta::List(list) if list.tokens.is_empty()) {
        cx.error_spanned(attr, EXPECTED);
        return Parsed::Invalid;
    }
    let result = attr.parse_args_with(|input: ParseStream| {
        let path: ExprPath = input
            .parse()
            .map_err(|error| syn::Error::new(error.span(), EXPECTED))?;
        let mut sync: Option<Lit> = None;
        let mut resume: Option<ExprPath> = None;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            if key != "sync" && key != "resume" {
                let message =
                    format!("unknown key `{key}` in #[frame_with]; expected `sync` or `resume`");
                return Err(syn::Error::new(key.span(), message));
            }
            input.parse::<Token![=]>()?;
            let duplicate = if key == "sync" {
                let lit: Lit = input.parse()?;
                sync.replace(lit).is_some()
            } else {
                let path: ExprPath = input.parse()?;
                resume.replace(path).is_some()
            };
            if duplicate {
                let message = format!("duplicate `{key}` in #[frame_with]");
                return Err(syn::Error::new(key.span(), message));
            }
        }
        Ok((path, sync, resume))
    });
    let (path, sync, resume) = match result {
        Ok(parsed) => parsed,
        Err(error) => {
            cx.push(error);
            return Parsed::Invalid;
        }
    };
    let sync = match sync {
        Some(lit) => match byte_lit(cx, lit) {
            Some(lit) => Some(lit),
            None => return Parsed::Invalid,
        },
        None => None,
    };
    Parsed::Valid(FramingSpec::Custom(FrameWith { path, sync, resume }))
}
