//! The attribute arguments: one parser for all four attributes, checks across fields in `build()`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, ExprArray, ExprLit, Ident, Lit, LitStr, Token};

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    ApiKey,
    AccessToken,
    IamToken,
    Wat,
}

impl Kind {
    pub(crate) fn attr_name(self) -> &'static str {
        match self {
            Kind::ApiKey => "requires_api_key",
            Kind::AccessToken => "requires_access_token",
            Kind::IamToken => "requires_iam_access_token",
            Kind::Wat => "requires_wat",
        }
    }

    /// The parameter injected when `into` is not given (the Python SDK's defaults).
    pub(crate) fn default_into(self) -> &'static str {
        match self {
            Kind::ApiKey => "api_key",
            Kind::AccessToken | Kind::IamToken => "access_token",
            Kind::Wat => "identity_wat",
        }
    }

    /// The arguments this attribute accepts, in the order the docs list them.
    pub(crate) fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::ApiKey => &[
                "provider_name",
                "into",
                "workload_identity",
                "user_id",
                "workload_access_token",
                "client",
                "crate",
            ],
            Kind::AccessToken => &[
                "provider_name",
                "scopes",
                "auth_flow",
                "into",
                "resources",
                "audiences",
                "on_auth_url",
                "callback_url",
                "force_authentication",
                "token_poller",
                "custom_state",
                "custom_parameters",
                "non_blocking",
                "workload_identity",
                "user_id",
                "workload_access_token",
                "client",
                "crate",
            ],
            Kind::IamToken => &[
                "audience",
                "signing_algorithm",
                "duration_seconds",
                "tags",
                "into",
                "client",
                "crate",
            ],
            Kind::Wat => &["into", "crate"],
        }
    }
}

/// Every argument of any of the attributes, for "not an argument of this one".
const ALL_KINDS: [Kind; 4] = [Kind::ApiKey, Kind::AccessToken, Kind::IamToken, Kind::Wat];

/// `signing_algorithm = "..."` of `#[requires_iam_access_token]`, checked while parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SigningAlgorithm {
    Es384,
    Rs256,
}

impl SigningAlgorithm {
    fn from_str(s: &str) -> Option<Self> {
        match s {
            "ES384" => Some(SigningAlgorithm::Es384),
            "RS256" => Some(SigningAlgorithm::Rs256),
            _ => None,
        }
    }

    fn wire(self) -> &'static str {
        match self {
            SigningAlgorithm::Es384 => "ES384",
            SigningAlgorithm::Rs256 => "RS256",
        }
    }

    /// The variant name of `agentcore_identity::SigningAlgorithm`.
    pub(crate) fn variant(self) -> &'static str {
        match self {
            SigningAlgorithm::Es384 => "Es384",
            SigningAlgorithm::Rs256 => "Rs256",
        }
    }
}

/// `signing_algorithm = "ES384"` (checked) or an expression giving an
/// `agentcore_identity::SigningAlgorithm`.
#[derive(Clone, Debug)]
pub(crate) enum Algorithm {
    Lit(SigningAlgorithm),
    Expr(Expr),
}

/// `tags = [("k", "v"), ..]` (keys checked) or any expression yielding pairs.
#[derive(Clone, Debug)]
pub(crate) enum Tags {
    List(Vec<(Expr, Expr)>),
    Expr(Expr),
}

/// The limits of `GetWebIdentityToken` in the STS model (checked on literals).
const MIN_DURATION_SECONDS: u64 = 60;
const MAX_DURATION_SECONDS: u64 = 3600;
const MAX_AUDIENCES: usize = 10;
const MAX_AUDIENCE_LEN: usize = 1000;
const MAX_TAGS: usize = 50;
const MAX_TAG_KEY_LEN: usize = 128;

/// `auth_flow = "..."`, checked while parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthFlow {
    M2M,
    UserFederation,
    OnBehalfOfTokenExchange,
}

impl AuthFlow {
    /// The flow of an `agentcore_identity::AuthFlow` variant name.
    fn from_variant(s: &str) -> Option<Self> {
        match s {
            "M2M" => Some(AuthFlow::M2M),
            "UserFederation" => Some(AuthFlow::UserFederation),
            "OnBehalfOfTokenExchange" => Some(AuthFlow::OnBehalfOfTokenExchange),
            _ => None,
        }
    }

    /// The wire name, as the Python SDK takes it.
    fn wire(self) -> &'static str {
        match self {
            AuthFlow::M2M => "M2M",
            AuthFlow::UserFederation => "USER_FEDERATION",
            AuthFlow::OnBehalfOfTokenExchange => "ON_BEHALF_OF_TOKEN_EXCHANGE",
        }
    }

    fn from_str(s: &str) -> Option<Self> {
        match s {
            "M2M" => Some(AuthFlow::M2M),
            "USER_FEDERATION" => Some(AuthFlow::UserFederation),
            "ON_BEHALF_OF_TOKEN_EXCHANGE" => Some(AuthFlow::OnBehalfOfTokenExchange),
            _ => None,
        }
    }

    /// The variant name of `agentcore_identity::AuthFlow`.
    pub(crate) fn variant(self) -> &'static str {
        match self {
            AuthFlow::M2M => "M2M",
            AuthFlow::UserFederation => "UserFederation",
            AuthFlow::OnBehalfOfTokenExchange => "OnBehalfOfTokenExchange",
        }
    }
}

/// A list of strings: `["a", "b"]` (checked, and `[]` needs no type) or any expression
/// (`SCOPES`, `vec![..]`, `self.scopes()`).
#[derive(Clone, Debug)]
pub(crate) enum StrList {
    /// `[]`: nothing to send; an empty array literal would not infer its element type.
    Empty,
    Expr(Expr),
}

/// `custom_parameters = { "k": v, .. }` (map syntax, as in Python) or any expression yielding pairs.
#[derive(Clone, Debug)]
pub(crate) enum Params {
    Map(Vec<(LitStr, Expr)>),
    Expr(Expr),
}

/// `on_auth_url = ..`; `is_async` is decided from the syntax: `async |url| ..` or `|url| async ..`.
#[derive(Clone, Debug)]
pub(crate) struct Callback {
    pub(crate) expr: Expr,
    pub(crate) is_async: bool,
}

/// All arguments of one attribute, after `build()`.
#[derive(Clone, Debug)]
pub(crate) struct Args {
    pub(crate) kind: Kind,
    /// `crate = "path"`, default `::agentcore_identity`.
    pub(crate) krate: Option<syn::Path>,
    pub(crate) provider_name: Option<Expr>,
    /// The parameter to inject, and the span to report "no such parameter" on.
    pub(crate) into: Ident,
    pub(crate) into_span: Option<Span>,
    pub(crate) scopes: Option<StrList>,
    pub(crate) auth_flow: Option<AuthFlow>,
    pub(crate) resources: Option<StrList>,
    pub(crate) audiences: Option<StrList>,
    /// Never empty (checked on literals), so never `StrList::Empty`: an expression.
    pub(crate) audience: Option<Expr>,
    pub(crate) signing_algorithm: Option<Algorithm>,
    pub(crate) duration_seconds: Option<Expr>,
    pub(crate) tags: Option<Tags>,
    pub(crate) on_auth_url: Option<Callback>,
    pub(crate) callback_url: Option<Expr>,
    pub(crate) force_authentication: Option<Expr>,
    pub(crate) token_poller: Option<Expr>,
    pub(crate) custom_state: Option<Expr>,
    pub(crate) custom_parameters: Option<Params>,
    pub(crate) non_blocking: Option<Expr>,
    pub(crate) workload_identity: Option<Expr>,
    pub(crate) user_id: Option<Expr>,
    pub(crate) workload_access_token: Option<Expr>,
    pub(crate) client: Option<Expr>,
}

impl Args {
    fn empty(kind: Kind) -> Self {
        Args {
            kind,
            krate: None,
            provider_name: None,
            into: Ident::new(kind.default_into(), Span::call_site()),
            into_span: None,
            scopes: None,
            auth_flow: None,
            resources: None,
            audiences: None,
            audience: None,
            signing_algorithm: None,
            duration_seconds: None,
            tags: None,
            on_auth_url: None,
            callback_url: None,
            force_authentication: None,
            token_poller: None,
            custom_state: None,
            custom_parameters: None,
            non_blocking: None,
            workload_identity: None,
            user_id: None,
            workload_access_token: None,
            client: None,
        }
    }

    /// Arguments to expand with when the real ones do not parse: the signature is still rewritten
    /// (so callers see the right arity and only the real error is reported). `into` and `crate`
    /// are salvaged from the tokens when they are plain `key = "lit"` pairs.
    pub(crate) fn fallback(kind: Kind, tokens: &TokenStream) -> Self {
        let mut args = Args::empty(kind);
        args.provider_name = Some(syn::parse_quote!("fallback"));
        if kind == Kind::AccessToken {
            args.auth_flow = Some(AuthFlow::M2M);
            args.scopes = Some(StrList::Empty);
        }
        if kind == Kind::IamToken {
            args.provider_name = None;
            args.audience = Some(syn::parse_quote!(["fallback"]));
        }
        let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
        for w in trees.windows(3) {
            let (TokenTree::Ident(key), TokenTree::Punct(eq)) = (&w[0], &w[1]) else {
                continue;
            };
            if eq.as_char() != '=' {
                continue;
            }
            // `into = token` (a mistake reported by `parse`): still the parameter meant.
            if let (true, TokenTree::Ident(ident)) = (key == "into", &w[2]) {
                args.into = ident.clone();
                args.into_span = Some(ident.span());
                continue;
            }
            let TokenTree::Literal(lit) = &w[2] else {
                continue;
            };
            let Ok(lit) = syn::parse2::<LitStr>(TokenTree::Literal(lit.clone()).into()) else {
                continue;
            };
            if key == "into" {
                if let Ok(ident) = lit.parse::<Ident>() {
                    args.into = ident;
                    args.into_span = Some(lit.span());
                }
            } else if key == "crate" {
                args.krate = lit.parse().ok();
            }
        }
        args
    }

    /// Parses `key = value, ..` and runs the checks across fields.
    pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> syn::Result<Self> {
        let mut raw = Raw::default();
        let parser = syn::meta::parser(|meta| raw.parse_one(kind, meta));
        parser.parse2(tokens)?;
        raw.build(kind)
    }
}

/// Arguments as written, each with the span of its key for "duplicate" and cross-field errors.
#[derive(Default)]
struct Raw {
    krate: Option<(Span, syn::Path)>,
    provider_name: Option<(Span, Expr)>,
    into: Option<(Span, LitStr, Ident)>,
    scopes: Option<(Span, StrList)>,
    auth_flow: Option<(Span, AuthFlow)>,
    resources: Option<(Span, StrList)>,
    audiences: Option<(Span, StrList)>,
    audience: Option<(Span, Expr)>,
    signing_algorithm: Option<(Span, Algorithm)>,
    duration_seconds: Option<(Span, Expr)>,
    tags: Option<(Span, Tags)>,
    on_auth_url: Option<(Span, Callback)>,
    callback_url: Option<(Span, Expr)>,
    force_authentication: Option<(Span, Expr)>,
    token_poller: Option<(Span, Expr)>,
    custom_state: Option<(Span, Expr)>,
    custom_parameters: Option<(Span, Params)>,
    non_blocking: Option<(Span, Expr)>,
    workload_identity: Option<(Span, Expr)>,
    user_id: Option<(Span, Expr)>,
    workload_access_token: Option<(Span, Expr)>,
    client: Option<(Span, Expr)>,
}

fn set_once<T>(slot: &mut Option<(Span, T)>, key: &Ident, value: T) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            key.span(),
            format!("duplicate argument `{key}`"),
        ));
    }
    *slot = Some((key.span(), value));
    Ok(())
}

fn expected_keys(kind: Kind) -> String {
    let keys: Vec<String> = kind.keys().iter().map(|k| format!("`{k}`")).collect();
    match keys.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => keys.join(""),
    }
}

impl Raw {
    fn parse_one(&mut self, kind: Kind, meta: syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = match meta.path.get_ident() {
            Some(ident) => ident.clone(),
            None => {
                return Err(syn::Error::new_spanned(
                    &meta.path,
                    format!("unknown argument; expected one of {}", expected_keys(kind)),
                ));
            }
        };
        let name = key.to_string();
        if !kind.keys().contains(&name.as_str()) {
            let elsewhere = ALL_KINDS.iter().any(|k| k.keys().contains(&name.as_str()));
            let msg = if elsewhere {
                match closest(&name, kind.keys()) {
                    Some(close) => format!(
                        "`{name}` is not an argument of `#[{}]`; did you mean `{close}`? (expected one of {})",
                        kind.attr_name(),
                        expected_keys(kind)
                    ),
                    None => format!(
                        "`{name}` is not an argument of `#[{}]`; expected one of {}",
                        kind.attr_name(),
                        expected_keys(kind)
                    ),
                }
            } else if let Some(close) = closest(&name, kind.keys()) {
                format!(
                    "unknown argument `{name}`; did you mean `{close}`? (expected one of {})",
                    expected_keys(kind)
                )
            } else {
                format!(
                    "unknown argument `{name}`; expected one of {}",
                    expected_keys(kind)
                )
            };
            return Err(syn::Error::new(key.span(), msg));
        }

        // Flags may be written bare: `non_blocking` means `non_blocking = true`.
        if matches!(name.as_str(), "non_blocking" | "force_authentication")
            && !meta.input.peek(Token![=])
        {
            let value: Expr = syn::parse_quote_spanned!(key.span()=> true);
            return match name.as_str() {
                "non_blocking" => set_once(&mut self.non_blocking, &key, value),
                _ => set_once(&mut self.force_authentication, &key, value),
            };
        }

        let input = meta
            .value()
            .map_err(|_| syn::Error::new(key.span(), format!("expected `{name} = ...`")))?;
        match name.as_str() {
            "crate" => {
                let lit: LitStr = input.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected a string: `crate = \"path::to::agentcore_identity\"`",
                    )
                })?;
                let path: syn::Path = lit.parse().map_err(|_| {
                    syn::Error::new(
                        lit.span(),
                        "`crate` must be a path, like `\"::my_reexport::agentcore_identity\"`",
                    )
                })?;
                set_once(&mut self.krate, &key, path)
            }
            "into" => {
                let lit: LitStr = input.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected the name of a parameter as a string: `into = \"token\"`",
                    )
                })?;
                let ident: Ident = lit.parse().map_err(|_| {
                    syn::Error::new(
                        lit.span(),
                        format!(
                            "`into` must name a parameter; {:?} is not an identifier",
                            lit.value()
                        ),
                    )
                })?;
                if self.into.is_some() {
                    return Err(syn::Error::new(key.span(), "duplicate argument `into`"));
                }
                self.into = Some((key.span(), lit, ident));
                Ok(())
            }
            "provider_name" => {
                let expr: Expr = input.parse()?;
                if let Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                }) = &expr
                {
                    check_provider_name(lit)?;
                }
                set_once(&mut self.provider_name, &key, expr)
            }
            "auth_flow" => {
                if !input.peek(LitStr) {
                    // `auth_flow = AuthFlow::M2M`: name the string it should be.
                    let expr: Expr = input.parse()?;
                    let variant = match &expr {
                        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                        _ => None,
                    };
                    let wire = variant.as_deref().and_then(AuthFlow::from_variant);
                    let msg = match wire {
                        Some(flow) => format!(
                            "`auth_flow` takes a string literal, as in Python: write `auth_flow = {:?}`",
                            flow.wire()
                        ),
                        None => format!("`auth_flow` takes a string literal; {AUTH_FLOW_EXPECTED}"),
                    };
                    return Err(syn::Error::new_spanned(expr, msg));
                }
                let lit: LitStr = input.parse()?;
                let flow = AuthFlow::from_str(&lit.value()).ok_or_else(|| {
                    let value = lit.value();
                    let msg = match AuthFlow::from_str(&value.to_ascii_uppercase().replace('-', "_")) {
                        Some(flow) => format!(
                            "unknown `auth_flow` {value:?}; did you mean {:?}? (the names are upper case, as in Python)",
                            flow.wire()
                        ),
                        None => format!("unknown `auth_flow` {value:?}; {AUTH_FLOW_EXPECTED}"),
                    };
                    syn::Error::new(lit.span(), msg)
                })?;
                set_once(&mut self.auth_flow, &key, flow)
            }
            "scopes" => {
                let list = parse_str_list(input, &name)?;
                set_once(&mut self.scopes, &key, list)
            }
            "resources" => {
                let list = parse_str_list(input, &name)?;
                set_once(&mut self.resources, &key, list)
            }
            "audiences" => {
                let list = parse_str_list(input, &name)?;
                set_once(&mut self.audiences, &key, list)
            }
            "audience" => {
                let list = parse_audience(input)?;
                set_once(&mut self.audience, &key, list)
            }
            "signing_algorithm" => {
                let alg = parse_algorithm(input)?;
                set_once(&mut self.signing_algorithm, &key, alg)
            }
            "duration_seconds" => {
                let expr = parse_duration(input)?;
                set_once(&mut self.duration_seconds, &key, expr)
            }
            "tags" => {
                let tags = parse_tags(input)?;
                set_once(&mut self.tags, &key, tags)
            }
            "custom_parameters" => {
                let params = parse_params(input)?;
                set_once(&mut self.custom_parameters, &key, params)
            }
            "on_auth_url" => {
                let expr: Expr = input.parse()?;
                let is_async = is_async_callback(&expr);
                set_once(&mut self.on_auth_url, &key, Callback { expr, is_async })
            }
            other => {
                let expr: Expr = input.parse()?;
                let slot = match other {
                    "callback_url" => &mut self.callback_url,
                    "force_authentication" => &mut self.force_authentication,
                    "token_poller" => &mut self.token_poller,
                    "custom_state" => &mut self.custom_state,
                    "non_blocking" => &mut self.non_blocking,
                    "workload_identity" => &mut self.workload_identity,
                    "user_id" => &mut self.user_id,
                    "workload_access_token" => &mut self.workload_access_token,
                    "client" => &mut self.client,
                    _ => unreachable!("every key in Kind::keys is handled"),
                };
                set_once(slot, &key, expr)
            }
        }
    }

    fn build(self, kind: Kind) -> syn::Result<Args> {
        let mut errors: Option<syn::Error> = None;
        let mut push = |e: syn::Error| match &mut errors {
            Some(all) => all.combine(e),
            None => errors = Some(e),
        };

        let missing = |key: &str, hint: &str| {
            syn::Error::new(Span::call_site(), format!("missing argument `{key}`{hint}"))
        };
        if matches!(kind, Kind::ApiKey | Kind::AccessToken) && self.provider_name.is_none() {
            push(missing(
                "provider_name",
                ", the name of the credential provider",
            ));
        }
        if kind == Kind::AccessToken {
            if self.auth_flow.is_none() {
                push(missing(
                    "auth_flow",
                    "; expected `auth_flow = \"M2M\"`, `\"USER_FEDERATION\"` or `\"ON_BEHALF_OF_TOKEN_EXCHANGE\"`",
                ));
            }
            if self.scopes.is_none() {
                push(missing("scopes", "; write `scopes = []` to request none"));
            }
        }
        if kind == Kind::IamToken && self.audience.is_none() {
            push(missing(
                "audience",
                ", the services the token is for (its `aud` claim): `audience = [\"https://api.example.com\"]`",
            ));
        }
        // The workload access token: explicit, or for a workload identity and one of its users,
        // else (neither given) from the request context / the local development flow.
        match (&self.workload_identity, &self.user_id) {
            (Some((span, _)), None) => push(syn::Error::new(
                *span,
                "missing argument `user_id`: `workload_identity` gets a workload access token for one user of it",
            )),
            (None, Some((span, _))) => push(syn::Error::new(
                *span,
                "`user_id` needs `workload_identity = \"...\"`: the user is a user of that workload identity",
            )),
            _ => {}
        }
        if let (Some((span, _)), Some(_)) = (&self.workload_access_token, &self.workload_identity) {
            push(syn::Error::new(
                *span,
                "`workload_access_token` and `workload_identity` are two ways to get the same token; give one",
            ));
        }
        // M2M never answers with an authorization URL: arguments of the user flow would be ignored.
        if let Some((_, AuthFlow::M2M)) = self.auth_flow {
            let user_only = [
                ("on_auth_url", self.on_auth_url.as_ref().map(|(s, _)| *s)),
                ("callback_url", self.callback_url.as_ref().map(|(s, _)| *s)),
                (
                    "force_authentication",
                    self.force_authentication.as_ref().map(|(s, _)| *s),
                ),
                ("token_poller", self.token_poller.as_ref().map(|(s, _)| *s)),
                ("custom_state", self.custom_state.as_ref().map(|(s, _)| *s)),
                ("non_blocking", self.non_blocking.as_ref().map(|(s, _)| *s)),
            ];
            for (key, span) in user_only {
                if let Some(span) = span {
                    push(syn::Error::new(
                        span,
                        format!(
                            "`{key}` has no effect with `auth_flow = \"M2M\"`: it is only used when the user must consent (\"USER_FEDERATION\")"
                        ),
                    ));
                }
            }
        }
        if let Some(e) = errors {
            return Err(e);
        }

        let (into, into_span) = match self.into {
            Some((_, lit, ident)) => (ident, Some(lit.span())),
            None => (Ident::new(kind.default_into(), Span::call_site()), None),
        };
        Ok(Args {
            kind,
            krate: self.krate.map(|(_, p)| p),
            provider_name: self.provider_name.map(|(_, e)| e),
            into,
            into_span,
            scopes: self.scopes.map(|(_, v)| v),
            auth_flow: self.auth_flow.map(|(_, v)| v),
            resources: self.resources.map(|(_, v)| v),
            audiences: self.audiences.map(|(_, v)| v),
            audience: self.audience.map(|(_, v)| v),
            signing_algorithm: self.signing_algorithm.map(|(_, v)| v),
            duration_seconds: self.duration_seconds.map(|(_, v)| v),
            tags: self.tags.map(|(_, v)| v),
            on_auth_url: self.on_auth_url.map(|(_, v)| v),
            callback_url: self.callback_url.map(|(_, v)| v),
            force_authentication: self.force_authentication.map(|(_, v)| v),
            token_poller: self.token_poller.map(|(_, v)| v),
            custom_state: self.custom_state.map(|(_, v)| v),
            custom_parameters: self.custom_parameters.map(|(_, v)| v),
            non_blocking: self.non_blocking.map(|(_, v)| v),
            workload_identity: self.workload_identity.map(|(_, v)| v),
            user_id: self.user_id.map(|(_, v)| v),
            workload_access_token: self.workload_access_token.map(|(_, v)| v),
            client: self.client.map(|(_, v)| v),
        })
    }
}

/// The key of `keys` closest to `name` (edit distance at most 2, the same letters without `_`,
/// or a prefix of at least 4 letters), for a "did you mean".
fn closest<'a>(name: &str, keys: &[&'a str]) -> Option<&'a str> {
    let squash = |s: &str| s.replace('_', "").to_ascii_lowercase();
    keys.iter()
        .map(|k| {
            let d = if squash(k) == squash(name) {
                0
            } else if name.len() >= 4 && squash(k).starts_with(&squash(name)) {
                // `duration` for `duration_seconds`.
                2
            } else {
                edit_distance(name, k)
            };
            (d, *k)
        })
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

const AUTH_FLOW_EXPECTED: &str =
    "expected \"M2M\", \"USER_FEDERATION\" or \"ON_BEHALF_OF_TOKEN_EXCHANGE\"";

/// The service's pattern for credential provider names: `[a-zA-Z0-9\-_]{1,128}`.
fn check_provider_name(lit: &LitStr) -> syn::Result<()> {
    let value = lit.value();
    let ok = (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(syn::Error::new(
            lit.span(),
            format!(
                "invalid `provider_name` {value:?}: expected 1 to 128 of `a-z`, `A-Z`, `0-9`, `-`, `_`"
            ),
        ))
    }
}

/// `["a", "b"]` (each element must be a string literal), `[]`, or any other expression.
fn parse_str_list(input: ParseStream<'_>, key: &str) -> syn::Result<StrList> {
    let expr: Expr = input.parse()?;
    if let Expr::Array(ExprArray { elems, .. }) = &expr {
        if elems.is_empty() {
            return Ok(StrList::Empty);
        }
        for elem in elems {
            if let Expr::Lit(ExprLit { lit, .. }) = elem
                && !matches!(lit, Lit::Str(_))
            {
                return Err(syn::Error::new(
                    lit.span(),
                    format!("`{key}` takes strings, like `{key} = [\"a\", \"b\"]`"),
                ));
            }
        }
    } else if let Expr::Lit(ExprLit { lit, .. }) = &expr {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`{key}` takes a list: `{key} = [\"a\", \"b\"]`, or an expression like `{key} = SCOPES`"
            ),
        ));
    }
    Ok(StrList::Expr(expr))
}

/// `audience = ["https://a", ..]`: a non-empty list (literals checked against the STS model), or
/// any expression (checked by the client on each call).
fn parse_audience(input: ParseStream<'_>) -> syn::Result<Expr> {
    let expr: Expr = input.parse()?;
    if let Expr::Array(ExprArray { elems, .. }) = &expr {
        if elems.is_empty() {
            return Err(syn::Error::new_spanned(
                &expr,
                "`audience` cannot be empty: name at least one service the token is for (its \
                 `aud` claim), like `audience = [\"https://api.example.com\"]`",
            ));
        }
        if elems.len() > MAX_AUDIENCES {
            return Err(syn::Error::new_spanned(
                &expr,
                format!(
                    "`audience` names {} services; STS takes at most {MAX_AUDIENCES}",
                    elems.len()
                ),
            ));
        }
        for elem in elems {
            if let Expr::Lit(ExprLit { lit, .. }) = elem {
                let Lit::Str(s) = lit else {
                    return Err(syn::Error::new(
                        lit.span(),
                        "`audience` takes strings, like `audience = [\"https://api.example.com\"]`",
                    ));
                };
                let len = s.value().chars().count();
                if len == 0 {
                    return Err(syn::Error::new(s.span(), "an audience cannot be empty"));
                }
                if len > MAX_AUDIENCE_LEN {
                    return Err(syn::Error::new(
                        s.span(),
                        format!(
                            "this audience is {len} characters long; STS takes at most {MAX_AUDIENCE_LEN}"
                        ),
                    ));
                }
            }
        }
    } else if let Expr::Lit(ExprLit { lit, .. }) = &expr {
        let hint = match lit {
            Lit::Str(s) => format!("`audience = [{:?}]`", s.value()),
            _ => "`audience = [\"https://api.example.com\"]`".to_owned(),
        };
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`audience` takes a list, as in Python: {hint}, or an expression like `audience = AUDIENCE`"
            ),
        ));
    }
    Ok(expr)
}

/// `signing_algorithm = "ES384"` / `"RS256"`, or an expression.
fn parse_algorithm(input: ParseStream<'_>) -> syn::Result<Algorithm> {
    if !input.peek(LitStr) {
        let expr: Expr = input.parse()?;
        if let Expr::Lit(ExprLit { lit, .. }) = &expr {
            return Err(syn::Error::new(
                lit.span(),
                format!("`signing_algorithm` takes a string: {ALGORITHM_EXPECTED}"),
            ));
        }
        return Ok(Algorithm::Expr(expr));
    }
    let lit: LitStr = input.parse()?;
    let value = lit.value();
    if let Some(alg) = SigningAlgorithm::from_str(&value) {
        return Ok(Algorithm::Lit(alg));
    }
    let squashed: String = value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    let msg = match SigningAlgorithm::from_str(&squashed) {
        Some(alg) => format!(
            "unknown `signing_algorithm` {value:?}; did you mean {:?}? (the names are upper case, as in Python)",
            alg.wire()
        ),
        None => format!("unknown `signing_algorithm` {value:?}; {ALGORITHM_EXPECTED}"),
    };
    Err(syn::Error::new(lit.span(), msg))
}

const ALGORITHM_EXPECTED: &str = "expected \"ES384\" (the default) or \"RS256\"";

/// `duration_seconds = 300` (checked: 60..=3600) or an expression (checked on each call).
fn parse_duration(input: ParseStream<'_>) -> syn::Result<Expr> {
    let expr: Expr = input.parse()?;
    if let Expr::Lit(ExprLit { lit, .. }) = &expr {
        let Lit::Int(int) = lit else {
            return Err(syn::Error::new(
                lit.span(),
                "`duration_seconds` takes a number of seconds, like `duration_seconds = 300`",
            ));
        };
        let out_of_range = || {
            syn::Error::new(
                int.span(),
                format!(
                    "`duration_seconds = {}` is out of range: STS issues tokens for \
                     {MIN_DURATION_SECONDS} to {MAX_DURATION_SECONDS} seconds",
                    int.base10_digits()
                ),
            )
        };
        let secs: u64 = int.base10_parse().map_err(|_| out_of_range())?;
        if !(MIN_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&secs) {
            return Err(out_of_range());
        }
    }
    Ok(expr)
}

/// `tags = [("team", "a"), ("env", ENV)]` or `{ "team": "a" }` (literal keys checked, no key
/// twice, at most 50) or an expression. Both forms run the same checks, in the same order: the
/// count, on the whole value as written, then each key.
fn parse_tags(input: ParseStream<'_>) -> syn::Result<Tags> {
    let mut seen: Vec<String> = Vec::new();
    if input.peek(syn::token::Brace) {
        // `{ "team": "a" }`, as `custom_parameters` takes it. The whole `{ .. }`, to report the
        // count on (`input.span()` would be the `{` alone).
        let value: TokenTree = input.fork().parse()?;
        let entries = parse_map_entries(input, "`tags = { \"team\": \"a\" }`")?;
        check_tag_count(&value, entries.len())?;
        let mut pairs = Vec::new();
        for (k, v) in entries {
            check_tag_key_once(&k, &mut seen)?;
            let key = Expr::Lit(ExprLit {
                attrs: Vec::new(),
                lit: Lit::Str(k),
            });
            pairs.push((key, v));
        }
        return Ok(Tags::List(pairs));
    }
    let expr: Expr = input.parse()?;
    let Expr::Array(ExprArray { elems, .. }) = &expr else {
        if let Expr::Lit(ExprLit { lit, .. }) = &expr {
            return Err(syn::Error::new(lit.span(), TAGS_EXPECTED));
        }
        return Ok(Tags::Expr(expr));
    };
    check_tag_count(&expr, elems.len())?;
    let mut pairs = Vec::new();
    for elem in elems {
        let Expr::Tuple(t) = elem else {
            return Err(syn::Error::new_spanned(elem, TAGS_EXPECTED));
        };
        if t.elems.len() != 2 {
            return Err(syn::Error::new_spanned(elem, TAGS_EXPECTED));
        }
        let (k, v) = (t.elems[0].clone(), t.elems[1].clone());
        if let Expr::Lit(ExprLit { lit, .. }) = &k {
            let Lit::Str(key) = lit else {
                return Err(syn::Error::new(lit.span(), "a tag key is a string"));
            };
            check_tag_key_once(key, &mut seen)?;
        }
        pairs.push((k, v));
    }
    Ok(Tags::List(pairs))
}

/// At most `MAX_TAGS` literal tags; the error covers `value`, the `[..]` or `{ .. }` as written.
fn check_tag_count(value: &impl ToTokens, count: usize) -> syn::Result<()> {
    if count > MAX_TAGS {
        return Err(syn::Error::new_spanned(
            value,
            format!("{count} tags; STS takes at most {MAX_TAGS}"),
        ));
    }
    Ok(())
}

/// A literal tag key: one STS takes, and not in `seen` (the keys before it), which it joins.
fn check_tag_key_once(key: &LitStr, seen: &mut Vec<String>) -> syn::Result<()> {
    check_tag_key(key)?;
    if seen.contains(&key.value()) {
        return Err(syn::Error::new(
            key.span(),
            format!("duplicate tag key {:?}", key.value()),
        ));
    }
    seen.push(key.value());
    Ok(())
}

const TAGS_EXPECTED: &str = "`tags` takes a list of (key, value) pairs, like `tags = [(\"team\", \"a\")]`, a map, like `tags = { \"team\": \"a\" }`, or an expression";

/// A tag key as STS takes it: 1 to 128 of letters, digits, spaces and `_.:/=+-@`.
fn check_tag_key(key: &LitStr) -> syn::Result<()> {
    let value = key.value();
    let len = value.chars().count();
    let ok_char = |c: char| {
        c.is_alphanumeric()
            || (c.is_whitespace() && !c.is_control())
            || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
    };
    let msg = if len == 0 {
        "a tag key cannot be empty".to_owned()
    } else if len > MAX_TAG_KEY_LEN {
        format!("this tag key is {len} characters long; STS takes at most {MAX_TAG_KEY_LEN}")
    } else if let Some(c) = value.chars().find(|c| !ok_char(*c)) {
        format!(
            "tag key {value:?} contains {c:?}; STS takes letters, digits, spaces and `_.:/=+-@`"
        )
    } else {
        return Ok(());
    };
    Err(syn::Error::new(key.span(), msg))
}

/// `{ "access_type": "offline", "prompt": PROMPT }` or an expression (`PARAMS`, `[("k", "v")]`, a map).
fn parse_params(input: ParseStream<'_>) -> syn::Result<Params> {
    if input.peek(syn::token::Brace) {
        let pairs = parse_map(
            input,
            "custom parameter",
            "`custom_parameters = { \"access_type\": \"offline\" }`",
        )?;
        return Ok(Params::Map(pairs));
    }
    Ok(Params::Expr(input.parse()?))
}

/// `{ "k": v, .. }` with no key twice; `what` names a key in messages, `example` shows the form.
fn parse_map(
    input: ParseStream<'_>,
    what: &str,
    example: &str,
) -> syn::Result<Vec<(LitStr, Expr)>> {
    let pairs = parse_map_entries(input, example)?;
    let mut seen: Vec<String> = Vec::new();
    for (k, _) in &pairs {
        if seen.contains(&k.value()) {
            return Err(syn::Error::new(
                k.span(),
                format!("duplicate {what} {:?}", k.value()),
            ));
        }
        seen.push(k.value());
    }
    Ok(pairs)
}

/// The `"k": v` entries of `{ .. }` as written (the syntax only; keys are not compared).
fn parse_map_entries(input: ParseStream<'_>, example: &str) -> syn::Result<Vec<(LitStr, Expr)>> {
    let content;
    syn::braced!(content in input);
    let mut pairs: Vec<(LitStr, Expr)> = Vec::new();
    while !content.is_empty() {
        let k: LitStr = content.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("expected `\"name\": value` pairs, like {example}"),
            )
        })?;
        content.parse::<Token![:]>()?;
        let v: Expr = content.parse()?;
        pairs.push((k, v));
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(pairs)
}

/// `async |url| ..`, `async move |url| ..`, `|url| async { .. }`, `|url| async move { .. }`.
fn is_async_callback(expr: &Expr) -> bool {
    match expr {
        Expr::Closure(c) => c.asyncness.is_some() || is_async_body(&c.body),
        Expr::Paren(p) => is_async_callback(&p.expr),
        // `{ let tx = tx.clone(); move |url: String| async move { .. } }`: the tail decides.
        Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(e, None)) => is_async_callback(e),
            _ => false,
        },
        _ => false,
    }
}

fn is_async_body(body: &Expr) -> bool {
    match body {
        Expr::Async(_) => true,
        Expr::Paren(p) => is_async_body(&p.expr),
        // `|url| { let c = c.clone(); async move { .. } }`: the block's tail decides.
        Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(e, None)) => is_async_body(e),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(kind: Kind, tokens: TokenStream) -> syn::Result<Args> {
        Args::parse(kind, tokens)
    }

    fn err(kind: Kind, tokens: TokenStream) -> String {
        parse(kind, tokens).unwrap_err().to_string()
    }

    #[test]
    fn api_key_minimal() {
        let a = parse(
            Kind::ApiKey,
            quote!(provider_name = "openai-apikey-provider"),
        )
        .unwrap();
        assert_eq!(a.into, "api_key");
        assert!(a.into_span.is_none());
        assert!(a.krate.is_none());
    }

    #[test]
    fn defaults_mirror_python() {
        assert_eq!(Kind::ApiKey.default_into(), "api_key");
        assert_eq!(Kind::AccessToken.default_into(), "access_token");
        assert_eq!(Kind::Wat.default_into(), "identity_wat");
        let a = parse(Kind::Wat, quote!()).unwrap();
        assert_eq!(a.into, "identity_wat");
    }

    #[test]
    fn access_token_all_arguments() {
        let a = parse(
            Kind::AccessToken,
            quote!(
                provider_name = "google-provider",
                scopes = ["https://www.googleapis.com/auth/calendar"],
                auth_flow = "USER_FEDERATION",
                into = "token",
                resources = RESOURCES,
                audiences = [],
                on_auth_url = |url: &str| println!("Open {url}"),
                callback_url = "http://localhost:8081/oauth2/callback",
                force_authentication = false,
                token_poller = MyPoller::new(),
                custom_state = "state",
                custom_parameters = { "access_type": "offline", "prompt": PROMPT },
                non_blocking,
                workload_identity = "wl",
                user_id = user.id(),
                client = self.client,
                crate = "::reexport::agentcore_identity",
            ),
        )
        .unwrap();
        assert_eq!(a.into, "token");
        assert_eq!(a.auth_flow, Some(AuthFlow::UserFederation));
        assert!(matches!(a.scopes, Some(StrList::Expr(_))));
        assert!(matches!(a.audiences, Some(StrList::Empty)));
        assert!(matches!(a.resources, Some(StrList::Expr(Expr::Path(_)))));
        assert!(!a.on_auth_url.unwrap().is_async);
        match a.custom_parameters {
            Some(Params::Map(pairs)) => {
                assert_eq!(pairs.len(), 2);
                assert_eq!(pairs[0].0.value(), "access_type");
            }
            other => panic!("{other:?}"),
        }
        assert!(a.non_blocking.is_some());
        let k = a.krate.unwrap();
        assert_eq!(
            quote!(#k).to_string(),
            quote!(::reexport::agentcore_identity).to_string()
        );
    }

    #[test]
    fn on_auth_url_async_forms() {
        for tokens in [
            quote!(|url: String| async move { notify(url).await }),
            quote!(async |url: String| notify(url).await),
            quote!(async move |url: String| notify(url).await),
            quote!(|url| { async move { notify(url).await } }),
            quote!(move |url: String| {
                let c = c.clone();
                async move { c.notify(url).await }
            }),
            quote!((|url: String| async {})),
            quote!({
                let c = c.clone();
                move |url: String| {
                    let c = c.clone();
                    async move { c.go(url).await }
                }
            }),
        ] {
            let expr: Expr = syn::parse2(tokens.clone()).unwrap();
            assert!(is_async_callback(&expr), "{tokens}");
        }
        for tokens in [
            quote!(|url: &str| println!("{url}")),
            quote!(print_url),
            quote!(|url: &str| {
                tx.send(url.to_owned()).unwrap();
            }),
        ] {
            let expr: Expr = syn::parse2(tokens.clone()).unwrap();
            assert!(!is_async_callback(&expr), "{tokens}");
        }
    }

    #[test]
    fn scopes_from_const_or_vec() {
        let a = parse(
            Kind::AccessToken,
            quote!(provider_name = "p", scopes = SCOPES, auth_flow = "M2M"),
        )
        .unwrap();
        assert!(matches!(a.scopes, Some(StrList::Expr(Expr::Path(_)))));
        let a = parse(
            Kind::AccessToken,
            quote!(
                provider_name = "p",
                scopes = vec!["a".to_owned()],
                auth_flow = "M2M"
            ),
        )
        .unwrap();
        assert!(matches!(a.scopes, Some(StrList::Expr(Expr::Macro(_)))));
    }

    #[test]
    fn unknown_argument_lists_valid_ones() {
        let e = err(Kind::ApiKey, quote!(provider_name = "p", provder = "x"));
        assert!(
            e.starts_with("unknown argument `provder`; expected one of `provider_name`, `into`"),
            "{e}"
        );
        let e = err(Kind::ApiKey, quote!(provider_name = "p", scopes = ["x"]));
        assert!(
            e.starts_with("`scopes` is not an argument of `#[requires_api_key]`"),
            "{e}"
        );
        let e = err(Kind::Wat, quote!(provider_name = "p"));
        assert_eq!(
            e,
            "`provider_name` is not an argument of `#[requires_wat]`; expected one of `into` or `crate`"
        );
    }

    #[test]
    fn duplicate_argument() {
        let e = err(
            Kind::ApiKey,
            quote!(provider_name = "p", provider_name = "q"),
        );
        assert_eq!(e, "duplicate argument `provider_name`");
        let e = err(
            Kind::ApiKey,
            quote!(provider_name = "p", into = "a", into = "b"),
        );
        assert_eq!(e, "duplicate argument `into`");
    }

    #[test]
    fn missing_arguments_are_all_reported() {
        let e = parse(Kind::AccessToken, quote!()).unwrap_err();
        let msgs: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs[0].starts_with("missing argument `provider_name`"));
        assert!(msgs[1].starts_with("missing argument `auth_flow`"));
        assert!(msgs[2].starts_with("missing argument `scopes`"));
        let e = err(Kind::ApiKey, quote!());
        assert!(e.starts_with("missing argument `provider_name`"), "{e}");
    }

    #[test]
    fn auth_flow_is_checked() {
        let e = err(
            Kind::AccessToken,
            quote!(
                provider_name = "p",
                scopes = [],
                auth_flow = "CLIENT_CREDENTIALS"
            ),
        );
        assert_eq!(
            e,
            "unknown `auth_flow` \"CLIENT_CREDENTIALS\"; expected \"M2M\", \"USER_FEDERATION\" or \"ON_BEHALF_OF_TOKEN_EXCHANGE\""
        );
        for (s, f) in [
            ("M2M", AuthFlow::M2M),
            ("USER_FEDERATION", AuthFlow::UserFederation),
            (
                "ON_BEHALF_OF_TOKEN_EXCHANGE",
                AuthFlow::OnBehalfOfTokenExchange,
            ),
        ] {
            let a = parse(
                Kind::AccessToken,
                quote!(provider_name = "p", scopes = [], auth_flow = #s),
            )
            .unwrap();
            assert_eq!(a.auth_flow, Some(f));
        }
    }

    #[test]
    fn provider_name_pattern() {
        for bad in ["", "has space", "dots.are.not.allowed", "ünïcode"] {
            let e = err(Kind::ApiKey, quote!(provider_name = #bad));
            assert!(e.starts_with("invalid `provider_name`"), "{bad}: {e}");
        }
        let long = "a".repeat(129);
        assert!(parse(Kind::ApiKey, quote!(provider_name = #long)).is_err());
        let ok = "A-z_09".repeat(20);
        assert!(parse(Kind::ApiKey, quote!(provider_name = #ok)).is_ok());
        // An expression is not checked here: the service checks it.
        assert!(parse(Kind::ApiKey, quote!(provider_name = PROVIDER)).is_ok());
    }

    #[test]
    fn into_must_be_an_identifier() {
        let e = err(
            Kind::ApiKey,
            quote!(provider_name = "p", into = "not an ident"),
        );
        assert!(e.starts_with("`into` must name a parameter"), "{e}");
        let e = err(Kind::ApiKey, quote!(provider_name = "p", into = token));
        assert!(
            e.starts_with("expected the name of a parameter as a string"),
            "{e}"
        );
    }

    #[test]
    fn m2m_rejects_user_flow_arguments() {
        let e = parse(
            Kind::AccessToken,
            quote!(
                provider_name = "p",
                scopes = [],
                auth_flow = "M2M",
                on_auth_url = |u: &str| {},
                non_blocking = true
            ),
        )
        .unwrap_err();
        let msgs: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].starts_with("`on_auth_url` has no effect with `auth_flow = \"M2M\"`"));
        assert!(msgs[1].starts_with("`non_blocking` has no effect"));
    }

    #[test]
    fn workload_identity_and_user_id_go_together() {
        let e = err(Kind::ApiKey, quote!(provider_name = "p", user_id = "u"));
        assert!(e.starts_with("`user_id` needs `workload_identity"), "{e}");
        let e = err(
            Kind::ApiKey,
            quote!(provider_name = "p", workload_identity = "w"),
        );
        assert!(e.starts_with("missing argument `user_id`"), "{e}");
        let e = err(
            Kind::ApiKey,
            quote!(
                provider_name = "p",
                workload_identity = "w",
                user_id = "u",
                workload_access_token = wat
            ),
        );
        assert!(
            e.starts_with("`workload_access_token` and `workload_identity`"),
            "{e}"
        );
        assert!(
            parse(
                Kind::ApiKey,
                quote!(provider_name = "p", workload_identity = "w", user_id = id)
            )
            .is_ok()
        );
        assert!(
            parse(
                Kind::ApiKey,
                quote!(provider_name = "p", workload_access_token = wat.clone())
            )
            .is_ok()
        );
    }

    #[test]
    fn list_arguments_take_strings() {
        let e = err(
            Kind::AccessToken,
            quote!(provider_name = "p", auth_flow = "M2M", scopes = "a b"),
        );
        assert!(e.starts_with("`scopes` takes a list"), "{e}");
        let e = err(
            Kind::AccessToken,
            quote!(provider_name = "p", auth_flow = "M2M", scopes = [1]),
        );
        assert!(e.starts_with("`scopes` takes strings"), "{e}");
    }

    #[test]
    fn custom_parameters_map_syntax() {
        let e = err(
            Kind::AccessToken,
            quote!(provider_name = "p", auth_flow = "M2M", scopes = [], custom_parameters = { "a": "1", "a": "2" }),
        );
        assert_eq!(e, "duplicate custom parameter \"a\"");
        let e = err(
            Kind::AccessToken,
            quote!(provider_name = "p", auth_flow = "M2M", scopes = [], custom_parameters = { a: "1" }),
        );
        assert!(e.starts_with("expected `\"name\": value` pairs"), "{e}");
        let a = parse(
            Kind::AccessToken,
            quote!(
                provider_name = "p",
                auth_flow = "M2M",
                scopes = [],
                custom_parameters = PARAMS
            ),
        )
        .unwrap();
        assert!(matches!(a.custom_parameters, Some(Params::Expr(_))));
    }

    #[test]
    fn iam_arguments() {
        let a = parse(
            Kind::IamToken,
            quote!(
                audience = ["https://api.example.com", "https://b"],
                signing_algorithm = "RS256",
                duration_seconds = 900,
                tags = [("team", "a"), ("env", ENV)],
                into = "jwt",
                client = self.client,
            ),
        )
        .unwrap();
        assert_eq!(a.into, "jwt");
        assert!(matches!(
            a.signing_algorithm,
            Some(Algorithm::Lit(SigningAlgorithm::Rs256))
        ));
        assert!(matches!(a.audience, Some(Expr::Array(_))));
        match a.tags {
            Some(Tags::List(pairs)) => assert_eq!(pairs.len(), 2),
            other => panic!("{other:?}"),
        }
        assert!(a.provider_name.is_none());
        let a = parse(Kind::IamToken, quote!(audience = AUD)).unwrap();
        assert_eq!(a.into, "access_token");
        assert!(a.signing_algorithm.is_none() && a.duration_seconds.is_none());
        let a = parse(
            Kind::IamToken,
            quote!(
                audience = AUD,
                signing_algorithm = alg(),
                duration_seconds = self.secs,
                tags = TAGS
            ),
        )
        .unwrap();
        assert!(matches!(a.signing_algorithm, Some(Algorithm::Expr(_))));
        assert!(matches!(a.tags, Some(Tags::Expr(_))));
    }

    #[test]
    fn iam_literals_are_checked() {
        let e = err(Kind::IamToken, quote!(audience = []));
        assert!(e.starts_with("`audience` cannot be empty"), "{e}");
        let e = err(Kind::IamToken, quote!(audience = ["a", ""]));
        assert_eq!(e, "an audience cannot be empty");
        let e = err(Kind::IamToken, quote!(audience = "https://a"));
        assert!(
            e.starts_with("`audience` takes a list, as in Python: `audience = [\"https://a\"]`"),
            "{e}"
        );
        let eleven: Vec<String> = (0..11).map(|i| i.to_string()).collect();
        let e = err(Kind::IamToken, quote!(audience = [#(#eleven),*]));
        assert!(e.contains("at most 10"), "{e}");
        let e = err(
            Kind::IamToken,
            quote!(audience = ["a"], signing_algorithm = "es384"),
        );
        assert_eq!(
            e,
            "unknown `signing_algorithm` \"es384\"; did you mean \"ES384\"? (the names are upper case, as in Python)"
        );
        let e = err(
            Kind::IamToken,
            quote!(audience = ["a"], signing_algorithm = "rs-256"),
        );
        assert!(e.contains("did you mean \"RS256\""), "{e}");
        let e = err(
            Kind::IamToken,
            quote!(audience = ["a"], signing_algorithm = "HS256"),
        );
        assert_eq!(
            e,
            "unknown `signing_algorithm` \"HS256\"; expected \"ES384\" (the default) or \"RS256\""
        );
        for bad in [
            quote!(59),
            quote!(3601),
            quote!(0),
            quote!(99999999999999999999999),
        ] {
            let e = err(
                Kind::IamToken,
                quote!(audience = ["a"], duration_seconds = #bad),
            );
            assert!(e.contains("is out of range"), "{e}");
        }
        for ok in [60u32, 3600] {
            parse(
                Kind::IamToken,
                quote!(audience = ["a"], duration_seconds = #ok),
            )
            .unwrap();
        }
        let e = err(
            Kind::IamToken,
            quote!(audience = ["a"], duration_seconds = "300"),
        );
        assert!(e.starts_with("`duration_seconds` takes a number"), "{e}");
        let e = err(
            Kind::IamToken,
            quote!(audience = ["a"], tags = [("team", "a"), ("team", "b")]),
        );
        assert_eq!(e, "duplicate tag key \"team\"");
        let e = err(
            Kind::IamToken,
            quote!(audience = ["a"], tags = [("a*b", "x")]),
        );
        assert!(e.starts_with("tag key \"a*b\" contains '*'"), "{e}");
        let e = err(Kind::IamToken, quote!(audience = ["a"], tags = [("", "x")]));
        assert_eq!(e, "a tag key cannot be empty");
        let e = err(Kind::IamToken, quote!(audience = ["a"], tags = ["team"]));
        assert!(
            e.starts_with("`tags` takes a list of (key, value) pairs"),
            "{e}"
        );
        let a = parse(
            Kind::IamToken,
            quote!(audience = ["a"], tags = { "team": "a", "env": ENV }),
        )
        .unwrap();
        assert!(matches!(a.tags, Some(Tags::List(p)) if p.len() == 2));
        let e = err(
            Kind::IamToken,
            quote!(audience = ["a"], tags = { "team": "a", "team": "b" }),
        );
        assert_eq!(e, "duplicate tag key \"team\"");
    }

    #[test]
    fn tag_count_is_checked_in_both_forms() {
        let list = |keys: &[String]| quote!(audience = ["a"], tags = [#((#keys, "v")),*]);
        let map = |keys: &[String]| quote!(audience = ["a"], tags = { #(#keys: "v"),* });
        let keys: Vec<String> = (0..51).map(|i| format!("k{i}")).collect();
        for tokens in [list(&keys), map(&keys)] {
            assert_eq!(err(Kind::IamToken, tokens), "51 tags; STS takes at most 50");
        }
        // 50 is the limit, not past it.
        for tokens in [list(&keys[..50]), map(&keys[..50])] {
            let a = parse(Kind::IamToken, tokens).unwrap();
            assert!(matches!(a.tags, Some(Tags::List(p)) if p.len() == 50));
        }
        // The count comes first in both forms, before a duplicate or a key STS refuses.
        let mut bad = keys;
        bad[1] = "a*b".to_owned();
        bad[50] = "k0".to_owned();
        for tokens in [list(&bad), map(&bad)] {
            assert_eq!(err(Kind::IamToken, tokens), "51 tags; STS takes at most 50");
        }
        // Under the limit, the key errors in the same order in both forms: the first bad key.
        let mixed = ["a*b".to_owned(), "k0".to_owned(), "k0".to_owned()];
        for tokens in [list(&mixed), map(&mixed)] {
            let e = err(Kind::IamToken, tokens);
            assert!(e.starts_with("tag key \"a*b\" contains '*'"), "{e}");
        }
        let dup = ["k0".to_owned(), "k1".to_owned(), "k0".to_owned()];
        for tokens in [list(&dup), map(&dup)] {
            assert_eq!(err(Kind::IamToken, tokens), "duplicate tag key \"k0\"");
        }
        // An expression is counted by the client on each call.
        parse(Kind::IamToken, quote!(audience = ["a"], tags = TAGS)).unwrap();
    }

    #[test]
    fn iam_argument_names() {
        let e = err(Kind::IamToken, quote!());
        assert!(e.starts_with("missing argument `audience`"), "{e}");
        let e = err(Kind::IamToken, quote!(audiences = ["a"]));
        assert!(
            e.starts_with(
                "`audiences` is not an argument of `#[requires_iam_access_token]`; did you mean `audience`?"
            ),
            "{e}"
        );
        let e = err(Kind::IamToken, quote!(audience = ["a"], duration = 300));
        assert!(
            e.starts_with("unknown argument `duration`; did you mean `duration_seconds`?"),
            "{e}"
        );
        let e = err(
            Kind::IamToken,
            quote!(audience = ["a"], signing_algoritm = "ES384"),
        );
        assert!(e.contains("did you mean `signing_algorithm`?"), "{e}");
        let e = err(
            Kind::IamToken,
            quote!(audience = ["a"], provider_name = "p"),
        );
        assert!(
            e.starts_with("`provider_name` is not an argument of `#[requires_iam_access_token]`"),
            "{e}"
        );
        let e = err(
            Kind::AccessToken,
            quote!(provider_name = "p", audience = ["a"]),
        );
        assert!(e.contains("did you mean `audiences`?"), "{e}");
        let e = err(Kind::IamToken, quote!(audience = ["a"], audience = ["b"]));
        assert_eq!(e, "duplicate argument `audience`");
    }

    #[test]
    fn fallback_salvages_into_and_crate() {
        let a = Args::fallback(
            Kind::AccessToken,
            &quote!(
                provider_name = "p",
                into = "token",
                crate = "::x::y",
                bogus = 1
            ),
        );
        assert_eq!(a.into, "token");
        assert!(a.krate.is_some());
        assert_eq!(a.auth_flow, Some(AuthFlow::M2M));
    }
}
