# The outbound-auth tutorial's final agent (strands_agents_openai.py, "Strands Agents with an
# OpenAI model on AgentCore Runtime, key from an API key credential provider"), as the tutorial
# writes it, for bench/coldstart.sh. Comments and prints are translated from Japanese; what the
# code does is unchanged except where marked BENCH:
#   - the model endpoint: AZURE_API_BASE / AZURE_API_VERSION come from the environment (the
#     tutorial has "<YOUR_API_BASE>" / "<YOUR_API_VERSION>" placeholders), pointing at
#     bench/model_stand_in.py;
#   - the port: app.run(port=...) from PORT (the tutorial's app.run() listens on 8080), so each
#     fresh process gets a free loopback port.
# Like the tutorial, it prints the API key it received (to stdout, which the bench discards).
import asyncio
from bedrock_agentcore.identity.auth import requires_access_token, requires_api_key
from strands import Agent, tool
from strands_tools import calculator  # Import the calculator tool
import argparse
import json
from strands.models.litellm import LiteLLMModel
import os
from bedrock_agentcore.runtime import BedrockAgentCoreApp

AZURE_API_KEY_FROM_CREDS_PROVIDER = ""


@requires_api_key(
    provider_name="openai-apikey-provider"  # Replace with your own credential provider name
)
async def need_api_key(*, api_key: str):
    global AZURE_API_KEY_FROM_CREDS_PROVIDER
    print(f'Received API key in async function: {api_key}')
    AZURE_API_KEY_FROM_CREDS_PROVIDER = api_key

# Do not print the empty value at module level - print it in the entrypoint function

app = BedrockAgentCoreApp()

# The API key is set dynamically in the entrypoint function
# Update the following settings with your Azure API key details.
os.environ["AZURE_API_BASE"] = os.environ["BENCH_MODEL_URL"]  # BENCH: was "<YOUR_API_BASE>"
os.environ["AZURE_API_VERSION"] = "2024-10-21"  # BENCH: was "<YOUR_API_VERSION>"

# Create a custom tool
@tool
def weather():
    """ Get weather """  # Dummy implementation
    return "sunny"

# Global agent variable
agent = None

@app.entrypoint
async def strands_agent_open_ai(payload):
    """
    Invoke the agent with a payload
    """
    global AZURE_API_KEY_FROM_CREDS_PROVIDER, agent

    print(f"Entrypoint called with AZURE_API_KEY_FROM_CREDS_PROVIDER: '{AZURE_API_KEY_FROM_CREDS_PROVIDER}'")

    # Get the API key if we have not yet
    if not AZURE_API_KEY_FROM_CREDS_PROVIDER:
        print("Attempting to get the API key...")
        try:
            await need_api_key(api_key="")
            print(f"Got the API key: '{AZURE_API_KEY_FROM_CREDS_PROVIDER}'")
            os.environ["AZURE_API_KEY"] = AZURE_API_KEY_FROM_CREDS_PROVIDER
            print("Set the AZURE_API_KEY environment variable")
        except Exception as e:
            print(f"Error getting the API key: {e}")
            raise
    else:
        print("The API key is already available")

    # Initialise the agent after the API key is set
    if agent is None:
        print("Initialising the agent with the API key...")
        model = "azure/gpt-4.1-mini"
        litellm_model = LiteLLMModel(
            model_id=model, params={"max_tokens": 32000, "temperature": 0.7}
        )

        agent = Agent(
            model=litellm_model,
            tools=[calculator, weather],
            system_prompt="You're a helpful assistant. You can do simple math calculation, and tell the weather."
        )
        print("Agent initialised")

    user_input = payload.get("prompt")
    print(f"User input: {user_input}")

    try:
        response = agent(user_input)
        print(f"Agent response: {response}")
        return response.message['content'][0]['text']
    except Exception as e:
        print(f"Agent processing error: {e}")
        raise

if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "8080")))  # BENCH: was app.run()
