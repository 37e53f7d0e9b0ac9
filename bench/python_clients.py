"""The official Python clients against agentcore-identity-local, for what the Rust tests cannot
run: boto3 (1.44) and the Python SDK (bedrock-agentcore 1.25.0) on the operations beyond the
tutorial: STS GetWebIdentityToken (and the Python SDK's @requires_iam_access_token), tags, and
the token vault. Run by bench/python-clients.sh, which starts the service and sets
AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_BEDROCK_AGENTCORE(_CONTROL) to it.

Every check asserts; the script exits non-zero at the first failure and prints one line per
check passed.
"""

import asyncio
import json
import os
import sys
import urllib.request
import uuid

import boto3
import jwt
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = os.environ.get("AWS_REGION", "us-east-1")
ENDPOINT = os.environ["AWS_ENDPOINT_URL_STS"]


def ok(what):
    print(f"ok   {what}")


def fetch_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)


def verify(token, audience):
    """Verifies `token` offline against the issuer's own discovery document and JWKS."""
    issuer = jwt.decode(token, options={"verify_signature": False})["iss"]
    discovery = fetch_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    assert discovery["issuer"] == issuer, (discovery["issuer"], issuer)
    jwks = jwt.PyJWKClient(discovery["jwks_uri"])
    key = jwks.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        key.key,
        algorithms=["ES384", "RS256"],
        audience=audience,
        issuer=issuer,
    )


def sts_checks():
    sts = boto3.client("sts", region_name=REGION)
    for alg in ("ES384", "RS256"):
        out = sts.get_web_identity_token(
            Audience=["https://api.example.com"],
            SigningAlgorithm=alg,
            DurationSeconds=900,
            Tags=[{"Key": "team", "Value": "blue"}],
        )
        token = out["WebIdentityToken"]
        assert jwt.get_unverified_header(token)["alg"] == alg
        claims = verify(token, "https://api.example.com")
        assert claims["exp"] - claims["iat"] == 900, claims
        tags = claims["https://sts.amazonaws.com/"]["request_tags"]
        assert tags == {"team": "blue"}, tags
        assert out["Expiration"].timestamp() == claims["exp"], (out["Expiration"], claims["exp"])
        ok(f"boto3 sts.get_web_identity_token {alg}: verifies against the JWKS, exp - iat = 900, tags as claims")
    # botocore checks the range itself; without that check, the service's answer is what shows
    raw = boto3.client("sts", region_name=REGION, config=Config(parameter_validation=False))
    try:
        raw.get_web_identity_token(Audience=["a"], SigningAlgorithm="ES384", DurationSeconds=30)
        raise AssertionError("DurationSeconds=30 accepted")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ValidationError", e.response
        assert "durationseconds" in e.response["Error"]["Message"].lower(), e.response
        ok("boto3 sts: DurationSeconds=30 refused (ValidationError naming DurationSeconds)")


def python_sdk_checks():
    from bedrock_agentcore.identity.auth import requires_iam_access_token

    @requires_iam_access_token(audience=["https://api.example.com"], duration_seconds=120)
    async def call_api(*, access_token):
        return access_token

    token = asyncio.run(call_api())
    claims = verify(token, "https://api.example.com")
    assert claims["exp"] - claims["iat"] == 120, claims
    assert jwt.get_unverified_header(token)["alg"] == "ES384"
    ok("Python SDK @requires_iam_access_token: ES384 token, verifies, exp - iat = 120")


def control_checks():
    cp = boto3.client("bedrock-agentcore-control", region_name=REGION)
    name = "py-clients-" + uuid.uuid4().hex[:8]
    created = cp.create_api_key_credential_provider(
        name=name, apiKey="sk-" + uuid.uuid4().hex, tags={"env": "dev"}
    )
    arn = created["credentialProviderArn"]
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "dev"}
    cp.tag_resource(resourceArn=arn, tags={"team": "blue"})
    cp.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "blue"}
    ok("boto3 tags: on create, tag_resource, untag_resource, list_tags_for_resource")
    try:
        cp.list_tags_for_resource(resourceArn=arn.replace(name, name + "-gone"))
        raise AssertionError("tags of an unknown ARN listed")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceNotFoundException", e.response
        ok("boto3 tags: unknown ARN -> ResourceNotFoundException")
    cp.delete_api_key_credential_provider(name=name)

    vault = cp.get_token_vault(tokenVaultId="default")
    assert vault["tokenVaultId"] == "default", vault
    assert vault["kmsConfiguration"]["keyType"] == "ServiceManagedKey", vault
    ok("boto3 get_token_vault: default, ServiceManagedKey")
    reset = cp.reset_token_vault_key_material(tokenVaultId="default")
    assert reset["tokenVaultId"] == "default", reset
    assert reset["kmsConfiguration"]["keyType"] == "ServiceManagedKey", reset
    ok("boto3 reset_token_vault_key_material: default, ServiceManagedKey")


if __name__ == "__main__":
    only = set(sys.argv[1:])
    for name, check in (("sts", sts_checks), ("sdk", python_sdk_checks), ("control", control_checks)):
        if not only or name in only:
            check()
    print("python clients: all checks passed")
