//! The expander: keeps the user's `async fn`, removes the injected parameter from its signature and
//! fetches the credential at the top of its body.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{AttrStyle, FnArg, Ident, ItemFn, Pat, PatType, ReturnType, Token, Type};

use crate::args::{Algorithm, Args, Kind, Params, StrList, Tags};

/// Entry point for all four attributes (see `lib.rs`).
pub(crate) fn credential_fn(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let item_fn: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let e = syn::Error::new(
                e.span(),
                format!(
                    "`#[{}]` goes on a function with a body: {e}",
                    kind.attr_name()
                ),
            );
            return with_error(item, e);
        }
    };
    // On bad arguments, still rewrite with fallback arguments so callers see the right arity and
    // only the real error is reported.
    let (parsed, args_err) = match Args::parse(kind, args.clone()) {
        Ok(a) => (a, None),
        Err(e) => (Args::fallback(kind, &args), Some(e)),
    };
    match rewrite(&parsed, item_fn) {
        Ok(tokens) => match args_err {
            Some(e) => with_error(tokens, e),
            None => tokens,
        },
        Err(rewrite_err) => {
            let e = match args_err {
                Some(mut e) => {
                    // With fallback arguments and the default `into`, a "no parameter" error may
                    // be a consequence of the argument error (`into = tokn,`): leave it out.
                    for one in rewrite_err {
                        if parsed.into_span.is_some() || !is_missing_param(&one) {
                            e.combine(one);
                        }
                    }
                    e
                }
                None => rewrite_err,
            };
            with_error(item, e)
        }
    }
}

fn is_missing_param(e: &syn::Error) -> bool {
    e.to_string().starts_with("no parameter named")
}

fn with_error(mut tokens: TokenStream, e: syn::Error) -> TokenStream {
    tokens.extend(e.into_compile_error());
    tokens
}

/// What the injected credential is called in messages.
fn what(kind: Kind) -> &'static str {
    match kind {
        Kind::ApiKey => "the API key",
        Kind::AccessToken => "the access token",
        Kind::IamToken => "the IAM access token",
        Kind::Wat => "the workload access token",
    }
}

fn rewrite(args: &Args, mut item: ItemFn) -> syn::Result<TokenStream> {
    let kind = args.kind;
    let attr = kind.attr_name();
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };

    // 1. `async fn` (`#[requires_wat]` reads the request context and works on both).
    let is_async = item.sig.asyncness.is_some();
    if !is_async && kind != Kind::Wat && is_async_trait_method(&item) {
        // `#[async_trait]` ran first: the method now returns a boxed future.
        return Err(syn::Error::new_spanned(
            &item.sig.ident,
            format!(
                "`#[{attr}]` cannot go on an `#[async_trait]` method: async-trait has already turned \
                 it into a fn returning a boxed future. Put the credential call in a private \
                 `async fn` with `#[{attr}]` and call it from this method, or use native `async fn` \
                 in the trait, whose declaration leaves out the injected parameter (see \
                 `agentcore_identity::macros`, \"Traits\")"
            ),
        ));
    }
    if !is_async && kind != Kind::Wat {
        push(syn::Error::new_spanned(
            item.sig.fn_token,
            format!(
                "`#[{attr}]` needs an `async fn`: getting {} awaits {}",
                what(kind),
                if kind == Kind::IamToken {
                    "AWS STS"
                } else {
                    "the identity service"
                }
            ),
        ));
    }

    // 2. The return type: `Result<T, E>` with `E: From<agentcore_identity::Error>`. Only the shape is
    //    checked here; the `From` bound is left to rustc, reported on the return type.
    let ret_span = match &item.sig.output {
        ReturnType::Default => {
            push(syn::Error::new(
                item.sig.paren_token.span.close(),
                format!(
                    "`#[{attr}]` needs a function returning `Result<T, E>` with `E: From<agentcore_identity::Error>`: \
                     a failure to get {} is returned as `Err`",
                    what(kind)
                ),
            ));
            Span::call_site()
        }
        ReturnType::Type(_, ty) => {
            if let Some(e) = result_error_type(ty).filter(|e| is_string_like(e)) {
                push(syn::Error::new_spanned(
                    e,
                    format!(
                        "`{}` cannot hold an `agentcore_identity::Error` (no `From` impl can be \
                         written for it): return `Result<T, E>` with your own error type and \
                         `impl From<agentcore_identity::Error> for E`, or with \
                         `agentcore_identity::Error`, `anyhow::Error` or \
                         `Box<dyn std::error::Error + Send + Sync>`",
                        e.to_token_stream().to_string().replace(' ', "")
                    ),
                ));
            }
            if !matches!(strip_group(ty), Type::Path(_)) {
                push(syn::Error::new_spanned(
                    ty,
                    format!(
                        "`#[{attr}]` needs a return type `Result<T, E>` with `E: From<agentcore_identity::Error>`: \
                         a failure to get {} is returned as `Err`",
                        what(kind)
                    ),
                ));
            }
            ty.span()
        }
    };

    // 3. The injected parameter.
    let position = item.sig.inputs.iter().position(|arg| match arg {
        FnArg::Typed(PatType { pat, .. }) => match &**pat {
            Pat::Ident(p) => p.ident == args.into,
            _ => false,
        },
        FnArg::Receiver(_) => false,
    });
    let injected = match position {
        Some(i) => {
            let mut inputs: Vec<_> = std::mem::take(&mut item.sig.inputs).into_pairs().collect();
            let removed = inputs.remove(i).into_value();
            let mut rest: Punctuated<FnArg, Token![,]> = Punctuated::new();
            for pair in inputs {
                rest.push(pair.into_value());
            }
            item.sig.inputs = rest;
            match removed {
                FnArg::Typed(pt) => {
                    if let Type::Reference(r) = strip_group(&pt.ty) {
                        push(syn::Error::new_spanned(
                            &pt.ty,
                            format!(
                                "the injected `{}` is handed over owned, so it cannot be a \
                                 reference: write `{}: SecretString` (recommended: redacted in \
                                 `Debug`, zeroed on drop; `.expose_secret()` gives the `&str`){}",
                                args.into,
                                args.into,
                                if matches!(strip_group(&r.elem), Type::Path(p) if p.path.is_ident("str"))
                                {
                                    ", or `String`"
                                } else {
                                    ""
                                }
                            ),
                        ));
                    } else if let Type::ImplTrait(_) = strip_group(&pt.ty) {
                        push(syn::Error::new_spanned(
                            &pt.ty,
                            format!(
                                "the injected parameter `{}` needs a type that can be named, like `SecretString` or `String`",
                                args.into
                            ),
                        ));
                    }
                    Some(pt)
                }
                FnArg::Receiver(_) => None,
            }
        }
        None => {
            let names: Vec<String> = item
                .sig
                .inputs
                .iter()
                .filter_map(|a| match a {
                    FnArg::Typed(PatType { pat, .. }) => match &**pat {
                        Pat::Ident(p) => Some(format!("`{}`", p.ident)),
                        _ => None,
                    },
                    FnArg::Receiver(_) => None,
                })
                .collect();
            let have = if names.is_empty() {
                "it has none".to_owned()
            } else {
                format!("it has {}", names.join(", "))
            };
            let msg = match args.into_span {
                Some(_) => format!(
                    "no parameter named `{}` to inject {} into; {have}",
                    args.into,
                    what(kind)
                ),
                None => format!(
                    "no parameter named `{}` to inject {} into; add `{}: SecretString` or name another with `into = \"...\"`",
                    args.into,
                    what(kind),
                    args.into
                ),
            };
            let span = args.into_span.unwrap_or_else(|| item.sig.ident.span());
            push(syn::Error::new(span, msg));
            None
        }
    };

    if let Some(e) = errors {
        return Err(e);
    }
    let injected = injected.expect("checked above");

    let krate = match &args.krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::agentcore_identity),
    };
    let ms = Span::mixed_site();
    let private = quote_spanned!(ms=> #krate::__private);
    let core = quote_spanned!(ms=> #private::core);

    let fetch = fetch_expr(args, &private);

    // The conversion of the error is spanned at the return type, so a missing
    // `From<agentcore_identity::Error>` (or a return type that is no `Result`) is reported there,
    // with the user's (call-site) hygiene: rustc reports an error whose span carries a proc
    // macro's own hygiene on the attribute instead. A type that is not a `Credential` is reported
    // on the user's type tokens in the turbofish. (Spanning the whole conversion at the type
    // makes rustc's liveness report an unused credential twice.) The two bindings are scoped to
    // their match arms, so the user's body cannot see them.
    let ty = &injected.ty;
    let value = Ident::new("__agentcore_value", Span::call_site());
    let error = Ident::new("__agentcore_error", Span::call_site());
    // Through `ReturnsIdentityError`, whose `on_unimplemented` says what the return type must be
    // when it is not a `Result` (instead of rustc's bare "expected `usize`, found `Result`").
    let convert_err = respan(
        quote!(#private::ReturnsIdentityError::from_identity_error(#error)),
        ret_span,
    );
    let convert_ok = quote!(#private::into_credential::<#ty>(#value));
    let pat = &injected.pat;
    let param_attrs = &injected.attrs;

    let outer = item
        .attrs
        .iter()
        .filter(|a| matches!(a.style, AttrStyle::Outer));
    let inner = item
        .attrs
        .iter()
        .filter(|a| matches!(a.style, AttrStyle::Inner(_)));
    let vis = &item.vis;
    let sig = &item.sig;
    let stmts = &item.block.stmts;

    let fetched = quote_spanned! {ms=>
        match #fetch {
            #core::result::Result::Ok(#value) => #convert_ok,
            #core::result::Result::Err(#error) => return #convert_err,
        }
    };
    let pat_span = injected.span();
    let let_stmt = quote_spanned! {pat_span=>
        let #pat: #ty = #fetched;
    };
    let body = quote_spanned! {ms=>
        #(#inner)*
        #(#param_attrs)*
        #let_stmt
        { #(#stmts)* }
    };
    // The function's own braces: the item keeps the user's span, so lints about the item
    // (`dead_code`) still fire as without the macro.
    let mut block = TokenStream::new();
    item.block
        .brace_token
        .surround(&mut block, |t| t.extend(body));
    Ok(quote! {
        #(#outer)*
        #vis #sig #block
    })
}

/// `E` of a return type written `Result<T, E>` (any path ending in `Result` with two arguments).
fn result_error_type(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = strip_group(ty) else {
        return None;
    };
    let last = p.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.iter().nth(1)? {
        syn::GenericArgument::Type(e) => Some(e),
        _ => None,
    }
}

/// `String`, `&str` (any lifetime) or `str`: error types no `From<agentcore_identity::Error>` can
/// exist for.
fn is_string_like(ty: &Type) -> bool {
    match strip_group(ty) {
        Type::Path(p) => p.qself.is_none() && (p.path.is_ident("String") || p.path.is_ident("str")),
        Type::Reference(r) => is_string_like(&r.elem),
        _ => false,
    }
}

/// A method `#[async_trait]` has rewritten: a plain fn returning `Pin<Box<dyn Future + .. +
/// 'async_trait>>`.
fn is_async_trait_method(item: &ItemFn) -> bool {
    match &item.sig.output {
        ReturnType::Type(_, ty) => {
            let text = ty.to_token_stream().to_string();
            text.contains("async_trait") && text.contains("Future")
        }
        ReturnType::Default => false,
    }
}

/// Gives every token of `tokens` the span `span` (location and hygiene).
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut group = Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

/// `Group`s with no delimiter wrap types that came through `macro_rules!` fragments.
fn strip_group(ty: &Type) -> &Type {
    match ty {
        Type::Group(g) => strip_group(&g.elem),
        Type::Paren(p) => strip_group(&p.elem),
        other => other,
    }
}

/// The expression yielding `Result<SecretString, agentcore_identity::Error>`.
fn fetch_expr(args: &Args, private: &TokenStream) -> TokenStream {
    let ms = Span::mixed_site();
    let client = match &args.client {
        // `&(expr)` coerces `&IdentityClient`, `&&IdentityClient`, `&Arc<IdentityClient>`; the
        // clone is cheap (shared state) and keeps borrows out of the future across the await.
        Some(expr) => quote_spanned!(ms=>
            #private::core::option::Option::Some(
                <#private::IdentityClient as #private::core::clone::Clone>::clone(&(#expr))
            )
        ),
        None => quote_spanned!(ms=> #private::core::option::Option::None),
    };
    let mut calls = TokenStream::new();
    let mut call = |method: &str, value: TokenStream| {
        let method = format_ident!("{}", method, span = ms);
        calls.extend(quote_spanned!(ms=> .#method(#value)));
    };
    let list = |l: &StrList| match l {
        StrList::Empty => None,
        StrList::Expr(e) => Some(quote_spanned!(ms=> #private::strings(#e))),
    };
    if let (Some(name), Some(user)) = (&args.workload_identity, &args.user_id) {
        call("workload_identity", quote!(#name, #user));
    }
    if let Some(e) = &args.workload_access_token {
        call("workload_access_token", e.to_token_stream());
    }
    match args.kind {
        // Read from the request context: nothing to await, so sync functions work too.
        Kind::Wat => quote_spanned!(ms=> #private::workload_access_token()),
        Kind::ApiKey => {
            let provider = args.provider_name.as_ref().expect("checked in build");
            quote_spanned! {ms=>
                #private::api_key(
                    #client,
                    #private::ApiKeyRequest::new(#provider) #calls,
                ).await
            }
        }
        Kind::IamToken => {
            let audience = args.audience.as_ref().expect("checked in build");
            let audience = quote_spanned!(ms=> #private::strings(#audience));
            match &args.signing_algorithm {
                Some(Algorithm::Lit(alg)) => {
                    let variant = format_ident!("{}", alg.variant(), span = ms);
                    call(
                        "signing_algorithm",
                        quote_spanned!(ms=> #private::SigningAlgorithm::#variant),
                    );
                }
                Some(Algorithm::Expr(e)) => call("signing_algorithm", e.to_token_stream()),
                None => {}
            }
            if let Some(e) = &args.duration_seconds {
                call("duration_seconds", e.to_token_stream());
            }
            match &args.tags {
                Some(Tags::List(pairs)) => {
                    for (k, v) in pairs {
                        call("tag", quote_spanned!(ms=> #k, #v));
                    }
                }
                Some(Tags::Expr(e)) => {
                    call("tags", quote_spanned!(ms=> #private::pairs(#e)));
                }
                None => {}
            }
            quote_spanned! {ms=>
                #private::iam_access_token(
                    #client,
                    #private::IamTokenRequest::new(#audience) #calls,
                ).await
            }
        }
        Kind::AccessToken => {
            let provider = args.provider_name.as_ref().expect("checked in build");
            let flow = format_ident!(
                "{}",
                args.auth_flow.expect("checked in build").variant(),
                span = ms
            );
            if let Some(t) = args.scopes.as_ref().and_then(list) {
                call("scopes", t);
            }
            if let Some(t) = args.resources.as_ref().and_then(list) {
                call("resources", t);
            }
            if let Some(t) = args.audiences.as_ref().and_then(list) {
                call("audiences", t);
            }
            if let Some(cb) = &args.on_auth_url {
                let expr = &cb.expr;
                let value = if cb.is_async {
                    quote_spanned!(ms=> #private::on_auth_url_async(#expr))
                } else {
                    quote_spanned!(ms=> #private::on_auth_url_sync(#expr))
                };
                call("on_auth_url_handler", value);
            }
            if let Some(e) = &args.callback_url {
                call("callback_url", e.to_token_stream());
            }
            if let Some(e) = &args.force_authentication {
                call("force_authentication", e.to_token_stream());
            }
            if let Some(e) = &args.token_poller {
                call("token_poller", e.to_token_stream());
            }
            if let Some(e) = &args.custom_state {
                call("custom_state", e.to_token_stream());
            }
            match &args.custom_parameters {
                Some(Params::Map(pairs)) => {
                    for (k, v) in pairs {
                        call("custom_parameter", quote_spanned!(ms=> #k, #v));
                    }
                }
                Some(Params::Expr(e)) => {
                    call(
                        "custom_parameters",
                        quote_spanned!(ms=> #private::pairs(#e)),
                    );
                }
                None => {}
            }
            if let Some(e) = &args.non_blocking {
                call("non_blocking", e.to_token_stream());
            }
            quote_spanned! {ms=>
                #private::access_token(
                    #client,
                    #private::TokenRequest::new(#provider, #private::AuthFlow::#flow) #calls,
                ).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
        credential_fn(kind, args, item)
    }

    /// Expands and parses the result as a function; panics if it carries a `compile_error!`.
    fn expand_ok(kind: Kind, args: TokenStream, item: TokenStream) -> ItemFn {
        let out = expand(kind, args, item);
        let s = out.to_string();
        assert!(!s.contains("compile_error"), "unexpected error: {s}");
        syn::parse2(out).expect("the expansion is one function")
    }

    /// The messages of the `compile_error!`s in an expansion.
    fn errors(out: TokenStream) -> Vec<String> {
        let file: syn::File = syn::parse2(out).expect("item + compile_error!s parse as a file");
        file.items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Macro(m)
                    if m.mac.path.segments.last().unwrap().ident == "compile_error" =>
                {
                    let lit: syn::LitStr = m.mac.parse_body().unwrap();
                    Some(lit.value())
                }
                _ => None,
            })
            .collect()
    }

    fn param_names(f: &ItemFn) -> Vec<String> {
        f.sig
            .inputs
            .iter()
            .map(|a| match a {
                FnArg::Receiver(_) => "self".to_owned(),
                FnArg::Typed(pt) => pt.pat.to_token_stream().to_string(),
            })
            .collect()
    }

    fn body(f: &ItemFn) -> String {
        f.block.to_token_stream().to_string()
    }

    #[test]
    fn api_key_param_is_removed() {
        let f = expand_ok(
            Kind::ApiKey,
            quote!(provider_name = "openai-apikey-provider"),
            quote!(
                async fn need_api_key(prompt: &str, api_key: SecretString) -> Result<(), MyError> {
                    use_it(prompt, api_key)
                }
            ),
        );
        assert_eq!(param_names(&f), ["prompt"]);
        let b = body(&f);
        assert!(
            b.contains(":: agentcore_identity :: __private :: api_key"),
            "{b}"
        );
        assert!(
            b.contains("ApiKeyRequest :: new (\"openai-apikey-provider\")"),
            "{b}"
        );
        assert!(b.contains("let api_key : SecretString = match"), "{b}");
        assert!(
            b.contains("{ use_it (prompt , api_key) }"),
            "user body in its own block: {b}"
        );
    }

    #[test]
    fn into_picks_the_parameter_anywhere() {
        let f = expand_ok(
            Kind::AccessToken,
            quote!(
                provider_name = "google-provider",
                scopes = ["s"],
                auth_flow = "M2M",
                into = "token"
            ),
            quote!(
                pub(crate) async fn list(&self, token: String, day: u32) -> Result<Vec<u8>, E> {
                    todo!()
                }
            ),
        );
        assert_eq!(param_names(&f), ["self", "day"]);
        let b = body(&f);
        assert!(b.contains("let token : String"), "{b}");
        assert!(b.contains("AuthFlow :: M2M"), "{b}");
        assert!(
            b.contains(". scopes (:: agentcore_identity :: __private :: strings ([\"s\"]))"),
            "{b}"
        );
        assert!(f.vis.to_token_stream().to_string() == "pub (crate)");
    }

    #[test]
    fn generics_where_and_attributes_are_kept() {
        let f = expand_ok(
            Kind::ApiKey,
            quote!(provider_name = "p"),
            quote!(
                /// docs
                #[cfg(feature = "x")]
                #[tracing::instrument(skip_all)]
                async fn g<'a, T: Clone, U>(
                    x: &'a T,
                    u: impl Into<U>,
                    mut api_key: SecretString,
                ) -> Result<T, E>
                where
                    U: Send,
                {
                    #![allow(unused_mut)]
                    Ok(x.clone())
                }
            ),
        );
        assert_eq!(param_names(&f), ["x", "u"]);
        assert_eq!(f.attrs.len(), 4, "3 outer + 1 inner attribute");
        assert_eq!(f.sig.generics.params.len(), 3);
        assert!(f.sig.generics.where_clause.is_some());
        let b = body(&f);
        let inner = f
            .attrs
            .iter()
            .filter(|a| matches!(a.style, AttrStyle::Inner(_)));
        assert_eq!(inner.count(), 1, "the inner attribute stays inner");
        assert!(b.contains("let mut api_key : SecretString"), "{b}");
    }

    #[test]
    fn all_access_token_arguments_reach_the_request() {
        let f = expand_ok(
            Kind::AccessToken,
            quote!(
                provider_name = "google-provider",
                scopes = SCOPES,
                auth_flow = "USER_FEDERATION",
                resources = ["r"],
                audiences = [],
                on_auth_url = |url: &str| println!("Open {url}"),
                callback_url = "http://localhost:8081/oauth2/callback",
                force_authentication = false,
                token_poller = poller(),
                custom_state = "st",
                custom_parameters = { "access_type": "offline" },
                non_blocking = true,
                workload_identity = "wl",
                user_id = user,
                client = self.client,
                crate = "::renamed",
            ),
            quote!(
                async fn f(&self, user: &str, access_token: SecretString) -> Result<(), E> {}
            ),
        );
        let b = body(&f);
        for needle in [
            ":: renamed :: __private :: access_token (:: renamed :: __private :: core :: option :: Option :: Some (< :: renamed :: __private :: IdentityClient as :: renamed :: __private :: core :: clone :: Clone > :: clone (& (self . client)))",
            "AuthFlow :: UserFederation",
            ". scopes (:: renamed :: __private :: strings (SCOPES))",
            ". resources (:: renamed :: __private :: strings ([\"r\"]))",
            ". on_auth_url_handler (:: renamed :: __private :: on_auth_url_sync (| url : & str | println ! (\"Open {url}\")))",
            ". callback_url (\"http://localhost:8081/oauth2/callback\")",
            ". force_authentication (false)",
            ". token_poller (poller ())",
            ". custom_state (\"st\")",
            ". custom_parameter (\"access_type\" , \"offline\")",
            ". non_blocking (true)",
            ". workload_identity (\"wl\" , user)",
        ] {
            assert!(b.contains(needle), "missing {needle}\nin {b}");
        }
        assert!(!b.contains("audiences"), "an empty list is not sent: {b}");
        assert!(
            !b.contains(":: agentcore_identity"),
            "crate override used everywhere: {b}"
        );
    }

    #[test]
    fn async_on_auth_url() {
        let f = expand_ok(
            Kind::AccessToken,
            quote!(
                provider_name = "p",
                scopes = [],
                auth_flow = "USER_FEDERATION",
                on_auth_url = |url: String| async move { send(url).await }
            ),
            quote!(
                async fn f(access_token: SecretString) -> Result<(), E> {}
            ),
        );
        assert!(body(&f).contains("on_auth_url_async (| url : String | async move"));
    }

    #[test]
    fn wat_works_sync_and_async() {
        for item in [
            quote!(
                fn f(identity_wat: String) -> Result<(), E> {
                    Ok(())
                }
            ),
            quote!(
                async fn f(identity_wat: String) -> Result<(), E> {
                    Ok(())
                }
            ),
        ] {
            let f = expand_ok(Kind::Wat, quote!(), item);
            let b = body(&f);
            assert!(b.contains("__private :: workload_access_token ()"), "{b}");
            assert!(!b.contains("await"), "{b}");
            assert!(param_names(&f).is_empty());
        }
    }

    #[test]
    fn not_async_is_an_error_and_the_item_is_kept() {
        let item = quote!(
            fn f(api_key: SecretString) -> Result<(), E> {
                Ok(())
            }
        );
        let out = expand(Kind::ApiKey, quote!(provider_name = "p"), item.clone());
        assert_eq!(
            errors(out.clone()),
            [
                "`#[requires_api_key]` needs an `async fn`: getting the API key awaits the identity service"
            ]
        );
        assert!(out.to_string().starts_with(&item.to_string()));
    }

    #[test]
    fn return_type_errors() {
        let out = expand(
            Kind::ApiKey,
            quote!(provider_name = "p"),
            quote!(
                async fn f(api_key: SecretString) {}
            ),
        );
        let e = errors(out);
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with("`#[requires_api_key]` needs a function returning `Result<T, E>`"),
            "{e:?}"
        );

        let out = expand(
            Kind::ApiKey,
            quote!(provider_name = "p"),
            quote!(
                async fn f(api_key: SecretString) -> (u8, u8) {
                    (1, 2)
                }
            ),
        );
        let e = errors(out);
        assert!(
            e[0].starts_with("`#[requires_api_key]` needs a return type `Result<T, E>`"),
            "{e:?}"
        );
    }

    #[test]
    fn into_naming_no_parameter() {
        let out = expand(
            Kind::AccessToken,
            quote!(
                provider_name = "p",
                scopes = [],
                auth_flow = "M2M",
                into = "tokn"
            ),
            quote!(
                async fn f(day: u32, token: String) -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        assert_eq!(
            errors(out),
            ["no parameter named `tokn` to inject the access token into; it has `day`, `token`"]
        );
        let out = expand(
            Kind::ApiKey,
            quote!(provider_name = "p"),
            quote!(
                async fn f(key: String) -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        assert_eq!(
            errors(out),
            [
                "no parameter named `api_key` to inject the API key into; add `api_key: SecretString` or name another with `into = \"...\"`"
            ]
        );
    }

    #[test]
    fn several_signature_errors_at_once() {
        let out = expand(
            Kind::ApiKey,
            quote!(provider_name = "p"),
            quote!(
                fn f() {}
            ),
        );
        assert_eq!(errors(out).len(), 3);
    }

    #[test]
    fn bad_arguments_still_rewrite_the_signature() {
        let out = expand(
            Kind::AccessToken,
            quote!(
                provider_name = "p",
                scopes = [],
                auth_flow = "BOGUS",
                into = "token"
            ),
            quote!(
                async fn f(x: u8, token: SecretString) -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        let file: syn::File = syn::parse2(out.clone()).unwrap();
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!()
        };
        assert_eq!(param_names(f), ["x"], "callers see the right arity");
        assert_eq!(errors(out).len(), 1);
    }

    #[test]
    fn bad_arguments_and_missing_default_param_report_only_the_argument() {
        let out = expand(
            Kind::ApiKey,
            quote!(provider_nme = "p"),
            quote!(
                async fn f(x: u8) -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        let e = errors(out);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("unknown argument `provider_nme`"));
    }

    #[test]
    fn bad_arguments_keep_other_signature_errors() {
        let out = expand(
            Kind::ApiKey,
            quote!(provider_nme = "p"),
            quote!(
                fn f(x: u8) -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        let e = errors(out);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].starts_with("unknown argument"));
        assert!(e[1].starts_with("`#[requires_api_key]` needs an `async fn`"));
    }

    #[test]
    fn impl_trait_credential_is_rejected() {
        let out = expand(
            Kind::ApiKey,
            quote!(provider_name = "p"),
            quote!(
                async fn f(api_key: impl Credential) -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        assert!(
            errors(out)[0]
                .starts_with("the injected parameter `api_key` needs a type that can be named")
        );
    }

    #[test]
    fn not_a_function() {
        let out = expand(
            Kind::ApiKey,
            quote!(provider_name = "p"),
            quote!(
                struct S;
            ),
        );
        assert!(errors(out)[0].starts_with("`#[requires_api_key]` goes on a function with a body"));
    }

    #[test]
    fn temporaries_are_private() {
        let f = expand_ok(
            Kind::ApiKey,
            quote!(provider_name = "p"),
            quote!(
                async fn f(api_key: SecretString) -> Result<(), E> {
                    Ok(())
                }
            ),
        );
        // The only binding the body sees is the declared parameter; ours are `__agentcore_*`.
        let b = body(&f);
        assert!(
            b.contains("__agentcore_value") && b.contains("__agentcore_error"),
            "{b}"
        );
        assert!(
            !b.contains(" core ::") || b.contains("__private :: core ::"),
            "{b}"
        );
    }
}
