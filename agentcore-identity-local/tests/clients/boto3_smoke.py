import os
import boto3, botocore
kw = dict(endpoint_url=os.environ.get("ENDPOINT", "http://127.0.0.1:8787"), region_name="us-west-2", aws_access_key_id="AKID", aws_secret_access_key="SECRET")
cp = boto3.client("bedrock-agentcore-control", **kw)
dp = boto3.client("bedrock-agentcore", **kw)
w = cp.create_workload_identity(name="py-agent", allowedResourceOauth2ReturnUrls=["http://localhost:9/cb"])
print("create", w["ResponseMetadata"]["HTTPStatusCode"], w["workloadIdentityArn"])
print("get", cp.get_workload_identity(name="py-agent")["createdTime"])
p = cp.create_api_key_credential_provider(name="py-key", apiKey="sk-py")
print("apikey arn", p["credentialProviderArn"], p["apiKeySecretArn"])
o = cp.create_oauth2_credential_provider(name="gh", credentialProviderVendor="GithubOauth2",
    oauth2ProviderConfigInput={"githubOauth2ProviderConfig": {"clientId": "x", "clientSecret": "y"}})
print("oauth2", o["callbackUrl"], o["oauth2ProviderConfigOutput"])
print("list", cp.list_oauth2_credential_providers(maxResults=5)["credentialProviders"])
t = dp.get_workload_access_token_for_user_id(workloadName="py-agent", userId="alice")["workloadAccessToken"]
print("apiKey", dp.get_resource_api_key(workloadIdentityToken=t, resourceCredentialProviderName="py-key")["apiKey"])
r = dp.get_resource_oauth2_token(workloadIdentityToken=t, resourceCredentialProviderName="gh", scopes=["repo"], oauth2Flow="USER_FEDERATION",
    resourceOauth2ReturnUrl="http://localhost:9/cb", customState="s1")
print("3lo", r["authorizationUrl"], r["sessionUri"], r["sessionStatus"])
try:
    cp.get_workload_identity(name="bad name")
except botocore.exceptions.ClientError as e:
    print("err", e.response["Error"], e.response.get("reason"), e.response.get("fieldList"))
except botocore.exceptions.ParamValidationError as e:
    print("client-side validation", e)
try:
    dp.get_resource_api_key(workloadIdentityToken="forged", resourceCredentialProviderName="py-key")
except botocore.exceptions.ClientError as e:
    print("err", e.response["Error"])
cp.delete_workload_identity(name="py-agent")
try:
    cp.get_workload_identity(name="py-agent")
except cp.exceptions.ResourceNotFoundException as e:
    print("modeled exception ok:", e.response["Error"]["Code"])
# STS GetWebIdentityToken (awsQuery) on the same port; AWS_ENDPOINT_URL_STS works as well.
import json, base64
sts = boto3.client("sts", **kw)
r = sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="RS256", DurationSeconds=600,
                               Tags=[{"Key": "team", "Value": "data"}])
c = json.loads(base64.urlsafe_b64decode(r["WebIdentityToken"].split(".")[1] + "=="))
assert c["exp"] - c["iat"] == 600 and c["https://sts.amazonaws.com/"]["request_tags"] == {"team": "data"}, c
print("sts token", c["iss"], c["sub"], r["Expiration"])
try:
    sts.get_web_identity_token(Audience=["a"], SigningAlgorithm="HS256")
except botocore.exceptions.ClientError as e:
    print("sts err", e.response["Error"]["Code"])
