// Test OpenID provider for agentcore-identity-testkit (npm oidc-provider 9.x).
//
// Environment:
//   PORT              port to listen on, 127.0.0.1 only (default 0 = chosen by the OS)
//   ACCESS_TOKEN_TTL  access token lifetime in seconds (default 600)
//   WORKLOAD_JWKS_URI when set, registers the client `testkit-iam` (private_key_jwt, RS256, keys
//                     from this JWKS URL: e.g. agentcore-identity-local's STS JWKS) allowed
//                     client_credentials, authorization_code, refresh_token, token exchange and
//                     the jwt-bearer grant, and trusts actor tokens of WORKLOAD_ISSUER signed with these keys
//   WORKLOAD_ISSUER   the `iss` of trusted workload actor tokens (default: WORKLOAD_JWKS_URI
//                     without its `/.well-known/jwks.json` suffix)
//   IDP_VERBOSE=1     keep oidc-provider's development warnings on stderr
//
// When ready, prints exactly one line to stdout: `IDP_LISTENING http://127.0.0.1:<port>`
// (that URL is the issuer). Everything is kept in memory: start one per test run.
//
// Behaviour the Rust tests rely on (keep in sync with testkit/src/lib.rs and README.md):
//   - Every authorization request asks for a login and then for consent (no SSO, no remembered
//     grants), so `sub` is always the login name typed on that request.
//   - Any login name and password are accepted. The login name `deny` makes the provider
//     redirect to the redirect_uri with `error=access_denied`; so does the consent page's
//     "Deny" form (`<form id="deny">`, field `decision=deny`).
//   - The web client and `testkit-iam` accept any redirect URI on http://127.0.0.1:<any port> or
//     http://localhost:<any port> (Client.prototype.redirectUriAllowed is overridden). The web
//     client may also use client_credentials (an M2M actor token for its own token exchanges).
//   - Access tokens are JWTs (RS256) for every grant; any requested scope is accepted.
//   - Refresh tokens are issued to every client allowed the refresh_token grant.
//   - RFC 8693 token exchange (grant_type=urn:ietf:params:oauth:grant-type:token-exchange) for the
//     web client and `testkit-iam`: the subject_token must be a JWT issued by this provider, verified with its own
//     signing key (RS256 signature, `iss` = the issuer, `exp` in the future, a `sub`); the answer is
//     an RS256 JWT access token with `sub` = the subject's `sub`, `client_id` and `act.sub` = the
//     exchanging client, `aud` = the requested `audience`/`resource` (default DEFAULT_RESOURCE),
//     `scope` as requested. Anything else: `invalid_grant` / `invalid_request` with a description.
//     An `actor_token` (with `actor_token_type` access_token, jwt or id_token) is verified too: a JWT
//     of this provider (as the subject token), or one of WORKLOAD_ISSUER verified with the keys at
//     WORKLOAD_JWKS_URI (RS256 or ES384, key by `kid`, `exp` in the future, `aud` = this issuer or
//     its token endpoint, a `sub`). Then `act` names the actor instead: `sub`, `iss`, and
//     `client_id` when the actor token has one (RFC 8693 section 4.1; the actor's own `act` nests).
//     Each accepted actor token is logged to stderr (`testkit idp: actor_token accepted` with its
//     `iss`, `sub` and `scope`; never the token).
//   - RFC 7523 JWT authorization grant (grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer)
//     for the web client and `testkit-iam`: the `assertion` must be a JWT issued by this provider,
//     verified as the token exchange's subject token (its `aud` is not checked: a user's access
//     token names the resource server); the answer is an RS256 JWT access token with `sub` = the
//     assertion's `sub`, `client_id` = the client, `aud` = `audience`/`resource` (default
//     DEFAULT_RESOURCE), `scope` as requested. No `act`: the client gets the user's own token.

import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, sign, verify } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';

// oidc-provider prints development notices with console.warn / console.info (including an
// "Unsupported runtime" warning at import time on Node 20): keep them quiet unless asked.
if (!process.env.IDP_VERBOSE) {
  const quiet = (original) => (...args) => {
    if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider ')) return;
    original(...args);
  };
  console.warn = quiet(console.warn.bind(console));
  console.info = quiet(console.info.bind(console));
}

const { default: Provider, interactionPolicy } = await import('oidc-provider');

// Keep in sync with the consts in testkit/src/lib.rs.
export const M2M_CLIENT_ID = 'testkit-m2m';
export const M2M_CLIENT_SECRET = 'testkit-m2m-secret';
export const M2M_POST_CLIENT_ID = 'testkit-m2m-post';
export const M2M_POST_CLIENT_SECRET = 'testkit-m2m-post-secret';
export const WEB_CLIENT_ID = 'testkit-web';
export const WEB_CLIENT_SECRET = 'testkit-web-secret';
/** Resource indicator used when the client sends none; the JWT access tokens' `aud`. */
export const DEFAULT_RESOURCE = 'urn:agentcore-identity:testkit:api';
/** RFC 8693 token exchange grant (allowed for the web client and testkit-iam). */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 7523 JWT authorization grant (allowed for the web client and testkit-iam). */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Client authenticating with private_key_jwt against WORKLOAD_JWKS_URI (only when it is set). */
export const IAM_CLIENT_ID = 'testkit-iam';
/** Login name that refuses the authorization (error=access_denied). */
export const DENY_LOGIN = 'deny';

/** Scopes always known to the resource server; any other requested scope is added on the fly. */
const BASE_SCOPES = ['openid', 'profile', 'email', 'offline_access', 'read', 'write', 'admin'];

const port = Number.parseInt(process.env.PORT ?? '0', 10);
const workloadJwksUri = process.env.WORKLOAD_JWKS_URI || undefined;
const JWKS_SUFFIX = '/.well-known/jwks.json';
const workloadIssuer = process.env.WORKLOAD_ISSUER
  || (workloadJwksUri?.endsWith(JWKS_SUFFIX) ? workloadJwksUri.slice(0, -JWKS_SUFFIX.length) : undefined);
const accessTokenTtl = Number.parseInt(process.env.ACCESS_TOKEN_TTL ?? '600', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`invalid PORT: ${process.env.PORT}`);
}
if (!Number.isInteger(accessTokenTtl) || accessTokenTtl <= 0) {
  throw new Error(`invalid ACCESS_TOKEN_TTL: ${process.env.ACCESS_TOKEN_TTL}`);
}

// Listen first: the issuer must contain the port the OS picked.
const server = createServer();
server.listen(port, '127.0.0.1');
await once(server, 'listening');
const issuer = `http://127.0.0.1:${server.address().port}`;

// A fresh signing key per run (avoids the provider's development keystore).
const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: 'testkit-rs256',
  alg: 'RS256',
  use: 'sig',
};

const splitScope = (value) => (typeof value === 'string' ? value.split(' ').filter(Boolean) : []);

/** Every scope the current request could be about, so that arbitrary scopes are accepted. */
function scopesInPlay(ctx) {
  const scopes = new Set(BASE_SCOPES);
  const add = (value) => splitScope(value).forEach((s) => scopes.add(s));
  add(ctx.oidc?.params?.scope);
  const entities = ctx.oidc?.entities ?? {};
  for (const name of ['AuthorizationCode', 'RefreshToken', 'Grant', 'Interaction']) {
    const entity = entities[name];
    if (!entity) continue;
    add(entity.scope);
    add(entity.params?.scope);
    if (typeof entity.getResourceScope === 'function') {
      try {
        add(entity.getResourceScope(DEFAULT_RESOURCE));
      } catch {
        // not a resource-aware entity
      }
    }
  }
  return [...scopes].join(' ');
}

// Every authorization request asks for a login, even with an existing session, so the `sub`
// is always the login name given to this request.
const policy = interactionPolicy.base();
policy.get('login').checks.unshift(
  new interactionPolicy.Check(
    'testkit_fresh_login',
    'every authorization request asks for a login',
    (ctx) => (ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT),
  ),
);

const escapeHtml = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

const page = (title, body) => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;

const configuration = {
  clients: [
    {
      client_id: M2M_CLIENT_ID,
      client_secret: M2M_CLIENT_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: M2M_POST_CLIENT_ID,
      client_secret: M2M_POST_CLIENT_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    },
    {
      client_id: WEB_CLIENT_ID,
      client_secret: WEB_CLIENT_SECRET,
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials', TOKEN_EXCHANGE_GRANT,
        JWT_BEARER_GRANT],
      response_types: ['code'],
      // Placeholder: any loopback redirect URI is allowed, see redirectUriAllowed below.
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    ...(workloadJwksUri ? [{
      client_id: IAM_CLIENT_ID,
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT,
        JWT_BEARER_GRANT],
      response_types: ['code'],
      // Placeholder: any loopback redirect URI is allowed, see redirectUriAllowed below.
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS256',
      jwks_uri: workloadJwksUri,
    }] : []),
  ],
  jwks: { keys: [signingKey] },
  // oidc-provider refuses outbound requests (a client's jwks_uri) to special-use addresses; this
  // provider serves tests on loopback, so a loopback URL is fetched without that dispatcher.
  fetch: (url, options) => {
    const { hostname } = new URL(url);
    if (hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]') {
      const { dispatcher: _ssrfGuard, ...rest } = options;
      return globalThis.fetch(url, rest);
    }
    return globalThis.fetch(url, options);
  },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: BASE_SCOPES,
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          name: sub,
          preferred_username: sub,
          email: `${sub}@example.test`,
          email_verified: true,
        };
      },
    };
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => DEFAULT_RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resourceIndicator) => ({
        audience: resourceIndicator,
        scope: scopesInPlay(ctx),
        accessTokenFormat: 'jwt',
        accessTokenTTL: accessTokenTtl,
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  // Consent is asked on every authorization request: only the grant just consented to is used.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId;
    return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
  },
  async issueRefreshToken(_ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
  pkce: { required: () => false },
  ttl: {
    AccessToken: accessTokenTtl,
    ClientCredentials: accessTokenTtl,
    AuthorizationCode: 600,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 3600,
    Interaction: 3600,
    Session: 24 * 3600,
    Grant: 14 * 24 * 3600,
  },
  interactions: {
    policy,
    url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  async renderError(ctx, out, error) {
    ctx.type = 'html';
    ctx.body = page('Error', `<pre id="error">${escapeHtml(JSON.stringify(out, null, 2))}</pre>`);
    if (!(error && error.expose)) {
      console.error('testkit idp: renderError', error);
    }
  },
};

const provider = new Provider(issuer, configuration);
provider.proxy = false;

// Any redirect URI on http://127.0.0.1:<port> or http://localhost:<port> is allowed for the web
// client: the service under test picks its port at run time.
const isLoopbackHttp = (value) => {
  const url = URL.parse(value);
  return url !== null
    && url.protocol === 'http:'
    && (url.hostname === '127.0.0.1' || url.hostname === 'localhost')
    && url.hash === ''
    && url.username === ''
    && url.password === '';
};
const redirectUriAllowed = provider.Client.prototype.redirectUriAllowed;
provider.Client.prototype.redirectUriAllowed = function testkitRedirectUriAllowed(value) {
  if ((this.clientId === WEB_CLIENT_ID || this.clientId === IAM_CLIENT_ID) && isLoopbackHttp(value)) return true;
  return redirectUriAllowed.call(this, value);
};

// RFC 8693 token exchange: verify the subject token with this provider's own key, issue a JWT
// access token for the same subject, acting as the client.
const publicKey = createPublicKey({ key: signingKey, format: 'jwk' });
const privateKey = createPrivateKey({ key: signingKey, format: 'jwk' });
// Thrown and answered as {error, error_description} (oidc-provider's own errors keep the detail out
// of error_description).
const exchangeError = (error, description) => Object.assign(new Error(description), { exchange: { error, error_description: description } });
const b64url = (value) => Buffer.from(value).toString('base64url');
function verifyOwnJwt(token, name = 'subject_token') {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) throw exchangeError('invalid_grant', `${name} is not a JWT`);
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw exchangeError('invalid_grant', `${name} is not a JWT`);
  }
  if (header.alg !== 'RS256') throw exchangeError('invalid_grant', `${name}: unsupported alg`);
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  if (!verify('RSA-SHA256', signed, publicKey, Buffer.from(parts[2], 'base64url'))) {
    throw exchangeError('invalid_grant', `${name} signature is invalid`);
  }
  if (claims.iss !== issuer) throw exchangeError('invalid_grant', `${name} was not issued by this provider`);
  if (typeof claims.exp !== 'number' || claims.exp <= Date.now() / 1000) {
    throw exchangeError('invalid_grant', `${name} has expired`);
  }
  if (typeof claims.sub !== 'string' || !claims.sub) throw exchangeError('invalid_grant', `${name} has no sub`);
  return claims;
}
const SUBJECT_TYPES = ['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:access_token',
  'urn:ietf:params:oauth:token-type:id_token'];

/** The parts of a compact JWS: header and claims decoded, the signing input, the signature. */
function decodeJwt(token, name) {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) throw exchangeError('invalid_grant', `${name} is not a JWT`);
  try {
    return {
      header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
      claims: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
      signed: Buffer.from(`${parts[0]}.${parts[1]}`),
      signature: Buffer.from(parts[2], 'base64url'),
    };
  } catch {
    throw exchangeError('invalid_grant', `${name} is not a JWT`);
  }
}

/**
 * Verifies an RFC 8693 actor token: one of this provider's own JWTs (e.g. a client_credentials
 * access token), or a JWT of WORKLOAD_ISSUER signed with a key of WORKLOAD_JWKS_URI (fetched on
 * every use: the workload's keys may change between runs) whose `aud` names this provider.
 */
async function verifyActorToken(ctx, token, type) {
  if (!type) throw exchangeError('invalid_request', 'actor_token_type is required with actor_token');
  if (!SUBJECT_TYPES.includes(type)) throw exchangeError('invalid_request', 'unsupported actor_token_type');
  const { header, claims, signed, signature } = decodeJwt(token, 'actor_token');
  if (claims.iss === issuer) return verifyOwnJwt(token, 'actor_token');
  if (!workloadIssuer || claims.iss !== workloadIssuer) {
    throw exchangeError('invalid_grant', 'actor_token was not issued by a trusted issuer');
  }
  // Bounded like the service's own outbound reads: 5 s, 256 KiB.
  const response = await globalThis.fetch(workloadJwksUri, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`workload JWKS answered HTTP ${response.status}`);
  const body = await response.text();
  if (body.length > 256 * 1024) throw new Error('workload JWKS is larger than 256 KiB');
  const { keys = [] } = JSON.parse(body);
  const jwk = keys.find((k) => k.kid === header.kid);
  if (!jwk) throw exchangeError('invalid_grant', 'actor_token is not signed with a key of its issuer (unknown kid)');
  if (jwk.alg && jwk.alg !== header.alg) throw exchangeError('invalid_grant', 'actor_token: alg does not match its key');
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  let valid;
  if (header.alg === 'RS256') {
    valid = verify('RSA-SHA256', signed, key, signature);
  } else if (header.alg === 'ES384') {
    valid = verify('sha384', signed, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } else {
    throw exchangeError('invalid_grant', 'actor_token: unsupported alg');
  }
  if (!valid) throw exchangeError('invalid_grant', 'actor_token signature is invalid');
  if (typeof claims.exp !== 'number' || claims.exp <= Date.now() / 1000) {
    throw exchangeError('invalid_grant', 'actor_token has expired');
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(issuer) && !audiences.includes(ctx.oidc.urlFor('token'))) {
    throw exchangeError('invalid_grant', 'actor_token audience is not this provider');
  }
  if (typeof claims.sub !== 'string' || !claims.sub) throw exchangeError('invalid_grant', 'actor_token has no sub');
  return claims;
}
provider.registerGrantType(TOKEN_EXCHANGE_GRANT, async (ctx) => {
  try {
    await tokenExchange(ctx);
  } catch (error) {
    if (!error.exchange) throw error;
    ctx.status = 400;
    ctx.set('cache-control', 'no-store');
    ctx.body = error.exchange;
  }
}, ['subject_token', 'subject_token_type', 'requested_token_type', 'scope', 'resource', 'audience',
  'actor_token', 'actor_token_type'], ['resource', 'audience']);

async function tokenExchange(ctx) {
  const { params, client } = ctx.oidc;
  if (!params.subject_token) throw exchangeError('invalid_request', 'missing required parameter subject_token');
  if (!SUBJECT_TYPES.includes(params.subject_token_type)) {
    throw exchangeError('invalid_request', 'unsupported subject_token_type');
  }
  if (params.requested_token_type
    && params.requested_token_type !== 'urn:ietf:params:oauth:token-type:access_token') {
    throw exchangeError('invalid_request', 'unsupported requested_token_type');
  }
  const subject = verifyOwnJwt(params.subject_token);
  let act = { sub: client.clientId };
  if (params.actor_token) {
    const actor = await verifyActorToken(ctx, params.actor_token, params.actor_token_type);
    act = { sub: actor.sub, iss: actor.iss };
    if (actor.client_id) act.client_id = actor.client_id;
    if (actor.act) act.act = actor.act;
    console.error(`testkit idp: actor_token accepted: iss=${actor.iss} sub=${actor.sub} scope=${actor.scope ?? ''}`);
  } else if (params.actor_token_type) {
    throw exchangeError('invalid_request', 'actor_token_type given without actor_token');
  }
  const list = (value) => (Array.isArray(value) ? value : value ? [value] : []);
  const audiences = [...list(params.audience), ...list(params.resource)];
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuer,
    sub: subject.sub,
    aud: audiences.length === 0 ? DEFAULT_RESOURCE : audiences.length === 1 ? audiences[0] : audiences,
    client_id: client.clientId,
    act,
    scope: params.scope ?? '',
    iat: now,
    exp: now + accessTokenTtl,
    jti: randomUUID(),
  };
  const header = { alg: 'RS256', typ: 'at+jwt', kid: signingKey.kid };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url');
  ctx.set('cache-control', 'no-store');
  ctx.body = {
    access_token: `${input}.${signature}`,
    issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    token_type: 'Bearer',
    expires_in: accessTokenTtl,
    scope: claims.scope || undefined,
  };
}

// RFC 7523 JWT authorization grant: the assertion (a user's JWT of this provider) for the user's
// own access token.
provider.registerGrantType(JWT_BEARER_GRANT, async (ctx) => {
  try {
    const { params, client } = ctx.oidc;
    if (!params.assertion) throw exchangeError('invalid_request', 'missing required parameter assertion');
    const subject = verifyOwnJwt(params.assertion, 'assertion');
    const list = (value) => (Array.isArray(value) ? value : value ? [value] : []);
    const audiences = [...list(params.audience), ...list(params.resource)];
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: subject.sub,
      aud: audiences.length === 0 ? DEFAULT_RESOURCE : audiences.length === 1 ? audiences[0] : audiences,
      client_id: client.clientId,
      scope: params.scope ?? '',
      iat: now,
      exp: now + accessTokenTtl,
      jti: randomUUID(),
    };
    const header = { alg: 'RS256', typ: 'at+jwt', kid: signingKey.kid };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url');
    ctx.set('cache-control', 'no-store');
    ctx.body = {
      access_token: `${input}.${signature}`,
      token_type: 'Bearer',
      expires_in: accessTokenTtl,
      scope: claims.scope || undefined,
    };
  } catch (error) {
    if (!error.exchange) throw error;
    ctx.status = 400;
    ctx.set('cache-control', 'no-store');
    ctx.body = error.exchange;
  }
}, ['assertion', 'scope', 'resource', 'audience'], ['resource', 'audience']);

// Why a token request was refused (oidc-provider keeps the detail out of the answer).
provider.on('grant.error', (_ctx, error) => {
  console.error(`testkit idp: grant.error ${error.error}: ${error.error_detail ?? error.message}${error.cause ? ` (${error.cause.error_description ?? error.cause.message ?? error.cause})` : ''}`);
});

provider.on('server_error', (_ctx, error) => {
  console.error('testkit idp: server_error', error);
});

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// The login and consent pages (instead of the provider's devInteractions, so that consent can
// be refused and the login name `deny` works).
provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(ctx.path);
  if (!match || !['GET', 'POST'].includes(ctx.method)) {
    await next();
    return;
  }
  ctx.set('cache-control', 'no-store');

  let details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (error) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('Error', `<pre id="error">interaction not found: ${escapeHtml(error.message)}</pre>`);
    return;
  }
  const { uid, prompt, params } = details;
  const action = `/interaction/${uid}`;

  if (ctx.method === 'GET') {
    ctx.type = 'html';
    if (prompt.name === 'login') {
      ctx.body = page('Sign-in', `<p>Client: <code>${escapeHtml(params.client_id)}</code>. Any login and password are accepted; the login <code>${DENY_LOGIN}</code> refuses.</p>
<form id="login" method="post" action="${escapeHtml(action)}">
  <input type="hidden" name="prompt" value="login">
  <input type="text" name="login" value="${escapeHtml(params.login_hint ?? '')}" required>
  <input type="password" name="password">
  <button type="submit">Sign-in</button>
</form>`);
    } else if (prompt.name === 'consent') {
      ctx.body = page('Authorize', `<p>Client <code>${escapeHtml(params.client_id)}</code> asks for <code>${escapeHtml(params.scope ?? '')}</code>.</p>
<form id="approve" method="post" action="${escapeHtml(action)}">
  <input type="hidden" name="prompt" value="consent">
  <input type="hidden" name="decision" value="approve">
  <button type="submit">Continue</button>
</form>
<form id="deny" method="post" action="${escapeHtml(action)}">
  <input type="hidden" name="prompt" value="consent">
  <input type="hidden" name="decision" value="deny">
  <button type="submit">Deny</button>
</form>`);
    } else {
      ctx.status = 501;
      ctx.body = page('Error', `<pre id="error">prompt not implemented: ${escapeHtml(prompt.name)}</pre>`);
    }
    return;
  }

  // POST
  const form = await readForm(ctx.req);
  if (form.get('prompt') !== prompt.name) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('Error', `<pre id="error">expected prompt ${escapeHtml(prompt.name)}, got ${escapeHtml(form.get('prompt'))}</pre>`);
    return;
  }

  let result;
  let merge = false;
  if (prompt.name === 'login') {
    const login = (form.get('login') ?? '').trim();
    if (!login) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = page('Error', '<pre id="error">login is required</pre>');
      return;
    }
    result = login === DENY_LOGIN
      ? { error: 'access_denied', error_description: 'the End-User refused to sign in' }
      : { login: { accountId: login } };
  } else if (prompt.name === 'consent') {
    if (form.get('decision') === 'deny') {
      result = { error: 'access_denied', error_description: 'the End-User denied consent' };
    } else {
      const { details: missing } = prompt;
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      if (missing.missingResourceScopes) {
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
          grant.addResourceScope(indicator, scopes.join(' '));
        }
      }
      if (missing.rar) missing.rar.forEach((detail) => grant.addRar(detail));
      result = { consent: { grantId: await grant.save() } };
      merge = true;
    }
  } else {
    ctx.status = 501;
    return;
  }

  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: merge,
  });
  ctx.redirect(returnTo);
  ctx.status = 303;
});

server.on('request', provider.callback());

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

process.stdout.write(`IDP_LISTENING ${issuer}\n`);
