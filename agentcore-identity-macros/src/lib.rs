//! Attribute macros for `agentcore-identity`. Use them through `agentcore_identity`.

use proc_macro::TokenStream;

mod args;
mod expand;

use args::Kind;

/// Injects an API key.
#[proc_macro_attribute]
pub fn requires_api_key(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::credential_fn(Kind::ApiKey, args.into(), item.into()).into()
}

/// Injects an OAuth2 access token.
#[proc_macro_attribute]
pub fn requires_access_token(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::credential_fn(Kind::AccessToken, args.into(), item.into()).into()
}

/// Injects the workload access token.
#[proc_macro_attribute]
pub fn requires_wat(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::credential_fn(Kind::Wat, args.into(), item.into()).into()
}
