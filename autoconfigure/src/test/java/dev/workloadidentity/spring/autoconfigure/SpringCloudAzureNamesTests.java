package dev.workloadidentity.spring.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import com.azure.spring.cloud.autoconfigure.implementation.context.AzureContextUtils;
import com.azure.spring.cloud.autoconfigure.implementation.context.AzureTokenCredentialAutoConfiguration;
import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter names Spring Cloud Azure's classes and beans by string so it works without Spring Cloud Azure;
 * this pins those strings to the version in the build.
 */
class SpringCloudAzureNamesTests {

    @Test
    void defaultCredentialBeanNameMatchesSpringCloudAzure() {
        assertThat(WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL)
            .isEqualTo(AzureContextUtils.DEFAULT_TOKEN_CREDENTIAL_BEAN_NAME);
    }

    @Test
    void credentialAutoConfigurationNameMatchesSpringCloudAzure() {
        assertThat(WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_CREDENTIAL_AUTO_CONFIGURATION)
            .isEqualTo(AzureTokenCredentialAutoConfiguration.class.getName());
    }

    @Test
    void settingsReadKeysSpringCloudAzureDefines() throws IOException {
        List<String> keys;
        try (InputStream metadata = ConfigurationMetadataTests.metadataOf(AzureContextUtils.class)) {
            keys = JsonPath.read(metadata, "$.properties[*].name");
        }
        assertThat(keys).contains(WorkloadIdentitySettings.CLOUD_TYPE_PROPERTY,
                WorkloadIdentitySettings.ACTIVE_DIRECTORY_ENDPOINT_PROPERTY);
    }

}
