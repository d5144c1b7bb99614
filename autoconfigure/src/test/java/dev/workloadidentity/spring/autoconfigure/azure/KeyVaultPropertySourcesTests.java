package dev.workloadidentity.spring.autoconfigure.azure;

import com.azure.spring.cloud.autoconfigure.implementation.keyvault.environment.KeyVaultEnvironmentPostProcessor;
import dev.workloadidentity.spring.autoconfigure.azure.KeyVaultPropertySources.Source;
import org.junit.jupiter.api.Test;

import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

class KeyVaultPropertySourcesTests {

    private static final String SOURCES = "spring.cloud.azure.keyvault.secret.property-sources";

    private final MockEnvironment environment = new MockEnvironment();

    @Test
    void sourcesLoadInOrderWithSpringCloudAzuresDefaultNames() {
        this.environment.withProperty(SOURCES + "[0].endpoint", "https://first.vault.azure.net/")
            .withProperty(SOURCES + "[1].name", "second")
            .withProperty(SOURCES + "[1].endpoint", "https://second.vault.azure.net/");
        assertThat(KeyVaultPropertySources.toLoad(this.environment)).containsExactly(
                new Source("azure-key-vault-secret-property-source-0", "https://first.vault.azure.net/"),
                new Source("second", "https://second.vault.azure.net/"));
    }

    @Test
    void disabledSourcesAndSourcesWithoutEndpointAreSkippedButKeepTheirIndexInDefaultNames() {
        this.environment.withProperty(SOURCES + "[0].endpoint", "https://off.vault.azure.net/")
            .withProperty(SOURCES + "[0].enabled", "false")
            .withProperty(SOURCES + "[1].name", "no-endpoint")
            .withProperty(SOURCES + "[2].endpoint", "https://third.vault.azure.net/");
        assertThat(KeyVaultPropertySources.toLoad(this.environment)).containsExactly(
                new Source("azure-key-vault-secret-property-source-2", "https://third.vault.azure.net/"));
    }

    @Test
    void nothingLoadsWhenPropertySourcesAreSwitchedOff() {
        this.environment.withProperty(SOURCES + "[0].endpoint", "https://first.vault.azure.net/")
            .withProperty("spring.cloud.azure.keyvault.secret.property-source-enabled", "false");
        assertThat(KeyVaultPropertySources.toLoad(this.environment)).isEmpty();
    }

    @Test
    void globalClientSecretChoosesAnotherIdentity() {
        this.environment.withProperty(SOURCES + "[0].endpoint", "https://first.vault.azure.net/")
            .withProperty("spring.cloud.azure.credential.client-secret", "s3cret");
        assertThat(KeyVaultPropertySources.otherIdentitySetting(this.environment))
            .isEqualTo("spring.cloud.azure.credential.client-secret");
    }

    @Test
    void credentialBeanForOnePropertySourceChoosesAnotherIdentity() {
        this.environment.withProperty(SOURCES + "[0].endpoint", "https://first.vault.azure.net/")
            .withProperty(SOURCES + "[1].endpoint", "https://second.vault.azure.net/")
            .withProperty(SOURCES + "[1].credential.token-credential-bean-name", "myCredential");
        assertThat(KeyVaultPropertySources.otherIdentitySetting(this.environment))
            .isEqualTo(SOURCES + "[1].credential.token-credential-bean-name");
    }

    @Test
    void clientIdAndManagedIdentityDoNotChooseAnotherIdentity() {
        // On a workload identity pod a managed identity with the webhook's client ID is the same identity.
        this.environment.withProperty(SOURCES + "[0].endpoint", "https://first.vault.azure.net/")
            .withProperty("spring.cloud.azure.credential.client-id", "2d1a6f0e-8d3c-4b8a-9f55-0c6e3b7a9d21")
            .withProperty(SOURCES + "[0].credential.managed-identity-enabled", "true");
        assertThat(KeyVaultPropertySources.otherIdentitySetting(this.environment)).isNull();
    }

    @Test
    void postProcessorNameMatchesSpringCloudAzure() {
        assertThat(KeyVaultStartupWatch.KEY_VAULT_POST_PROCESSOR)
            .isEqualTo(KeyVaultEnvironmentPostProcessor.class.getName());
    }

}
