package dev.workloadidentity.spring.endtoend;

import java.util.UUID;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.util.BinaryData;
import com.azure.messaging.servicebus.ServiceBusMessage;
import com.azure.messaging.servicebus.ServiceBusSenderClient;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.BlobStorageException;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault.VaultRequest;
import dev.workloadidentity.spring.testsupport.servicebus.PutTokenRequest;
import dev.workloadidentity.spring.testsupport.storage.StorageGateway.BlobRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Two Entra identities federated to one service account, as Azure RBAC would have them: only the pod's identity
 * may read the vault and use the queue, only {@code blob-writer} may write blobs. Each fake service records the
 * client ID of every token it got, so the tests see which identity each client presented.
 */
@ExtendWith(OutputCaptureExtension.class)
class NamedIdentitiesIT {

    private static final String BLOB_WRITER = "blob-writer";

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(FakeAzure.builder()
        .serviceAccount("shop", "orders-api")
        .identity(BLOB_WRITER)
        .keyVault()
        .blobStorage()
        .serviceBus());

    @BeforeAll
    static void roleAssignments() {
        azure.get().keyVault().assignRole(azure.get().clientId()).setSecret("greeting", "hello from Key Vault");
        azure.get().serviceBus().assignRole(azure.get().clientId());
        azure.get().blobStorage().assignRole(azure.get().clientId(BLOB_WRITER));
    }

    @AfterEach
    void forgetTokenRequests() {
        azure.get().entra().clearTokenRequests();
    }

    @Test
    void eachClientPresentsTheIdentityItNames(CapturedOutput output) {
        String container = "orders-" + UUID.randomUUID();
        withBlobWriter().run((context) -> {
            assertThat(context.getBean(SecretClient.class).getSecret("greeting").getValue())
                .isEqualTo("hello from Key Vault");
            BlobClient blob = context.getBean(BlobServiceClient.class)
                .createBlobContainerIfNotExists(container)
                .getBlobClient("order-42.txt");
            blob.upload(BinaryData.fromString("order 42"));
            assertThat(blob.downloadContent().toString()).isEqualTo("order 42");
            context.getBean(ServiceBusSenderClient.class).sendMessage(new ServiceBusMessage("order 43"));
        });
        String pod = azure.get().clientId();
        String blobWriter = azure.get().clientId(BLOB_WRITER);
        assertThat(azure.get().keyVault().requests()).filteredOn(VaultRequest::hadToken)
            .isNotEmpty()
            .allSatisfy((request) -> assertThat(request.clientId()).isEqualTo(pod))
            .allSatisfy((request) -> assertThat(request.status()).isEqualTo(200));
        assertThat(azure.get().blobStorage().requests())
            .filteredOn((request) -> request.path().contains(container))
            .filteredOn(BlobRequest::hadToken)
            .isNotEmpty()
            .allSatisfy((request) -> assertThat(request.clientId()).isEqualTo(blobWriter))
            .allSatisfy((request) -> assertThat(request.status()).isLessThan(300));
        assertThat(azure.get().serviceBus().putTokenRequests()).isNotEmpty()
            .allSatisfy((request) -> assertThat(request.clientId()).isEqualTo(pod))
            .allSatisfy((request) -> assertThat(request.accepted()).isTrue());
        assertThat(azure.get().serviceBus().refusedLinks()).isEmpty();
        // Entra saw each identity only for what it is used for.
        assertThat(azure.get().entra().tokenRequests()).allSatisfy((request) -> assertThat(request.succeeded()).isTrue())
            .filteredOn((request) -> blobWriter.equals(request.clientId()))
            .extracting(TokenRequest::resource)
            .containsExactly("https://storage.azure.com");
        NothingSecretShown.in(output);
    }

    @Test
    void withoutNamingTheIdentityBlobStorageRefusesThePodsOwn() {
        ClientsOnFakeAzure.runner(azure.get()).run((context) -> {
            assertThat(context.getBean(SecretClient.class).getSecret("greeting").getValue())
                .isEqualTo("hello from Key Vault");
            assertThatExceptionOfType(BlobStorageException.class)
                .isThrownBy(() -> context.getBean(BlobServiceClient.class)
                    .createBlobContainerIfNotExists("orders-" + UUID.randomUUID()))
                .satisfies((refused) -> {
                    assertThat(refused.getStatusCode()).isEqualTo(403);
                    assertThat(refused.getErrorCode().toString()).isEqualTo("AuthorizationPermissionMismatch");
                });
        });
    }

    @Test
    void healthReportsEachIdentityUnderItsName() {
        withBlobWriter().withConfiguration(AutoConfigurations.of(HealthContributorAutoConfiguration.class,
                HealthContributorRegistryAutoConfiguration.class))
            .run((context) -> {
                assertThat(health(context, "default").getStatus()).isEqualTo(Status.UP);
                Health blobWriter = health(context, BLOB_WRITER);
                assertThat(blobWriter.getStatus()).isEqualTo(Status.UP);
                assertThat(blobWriter.getDetails()).containsEntry("clientId", azure.get().clientId(BLOB_WRITER));
            });
    }

    @Test
    void anIdentityEntraDoesNotKnowIsDownUnderItsNameWhileThePodsStaysUp(CapturedOutput output) {
        String unknown = UUID.randomUUID().toString();
        ClientsOnFakeAzure.runner(azure.get())
            .withConfiguration(AutoConfigurations.of(HealthContributorAutoConfiguration.class,
                    HealthContributorRegistryAutoConfiguration.class))
            .withPropertyValues("workload-identity.identities.reports.client-id=" + unknown,
                    "spring.cloud.azure.keyvault.secret.credential.token-credential-bean-name=reports",
                    // The vault client would retry the refused credential for seconds.
                    "spring.cloud.azure.keyvault.secret.retry.mode=exponential",
                    "spring.cloud.azure.keyvault.secret.retry.exponential.max-retries=0")
            .run((context) -> {
                // What the client's caller gets: the Azure SDK's authentication exception, with the diagnosis.
                assertThatExceptionOfType(ClientAuthenticationException.class)
                    .isThrownBy(() -> context.getBean(SecretClient.class).getSecret("greeting"))
                    .withMessageStartingWith("Workload identity: Entra has no application with client ID " + unknown)
                    .withMessageContaining("Action: Check workload-identity.identities.reports.client-id")
                    .withMessageContaining("[AADSTS700016");
                assertThat(health(context, "default").getStatus()).isEqualTo(Status.UP);
                Health reports = health(context, "reports");
                assertThat(reports.getStatus()).isEqualTo(Status.DOWN);
                assertThat(reports.getDetails()).containsEntry("code", "AADSTS700016")
                    .containsEntry("clientId", unknown)
                    .containsEntry("action", "Check workload-identity.identities.reports.client-id: it must be the "
                            + "identity's client ID, not its resource ID, and the identity must live in that tenant.");
            });
        assertThat(output).contains("Workload identity 'reports': Entra has no application with client ID " + unknown);
        NothingSecretShown.in(output);
    }

    @Test
    void aReadinessGroupCanFollowThePodsIdentityAlone() {
        ClientsOnFakeAzure.runner(azure.get())
            .withConfiguration(AutoConfigurations.of(HealthContributorAutoConfiguration.class,
                    HealthContributorRegistryAutoConfiguration.class, HealthEndpointAutoConfiguration.class))
            .withPropertyValues("workload-identity.identities.reports.client-id=" + UUID.randomUUID(),
                    "management.endpoint.health.group.readiness.include=workloadIdentity/default",
                    "management.endpoint.health.group.identities.include=workloadIdentity")
            .run((context) -> {
                HealthEndpoint health = context.getBean(HealthEndpoint.class);
                assertThat(health.healthForPath("readiness").getStatus()).isEqualTo(Status.UP);
                assertThat(health.healthForPath("identities").getStatus()).isEqualTo(Status.DOWN);
            });
    }

    private static ApplicationContextRunner withBlobWriter() {
        return ClientsOnFakeAzure.runner(azure.get())
            .withPropertyValues("workload-identity.identities." + BLOB_WRITER + ".client-id="
                    + azure.get().clientId(BLOB_WRITER),
                    "spring.cloud.azure.storage.blob.credential.token-credential-bean-name=" + BLOB_WRITER);
    }

    private static Health health(AssertableApplicationContext context, String identity) {
        assertThat(context).hasNotFailed();
        CompositeHealthContributor workloadIdentity = (CompositeHealthContributor) context
            .getBean(HealthContributorRegistry.class)
            .getContributor("workloadIdentity");
        return ((HealthIndicator) workloadIdentity.getContributor(identity)).health();
    }

}
