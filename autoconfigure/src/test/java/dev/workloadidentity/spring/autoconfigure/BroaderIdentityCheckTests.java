package dev.workloadidentity.spring.autoconfigure;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.DefaultAzureCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.ManagedIdentityCredential;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/** What would sign in as a broader identity than the pod's is reported at startup, or fails it in strict mode. */
@ExtendWith(OutputCaptureExtension.class)
class BroaderIdentityCheckTests {

    private static final String SECRET = "do-not-print-this-secret";

    private static final String OTHER_CLIENT_ID = "00000000-0000-0000-0000-0000000000b1";

    @TempDir
    Path directory;

    private ApplicationContextRunner runner;

    @BeforeEach
    void onAksPod() throws IOException {
        this.runner = AksPod.runner(this.directory);
    }

    @Test
    void nothingToReportOnAPlainPod(CapturedOutput output) {
        this.runner.run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).doesNotContain("broader-identity");
    }

    @Test
    void managedIdentitySettingIsReportedWithWhatItDoesAndHowToRemoveIt(CapturedOutput output) {
        this.runner.withPropertyValues("spring.cloud.azure.credential.managed-identity-enabled=true")
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).contains("Workload identity: spring.cloud.azure.credential.managed-identity-enabled makes "
                + "Spring Cloud Azure sign in with a managed identity (on AKS, the node's) instead of the pod's "
                + "workload identity. Action: Remove spring.cloud.azure.credential.managed-identity-enabled")
            .contains("[broader-identity-setting]");
    }

    @Test
    void settingsGivenAsEnvironmentVariablesAreReportedByTheirVariableNames(CapturedOutput output) {
        // How settings usually reach a pod: the Deployment's env.
        this.runner.withInitializer((context) -> context.getEnvironment().getPropertySources().addFirst(
                new SystemEnvironmentPropertySource("pod-environment", Map.of(
                        "SPRING_CLOUD_AZURE_CREDENTIAL_MANAGEDIDENTITYENABLED", "true",
                        "SPRING_CLOUD_AZURE_SERVICEBUS_CREDENTIAL_CLIENTSECRET", SECRET,
                        "SPRING_CLOUD_AZURE_STORAGE_BLOB_CREDENTIAL_CLIENTID", OTHER_CLIENT_ID))))
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).contains("SPRING_CLOUD_AZURE_CREDENTIAL_MANAGEDIDENTITYENABLED makes Spring Cloud Azure "
                + "sign in with a managed identity")
            .contains("SPRING_CLOUD_AZURE_SERVICEBUS_CREDENTIAL_CLIENTSECRET makes Spring Cloud Azure sign in with a "
                    + "client secret")
            .contains("SPRING_CLOUD_AZURE_STORAGE_BLOB_CREDENTIAL_CLIENTID=" + OTHER_CLIENT_ID
                    + " does not choose an identity")
            .doesNotContain(SECRET);
    }

    @Test
    void managedIdentityTurnedOffIsNotReported(CapturedOutput output) {
        this.runner.withPropertyValues("spring.cloud.azure.credential.managed-identity-enabled=false")
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).doesNotContain("broader-identity");
    }

    @Test
    void perServiceClientSecretIsReportedByNameNeverByValue(CapturedOutput output) {
        this.runner.withPropertyValues("spring.cloud.azure.storage.blob.credential.client-secret=" + SECRET)
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).contains("spring.cloud.azure.storage.blob.credential.client-secret makes Spring Cloud "
                + "Azure sign in with a client secret").doesNotContain(SECRET);
    }

    @Test
    void broaderCredentialBeansAreReportedByName(CapturedOutput output) {
        this.runner.withBean("fallbackCredential", DefaultAzureCredential.class,
                () -> new DefaultAzureCredentialBuilder().build())
            .withBean("nodeCredential", ManagedIdentityCredential.class,
                    () -> new ManagedIdentityCredentialBuilder().build())
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).contains("Bean 'fallbackCredential' is a DefaultAzureCredential")
            .contains("Bean 'nodeCredential' is a ManagedIdentityCredential")
            .contains("[broader-identity-bean]");
    }

    @Test
    void serviceClientIdThatSpringCloudAzureIgnoresIsReportedWithTheWayToUseIt(CapturedOutput output) {
        this.runner.withPropertyValues("spring.cloud.azure.storage.blob.credential.client-id=" + OTHER_CLIENT_ID)
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).contains("spring.cloud.azure.storage.blob.credential.client-id=" + OTHER_CLIENT_ID
                + " does not choose an identity")
            .contains("signs in as the pod's workload identity, client ID " + AksPod.CLIENT_ID)
            .contains("set spring.cloud.azure.storage.blob.credential.token-credential-bean-name=<name>")
            .contains("[client-id-ignored]");
    }

    @Test
    void serviceClientIdWithItsOwnCredentialOrThePodsIdIsNotReportedAsIgnored(CapturedOutput output) {
        this.runner.withPropertyValues("spring.cloud.azure.storage.blob.credential.client-id=" + OTHER_CLIENT_ID,
                "spring.cloud.azure.storage.blob.credential.token-credential-bean-name=blobWriter",
                "spring.cloud.azure.keyvault.secret.credential.client-id=" + AksPod.CLIENT_ID)
            .withBean("blobWriter", TokenCredential.class, () -> (request) -> Mono.empty())
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).doesNotContain("client-id-ignored");
    }

    @Test
    void secretClientOnAnotherIdentityThanThePropertySourcesIsReported(CapturedOutput output) {
        this.runner.withBean(BootstrapCredential.BEAN_NAME, String.class, () -> "stands for the startup credential")
            .withPropertyValues("spring.cloud.azure.keyvault.secret.credential.token-credential-bean-name=reader")
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).contains("Key Vault property sources read the vault at startup as the pod's identity "
                + "(client ID " + AksPod.CLIENT_ID + "), but spring.cloud.azure.keyvault.secret.credential."
                + "token-credential-bean-name=reader signs the SecretClient in as another identity")
            .contains("[key-vault-identity-split]");
    }

    @Test
    void strictModeFailsStartupWithTheReport() {
        this.runner.withPropertyValues("workload-identity.strict=true",
                "spring.cloud.azure.servicebus.credential.managed-identity-enabled=true")
            .run((context) -> {
                assertThat(context).hasFailed();
                FailureAnalysis analysis = new WorkloadIdentityFailureAnalyzer().analyze(context.getStartupFailure());
                assertThat(analysis).isNotNull();
                assertThat(analysis.getDescription()).startsWith("spring.cloud.azure.servicebus.credential."
                        + "managed-identity-enabled makes Spring Cloud Azure sign in with a managed identity");
                assertThat(analysis.getAction()).endsWith("[broader-identity-setting]");
            });
    }

    @Test
    void strictModeFailsStartupOnASecretLeftInTheEnvironmentWithoutPrintingIt() {
        this.runner.withPropertyValues("workload-identity.strict=true", "AZURE_CLIENT_SECRET=" + SECRET)
            .run((context) -> {
                assertThat(context).hasFailed();
                FailureAnalysis analysis = new WorkloadIdentityFailureAnalyzer().analyze(context.getStartupFailure());
                assertThat(analysis).isNotNull();
                assertThat(analysis.getDescription()).startsWith("AZURE_CLIENT_SECRET is set in the pod's environment")
                    .doesNotContain(SECRET);
                assertThat(analysis.getAction()).endsWith("[leftover-secret-variable]").doesNotContain(SECRET);
            });
    }

    @Test
    void strictModeStartsWhenNothingIsBroader() {
        this.runner.withPropertyValues("workload-identity.strict=true")
            .run((context) -> assertThat(context).hasNotFailed());
    }

}
