// A trait whose declaration keeps the injected parameter: the macro removes it from the
// implementation, so the two signatures differ (E0050). The trait must leave it out; see
// `agentcore_identity::macros`, "Traits". Recorded here so a change of the message is seen.
use agentcore_identity::requires_api_key;
use agentcore_identity::secrecy::SecretString;

trait Model {
    async fn ask(&self, prompt: &str, api_key: SecretString) -> Result<String, agentcore_identity::Error>;
}

struct OpenAi;

impl Model for OpenAi {
    #[requires_api_key(provider_name = "openai")]
    async fn ask(&self, prompt: &str, api_key: SecretString) -> Result<String, agentcore_identity::Error> {
        let _ = api_key;
        Ok(prompt.to_owned())
    }
}

fn main() {}
