"""Writes the seed corpus of fuzz/fuzz_targets/decode.rs: one valid request body per operation
(first byte: the operation's index in agentcore-identity-local's operation list), plus a few
refused ones. Usage: python3 bench/fuzz_seeds.py DIR"""
import json, os, sys

JWT = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.c2ln"
META = {"issuer": "https://idp.example", "authorizationEndpoint": "https://idp.example/auth",
        "tokenEndpoint": "https://idp.example/token", "tokenEndpointAuthMethods": ["client_secret_basic"]}
BODIES = [
    {"workloadName": "my-agent"},
    {"workloadName": "my-agent", "userToken": JWT},
    {"workloadName": "my-agent", "userId": "alice"},
    {"workloadIdentityToken": "wat", "resourceCredentialProviderName": "openai"},
    {"workloadIdentityToken": "wat", "resourceCredentialProviderName": "google", "scopes": ["openid", "email"],
     "oauth2Flow": "USER_FEDERATION", "sessionUri": "urn:ietf:params:oauth:request_uri:abc",
     "resourceOauth2ReturnUrl": "http://localhost:8081/cb", "forceAuthentication": True,
     "customParameters": {"prompt": "consent"}, "customState": "xyz", "resources": ["r"], "audiences": ["a"]},
    {"userIdentifier": {"userToken": JWT}, "sessionUri": "urn:ietf:params:oauth:request_uri:abc"},
    {"name": "my-agent", "allowedResourceOauth2ReturnUrls": ["http://localhost/cb"], "tags": {"team": "a b"}},
    {"name": "my-agent"},
    {"name": "my-agent", "allowedResourceOauth2ReturnUrls": []},
    {"name": "my-agent"},
    {"maxResults": 10, "nextToken": "bXktYWdlbnQ"},
    {"name": "openai", "apiKey": "sk-123", "apiKeySecretSource": "MANAGED", "tags": {"k": "v"}},
    {"name": "openai"},
    {"name": "openai", "apiKeySecretConfig": {"secretId": "s", "jsonKey": "k"}, "apiKeySecretSource": "EXTERNAL"},
    {"name": "openai"},
    {"maxResults": 100},
    {"name": "custom", "credentialProviderVendor": "CustomOauth2", "oauth2ProviderConfigInput": {
        "customOauth2ProviderConfig": {"oauthDiscovery": {"authorizationServerMetadata": META}, "clientId": "c",
                                       "clientSecret": "s", "clientAuthenticationMethod": "CLIENT_SECRET_POST",
                                       "onBehalfOfTokenExchangeConfig": {"grantType": "TOKEN_EXCHANGE",
                                           "tokenExchangeGrantTypeConfig": {"actorTokenContent": "M2M", "actorTokenScopes": ["s"]}}}}},
    {"name": "google"},
    {"name": "okta", "credentialProviderVendor": "OktaOauth2", "oauth2ProviderConfigInput": {
        "includedOauth2ProviderConfig": {"clientId": "c", "clientSecret": "s", "issuer": "https://okta.example"}}},
    {"name": "google"},
    {"maxResults": 20},
]
EXTRA = [
    (16, {"name": "ms", "credentialProviderVendor": "MicrosoftOauth2", "oauth2ProviderConfigInput": {
        "microsoftOauth2ProviderConfig": {"clientId": "c", "clientSecret": "s", "tenantId": "t"}}}),
    (16, {"name": "d", "credentialProviderVendor": "CustomOauth2", "oauth2ProviderConfigInput": {
        "customOauth2ProviderConfig": {"oauthDiscovery": {"discoveryUrl": "http://127.0.0.1:1/.well-known/openid-configuration"}}}}),
    (5, {"userIdentifier": {"userId": "alice"}, "sessionUri": "urn:ietf:params:oauth:request_uri:abc"}),
]
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for i, b in list(enumerate(BODIES)) + EXTRA:
    data = bytes([i]) + json.dumps(b).encode()
    with open(os.path.join(out, f"seed-{i:02d}-{abs(hash(data)) % 10**8:08d}"), "wb") as f:
        f.write(data)
print(f"{len(BODIES) + len(EXTRA)} seeds in {out}")
