package dev.workloadidentity.spring.autoconfigure;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/** An authority host of one sovereign cloud and a service endpoint of another are reported at startup. */
@ExtendWith(OutputCaptureExtension.class)
class CloudMismatchCheckTests {

    @TempDir
    Path directory;

    private ApplicationContextRunner runner;

    @BeforeEach
    void onAksPod() throws IOException {
        this.runner = AksPod.runner(this.directory);
    }

    @Test
    void publicAuthorityWithAUsGovernmentVaultIsReported(CapturedOutput output) {
        this.runner
            .withPropertyValues("AZURE_AUTHORITY_HOST=https://login.microsoftonline.com/",
                    "spring.cloud.azure.keyvault.secret.endpoint=https://orders.vault.usgovcloudapi.net/")
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).contains("Workload identity: The authority host https://login.microsoftonline.com/ "
                + "belongs to the Azure public cloud, but spring.cloud.azure.keyvault.secret.endpoint="
                + "https://orders.vault.usgovcloudapi.net/ is in Azure US Government: that service refuses tokens "
                + "from another cloud's Entra.")
            .contains("[cloud-mismatch]");
    }

    @Test
    void endpointGivenAsAnEnvironmentVariableIsCheckedToo(CapturedOutput output) {
        this.runner.withPropertyValues("AZURE_AUTHORITY_HOST=https://login.microsoftonline.com/")
            .withInitializer((context) -> context.getEnvironment().getPropertySources().addFirst(
                    new SystemEnvironmentPropertySource("pod-environment", Map.of(
                            "SPRING_CLOUD_AZURE_KEYVAULT_SECRET_ENDPOINT", "https://orders.vault.usgovcloudapi.net/"))))
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).contains("but SPRING_CLOUD_AZURE_KEYVAULT_SECRET_ENDPOINT="
                + "https://orders.vault.usgovcloudapi.net/ is in Azure US Government");
    }

    @Test
    void chinaAuthorityWithAPublicBlobEndpointAndServiceBusDomainIsReportedForEach(CapturedOutput output) {
        this.runner
            .withPropertyValues("AZURE_AUTHORITY_HOST=https://login.chinacloudapi.cn/",
                    "spring.cloud.azure.storage.blob.endpoint=https://acct.blob.core.windows.net/",
                    "spring.cloud.azure.servicebus.domain-name=servicebus.windows.net")
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).contains("spring.cloud.azure.storage.blob.endpoint=https://acct.blob.core.windows.net/ "
                + "is in the Azure public cloud")
            .contains("spring.cloud.azure.servicebus.domain-name=servicebus.windows.net is in the Azure public cloud");
    }

    @Test
    void matchingCloudsAndUnknownHostsAreNotReported(CapturedOutput output) {
        this.runner
            .withPropertyValues("AZURE_AUTHORITY_HOST=https://login.microsoftonline.us/",
                    "spring.cloud.azure.keyvault.secret.endpoint=https://orders.vault.usgovcloudapi.net/",
                    "spring.cloud.azure.storage.blob.endpoint=https://127.0.0.1:10000/devstoreaccount1",
                    "spring.cloud.azure.servicebus.namespace=my-namespace")
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).doesNotContain("cloud-mismatch");
    }

    @Test
    void privateCloudAuthorityIsNotJudged(CapturedOutput output) {
        this.runner
            .withPropertyValues("AZURE_AUTHORITY_HOST=https://login.example.internal/",
                    "spring.cloud.azure.keyvault.secret.endpoint=https://orders.vault.azure.net/")
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).doesNotContain("cloud-mismatch");
    }

}
