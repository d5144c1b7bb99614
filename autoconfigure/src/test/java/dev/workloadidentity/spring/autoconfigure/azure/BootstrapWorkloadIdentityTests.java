package dev.workloadidentity.spring.autoconfigure.azure;

import java.io.IOException;
import java.nio.file.Path;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import dev.workloadidentity.spring.autoconfigure.BootstrapCredential;
import dev.workloadidentity.spring.autoconfigure.TokenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.context.support.GenericApplicationContext;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** The credential built for Key Vault property sources belongs to the application context it is handed to. */
class BootstrapWorkloadIdentityTests {

    @TempDir
    Path directory;

    @Test
    void handedOverCredentialIsClosedWithTheContextEvenIfNoBeanTookItOver() throws IOException {
        Path tokenFile = TokenFiles.write(this.directory.resolve("azure-identity-token"));
        BootstrapWorkloadIdentity identity = new BootstrapWorkloadIdentity();
        identity.environmentPrepared(new MockEnvironment()
            .withProperty("AZURE_FEDERATED_TOKEN_FILE", tokenFile.toString())
            .withProperty("AZURE_CLIENT_ID", "00000000-0000-0000-0000-00000000c11e")
            .withProperty("AZURE_TENANT_ID", "00000000-0000-0000-0000-0000000007e1")
            .withProperty("spring.cloud.azure.keyvault.secret.property-sources[0].endpoint",
                    "https://myvault.vault.azure.net/"));
        TokenCredential credential = identity.credentialForNextPropertySource();
        // A context without the auto-configuration: nothing in it adopts the credential.
        try (GenericApplicationContext context = new GenericApplicationContext()) {
            identity.handOver(context);
            context.refresh();
            assertThat(context.getBean(BootstrapCredential.class).sharedCredential()).isSameAs(credential);
        }
        assertThatIllegalStateException()
            .isThrownBy(() -> credential.getTokenSync(new TokenRequestContext().addScopes("https://vault.azure.net/.default")))
            .withMessage("The workload identity credential is closed");
    }

}
