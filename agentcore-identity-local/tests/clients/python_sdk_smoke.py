import os, asyncio
os.environ.update(BEDROCK_AGENTCORE_DP_ENDPOINT=os.environ.get("ENDPOINT", "http://127.0.0.1:8787"), BEDROCK_AGENTCORE_CP_ENDPOINT=os.environ.get("ENDPOINT", "http://127.0.0.1:8787"),
                  AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="AKID", AWS_SECRET_ACCESS_KEY="SECRET")
from bedrock_agentcore.services.identity import IdentityClient
c = IdentityClient("us-east-1")
w = c.create_workload_identity(name="pysdk-agent", allowed_resource_oauth_2_return_urls=["http://localhost:9/cb"])
print("workload", w["workloadIdentityArn"])
c.create_api_key_credential_provider({"name": "pysdk-key", "apiKey": "sk-pysdk"})
t = c.get_workload_access_token("pysdk-agent", user_id="u1")["workloadAccessToken"]
print("api key:", asyncio.run(c.get_api_key(provider_name="pysdk-key", agent_identity_token=t)))
from bedrock_agentcore.identity.auth import requires_api_key
import tempfile; os.chdir(tempfile.mkdtemp())
@requires_api_key(provider_name="pysdk-key")
async def f(*, api_key):
    return api_key
print("decorator (local dev flow):", asyncio.run(f()))
urls = []
async def poll_once():
    try:
        await asyncio.wait_for(c.get_token(provider_name="gh", scopes=["repo"], agent_identity_token=t, on_auth_url=urls.append,
                                      auth_flow="USER_FEDERATION", callback_url="http://localhost:9/cb"), timeout=1)
    except asyncio.TimeoutError:
        pass
asyncio.run(poll_once())
print("on_auth_url got:", urls)
# requires_iam_access_token: STS GetWebIdentityToken through boto3, pointed here by AWS_ENDPOINT_URL_STS.
os.environ["AWS_ENDPOINT_URL_STS"] = os.environ.get("ENDPOINT", "http://127.0.0.1:8787")
from bedrock_agentcore.identity.auth import requires_iam_access_token
@requires_iam_access_token(audience=["https://api.example.com"], duration_seconds=120, tags=[{"Key": "k", "Value": "v"}])
async def g(*, access_token):
    return access_token
import json as _json, base64 as _b64
_c = _json.loads(_b64.urlsafe_b64decode(asyncio.run(g()).split(".")[1] + "=="))
assert _c["exp"] - _c["iat"] == 120 and _c["aud"] == "https://api.example.com", _c
print("requires_iam_access_token:", _c["iss"], _c["https://sts.amazonaws.com/"]["request_tags"])
