//! Faults: the service answers 500 and 429 for a while. Calls recover through the SDK's retries
//! (standard mode, 3 attempts), a run of faults that exhausts them gives a clear error, and the
//! cache keeps serving valid entries while the service fails.

use agentcore_identity::context::RequestContext;
use agentcore_identity::{ApiKeyRequest, Error, IdentityClient, ServiceErrorKind};
use agentcore_identity_local::{LocalIdentityService, ServiceHandle};
use aws_credential_types::Credentials;
use secrecy::{ExposeSecret, SecretString};

async fn setup() -> (ServiceHandle, IdentityClient, SecretString) {
    let svc = LocalIdentityService::builder()
        .port(0)
        .start()
        .await
        .expect("service");
    let client = IdentityClient::builder()
        .region("us-east-1")
        .endpoint_url(svc.endpoint())
        .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "faults"))
        .env_lookup(|_| None)
        .build()
        .await
        .expect("client");
    client
        .create_workload_identity(Some("faults-agent"), &[])
        .await
        .unwrap();
    for (p, k) in [
        ("cached", "sk-cached-value-1"),
        ("fresh-1", "sk-fresh-value-1"),
        ("fresh-2", "sk-fresh-value-2"),
        ("fresh-3", "sk-fresh-value-3"),
        ("fresh-4", "sk-fresh-value-4"),
    ] {
        client
            .create_api_key_credential_provider(p, SecretString::from(k))
            .await
            .unwrap();
    }
    let wat = client
        .get_workload_access_token(
            "faults-agent",
            agentcore_identity::WorkloadUser::UserId("alice".into()),
        )
        .await
        .unwrap();
    (svc, client, wat)
}

fn calls(svc: &ServiceHandle) -> u64 {
    svc.request_count("GetResourceApiKey")
}

#[tokio::test]
async fn retries_absorb_faults_exhaustion_is_clear_and_the_cache_keeps_serving() {
    let (svc, client, wat) = setup().await;
    RequestContext::scope(
        RequestContext::new().with_workload_access_token(wat),
        async {
            // warm one entry
            let k = client.get_api_key("cached").await.unwrap();
            assert_eq!(k.expose_secret(), "sk-cached-value-1");
            assert_eq!(calls(&svc), 1);

            // 2 x 500: the third attempt succeeds
            svc.inject_faults(500, 2);
            let k = client
                .get_api_key("fresh-1")
                .await
                .expect("retries absorb two 500s");
            assert_eq!(k.expose_secret(), "sk-fresh-value-1");
            assert_eq!(calls(&svc), 4, "1 + 3 attempts");

            // 2 x 429: same
            svc.inject_faults(429, 2);
            let k = client
                .get_api_key("fresh-2")
                .await
                .expect("retries absorb two 429s");
            assert_eq!(k.expose_secret(), "sk-fresh-value-2");
            assert_eq!(calls(&svc), 7);

            // 3 x 500 exhausts the 3 attempts: a clear error, and nothing cached
            svc.inject_faults(500, 3);
            let e = client
                .get_api_key("fresh-3")
                .await
                .expect_err("three 500s exhaust the retries");
            assert!(
                matches!(e.service_kind(), Some(ServiceErrorKind::InternalServer)),
                "{e:?}"
            );
            let shown = e.to_string();
            assert!(
                shown.contains("GetResourceApiKey") && shown.contains("InternalServerException"),
                "{shown}"
            );
            assert_eq!(calls(&svc), 10, "exactly 3 attempts");

            // 3 x 429 likewise
            svc.inject_faults(429, 3);
            let e = client
                .get_api_key("fresh-3")
                .await
                .expect_err("three 429s exhaust the retries");
            assert!(
                matches!(e.service_kind(), Some(ServiceErrorKind::Throttling)),
                "{e:?}"
            );
            assert!(e.to_string().contains("ThrottlingException"), "{e}");
            assert_eq!(calls(&svc), 13);

            // while the service fails every request, the cached entry is still served, without a request
            svc.inject_faults(500, 1_000);
            for _ in 0..100 {
                let k = client
                    .get_api_key("cached")
                    .await
                    .expect("served from the cache");
                assert_eq!(k.expose_secret(), "sk-cached-value-1");
            }
            let k = client
                .get_api_key("fresh-1")
                .await
                .expect("served from the cache");
            assert_eq!(k.expose_secret(), "sk-fresh-value-1");
            assert_eq!(calls(&svc), 13, "no request while serving from the cache");
            // an uncached one fails (not a stale or foreign value)
            let e: Error = client
                .get_api_key("fresh-4")
                .await
                .expect_err("service down");
            assert!(
                matches!(e.service_kind(), Some(ServiceErrorKind::InternalServer)),
                "{e:?}"
            );

            // recovery: the failed key was not cached as an error
            svc.inject_faults(0, 0);
            let k = client.get_api_key("fresh-3").await.expect("recovered");
            assert_eq!(k.expose_secret(), "sk-fresh-value-3");
            let k = client.get_api_key("fresh-4").await.expect("recovered");
            assert_eq!(k.expose_secret(), "sk-fresh-value-4");
        },
    )
    .await;
    svc.shutdown().await;
}

#[tokio::test]
async fn concurrent_callers_share_one_retried_load() {
    let (svc, client, wat) = setup().await;
    RequestContext::scope(
        RequestContext::new().with_workload_access_token(wat),
        async {
            svc.inject_faults(500, 2);
            let tasks: Vec<_> = (0..50)
                .map(|_| {
                    let client = client.clone();
                    agentcore_identity::context::spawn(async move {
                        client.get_api_key(ApiKeyRequest::new("fresh-1")).await
                    })
                })
                .collect();
            for t in tasks {
                let k = t
                    .await
                    .unwrap()
                    .expect("every waiter gets the value of the one retried load");
                assert_eq!(k.expose_secret(), "sk-fresh-value-1");
            }
            assert_eq!(calls(&svc), 3, "one load, 3 attempts, for 50 callers");

            // exhausted: every waiter gets the error, then a later call loads again
            svc.inject_faults(500, 3);
            let tasks: Vec<_> = (0..50)
                .map(|_| {
                    let client = client.clone();
                    agentcore_identity::context::spawn(async move {
                        client.get_api_key("fresh-2").await
                    })
                })
                .collect();
            let mut failed = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Err(e) => {
                        assert!(
                            matches!(e.service_kind(), Some(ServiceErrorKind::InternalServer)),
                            "{e:?}"
                        );
                        failed += 1;
                    }
                    Ok(k) => assert_eq!(k.expose_secret(), "sk-fresh-value-2"),
                }
            }
            assert!(failed >= 1, "the exhausted load fails its waiters");
            let k = client
                .get_api_key("fresh-2")
                .await
                .expect("next call loads again");
            assert_eq!(k.expose_secret(), "sk-fresh-value-2");
        },
    )
    .await;
    svc.shutdown().await;
}
