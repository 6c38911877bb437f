//! `#[derive(Protocol)]`.
use proc_macro::TokenStream;

/// Placeholder until the derive lands.
#[proc_macro_derive(Protocol, attributes(protocol, delimiter, tag))]
pub fn derive_protocol(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
