package dev.workloadidentity.spring.autoconfigure.azure;

import java.nio.file.Path;
import java.util.Map;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityConfigurationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.bootstrap.BootstrapRegistry.InstanceSupplier;
import org.springframework.boot.bootstrap.BootstrapRegistry.Scope;
import org.springframework.boot.bootstrap.DefaultBootstrapContext;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.env.MapPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** The bootstrap phase reads the process environment and system properties; these tests use the latter. */
@ExtendWith(OutputCaptureExtension.class)
class WorkloadIdentityBootstrapRegistryInitializerTests {

    private final DefaultBootstrapContext registry = new DefaultBootstrapContext();

    @TempDir
    Path directory;

    @AfterEach
    void clearSystemProperties() {
        System.clearProperty("AZURE_FEDERATED_TOKEN_FILE");
        System.clearProperty("workload-identity.enabled");
    }

    @Test
    void registersTheWorkloadIdentityForKeyVaultPropertySourcesOnAnAksPod() {
        System.setProperty("AZURE_FEDERATED_TOKEN_FILE", this.directory.resolve("token").toString());
        new WorkloadIdentityBootstrapRegistryInitializer().initialize(this.registry);
        assertThat(this.registry.isRegistered(TokenCredential.class)).isTrue();
        // Asked once per property source, so the startup watch knows which one is loading.
        assertThat(this.registry.getRegisteredInstanceSupplier(TokenCredential.class).getScope())
            .isEqualTo(Scope.PROTOTYPE);
        assertThat(this.registry.isRegistered(BootstrapWorkloadIdentity.class)).isTrue();
    }

    @Test
    void registersNothingOffTheCluster() {
        new WorkloadIdentityBootstrapRegistryInitializer().initialize(this.registry);
        assertThat(this.registry.isRegistered(TokenCredential.class)).isFalse();
        assertThat(this.registry.isRegistered(BootstrapWorkloadIdentity.class)).isFalse();
    }

    @Test
    void registersNothingWhenSwitchedOffBeforeStartup() {
        System.setProperty("AZURE_FEDERATED_TOKEN_FILE", this.directory.resolve("token").toString());
        System.setProperty("workload-identity.enabled", "false");
        new WorkloadIdentityBootstrapRegistryInitializer().initialize(this.registry);
        assertThat(this.registry.isRegistered(TokenCredential.class)).isFalse();
    }

    @Test
    void keepsACredentialRegisteredBeforeIt() {
        System.setProperty("AZURE_FEDERATED_TOKEN_FILE", this.directory.resolve("token").toString());
        TokenCredential theirs = new DefaultAzureCredentialBuilder().build();
        this.registry.register(TokenCredential.class, InstanceSupplier.of(theirs));
        new WorkloadIdentityBootstrapRegistryInitializer().initialize(this.registry);
        assertThat(this.registry.get(TokenCredential.class)).isSameAs(theirs);
    }


    @Test
    void propertySourcesLoadedWithoutTheWorkloadIdentityAreReported(CapturedOutput output) {
        new WorkloadIdentityBootstrapRegistryInitializer().initialize(this.registry);
        this.registry.close(contextConfiguredInApplicationYml());
        assertThat(output).contains("Workload identity: Key Vault property sources 'greetings' loaded their secrets "
                + "with Spring Cloud Azure's DefaultAzureCredential, which can sign in as the node's managed identity")
            .contains("[key-vault-default-credential]");
    }

    @Test
    void propertySourcesLoadedWithoutTheWorkloadIdentityFailStartupInStrictMode() {
        new WorkloadIdentityBootstrapRegistryInitializer().initialize(this.registry);
        GenericApplicationContext context = contextConfiguredInApplicationYml();
        context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("strict",
                Map.of("workload-identity.strict", "true")));
        assertThatExceptionOfType(WorkloadIdentityConfigurationException.class)
            .isThrownBy(() -> this.registry.close(context))
            .satisfies((failure) -> assertThat(failure.getDiagnosis().code())
                .isEqualTo("key-vault-default-credential"));
    }

    @Test
    void propertySourcesWithTheApplicationsOwnCredentialAreNotReported(CapturedOutput output) {
        new WorkloadIdentityBootstrapRegistryInitializer().initialize(this.registry);
        this.registry.register(TokenCredential.class, InstanceSupplier.of(new DefaultAzureCredentialBuilder().build()));
        this.registry.close(contextConfiguredInApplicationYml());
        assertThat(output).doesNotContain("key-vault-default-credential");
    }

    @Test
    void noPropertySourcesNothingToReport(CapturedOutput output) {
        new WorkloadIdentityBootstrapRegistryInitializer().initialize(this.registry);
        GenericApplicationContext context = new GenericApplicationContext();
        context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("application.yml",
                Map.of("workload-identity.token-file", this.directory.resolve("token").toString())));
        this.registry.close(context);
        assertThat(output).doesNotContain("key-vault-default-credential");
    }

    /** Workload identity and a Key Vault property source, both only in configuration the bootstrap phase cannot see. */
    private GenericApplicationContext contextConfiguredInApplicationYml() {
        GenericApplicationContext context = new GenericApplicationContext();
        context.getEnvironment().getPropertySources().addFirst(new MapPropertySource("application.yml", Map.of(
                "workload-identity.token-file", this.directory.resolve("token").toString(),
                "spring.cloud.azure.keyvault.secret.property-sources[0].name", "greetings",
                "spring.cloud.azure.keyvault.secret.property-sources[0].endpoint", "https://myvault.vault.azure.net/")));
        return context;
    }

}
