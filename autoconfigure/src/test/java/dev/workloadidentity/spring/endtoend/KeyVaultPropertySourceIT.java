package dev.workloadidentity.spring.endtoend;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.WorkloadIdentityCredential;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.spring.cloud.autoconfigure.implementation.context.AzureGlobalPropertiesAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.context.AzureTokenCredentialAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.keyvault.secrets.AzureKeyVaultSecretAutoConfiguration;
import dev.workloadidentity.spring.autoconfigure.BootstrapCredential;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityAutoConfiguration;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityConfigurationException;
import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.http.SilentServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Spring Cloud Azure's Key Vault property sources, which load secrets before the application context exists,
 * started for real ({@code SpringApplication.run}, bootstrap registry, environment post-processors) against the
 * fake Entra and fake Key Vault over HTTPS. The webhook's variables are system properties here, where the
 * bootstrap phase reads them as it reads the process environment on a pod.
 */
@ExtendWith(OutputCaptureExtension.class)
class KeyVaultPropertySourceIT {

    private static final String VAULT = "https://vault.azure.net";

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(
            FakeAzure.builder().serviceAccount("shop", "orders-api").keyVault());

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void webhookEnvironment() {
        azure.get().webhookEnvironment().forEach(System::setProperty);
        azure.get().keyVault().setSecret("greeting", "hello from Key Vault");
    }

    @AfterEach
    void cleanUp() throws Exception {
        azure.get().webhookEnvironment().keySet().forEach(System::clearProperty);
        azure.get().rotateToken();
        azure.get().entra().clearTokenRequests();
        for (AutoCloseable closeable : this.closeables) {
            closeable.close();
        }
    }

    @Test
    void secretsBecomePropertiesWithOneTokenAcrossStartupAndRuntime() {
        try (ConfigurableApplicationContext context = start(propertySource(azure.get().keyVault().vaultUrl()))) {
            assertThat(context.getEnvironment().getProperty("greeting")).isEqualTo("hello from Key Vault");
            assertThat(context.getBean(SecretClient.class).getSecret("greeting").getValue())
                .isEqualTo("hello from Key Vault");
            BootstrapCredential bootstrap = context.getBean(BootstrapCredential.class);
            assertThat(context.getBean(WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL))
                .isSameAs(context.getBean(TokenCredential.class))
                .isSameAs(bootstrap.sharedCredential());
            assertThat(context.getBean(WorkloadIdentityCredential.class)).isSameAs(bootstrap.credential())
                .isSameAs(bootstrap.sharedCredential().getDelegate());
        }
        assertThat(tokenRequests()).singleElement().satisfies((request) -> {
            assertThat(request.resource()).isEqualTo(VAULT);
            assertThat(request.succeeded()).isTrue();
            assertThat(request.clientId()).isEqualTo(azure.get().clientId());
        });
    }

    @Test
    void wrongFederatedTokenFailsStartupWithTheDiagnosis(CapturedOutput output) {
        String wrongToken = azure.get().issuer().mint("shop", "someone-else");
        azure.get().tokenVolume().write(wrongToken);
        String vault = azure.get().keyVault().vaultUrl();
        Throwable failure = catchThrowable(() -> start(propertySource(vault)).close());
        Diagnosis diagnosis = diagnosis(failure);
        assertThat(diagnosis.code()).isEqualTo("AADSTS700213");
        assertThat(diagnosis.reason()).startsWith("Key Vault property source 'greetings' (" + vault + "): ")
            .contains("system:serviceaccount:shop:someone-else");
        assertThat(diagnosis.details()).containsKey("correlationId");
        assertThat(output).contains("APPLICATION FAILED TO START", diagnosis.reason(), "[AADSTS700213]")
            .doesNotContain(wrongToken);
        assertThat(tokenRequests()).isNotEmpty()
            .allSatisfy((request) -> assertThat(request.outcome()).isEqualTo("AADSTS700213"));
    }

    @Test
    void silentKeyVaultFailsStartupWithinTheBound() {
        SilentServer vault = silentServer();
        long started = System.nanoTime();
        Throwable failure = catchThrowable(
                () -> start(propertySource(vault.httpsUrl()), "workload-identity.key-vault.startup-timeout=2s")
                    .close());
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        Diagnosis diagnosis = diagnosis(failure);
        assertThat(diagnosis.code()).isEqualTo("key-vault-timeout");
        assertThat(diagnosis.reason()).isEqualTo("Key Vault property source 'greetings' (" + vault.httpsUrl()
                + "): the vault did not answer within 2s, so startup stopped.");
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(2)).isLessThan(Duration.ofSeconds(10));
        assertThat(vault.acceptedConnections()).isPositive();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void silentEntraFailsStartupWithinTheBoundNamingTheTokenRequest() {
        SilentServer entra = silentServer();
        String vault = azure.get().keyVault().vaultUrl();
        Throwable failure = catchThrowable(() -> start(propertySource(vault),
                "workload-identity.key-vault.startup-timeout=2s", "workload-identity.authority-host=" + entra.httpsUrl())
            .close());
        Diagnosis diagnosis = diagnosis(failure);
        assertThat(diagnosis.code()).isEqualTo("key-vault-timeout");
        assertThat(diagnosis.reason()).isEqualTo("Key Vault property source 'greetings' (" + vault
                + "): the token request to Entra (" + entra.httpsUrl() + ") did not answer within 2s, so startup "
                + "stopped.");
        assertThat(entra.acceptedConnections()).isPositive();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    void vaultRefusingConnectionsFailsStartupNamingTheVaultAndTheCause() {
        String closed;
        try (SilentServer server = SilentServer.start()) {
            closed = server.httpsUrl();
        }
        catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
        String vault = closed;
        Throwable failure = catchThrowable(() -> start(propertySource(vault)).close());
        Diagnosis diagnosis = diagnosis(failure);
        assertThat(diagnosis.code()).isEqualTo("key-vault-failed");
        assertThat(diagnosis.reason()).startsWith("Key Vault property source 'greetings' (" + vault
                + ") could not load its secrets: ")
            .contains("Connection refused");
        assertThat(tokenRequests()).isEmpty();
    }

    @Test
    void vaultOfAnotherTenantFailsStartupNamingBothTenants() {
        String otherTenant = "00000000-0000-0000-0000-0000000000e2";
        System.setProperty("AZURE_TENANT_ID", otherTenant);
        String vault = azure.get().keyVault().vaultUrl();
        Diagnosis diagnosis = diagnosis(catchThrowable(() -> start(propertySource(vault)).close()));
        assertThat(diagnosis.code()).isEqualTo("tenant-not-allowed");
        assertThat(diagnosis.reason()).startsWith("Key Vault property source 'greetings' (" + vault + "): A client "
                + "asked for a token in tenant " + azure.get().tenantId())
            .contains("signs in to tenant " + otherTenant);
        assertThat(tokenRequests()).isEmpty();
    }

    @Test
    void secretClientOnANamedIdentityIsReportedAsASplitVault(CapturedOutput output) {
        try (ConfigurableApplicationContext context = start(propertySource(azure.get().keyVault().vaultUrl()),
                "workload-identity.identities.reader.client-id=" + UUID.randomUUID(),
                "spring.cloud.azure.keyvault.secret.credential.token-credential-bean-name=reader")) {
            assertThat(context.getEnvironment().getProperty("greeting")).isEqualTo("hello from Key Vault");
        }
        assertThat(output).contains("but spring.cloud.azure.keyvault.secret.credential.token-credential-bean-name="
                + "reader signs the SecretClient in as another identity, so both need a role on the vault")
            .contains("[key-vault-identity-split]");
    }

    @Test
    void clientSecretForThePropertySourceFailsStartupInsteadOfBeingIgnored() {
        Throwable failure = catchThrowable(() -> start(propertySource(azure.get().keyVault().vaultUrl()),
                "spring.cloud.azure.keyvault.secret.property-sources[0].credential.client-secret=not-shown")
            .close());
        Diagnosis diagnosis = diagnosis(failure);
        assertThat(diagnosis.code()).isEqualTo("key-vault-credential-conflict");
        assertThat(diagnosis.reason())
            .startsWith("spring.cloud.azure.keyvault.secret.property-sources[0].credential.client-secret is set")
            .doesNotContain("not-shown");
        assertThat(tokenRequests()).isEmpty();
    }

    @Test
    void switchingOffInApplicationConfigurationIsTooLateForPropertySources() {
        Throwable failure = catchThrowable(
                () -> start(propertySource(azure.get().keyVault().vaultUrl()), "workload-identity.enabled=false")
                    .close());
        assertThat(diagnosis(failure).code()).isEqualTo("disabled-too-late");
        assertThat(tokenRequests()).isEmpty();
    }

    private SilentServer silentServer() {
        SilentServer server = SilentServer.start();
        this.closeables.add(server);
        return server;
    }

    private static Diagnosis diagnosis(Throwable failure) {
        assertThat(failure).as("startup failure").isNotNull();
        WorkloadIdentityConfigurationException explained = WorkloadIdentityConfigurationException.find(failure);
        assertThat(explained).as("diagnosis attached to %s", failure).isNotNull();
        return explained.getDiagnosis();
    }

    private static List<TokenRequest> tokenRequests() {
        return azure.get().entra().tokenRequests();
    }

    private static String[] propertySource(String endpoint) {
        String source = "--spring.cloud.azure.keyvault.secret.property-sources[0].";
        return new String[] { source + "name=greetings", source + "endpoint=" + endpoint,
                source + "challenge-resource-verification-enabled=false" };
    }

    private static ConfigurableApplicationContext start(String[] propertySource, String... properties) {
        List<String> args = new ArrayList<>(List.of(propertySource));
        Map<String, String> fakes = azure.get().springProperties();
        fakes.forEach((key, value) -> args.add("--" + key + "=" + value));
        for (String property : properties) {
            args.add("--" + property);
        }
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
            .run(args.toArray(String[]::new));
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ WorkloadIdentityAutoConfiguration.class, TaskExecutionAutoConfiguration.class,
            AzureGlobalPropertiesAutoConfiguration.class, AzureTokenCredentialAutoConfiguration.class,
            AzureKeyVaultSecretAutoConfiguration.class })
    static class App {

    }

}
