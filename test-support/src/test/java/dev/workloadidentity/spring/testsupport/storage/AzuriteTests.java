package dev.workloadidentity.spring.testsupport.storage;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import com.azure.core.credential.TokenCredential;
import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import dev.workloadidentity.spring.testsupport.TestClients;
import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.token.Jwt;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Azurite alone (not behind the {@link StorageGateway}) driven by the real {@code BlobServiceClient},
 * authenticated by workload identity through the fake Entra.
 */
class AzuriteTests {

    private static final String TENANT = UUID.randomUUID().toString();

    private static final String CLIENT = UUID.randomUUID().toString();

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(
            FakeAzure.builder().tenantId(TENANT).clientId(CLIENT).serviceAccount("shop", "orders").blobStorage());

    private static FakeEntra entra;

    private static Azurite azurite;

    private static TokenCredential workloadIdentity;

    @BeforeAll
    static void clients(FakeAzure running) {
        entra = running.entra();
        azurite = running.azurite();
        workloadIdentity = TestClients.workloadIdentity(entra, TENANT, CLIENT, running.tokenFile());
    }

    @Test
    void blobEndpointIsIpStyleWithTheDevelopmentAccount() {
        assertThat(azurite.blobEndpoint()).isEqualTo("https://127.0.0.1:" + azurite.port() + "/devstoreaccount1");
        assertThat(azurite.isAlive()).isTrue();
    }

    @Test
    void createsUploadsAndDownloadsWithAWorkloadIdentityToken() {
        BlobContainerClient container = client(workloadIdentity).createBlobContainer("orders-" + suffix());

        container.getBlobClient("greeting.txt").upload(BinaryData.fromString("hello from a pod"));

        assertThat(container.getBlobClient("greeting.txt").downloadContent().toString()).isEqualTo("hello from a pod");
        assertThat(entra.tokenRequests()).extracting(TokenRequest::resource).contains("https://storage.azure.com");
    }

    @Test
    void tokenForAnotherResourceIsRejectedWith403() {
        BlobServiceClient client = client(
                TestClients.fixedToken(entra.issueAccessToken(CLIENT, "https://vault.azure.net")));

        assertThatExceptionOfType(BlobStorageException.class)
            .isThrownBy(() -> client.createBlobContainer("denied-" + suffix()))
            .satisfies((ex) -> assertThat(ex.getStatusCode()).isEqualTo(403));
    }

    @Test
    void expiredTokenIsRejectedWith403() {
        String expired = Jwt.sign(entra.accessTokenClaims(CLIENT, "https://storage.azure.com")
            .toBuilder()
            .expiresAt(Instant.now().minus(Duration.ofMinutes(1)))
            .build(), Jwt.generateKeyPair().getPrivate());
        BlobServiceClient client = client(TestClients.fixedToken(expired));

        assertThatExceptionOfType(BlobStorageException.class)
            .isThrownBy(() -> client.createBlobContainer("expired-" + suffix()))
            .satisfies((ex) -> assertThat(ex.getStatusCode()).isEqualTo(403));
    }

    private static BlobServiceClient client(TokenCredential credential) {
        return new BlobServiceClientBuilder().endpoint(azurite.blobEndpoint())
            .credential(credential)
            .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 1, 10, 10L, 10L, null))
            .buildClient();
    }

    private static String suffix() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

}
