use agentcore_identity::requires_iam_access_token;
use agentcore_identity::secrecy::SecretString;

#[derive(Debug)]
struct MyError;
impl From<agentcore_identity::Error> for MyError {
    fn from(_: agentcore_identity::Error) -> Self {
        MyError
    }
}

// An empty audience: STS needs at least one.
#[requires_iam_access_token(audience = [])]
async fn empty_audience(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

// The algorithm names are upper case.
#[requires_iam_access_token(audience = ["https://api.example.com"], signing_algorithm = "es384")]
async fn lower_case_algorithm(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

#[requires_iam_access_token(audience = ["https://api.example.com"], signing_algorithm = "HS256")]
async fn unknown_algorithm(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

// 60..=3600 seconds.
#[requires_iam_access_token(audience = ["https://api.example.com"], duration_seconds = 7200)]
async fn too_long(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

#[requires_iam_access_token(audience = ["https://api.example.com"], duration_seconds = 30)]
async fn too_short(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

// `audiences` is `#[requires_access_token]`'s.
#[requires_iam_access_token(audiences = ["https://api.example.com"])]
async fn other_macros_argument(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

#[requires_iam_access_token(audience = ["https://api.example.com"], duration = 300)]
async fn misspelt_argument(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

#[requires_iam_access_token(audience = ["https://api.example.com"], tags = [("team", "a"), ("team", "b")])]
async fn duplicate_tag_key(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

#[requires_iam_access_token(signing_algorithm = "RS256")]
async fn missing_audience(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

// Getting the token awaits STS.
#[requires_iam_access_token(audience = ["https://api.example.com"])]
fn not_async(access_token: SecretString) -> Result<(), MyError> {
    let _ = access_token;
    Ok(())
}

fn main() {}
