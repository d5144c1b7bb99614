package dev.workloadidentity.spring.autoconfigure.azure;

import java.nio.file.Path;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.bootstrap.BootstrapRegistry.InstanceSupplier;
import org.springframework.boot.bootstrap.BootstrapRegistry.Scope;
import org.springframework.boot.bootstrap.DefaultBootstrapContext;

import static org.assertj.core.api.Assertions.assertThat;

/** The bootstrap phase reads the process environment and system properties; these tests use the latter. */
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

}
