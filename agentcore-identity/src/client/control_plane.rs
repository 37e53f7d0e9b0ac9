//! The control plane's calls (workload identities, API key and OAuth2 credential providers),
//! typed with [`crate::control`]'s types.

use secrecy::{ExposeSecret, SecretString};

use super::IdentityClient;
use super::workload::random_hex8;
use crate::control::{
    ApiKeyCredentialProvider, Oauth2CredentialProvider, Oauth2ProviderConfig, WorkloadIdentity,
};
use crate::error::Error;

impl IdentityClient {
    // ---- workload identities -------------------------------------------------------------

    /// Creates a workload identity; without a name, `workload-` plus 8 random hex digits
    /// (as Python).
    pub async fn create_workload_identity(
        &self,
        name: Option<&str>,
        allowed_resource_oauth2_return_urls: &[String],
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

    /// Creates an API key credential provider holding `api_key`.
    pub async fn create_api_key_credential_provider(
        &self,
        name: &str,
        api_key: SecretString,
    ) -> Result<ApiKeyCredentialProvider, Error> {
        tracing::debug!(provider = name, "Creating API key credential provider");
        self.cp()?
            .create_api_key_credential_provider()
            .name(name)
            .api_key(api_key.expose_secret())
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

    /// Replaces the key of an API key credential provider.
    pub async fn update_api_key_credential_provider(
        &self,
        name: &str,
        api_key: SecretString,
    ) -> Result<ApiKeyCredentialProvider, Error> {
        self.cp()?
            .update_api_key_credential_provider()
            .name(name)
            .api_key(api_key.expose_secret())
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
        tracing::debug!(
            provider = name,
            vendor = config.vendor_name(),
            "Creating OAuth2 credential provider"
        );
        let (vendor, input) = config.to_sdk()?;
        let out = self
            .cp()?
            .create_oauth2_credential_provider()
            .name(name)
            .credential_provider_vendor(vendor)
            .oauth2_provider_config_input(input)
            .send()
            .await
            .map_err(|e| self.cp_err("CreateOauth2CredentialProvider", e))?;
        Ok(Oauth2CredentialProvider {
            vendor: Some(config.vendor_name().to_owned()),
            ..out.into()
        })
    }

    /// Gets an OAuth2 credential provider (never the client secret).
    pub async fn get_oauth2_credential_provider(
        &self,
        name: &str,
    ) -> Result<Oauth2CredentialProvider, Error> {
        self.cp()?
            .get_oauth2_credential_provider()
            .name(name)
            .send()
            .await
            .map(Into::into)
            .map_err(|e| self.cp_err("GetOauth2CredentialProvider", e))
    }

    /// Replaces an OAuth2 credential provider's configuration.
    pub async fn update_oauth2_credential_provider(
        &self,
        name: &str,
        config: Oauth2ProviderConfig,
    ) -> Result<Oauth2CredentialProvider, Error> {
        let (vendor, input) = config.to_sdk()?;
        self.cp()?
            .update_oauth2_credential_provider()
            .name(name)
            .credential_provider_vendor(vendor)
            .oauth2_provider_config_input(input)
            .send()
            .await
            .map(Into::into)
            .map_err(|e| self.cp_err("UpdateOauth2CredentialProvider", e))
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
}
