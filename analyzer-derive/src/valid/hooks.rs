//! The functions of the protocol's own that the derive calls:
//! `#[correlate]`, `#[no_response_if]`, `#[optional_response_if]`,
//! `#[describe_with]`, `#[fields_with]`, `#[fields_json_with]`.
//! (`#[parse_with]` and
//! `#[kind_with]` are checked with the struct or enum they parse.)

use syn::ExprPath;

use super::known_type;
use super::structs::field_name;
use crate::ast::{Data, Field, Input};
use crate::attr::{CorrelateBy, Hook, Parsed};
use crate::ctxt::Ctxt;

/// The optional functions, checked.
pub struct Hooks<'a> {
    pub correlate: Option<Correlation<'a>>,
    pub no_response_if: Option<&'a ExprPath>,
    pub optional_response_if: Option<&'a ExprPath>,
    pub describe_with: Option<&'a ExprPath>,
    pub fields_with: Option<&'a ExprPath>,
    /// `#[fields_json_with]`: only with `#[fields_with]`, whose fields it
    /// writes as JSON.
    pub fields_json_with: Option<&'a ExprPath>,
}

/// Where the correlation key comes from.
pub enum Correlation<'a> {
    /// `by = field`: an unsigned integer field.
    Field(&'a Field<'a>),
    /// `with = path`.
    With(&'a ExprPath),
}

pub fn validate<'a>(cx: &mut Ctxt, input: &'a Input<'a>) -> Option<Hooks<'a>> {
    let attrs = &input.attrs;
    let correlate = match &attrs.correlate {
        Some(correlate) => Some(correlation(cx, input, &correlate.by)?),
        None => None,
    };
    Some(Hooks {
        correlate,
        no_response_if: path(&attrs.no_response_if)?,
        optional_response_if: path(&attrs.optional_response_if)?,
        describe_with: path(&attrs.describe_with)?,
        fields_with: path(&attrs.fields_with)?,
        fields_json_with: fields_json_with(cx, input)?,
    })
}

/// `#[fields_json_with]`'s path: the JSON twin of `#[fields_with]`, so
/// only with it.
fn fields_json_with<'a>(cx: &mut Ctxt, input: &'a Input<'a>) -> Option<Option<&'a ExprPath>> {
    let attrs = &input.attrs;
    if let (Some(json), None) = (&attrs.fields_json_with, &attrs.fields_with) {
        cx.error_spanned(
            json.original,
            "#[fields_json_with] writes as JSON what the #[fields_with] function gives: \
             add #[fields_with(path)] (a `fn<M: SerializeMap>(Option<&Self>, Option<&Self>, \
             &mut M) -> Result<(), M::Error>`), or remove #[fields_json_with]",
        );
        return None;
    }
    path(&attrs.fields_json_with)
}

/// `Some(None)` without the attribute, `None` when its path did not parse
/// (already reported).
fn path<'a>(hook: &'a Option<Hook<'a>>) -> Option<Option<&'a ExprPath>> {
    match hook {
        Some(hook) => hook.path().map(Some),
        None => Some(None),
    }
}

fn correlation<'a>(
    cx: &mut Ctxt,
    input: &'a Input<'a>,
    by: &'a Parsed<CorrelateBy>,
) -> Option<Correlation<'a>> {
    let member = match by.valid()? {
        CorrelateBy::With(path) => return Some(Correlation::With(path)),
        CorrelateBy::Field(member) => member,
    };
    let fields = match &input.data {
        Data::Struct(data) => &data.fields,
        Data::Enum(_) => {
            cx.error_spanned(
                member,
                "`correlate(by = ...)` names a struct field; on an enum, use \
                 `correlate(with = path)` with a `fn(&Self) -> Option<u64>`",
            );
            return None;
        }
        Data::Union => return None,
    };
    let Some(field) = fields.iter().find(|f| f.member == *member) else {
        let name = quote::ToTokens::to_token_stream(member).to_string();
        let message = format!("no field `{name}` in `{}` to correlate by", input.ident);
        cx.error_spanned(member, message);
        return None;
    };
    if !matches!(known_type(field.ty), Some("u8" | "u16" | "u32" | "u64")) {
        let ty = quote::ToTokens::to_token_stream(field.ty).to_string();
        let ty = ["< ", " <", " >", " :: ", ":: "]
            .iter()
            .fold(ty, |ty, spaced| ty.replace(spaced, spaced.trim()));
        let message = format!(
            "`correlate(by = {name})` needs a field of type u8, u16, u32 or u64, and the type of \
             `{name}` is `{ty}`; for other types, use `correlate(with = path)` with a \
             `fn(&Self) -> Option<u64>`",
            name = field_name(field),
        );
        cx.error_spanned(member, message);
        return None;
    }
    Some(Correlation::Field(field))
}
