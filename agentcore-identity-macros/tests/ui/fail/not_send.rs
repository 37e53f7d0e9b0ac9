use std::rc::Rc;

use agentcore_identity::secrecy::SecretString;
use agentcore_identity::requires_api_key;

#[derive(Debug)]
struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

// The macro adds nothing that is not `Send`; a user's `Rc` held across the fetch still counts.
#[requires_api_key(provider_name = "openai")]
async fn holds_rc(rc: Rc<u8>, api_key: SecretString) -> Result<u8, MyError> {
    let _ = api_key;
    Ok(*rc)
}

fn assert_send<T: Send>(_: T) {}

fn main() {
    assert_send(holds_rc(Rc::new(1)));
}
