package dev.workloadidentity.spring.autoconfigure;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.azure.spring.cloud.autoconfigure.implementation.context.AzureGlobalPropertiesAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.context.AzureTokenCredentialAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.storage.blob.AzureStorageBlobAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.beans.factory.NoSuchBeanDefinitionException;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** A client naming a credential bean that does not exist, started as an application starts, report and all. */
@ExtendWith(OutputCaptureExtension.class)
class NamedIdentityFailureAnalyzerTests {

    @TempDir
    Path directory;

    @Test
    void misspeltIdentityIsReportedWithTheSettingAndTheIdentitiesThereAre(CapturedOutput output) throws IOException {
        assertThat(catchThrowable(() -> start("blob_writer").close())).isNotNull();
        assertThat(output).contains("APPLICATION FAILED TO START")
            .contains("spring.cloud.azure.storage.blob.credential.token-credential-bean-name names the credential "
                    + "bean 'blob_writer', but there is none. The identities of workload-identity.identities are: "
                    + "blob-writer, reports.")
            .contains("[credential-bean-missing]");
    }

    @Test
    void settingGivenAsAnEnvironmentVariableIsFoundToo() {
        MockEnvironment environment = new MockEnvironment().withProperty("workload-identity.identities.blob-writer.client-id",
                "00000000-0000-0000-0000-0000000000b1");
        environment.getPropertySources().addFirst(new SystemEnvironmentPropertySource("pod-environment",
                Map.of("SPRING_CLOUD_AZURE_KEYVAULT_SECRET_CREDENTIAL_TOKENCREDENTIALBEANNAME", "blob-writr")));
        FailureAnalysis analysis = new NamedIdentityFailureAnalyzer(environment)
            .analyze(new NoSuchBeanDefinitionException("blob-writr"));
        assertThat(analysis).isNotNull();
        assertThat(analysis.getDescription()).startsWith("SPRING_CLOUD_AZURE_KEYVAULT_SECRET_CREDENTIAL_"
                + "TOKENCREDENTIALBEANNAME names the credential bean 'blob-writr', but there is none")
            .endsWith("are: blob-writer.");
    }

    @Test
    void identityNamedAsABeanRegisteredAfterItIsReportedAsTaken(CapturedOutput output) throws IOException {
        // blobServiceClient comes from Spring Cloud Azure's Blob auto-configuration, which runs after the starter's.
        assertThat(catchThrowable(() -> start("blob-writer", "--workload-identity.identities.blobServiceClient"
                + ".client-id=00000000-0000-0000-0000-0000000000b3").close())).isNotNull();
        assertThat(output).contains("The identity workload-identity.identities.blobServiceClient would be the bean "
                + "'blobServiceClient', but a bean of that name is registered after it too")
            .contains("[identity-name-taken]")
            .doesNotContain("allow-bean-definition-overriding");
    }

    @Test
    void otherMissingBeansAreLeftToSpringBoot() {
        assertThat(new NamedIdentityFailureAnalyzer(new MockEnvironment()
            .withProperty("spring.cloud.azure.storage.blob.credential.token-credential-bean-name", "blob-writer"))
            .analyze(new NoSuchBeanDefinitionException("dataSource"))).isNull();
    }

    private ConfigurableApplicationContext start(String beanName, String... more) throws IOException {
        Path tokenFile = TokenFiles.write(this.directory.resolve("azure-identity-token"));
        List<String> args = new ArrayList<>(List.of("--AZURE_FEDERATED_TOKEN_FILE=" + tokenFile,
                "--AZURE_CLIENT_ID=" + AksPod.CLIENT_ID,
                "--AZURE_TENANT_ID=" + AksPod.TENANT_ID,
                "--spring.cloud.azure.storage.blob.endpoint=https://acct.blob.core.windows.net/",
                "--workload-identity.identities.blob-writer.client-id=00000000-0000-0000-0000-0000000000b1",
                "--workload-identity.identities.reports.client-id=00000000-0000-0000-0000-0000000000b2",
                "--spring.cloud.azure.storage.blob.credential.token-credential-bean-name=" + beanName));
        args.addAll(List.of(more));
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE).run(args.toArray(String[]::new));
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ WorkloadIdentityAutoConfiguration.class, TaskExecutionAutoConfiguration.class,
            AzureGlobalPropertiesAutoConfiguration.class, AzureTokenCredentialAutoConfiguration.class,
            AzureStorageBlobAutoConfiguration.class })
    static class App {

    }

}
