package dev.workloadidentity.spring.autoconfigure;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.WorkloadIdentityCredential;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.diagnostics.Problem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The context takes over the credential that Key Vault property sources used at startup, as the bootstrap
 * registry's close listener hands it over.
 */
@ExtendWith(OutputCaptureExtension.class)
class BootstrapCredentialHandOverTests {

    private static final String CLIENT_ID = "00000000-0000-0000-0000-00000000c11e";

    private static final String TENANT_ID = "00000000-0000-0000-0000-0000000007e1";

    @TempDir
    Path directory;

    private BootstrapCredential bootstrap;

    private ApplicationContextRunner runner;

    @BeforeEach
    void bootstrapCredential() throws IOException {
        Path tokenFile = TokenFiles.write(this.directory.resolve("azure-identity-token"));
        MockEnvironment environment = new MockEnvironment().withProperty("AZURE_FEDERATED_TOKEN_FILE", tokenFile.toString())
            .withProperty("AZURE_CLIENT_ID", CLIENT_ID)
            .withProperty("AZURE_TENANT_ID", TENANT_ID);
        WorkloadIdentitySettings settings = WorkloadIdentitySettings.resolve(new WorkloadIdentityProperties(),
                environment, (warning) -> {
                });
        ExecutorService msalThreads = WorkloadIdentitySettings.msalThreads();
        WorkloadIdentityCredential credential = settings.credentialBuilder(msalThreads).build();
        Diagnosis warning = Diagnosis.of(Problem.TOKEN_EXPIRING, Map.of("tokenFileSetting", settings.tokenFileSetting()));
        this.bootstrap = new BootstrapCredential(settings, credential, new SharedTokenCredential(credential),
                msalThreads, List.of(warning));
        this.runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WorkloadIdentityAutoConfiguration.class))
            .withPropertyValues("AZURE_FEDERATED_TOKEN_FILE=" + tokenFile)
            .withBean(BootstrapCredential.BEAN_NAME, BootstrapCredential.class, () -> this.bootstrap);
    }

    @Test
    void contextUsesTheInstancesKeyVaultPropertySourcesUsed() {
        this.runner.run((context) -> {
            assertThat(context.getBean(WorkloadIdentitySettings.class)).isSameAs(this.bootstrap.settings());
            assertThat(context.getBean(WorkloadIdentityCredential.class)).isSameAs(this.bootstrap.credential());
            assertThat(context.getBean(WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL))
                .isSameAs(this.bootstrap.sharedCredential());
        });
    }

    @Test
    void contextShutsDownTheCredentialsThreadsWhenItCloses() {
        this.runner.run((context) -> {
            assertThat(context.getBean(MsalThreads.class).executor()).isSameAs(this.bootstrap.msalThreads());
            assertThat(this.bootstrap.msalThreads().isShutdown()).isFalse();
        });
        assertThat(this.bootstrap.msalThreads().isShutdown()).isTrue();
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> this.bootstrap.sharedCredential().getTokenSync(new TokenRequestContext().addScopes(
                    "https://vault.azure.net/.default")))
            .withMessage("The workload identity credential is closed");
    }

    @Test
    void warningsFromStartupAreLoggedOnceLoggingIsUp(CapturedOutput output) {
        this.runner.run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).containsOnlyOnce("Workload identity: ")
            .contains("[" + Problem.TOKEN_EXPIRING.code() + "]");
    }

    @Test
    void customizersCannotApplyToACredentialBuiltBeforeTheContextAndSaySo(CapturedOutput output) {
        this.runner.withBean(WorkloadIdentityCredentialBuilderCustomizer.class, () -> (builder) -> {
        }).run((context) -> assertThat(context.getBean(WorkloadIdentityCredential.class))
            .isSameAs(this.bootstrap.credential()));
        assertThat(output).contains("WorkloadIdentityCredentialBuilderCustomizer beans do not apply");
    }

    @Test
    void withTheUsersOwnDefaultCredentialTheStartupOneIsStillClosed() {
        this.runner.withBean(WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL,
                TokenCredential.class, () -> (request) -> Mono.empty())
            .run((context) -> assertThat(context).doesNotHaveBean(MsalThreads.class));
        assertThat(this.bootstrap.msalThreads().isShutdown()).isTrue();
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> this.bootstrap.sharedCredential().getTokenSync(new TokenRequestContext().addScopes(
                    "https://vault.azure.net/.default")))
            .withMessage("The workload identity credential is closed");
    }

    @Test
    void usersOwnDefaultCredentialStillReplacesOurs() {
        SharedTokenCredential theirs = new SharedTokenCredential(this.bootstrap.credential());
        this.runner
            .withBean(WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL,
                    SharedTokenCredential.class, () -> theirs)
            .run((context) -> {
                assertThat(context.getBean(WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL))
                    .isSameAs(theirs);
                assertThat(context).doesNotHaveBean(WorkloadIdentityCredential.class);
            });
        theirs.close();
    }

}
