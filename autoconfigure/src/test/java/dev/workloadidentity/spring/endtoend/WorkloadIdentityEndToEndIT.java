package dev.workloadidentity.spring.endtoend;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.azure.core.util.BinaryData;
import com.azure.messaging.servicebus.ServiceBusMessage;
import com.azure.messaging.servicebus.ServiceBusReceivedMessage;
import com.azure.messaging.servicebus.ServiceBusReceiverClient;
import com.azure.messaging.servicebus.ServiceBusSenderClient;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobServiceClient;
import com.microsoft.aad.msal4j.MsalServiceException;
import dev.workloadidentity.spring.health.WorkloadIdentityHealthIndicator;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * The starter against a fake Azure that checks tokens as Azure does: a fake Entra that verifies the projected
 * service account token and mints signed access tokens, and a Key Vault, Azurite and a Service Bus namespace
 * that check them. Every call goes
 * over a real HTTPS connection on loopback.
 */
class WorkloadIdentityEndToEndIT {

    private static final String MANAGEMENT = "https://management.azure.com";

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(
            FakeAzure.builder().serviceAccount("shop", "orders-api").keyVault().blobStorage().serviceBus());

    @AfterEach
    void restoreProjectedToken() {
        azure.get().rotateToken();
        azure.get().entra().clearTokenRequests();
    }

    @Test
    void springCloudAzureClientsAuthenticateWithTheProjectedToken() {
        azure.get().keyVault().setSecret("greeting", "hello from Key Vault");
        runner().run((context) -> {
            assertThat(context.getBean(SecretClient.class).getSecret("greeting").getValue())
                .isEqualTo("hello from Key Vault");
            BlobClient blob = context.getBean(BlobServiceClient.class)
                .createBlobContainerIfNotExists("orders")
                .getBlobClient(UUID.randomUUID() + ".txt");
            blob.upload(BinaryData.fromString("order 42"));
            assertThat(blob.downloadContent().toString()).isEqualTo("order 42");
            context.getBean(ServiceBusSenderClient.class).sendMessage(new ServiceBusMessage("order 43"));
            ServiceBusReceiverClient receiver = context.getBean(ServiceBusReceiverClient.class);
            ServiceBusReceivedMessage received = receiver.receiveMessages(1, Duration.ofSeconds(10))
                .stream()
                .findFirst()
                .orElseThrow();
            receiver.complete(received);
            assertThat(received.getBody().toString()).isEqualTo("order 43");
        });
        assertThat(azure.get().serviceBus().acceptedPutTokens()).isEqualTo(2);
        assertThat(azure.get().serviceBus().activeMessageCount("orders")).isZero();
        assertThat(tokenRequests()).allSatisfy((request) -> {
            assertThat(request.succeeded()).isTrue();
            assertThat(request.clientId()).isEqualTo(azure.get().clientId());
        })
            .extracting(TokenRequest::resource)
            .contains("https://vault.azure.net", "https://storage.azure.com", "https://servicebus.azure.net");
    }

    @Test
    void servicesFailWithEntrasAnswerWhenTheProjectedTokenIsWrong() {
        // A token from another service account: Entra has no federated credential for its subject.
        FakeAzure fake = azure.get();
        fake.tokenVolume().write(fake.issuer().mint("shop", "someone-else"));
        // Clients retry a failed token request 3 times with backoff by default; not needed to see the answer.
        runner().withPropertyValues("spring.cloud.azure.retry.exponential.max-retries=0").run((context) -> {
            assertThatException().isThrownBy(() -> context.getBean(SecretClient.class).getSecret("greeting"))
                .satisfies(WorkloadIdentityEndToEndIT::isEntraRefusalOfSubject);
            assertThatException()
                .isThrownBy(() -> context.getBean(BlobServiceClient.class).createBlobContainerIfNotExists("refused"))
                .satisfies(WorkloadIdentityEndToEndIT::isEntraRefusalOfSubject);
            assertThatException()
                .isThrownBy(() -> context.getBean(ServiceBusSenderClient.class)
                    .sendMessage(new ServiceBusMessage("refused")))
                .satisfies(WorkloadIdentityEndToEndIT::isEntraRefusalOfSubject);
        });
        assertThat(azure.get().serviceBus().receivedMessages("orders")).doesNotContain("refused");
        assertThat(tokenRequests()).isNotEmpty().allSatisfy((request) -> assertThat(request.outcome())
            .isEqualTo("AADSTS700213"));
    }

    @Test
    void healthIsUpWithTheAccessTokenExpiryAndRepeatedProbesCostOneTokenRequest() {
        runner().run((context) -> {
            WorkloadIdentityHealthIndicator indicator = context.getBean(WorkloadIdentityHealthIndicator.class);
            List<Health> probes = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                probes.add(indicator.health());
            }
            assertThat(probes).allSatisfy((health) -> {
                assertThat(health.getStatus()).isEqualTo(Status.UP);
                assertThat(health.getDetails()).containsEntry("clientId", azure.get().clientId())
                    .containsEntry("tenantId", azure.get().tenantId())
                    .containsEntry("tokenFile", azure.get().tokenFile().toString())
                    .containsKey("accessTokenExpiresAt");
            });
        });
        assertThat(tokenRequests()).singleElement()
            .satisfies((request) -> assertThat(request.resource()).isEqualTo(MANAGEMENT));
    }

    @Test
    void healthIsDownWithEntrasReasonAndCorrelationIdWhenTheProjectedTokenIsWrong() {
        FakeAzure fake = azure.get();
        fake.tokenVolume().write(fake.issuer().token("shop", "orders-api").signedByUnknownKey().mint());
        runner().run((context) -> {
            Health health = context.getBean(WorkloadIdentityHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat((String) health.getDetails().get("reason"))
                .isEqualTo("Entra could not verify the federated token's signature with the keys issuer "
                        + fake.issuer().issuerUrl() + " publishes.");
            assertThat(health.getDetails()).containsEntry("code", "AADSTS700027")
                .containsEntry("error", "invalid_client")
                .containsEntry("httpStatus", 401)
                .containsKey("correlationId");
            assertThat(health.toString()).doesNotContain(fake.tokenVolume().tokenFile().toString() + "=")
                .doesNotContainPattern("eyJ[A-Za-z0-9_-]+\\.eyJ");
        });
    }

    private static void isEntraRefusalOfSubject(Throwable failure) {
        MsalServiceException entra = findCause(failure, MsalServiceException.class);
        assertThat(entra).as("Entra's answer in the cause chain of %s", failure).isNotNull();
        assertThat(entra.getMessage()).startsWith("AADSTS700213");
    }

    private static <T extends Throwable> T findCause(Throwable failure, Class<T> type) {
        for (Throwable current = failure; current != null; current = current.getCause()) {
            if (type.isInstance(current)) {
                return type.cast(current);
            }
        }
        return null;
    }

    private static List<TokenRequest> tokenRequests() {
        return azure.get().entra().tokenRequests();
    }

    private static ApplicationContextRunner runner() {
        return ClientsOnFakeAzure.runner(azure.get());
    }

}
