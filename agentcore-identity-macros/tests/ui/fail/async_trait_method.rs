use agentcore_identity::requires_api_key;
use agentcore_identity::secrecy::SecretString;

#[derive(Debug)]
struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

#[async_trait::async_trait]
trait Model {
    async fn ask(&self, prompt: &str) -> Result<String, MyError>;
}

struct OpenAi;

// async-trait runs first and turns the method into a fn returning a boxed future.
#[async_trait::async_trait]
impl Model for OpenAi {
    #[requires_api_key(provider_name = "openai")]
    async fn ask(&self, prompt: &str, api_key: SecretString) -> Result<String, MyError> {
        let _ = api_key;
        Ok(prompt.to_owned())
    }
}

fn main() {}
