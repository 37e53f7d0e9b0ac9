//! Tags (TagResource, UntagResource, ListTagsForResource, tags on create) and the token vault
//! (GetTokenVault, SetTokenVaultCMK, ResetTokenVaultKeyMaterial) through the official
//! `aws-sdk-bedrockagentcorecontrol`, against the model's constraints.

mod common;

use std::collections::HashMap;

use agentcore_identity_testkit::{M2M_CLIENT_ID, M2M_CLIENT_SECRET, TestIdp};
use aws_sdk_bedrockagentcore::types::Oauth2FlowType;
use aws_sdk_bedrockagentcorecontrol::error::ProvideErrorMetadata;
use aws_sdk_bedrockagentcorecontrol::types::{
    CredentialProviderVendorType, CustomOauth2ProviderConfigInput, KeyType, KmsConfiguration,
    Oauth2Discovery, Oauth2ProviderConfigInput,
};

const VAULT_ARN: &str = "arn:aws:bedrock-agentcore:us-east-1:000000000000:token-vault/default";

async fn tags_of(
    cp: &aws_sdk_bedrockagentcorecontrol::Client,
    arn: &str,
) -> HashMap<String, String> {
    cp.list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags()
        .cloned()
        .unwrap_or_default()
}

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn tags_on_create_tag_untag_and_list() {
    let idp = TestIdp::start().await;
    let h = common::start().await;
    let (_, cp) = common::clients(&h.endpoint()).await;

    let w = cp
        .create_workload_identity()
        .name("tagged-agent")
        .tags("team", "data")
        .send()
        .await
        .unwrap();
    let w_arn = w.workload_identity_arn().to_string();
    let k = cp
        .create_api_key_credential_provider()
        .name("tagged-key")
        .api_key("sk-tags-0123")
        .tags("cost-center", "42")
        .send()
        .await
        .unwrap();
    let k_arn = k.credential_provider_arn().to_string();
    let o = cp
        .create_oauth2_credential_provider()
        .name("tagged-oauth")
        .credential_provider_vendor(CredentialProviderVendorType::CustomOauth2)
        .oauth2_provider_config_input(Oauth2ProviderConfigInput::CustomOauth2ProviderConfig(
            CustomOauth2ProviderConfigInput::builder()
                .oauth_discovery(Oauth2Discovery::DiscoveryUrl(idp.discovery_url()))
                .client_id(M2M_CLIENT_ID)
                .client_secret(M2M_CLIENT_SECRET)
                .build(),
        ))
        .tags("env", "dev")
        .tags("owner", "alice")
        .send()
        .await
        .unwrap();
    let o_arn = o.credential_provider_arn().to_string();

    // Tags given on create show up.
    assert_eq!(tags_of(&cp, &w_arn).await, map(&[("team", "data")]));
    assert_eq!(tags_of(&cp, &k_arn).await, map(&[("cost-center", "42")]));
    assert_eq!(
        tags_of(&cp, &o_arn).await,
        map(&[("env", "dev"), ("owner", "alice")])
    );
    // The default token vault has none yet.
    assert!(tags_of(&cp, VAULT_ARN).await.is_empty());

    // TagResource adds and replaces; UntagResource removes (absent keys are ignored).
    for arn in [&w_arn, &k_arn, &o_arn, &VAULT_ARN.to_string()] {
        cp.tag_resource()
            .resource_arn(arn)
            .tags("team", "platform")
            .tags("tier", "gold")
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        tags_of(&cp, &w_arn).await,
        map(&[("team", "platform"), ("tier", "gold")])
    );
    assert_eq!(
        tags_of(&cp, VAULT_ARN).await,
        map(&[("team", "platform"), ("tier", "gold")])
    );
    cp.untag_resource()
        .resource_arn(&o_arn)
        .tag_keys("owner")
        .tag_keys("tier")
        .tag_keys("never-set")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&cp, &o_arn).await,
        map(&[("env", "dev"), ("team", "platform")])
    );
    cp.untag_resource()
        .resource_arn(VAULT_ARN)
        .tag_keys("tier")
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&cp, VAULT_ARN).await, map(&[("team", "platform")]));

    // Unknown resources: ResourceNotFoundException (another name, region, account, vault).
    for arn in [
        w_arn.replace("tagged-agent", "nobody"),
        w_arn.replace("us-east-1", "eu-west-1"),
        k_arn.replace("000000000000", "111111111111"),
        VAULT_ARN.replace("/default", "/other"),
    ] {
        let e = cp
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .expect_err("unknown")
            .into_service_error();
        assert!(e.is_resource_not_found_exception(), "{arn}: {e:?}");
        let e = cp
            .tag_resource()
            .resource_arn(&arn)
            .tags("a", "b")
            .send()
            .await
            .expect_err("unknown")
            .into_service_error();
        assert!(e.is_resource_not_found_exception(), "{arn}: {e:?}");
    }
    // A deleted resource's tags go with it.
    cp.delete_workload_identity()
        .name("tagged-agent")
        .send()
        .await
        .unwrap();
    let e = cp
        .list_tags_for_resource()
        .resource_arn(&w_arn)
        .send()
        .await
        .expect_err("deleted")
        .into_service_error();
    assert!(e.is_resource_not_found_exception());

    // The model's constraints.
    let e = cp
        .list_tags_for_resource()
        .resource_arn("arn:aws:s3:::not-agentcore-bucket")
        .send()
        .await
        .expect_err("bad ARN")
        .into_service_error();
    assert!(e.is_validation_exception());
    assert!(e.message().unwrap().contains("resourceArn"), "{e:?}");
    let e = cp
        .tag_resource()
        .resource_arn(&k_arn)
        .tags("bad#key", "v")
        .send()
        .await
        .expect_err("bad key")
        .into_service_error();
    assert!(e.is_validation_exception());
    assert!(e.message().unwrap().contains("tags.key"), "{e:?}");
    let e = cp
        .tag_resource()
        .resource_arn(&k_arn)
        .set_tags(Some(
            (0..51)
                .map(|i| (format!("k{i}"), "v".to_string()))
                .collect(),
        ))
        .send()
        .await
        .expect_err("51 tags")
        .into_service_error();
    assert!(e.is_validation_exception(), "{e:?}");
    // 48 more on a resource holding 2 fit; 49 do not (at most 50 per resource).
    let e = cp
        .tag_resource()
        .resource_arn(&k_arn)
        .set_tags(Some(
            (0..49)
                .map(|i| (format!("n{i}"), "v".to_string()))
                .collect(),
        ))
        .send()
        .await
        .expect_err("over 50 on the resource")
        .into_service_error();
    assert!(e.is_validation_exception(), "{e:?}");
    assert!(e.message().unwrap().contains("at most 50"), "{e:?}");
    assert_eq!(tags_of(&cp, &k_arn).await.len(), 3, "nothing was written");
    let e = cp
        .untag_resource()
        .resource_arn(&k_arn)
        .set_tag_keys(Some((0..201).map(|i| format!("k{i}")).collect()))
        .send()
        .await
        .expect_err("201 keys")
        .into_service_error();
    assert!(e.is_validation_exception(), "{e:?}");
    assert_eq!(h.request_count("TagResource"), 11);
    h.shutdown().await;
}

#[tokio::test]
async fn token_vault_get_set_cmk() {
    let h = common::start().await;
    let (_, cp) = common::clients(&h.endpoint()).await;
    let v = cp.get_token_vault().send().await.unwrap();
    assert_eq!(v.token_vault_id(), "default");
    let kms = v.kms_configuration().unwrap();
    assert_eq!(kms.key_type(), &KeyType::ServiceManagedKey);
    assert_eq!(kms.kms_key_arn(), None);

    let key = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let set = cp
        .set_token_vault_cmk()
        .token_vault_id("default")
        .kms_configuration(
            KmsConfiguration::builder()
                .key_type(KeyType::CustomerManagedKey)
                .kms_key_arn(key)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        set.kms_configuration().unwrap().key_type(),
        &KeyType::CustomerManagedKey
    );
    let v = cp
        .get_token_vault()
        .token_vault_id("default")
        .send()
        .await
        .unwrap();
    assert_eq!(v.kms_configuration().unwrap().kms_key_arn(), Some(key));
    assert_eq!(v.last_modified_date(), set.last_modified_date());

    // A customer managed key needs its ARN, a service managed one takes none; ARN pattern.
    for (t, arn, needle) in [
        (
            KeyType::CustomerManagedKey,
            None,
            "kmsConfiguration.kmsKeyArn",
        ),
        (
            KeyType::ServiceManagedKey,
            Some(key),
            "kmsConfiguration.kmsKeyArn",
        ),
        (
            KeyType::CustomerManagedKey,
            Some("arn:aws:kms:us-east-1:000000000000:alias/mine"),
            "pattern",
        ),
    ] {
        let e = cp
            .set_token_vault_cmk()
            .kms_configuration(
                KmsConfiguration::builder()
                    .key_type(t)
                    .set_kms_key_arn(arn.map(str::to_string))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect_err("refused")
            .into_service_error();
        assert!(e.is_validation_exception(), "{e:?}");
        assert!(e.message().unwrap().contains(needle), "{e:?}");
    }
    // Only the default vault exists; ids follow the model's pattern.
    let e = cp
        .get_token_vault()
        .token_vault_id("other")
        .send()
        .await
        .expect_err("unknown vault")
        .into_service_error();
    assert!(e.is_resource_not_found_exception(), "{e:?}");
    let e = cp
        .get_token_vault()
        .token_vault_id("bad id!")
        .send()
        .await
        .expect_err("bad id")
        .into_service_error();
    assert!(e.is_validation_exception(), "{e:?}");
    h.shutdown().await;
}

#[tokio::test]
async fn reset_drops_every_stored_token() {
    let idp = TestIdp::start().await;
    let dir = tempfile::tempdir().unwrap();
    let h = agentcore_identity_local::LocalIdentityService::builder()
        .port(0)
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let (dp, cp) = common::clients(&h.endpoint()).await;
    cp.create_workload_identity()
        .name("vault-agent")
        .send()
        .await
        .unwrap();
    common::custom_oauth2_provider(
        &cp,
        "vault-m2m",
        Oauth2Discovery::DiscoveryUrl(idp.discovery_url()),
        M2M_CLIENT_ID,
        M2M_CLIENT_SECRET,
    )
    .await;
    let wat = dp
        .get_workload_access_token()
        .workload_name("vault-agent")
        .send()
        .await
        .unwrap()
        .workload_access_token()
        .to_string();
    let fetch = || async {
        dp.get_resource_oauth2_token()
            .workload_identity_token(&wat)
            .resource_credential_provider_name("vault-m2m")
            .scopes("read")
            .oauth2_flow(Oauth2FlowType::M2M)
            .send()
            .await
            .unwrap()
            .access_token()
            .unwrap()
            .to_string()
    };
    let t1 = fetch().await;
    assert_eq!(fetch().await, t1, "served from the vault");
    let tokens = |h: &agentcore_identity_local::ServiceHandle| {
        h.stored_records()
            .into_iter()
            .find(|(t, _)| *t == "tokens")
            .unwrap()
            .1
    };
    assert_eq!(tokens(&h), 1);

    // A customer managed key, then the reset: back to a service managed key, tokens gone.
    cp.set_token_vault_cmk()
        .kms_configuration(
            KmsConfiguration::builder()
                .key_type(KeyType::CustomerManagedKey)
                .kms_key_arn(
                    "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let e = cp
        .reset_token_vault_key_material()
        .send()
        .await
        .expect_err("tokenVaultId is required")
        .into_service_error();
    assert!(e.is_validation_exception(), "{e:?}");
    let r = cp
        .reset_token_vault_key_material()
        .token_vault_id("default")
        .send()
        .await
        .unwrap();
    assert_eq!(r.token_vault_id(), "default");
    assert_eq!(
        r.kms_configuration().unwrap().key_type(),
        &KeyType::ServiceManagedKey
    );
    assert_eq!(r.kms_configuration().unwrap().kms_key_arn(), None);
    assert_eq!(tokens(&h), 0);
    // The provider and the workload identity stay; the token is fetched from the IdP again.
    let t2 = fetch().await;
    assert_ne!(t2, t1, "a new token from the IdP");
    assert_eq!(fetch().await, t2);

    // The vault's state survives a restart.
    h.shutdown().await;
    let h = agentcore_identity_local::LocalIdentityService::builder()
        .port(0)
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let (_, cp) = common::clients(&h.endpoint()).await;
    let v = cp.get_token_vault().send().await.unwrap();
    assert_eq!(v.last_modified_date(), r.last_modified_date());
    assert_eq!(
        v.kms_configuration().unwrap().key_type(),
        &KeyType::ServiceManagedKey
    );
    h.shutdown().await;
}
