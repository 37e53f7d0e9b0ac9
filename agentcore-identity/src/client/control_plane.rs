//! The control plane's calls (workload identities, API key and OAuth2 credential providers,
//! tags, the token vault), typed with [`crate::control`]'s types.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::AfterDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value;

use super::IdentityClient;
use super::workload::random_hex8;
use crate::control::{
    ApiKeyCredentialProvider, ApiKeySecret, CertificateConfiguration, KmsConfiguration,
    Oauth2CredentialProvider, Oauth2ProviderConfig, SecretParts, Tags, TokenVault,
    WorkloadIdentity, add_certificates_to_request, certificates_in_response, sdk_tags, tags_from,
};
use crate::error::Error;

/// Reads a custom provider's `certificateConfigurations` from the response body (the Rust SDK's
/// output type has no member for them yet).
#[derive(Debug, Default, Clone)]
struct CertificatesInResponse(Arc<Mutex<Vec<CertificateConfiguration>>>);

impl CertificatesInResponse {
    fn take(&self) -> Vec<CertificateConfiguration> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Intercept for CertificatesInResponse {
    fn name(&self) -> &'static str {
        "CertificatesInResponse"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(body) = context.response().body().bytes() {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = certificates_in_response(body);
        }
        Ok(())
    }
}

/// Adds `certificates` to a serialized Create/UpdateOauth2CredentialProvider request (before
/// signing, so the signature covers them).
fn add_certificates(certificates: Value) -> impl Fn(&mut HttpRequest) + Send + Sync + 'static {
    move |req: &mut HttpRequest| {
        let Some(patched) = req
            .body()
            .bytes()
            .and_then(|b| add_certificates_to_request(b, &certificates))
        else {
            return;
        };
        let len = patched.len().to_string();
        *req.body_mut() = SdkBody::from(patched);
        req.headers_mut().insert("content-length", len);
    }
}

impl IdentityClient {
    // ---- workload identities -------------------------------------------------------------

    /// Creates a workload identity; without a name, `workload-` plus 8 random hex digits
    /// (as Python).
    pub async fn create_workload_identity(
        &self,
        name: Option<&str>,
        allowed_resource_oauth2_return_urls: &[String],
    ) -> Result<WorkloadIdentity, Error> {
        self.create_workload_identity_tagged(name, allowed_resource_oauth2_return_urls, Tags::new())
            .await
    }

    /// Like [`create_workload_identity`](Self::create_workload_identity), with tags on the new
    /// workload identity.
    ///
    /// ```no_run
    /// # #![allow(dead_code)]
    /// # async fn run(client: agentcore_identity::IdentityClient) -> Result<(), agentcore_identity::Error> {
    /// let w = client
    ///     .create_workload_identity_with_tags(Some("my-agent"), &[], [("team", "payments")])
    ///     .await?;
    /// assert_eq!(client.list_tags_for_resource(&w.arn).await?["team"], "payments");
    /// # Ok(()) }
    /// ```
    pub async fn create_workload_identity_with_tags<I, K, V>(
        &self,
        name: Option<&str>,
        allowed_resource_oauth2_return_urls: &[String],
        tags: I,
    ) -> Result<WorkloadIdentity, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.create_workload_identity_tagged(
            name,
            allowed_resource_oauth2_return_urls,
            tags_from(tags),
        )
        .await
    }

    async fn create_workload_identity_tagged(
        &self,
        name: Option<&str>,
        allowed_resource_oauth2_return_urls: &[String],
        tags: Tags,
    ) -> Result<WorkloadIdentity, Error> {
        let name = match name {
            Some(n) => n.to_owned(),
            None => format!("workload-{}", random_hex8()),
        };
        tracing::debug!(workload_identity = %name, "Creating workload identity");
        self.cp()?
            .create_workload_identity()
            .name(&name)
            .set_allowed_resource_oauth2_return_urls(Some(
                allowed_resource_oauth2_return_urls.to_vec(),
            ))
            .set_tags(sdk_tags(&tags))
            .send()
            .await
            .map(Into::into)
            .map_err(|e| self.cp_err("CreateWorkloadIdentity", e))
    }

    /// Gets a workload identity.
    pub async fn get_workload_identity(&self, name: &str) -> Result<WorkloadIdentity, Error> {
        self.cp()?
            .get_workload_identity()
            .name(name)
            .send()
            .await
            .map(Into::into)
            .map_err(|e| self.cp_err("GetWorkloadIdentity", e))
    }

    /// Replaces a workload identity's allowed OAuth2 return URLs.
    pub async fn update_workload_identity(
        &self,
        name: &str,
        allowed_resource_oauth2_return_urls: &[String],
    ) -> Result<WorkloadIdentity, Error> {
        tracing::debug!(workload_identity = name, "Updating workload identity");
        self.cp()?
            .update_workload_identity()
            .name(name)
            .set_allowed_resource_oauth2_return_urls(Some(
                allowed_resource_oauth2_return_urls.to_vec(),
            ))
            .send()
            .await
            .map(Into::into)
            .map_err(|e| self.cp_err("UpdateWorkloadIdentity", e))
    }

    /// Deletes a workload identity.
    pub async fn delete_workload_identity(&self, name: &str) -> Result<(), Error> {
        self.cp()?
            .delete_workload_identity()
            .name(name)
            .send()
            .await
            .map_err(|e| self.cp_err("DeleteWorkloadIdentity", e))?;
        Ok(())
    }

    /// Lists all workload identities (every page).
    pub async fn list_workload_identities(&self) -> Result<Vec<WorkloadIdentity>, Error> {
        let mut pages = self
            .cp()?
            .list_workload_identities()
            .max_results(20)
            .into_paginator()
            .send();
        let mut all = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.cp_err("ListWorkloadIdentities", e))?;
            all.extend(page.workload_identities().iter().map(Into::into));
        }
        Ok(all)
    }

    // ---- API key credential providers ----------------------------------------------------

    /// Creates an API key credential provider holding `api_key`: a
    /// [`SecretString`](crate::SecretString) (the service stores it) or a
    /// [`SecretReference`](crate::control::SecretReference) to your own Secrets Manager secret.
    pub async fn create_api_key_credential_provider(
        &self,
        name: &str,
        api_key: impl Into<ApiKeySecret>,
    ) -> Result<ApiKeyCredentialProvider, Error> {
        self.create_api_key_provider_tagged(name, api_key.into(), Tags::new())
            .await
    }

    /// Like [`create_api_key_credential_provider`](Self::create_api_key_credential_provider),
    /// with tags on the new provider.
    pub async fn create_api_key_credential_provider_with_tags<I, K, V>(
        &self,
        name: &str,
        api_key: impl Into<ApiKeySecret>,
        tags: I,
    ) -> Result<ApiKeyCredentialProvider, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.create_api_key_provider_tagged(name, api_key.into(), tags_from(tags))
            .await
    }

    async fn create_api_key_provider_tagged(
        &self,
        name: &str,
        api_key: ApiKeySecret,
        tags: Tags,
    ) -> Result<ApiKeyCredentialProvider, Error> {
        tracing::debug!(provider = name, "Creating API key credential provider");
        let SecretParts {
            secret: key,
            config,
            source,
        } = api_key.parts()?;
        self.cp()?
            .create_api_key_credential_provider()
            .name(name)
            .set_api_key(key)
            .set_api_key_secret_config(config)
            .set_api_key_secret_source(source)
            .set_tags(sdk_tags(&tags))
            .send()
            .await
            .map(Into::into)
            .map_err(|e| self.cp_err("CreateApiKeyCredentialProvider", e))
    }

    /// Gets an API key credential provider (never the key).
    pub async fn get_api_key_credential_provider(
        &self,
        name: &str,
    ) -> Result<ApiKeyCredentialProvider, Error> {
        self.cp()?
            .get_api_key_credential_provider()
            .name(name)
            .send()
            .await
            .map(Into::into)
            .map_err(|e| self.cp_err("GetApiKeyCredentialProvider", e))
    }

    /// Replaces the key of an API key credential provider (a new key, or a reference to your
    /// own Secrets Manager secret).
    pub async fn update_api_key_credential_provider(
        &self,
        name: &str,
        api_key: impl Into<ApiKeySecret>,
    ) -> Result<ApiKeyCredentialProvider, Error> {
        let SecretParts {
            secret: key,
            config,
            source,
        } = api_key.into().parts()?;
        self.cp()?
            .update_api_key_credential_provider()
            .name(name)
            .set_api_key(key)
            .set_api_key_secret_config(config)
            .set_api_key_secret_source(source)
            .send()
            .await
            .map(Into::into)
            .map_err(|e| self.cp_err("UpdateApiKeyCredentialProvider", e))
    }

    /// Deletes an API key credential provider.
    pub async fn delete_api_key_credential_provider(&self, name: &str) -> Result<(), Error> {
        self.cp()?
            .delete_api_key_credential_provider()
            .name(name)
            .send()
            .await
            .map_err(|e| self.cp_err("DeleteApiKeyCredentialProvider", e))?;
        Ok(())
    }

    /// Lists all API key credential providers (every page).
    pub async fn list_api_key_credential_providers(
        &self,
    ) -> Result<Vec<ApiKeyCredentialProvider>, Error> {
        let mut pages = self
            .cp()?
            .list_api_key_credential_providers()
            .max_results(100)
            .into_paginator()
            .send();
        let mut all = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.cp_err("ListApiKeyCredentialProviders", e))?;
            all.extend(page.credential_providers().iter().map(Into::into));
        }
        Ok(all)
    }

    // ---- OAuth2 credential providers -----------------------------------------------------

    /// Creates an OAuth2 credential provider.
    pub async fn create_oauth2_credential_provider(
        &self,
        name: &str,
        config: Oauth2ProviderConfig,
    ) -> Result<Oauth2CredentialProvider, Error> {
        self.create_oauth2_provider_tagged(name, config, Tags::new())
            .await
    }

    /// Like [`create_oauth2_credential_provider`](Self::create_oauth2_credential_provider), with
    /// tags on the new provider.
    pub async fn create_oauth2_credential_provider_with_tags<I, K, V>(
        &self,
        name: &str,
        config: Oauth2ProviderConfig,
        tags: I,
    ) -> Result<Oauth2CredentialProvider, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.create_oauth2_provider_tagged(name, config, tags_from(tags))
            .await
    }

    async fn create_oauth2_provider_tagged(
        &self,
        name: &str,
        config: Oauth2ProviderConfig,
        tags: Tags,
    ) -> Result<Oauth2CredentialProvider, Error> {
        tracing::debug!(
            provider = name,
            vendor = config.vendor_name(),
            "Creating OAuth2 credential provider"
        );
        let (vendor, input) = config.to_sdk()?;
        let certificates = CertificatesInResponse::default();
        let mut call = self
            .cp()?
            .create_oauth2_credential_provider()
            .name(name)
            .credential_provider_vendor(vendor)
            .oauth2_provider_config_input(input)
            .set_tags(sdk_tags(&tags))
            .customize()
            .interceptor(certificates.clone());
        if let Some(c) = config.certificates_json() {
            call = call.mutate_request(add_certificates(c));
        }
        let out = call
            .send()
            .await
            .map_err(|e| self.cp_err("CreateOauth2CredentialProvider", e))?;
        Ok(Oauth2CredentialProvider {
            vendor: Some(config.vendor_name().to_owned()),
            certificate_configurations: certificates.take(),
            ..out.into()
        })
    }

    /// Gets an OAuth2 credential provider (never the client secret): its configuration as the
    /// service reports it.
    pub async fn get_oauth2_credential_provider(
        &self,
        name: &str,
    ) -> Result<Oauth2CredentialProvider, Error> {
        let certificates = CertificatesInResponse::default();
        let out = self
            .cp()?
            .get_oauth2_credential_provider()
            .name(name)
            .customize()
            .interceptor(certificates.clone())
            .send()
            .await
            .map_err(|e| self.cp_err("GetOauth2CredentialProvider", e))?;
        Ok(Oauth2CredentialProvider {
            certificate_configurations: certificates.take(),
            ..out.into()
        })
    }

    /// Replaces an OAuth2 credential provider's configuration.
    pub async fn update_oauth2_credential_provider(
        &self,
        name: &str,
        config: Oauth2ProviderConfig,
    ) -> Result<Oauth2CredentialProvider, Error> {
        let (vendor, input) = config.to_sdk()?;
        let certificates = CertificatesInResponse::default();
        let mut call = self
            .cp()?
            .update_oauth2_credential_provider()
            .name(name)
            .credential_provider_vendor(vendor)
            .oauth2_provider_config_input(input)
            .customize()
            .interceptor(certificates.clone());
        if let Some(c) = config.certificates_json() {
            call = call.mutate_request(add_certificates(c));
        }
        let out = call
            .send()
            .await
            .map_err(|e| self.cp_err("UpdateOauth2CredentialProvider", e))?;
        Ok(Oauth2CredentialProvider {
            certificate_configurations: certificates.take(),
            ..out.into()
        })
    }

    /// Deletes an OAuth2 credential provider.
    pub async fn delete_oauth2_credential_provider(&self, name: &str) -> Result<(), Error> {
        self.cp()?
            .delete_oauth2_credential_provider()
            .name(name)
            .send()
            .await
            .map_err(|e| self.cp_err("DeleteOauth2CredentialProvider", e))?;
        Ok(())
    }

    /// Lists all OAuth2 credential providers (every page).
    pub async fn list_oauth2_credential_providers(
        &self,
    ) -> Result<Vec<Oauth2CredentialProvider>, Error> {
        let mut pages = self
            .cp()?
            .list_oauth2_credential_providers()
            .max_results(20)
            .into_paginator()
            .send();
        let mut all = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.cp_err("ListOauth2CredentialProviders", e))?;
            all.extend(page.credential_providers().iter().map(Into::into));
        }
        Ok(all)
    }

    // ---- tags ----------------------------------------------------------------------------

    /// Adds or replaces tags on a resource (a workload identity, credential provider, ... by
    /// ARN).
    ///
    /// ```no_run
    /// # #![allow(dead_code)]
    /// # async fn run(client: agentcore_identity::IdentityClient, arn: &str) -> Result<(), agentcore_identity::Error> {
    /// client.tag_resource(arn, [("team", "payments"), ("env", "dev")]).await?;
    /// client.untag_resource(arn, ["env"]).await?;
    /// let tags = client.list_tags_for_resource(arn).await?;
    /// assert_eq!(tags.len(), 1);
    /// # Ok(()) }
    /// ```
    pub async fn tag_resource<I, K, V>(&self, resource_arn: &str, tags: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let tags = tags_from(tags);
        tracing::debug!(
            resource = resource_arn,
            count = tags.len(),
            "Tagging resource"
        );
        self.cp()?
            .tag_resource()
            .resource_arn(resource_arn)
            .set_tags(Some(tags.into_iter().collect()))
            .send()
            .await
            .map_err(|e| self.cp_err("TagResource", e))?;
        Ok(())
    }

    /// Removes the tags with the given keys from a resource.
    pub async fn untag_resource<I, K>(&self, resource_arn: &str, tag_keys: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        self.cp()?
            .untag_resource()
            .resource_arn(resource_arn)
            .set_tag_keys(Some(tag_keys.into_iter().map(Into::into).collect()))
            .send()
            .await
            .map_err(|e| self.cp_err("UntagResource", e))?;
        Ok(())
    }

    /// A resource's tags.
    pub async fn list_tags_for_resource(&self, resource_arn: &str) -> Result<Tags, Error> {
        let out = self
            .cp()?
            .list_tags_for_resource()
            .resource_arn(resource_arn)
            .send()
            .await
            .map_err(|e| self.cp_err("ListTagsForResource", e))?;
        Ok(out
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    // ---- token vault ---------------------------------------------------------------------

    /// Gets a token vault (`None`: the default vault).
    ///
    /// ```no_run
    /// # #![allow(dead_code)]
    /// use agentcore_identity::control::{KeyType, KmsConfiguration};
    /// # async fn run(client: agentcore_identity::IdentityClient) -> Result<(), agentcore_identity::Error> {
    /// let vault = client.get_token_vault(None).await?;
    /// if vault.kms_configuration.map(|k| k.key_type) != Some(KeyType::CustomerManagedKey) {
    ///     let key = "arn:aws:kms:us-east-1:123456789012:key/0123abcd-0123-4567-89ab-0123456789ab";
    ///     client
    ///         .set_token_vault_cmk(None, KmsConfiguration::customer_managed(key))
    ///         .await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_token_vault(&self, token_vault_id: Option<&str>) -> Result<TokenVault, Error> {
        self.cp()?
            .get_token_vault()
            .set_token_vault_id(token_vault_id.map(str::to_owned))
            .send()
            .await
            .map(Into::into)
            .map_err(|e| self.cp_err("GetTokenVault", e))
    }

    /// Sets the KMS key that encrypts a token vault (`None`: the default vault).
    pub async fn set_token_vault_cmk(
        &self,
        token_vault_id: Option<&str>,
        kms_configuration: KmsConfiguration,
    ) -> Result<TokenVault, Error> {
        tracing::debug!(
            token_vault = token_vault_id.unwrap_or("default"),
            key_type = %kms_configuration.key_type,
            "Setting token vault KMS key"
        );
        self.cp()?
            .set_token_vault_cmk()
            .set_token_vault_id(token_vault_id.map(str::to_owned))
            .kms_configuration(kms_configuration.to_sdk()?)
            .send()
            .await
            .map(Into::into)
            .map_err(|e| self.cp_err("SetTokenVaultCMK", e))
    }

    /// Resets a token vault's key material. As AWS documents, every token stored in the vault is
    /// then gone (users consent again); this client's token cache is cleared too, so no call
    /// answers from tokens the vault no longer holds.
    pub async fn reset_token_vault_key_material(
        &self,
        token_vault_id: &str,
    ) -> Result<TokenVault, Error> {
        tracing::debug!(
            token_vault = token_vault_id,
            "Resetting token vault key material"
        );
        let out = self
            .cp()?
            .reset_token_vault_key_material()
            .token_vault_id(token_vault_id)
            .send()
            .await
            .map_err(|e| self.cp_err("ResetTokenVaultKeyMaterial", e))?;
        self.clear_cache();
        Ok(out.into())
    }
}
