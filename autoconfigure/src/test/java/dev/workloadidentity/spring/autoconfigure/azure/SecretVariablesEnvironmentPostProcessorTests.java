package dev.workloadidentity.spring.autoconfigure.azure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import com.azure.identity.ClientSecretCredential;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.azure.spring.cloud.autoconfigure.implementation.context.AzureGlobalConfigurationEnvironmentPostProcessor;
import com.azure.spring.cloud.autoconfigure.implementation.context.AzureGlobalPropertiesAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.context.AzureTokenCredentialAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.keyvault.secrets.AzureKeyVaultSecretAutoConfiguration;
import dev.workloadidentity.spring.autoconfigure.TokenFiles;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityAutoConfiguration;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.logging.DeferredLogs;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.test.util.ReflectionTestUtils;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(OutputCaptureExtension.class)
class SecretVariablesEnvironmentPostProcessorTests {

    private static final String SECRET_VALUE = "s3cr3t-value-from-a-forgotten-env-var";

    @TempDir
    Path directory;

    private final Map<String, Object> podEnvironment = new HashMap<>();

    private final DeferredLogs logs = new DeferredLogs();

    @BeforeEach
    void podWithWorkloadIdentityAndLeftoverSecret() throws IOException {
        this.podEnvironment.put("AZURE_FEDERATED_TOKEN_FILE",
                TokenFiles.write(this.directory.resolve("azure-identity-token")).toString());
        this.podEnvironment.put("AZURE_CLIENT_ID", "00000000-0000-0000-0000-00000000c11e");
        this.podEnvironment.put("AZURE_TENANT_ID", "00000000-0000-0000-0000-0000000007e1");
        this.podEnvironment.put("AZURE_CLIENT_SECRET", SECRET_VALUE);
    }

    @Test
    void blanksSecretThatSpringCloudAzureCopiedFromTheEnvironment() {
        ConfigurableEnvironment environment = environment();
        springCloudAzureThenOurs(environment);
        assertThat(environment.getProperty("spring.cloud.azure.credential.client-secret")).isEmpty();
        assertThat(environment.getProperty("spring.cloud.azure.credential.client-id"))
            .isEqualTo("00000000-0000-0000-0000-00000000c11e");
    }

    @Test
    void blanksSecretWhicheverPostProcessorRunsFirst() {
        ConfigurableEnvironment environment = environment();
        postProcessor().postProcessEnvironment(environment, new SpringApplication());
        new AzureGlobalConfigurationEnvironmentPostProcessor().postProcessEnvironment(environment,
                new SpringApplication());
        assertThat(environment.getProperty("spring.cloud.azure.credential.client-secret")).isEmpty();
    }

    @Test
    void blanksCertificateAndUserPasswordVariablesToo() {
        this.podEnvironment.put("AZURE_CLIENT_CERTIFICATE_PATH", "/certs/app.pem");
        this.podEnvironment.put("AZURE_USERNAME", "someone");
        this.podEnvironment.put("AZURE_PASSWORD", "hunter2");
        ConfigurableEnvironment environment = environment();
        springCloudAzureThenOurs(environment);
        assertThat(environment.getProperty("spring.cloud.azure.credential.client-certificate-path")).isEmpty();
        assertThat(environment.getProperty("spring.cloud.azure.credential.username")).isEmpty();
        assertThat(environment.getProperty("spring.cloud.azure.credential.password")).isEmpty();
    }

    @Test
    void secretSetInApplicationConfigurationStillWins() {
        ConfigurableEnvironment environment = environment();
        environment.getPropertySources()
            .addFirst(new MapPropertySource("application.yml",
                    Map.of("spring.cloud.azure.credential.client-secret", "on-purpose")));
        springCloudAzureThenOurs(environment);
        assertThat(environment.getProperty("spring.cloud.azure.credential.client-secret")).isEqualTo("on-purpose");
    }

    @Test
    void leavesEnvironmentAloneWithoutWorkloadIdentity() {
        this.podEnvironment.remove("AZURE_FEDERATED_TOKEN_FILE");
        ConfigurableEnvironment environment = environment();
        springCloudAzureThenOurs(environment);
        assertThat(environment.getProperty("spring.cloud.azure.credential.client-secret")).isEqualTo(SECRET_VALUE);
    }

    @Test
    void leavesEnvironmentAloneWhenWorkloadIdentityIsDisabled() {
        this.podEnvironment.put("workload-identity.enabled", "false");
        ConfigurableEnvironment environment = environment();
        springCloudAzureThenOurs(environment);
        assertThat(environment.getProperty("spring.cloud.azure.credential.client-secret")).isEqualTo(SECRET_VALUE);
    }

    @Test
    void warnsNamingTheVariableButNeverItsValue(CapturedOutput output) {
        springCloudAzureThenOurs(environment());
        this.logs.switchOverAll();
        assertThat(output).contains("AZURE_CLIENT_SECRET is set, but this pod signs in with its workload identity")
            .doesNotContain(SECRET_VALUE);
    }

    @Test
    void springCloudAzureClientsKeepWorkloadIdentityDespiteLeftoverSecret() {
        keyVaultClientOnPod(this::springCloudAzureThenOurs)
            .run((context) -> assertThat(keyVaultCredential(context)).isInstanceOf(SharedTokenCredential.class));
    }

    @Test
    void withoutThePostProcessorTheLeftoverSecretWouldWin() {
        // Guards the test above: it must be this post-processor that keeps the secret out.
        keyVaultClientOnPod((environment) -> new AzureGlobalConfigurationEnvironmentPostProcessor()
            .postProcessEnvironment(environment, new SpringApplication()))
            .run((context) -> assertThat(keyVaultCredential(context)).isInstanceOf(ClientSecretCredential.class));
    }

    private ApplicationContextRunner keyVaultClientOnPod(Consumer<ConfigurableEnvironment> postProcessing) {
        return new ApplicationContextRunner().withInitializer((context) -> {
            context.getEnvironment().getPropertySources().addLast(podEnvironmentSource());
            postProcessing.accept(context.getEnvironment());
        })
            .withConfiguration(AutoConfigurations.of(WorkloadIdentityAutoConfiguration.class,
                    TaskExecutionAutoConfiguration.class, AzureGlobalPropertiesAutoConfiguration.class,
                    AzureTokenCredentialAutoConfiguration.class, AzureKeyVaultSecretAutoConfiguration.class))
            .withPropertyValues("spring.cloud.azure.keyvault.secret.endpoint=https://myvault.vault.azure.net/");
    }

    private static Object keyVaultCredential(AssertableApplicationContext context) {
        return ReflectionTestUtils.getField(context.getBean(SecretClientBuilder.class), "credential");
    }

    private ConfigurableEnvironment environment() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
        environment.getPropertySources().addLast(podEnvironmentSource());
        return environment;
    }

    private SystemEnvironmentPropertySource podEnvironmentSource() {
        return new SystemEnvironmentPropertySource("pod environment", this.podEnvironment);
    }

    private void springCloudAzureThenOurs(ConfigurableEnvironment environment) {
        new AzureGlobalConfigurationEnvironmentPostProcessor().postProcessEnvironment(environment,
                new SpringApplication());
        postProcessor().postProcessEnvironment(environment, new SpringApplication());
    }

    private SecretVariablesEnvironmentPostProcessor postProcessor() {
        return new SecretVariablesEnvironmentPostProcessor(this.logs);
    }

}
