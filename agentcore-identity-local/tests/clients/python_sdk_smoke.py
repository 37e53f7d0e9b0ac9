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
