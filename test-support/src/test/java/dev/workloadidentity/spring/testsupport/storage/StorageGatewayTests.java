package dev.workloadidentity.spring.testsupport.storage;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import com.azure.core.credential.TokenCredential;
import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ParallelTransferOptions;
import com.azure.storage.blob.options.BlobParallelUploadOptions;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import dev.workloadidentity.spring.testsupport.TestClients;
import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import dev.workloadidentity.spring.testsupport.storage.StorageGateway.BlobRequest;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import dev.workloadidentity.spring.testsupport.token.Jwt;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** The gateway in front of Azurite, driven by the real {@code BlobServiceClient}, checking what Azurite does not. */
class StorageGatewayTests {

    private static final String TENANT = UUID.randomUUID().toString();

    private static final String CLIENT = UUID.randomUUID().toString();

    private static final String STORAGE = "https://storage.azure.com";

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(
            FakeAzure.builder().tenantId(TENANT).clientId(CLIENT).serviceAccount("shop", "orders").blobStorage());

    private static FakeEntra entra;

    private static Azurite azurite;

    private static StorageGateway gateway;

    private static TokenCredential workloadIdentity;

    @BeforeAll
    static void clients(FakeAzure running) {
        entra = running.entra();
        azurite = running.azurite();
        gateway = running.blobStorage();
        workloadIdentity = TestClients.workloadIdentity(entra, TENANT, CLIENT, running.tokenFile());
    }

    @Test
    void blobEndpointIsTheGatewaysNotAzurites() {
        assertThat(gateway.blobEndpoint()).isEqualTo("https://127.0.0.1:" + gateway.port() + "/devstoreaccount1");
        assertThat(gateway.port()).isNotEqualTo(azurite.port());
    }

    @Test
    void forwardsEveryBlobOperationWithAWorkloadIdentityTokenAndRecordsTheCaller() {
        BlobContainerClient container = client(gateway, workloadIdentity).createBlobContainer("orders-" + suffix());
        BlobClient small = container.getBlobClient("greeting.txt");
        BlobClient large = container.getBlobClient("large.bin");
        byte[] bytes = new byte[300 * 1024];
        new Random(42).nextBytes(bytes);

        small.upload(BinaryData.fromString("hello through the gateway"));
        // Staged in 64 KiB blocks from a stream of unknown length, then committed: several PUTs and a block list.
        large.uploadWithResponse(new BlobParallelUploadOptions(new ByteArrayInputStream(bytes))
            .setParallelTransferOptions(new ParallelTransferOptions().setBlockSizeLong(64L * 1024)
                .setMaxSingleUploadSizeLong(64L * 1024)), null, null);

        assertThat(small.downloadContent().toString()).isEqualTo("hello through the gateway");
        assertThat(large.downloadContent().toBytes()).isEqualTo(bytes);
        assertThat(large.getProperties().getBlobSize()).isEqualTo(bytes.length); // HEAD: size from Content-Length
        assertThat(small.exists()).isTrue();
        assertThat(container.getBlobClient("missing.txt").exists()).isFalse();
        assertThat(container.listBlobs().stream().map(BlobItem::getName)).containsExactly("greeting.txt", "large.bin");
        small.delete();
        assertThat(small.exists()).isFalse();
        List<BlobRequest> requests = requestsTo(gateway, container.getBlobContainerName());
        assertThat(requests).hasSizeGreaterThan(10).allSatisfy((request) -> {
            assertThat(request.hadToken()).isTrue();
            assertThat(request.clientId()).isEqualTo(CLIENT);
        });
        assertThat(requests).extracting(BlobRequest::method).contains("PUT", "GET", "HEAD", "DELETE");
        assertThat(requests).extracting(BlobRequest::status).contains(201, 200, 202, 404);
    }

    @Test
    void identityHoldingARoleIsServed() {
        try (StorageGateway rbac = StorageGateway.start(azurite, entra.accessTokenValidator(STORAGE))
            .assignRole(CLIENT)) {
            String name = "granted-" + suffix();

            client(rbac, workloadIdentity).createBlobContainer(name);

            assertThat(requestsTo(rbac, name)).singleElement().satisfies((request) -> {
                assertThat(request.status()).isEqualTo(201);
                assertThat(request.clientId()).isEqualTo(CLIENT);
            });
        }
    }

    @Test
    void validTokenOfAnIdentityWithoutARoleIsRefusedWithAuthorizationPermissionMismatch() {
        try (StorageGateway rbac = StorageGateway.start(azurite, entra.accessTokenValidator(STORAGE))
            .assignRole(UUID.randomUUID().toString())) {
            BlobServiceClient client = client(rbac, workloadIdentity);
            String name = "refused-" + suffix();

            assertThatExceptionOfType(BlobStorageException.class).isThrownBy(() -> client.createBlobContainer(name))
                .satisfies((ex) -> {
                    assertThat(ex.getStatusCode()).isEqualTo(403);
                    assertThat(ex.getErrorCode()).isEqualTo(BlobErrorCode.AUTHORIZATION_PERMISSION_MISMATCH);
                })
                .withMessageContaining("This request is not authorized to perform this operation using this "
                        + "permission.");
            assertThatExceptionOfType(BlobStorageException.class)
                .isThrownBy(() -> client.getBlobContainerClient(name).exists())
                .satisfies((ex) -> assertThat(ex.getErrorCode())
                    .isEqualTo(BlobErrorCode.AUTHORIZATION_PERMISSION_MISMATCH));

            assertThat(requestsTo(rbac, name)).hasSize(2).allSatisfy((request) -> {
                assertThat(request.status()).isEqualTo(403);
                assertThat(request.clientId()).isEqualTo(CLIENT);
            });
            assertThat(client(azurite, workloadIdentity).getBlobContainerClient(name).exists()).isFalse();
        }
    }

    @Test
    void refusalIsAzureStoragesXmlErrorWithoutTheToken() throws Exception {
        try (StorageGateway rbac = StorageGateway.start(azurite, entra.accessTokenValidator(STORAGE))
            .assignRole(UUID.randomUUID().toString())) {
            String token = entra.issueAccessToken(CLIENT, STORAGE);

            HttpResponse<String> response = send(HttpRequest.newBuilder(
                    URI.create(rbac.blobEndpoint() + "/refused-" + suffix() + "?restype=container"))
                .PUT(HttpRequest.BodyPublishers.noBody())
                .header("x-ms-version", "2025-01-05")
                .header("Authorization", "Bearer " + token));

            assertThat(response.statusCode()).isEqualTo(403);
            assertThat(response.headers().firstValue("x-ms-error-code")).hasValue("AuthorizationPermissionMismatch");
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/xml");
            assertThat(response.body()).startsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error>"
                    + "<Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform"
                    + " this operation using this permission.\nRequestId:")
                .doesNotContain(token);
        }
    }

    @Test
    void withNoRoleAssignedAValidTokenOfAnyIdentityIsServed() {
        String stranger = UUID.randomUUID().toString();
        String name = "anyone-" + suffix();

        client(gateway, TestClients.fixedToken(entra.issueAccessToken(stranger, STORAGE))).createBlobContainer(name);

        assertThat(requestsTo(gateway, name)).singleElement().satisfies((request) -> {
            assertThat(request.status()).isEqualTo(201);
            assertThat(request.clientId()).isEqualTo(stranger);
        });
    }

    @Test
    void forgedTokenIsRefusedByTheGatewayThoughAzuriteAloneAcceptsIt() {
        String forged = Jwt.sign(entra.accessTokenClaims(CLIENT, STORAGE), Jwt.generateKeyPair().getPrivate());
        TokenCredential forger = TestClients.fixedToken(forged);
        String name = "forged-" + suffix();

        assertThatExceptionOfType(BlobStorageException.class)
            .isThrownBy(() -> client(gateway, forger).createBlobContainer(name))
            .satisfies((ex) -> {
                assertThat(ex.getStatusCode()).isEqualTo(403);
                assertThat(ex.getErrorCode()).isEqualTo(BlobErrorCode.AUTHENTICATION_FAILED);
            })
            .withMessageContaining("signature")
            .withMessageNotContaining(forged);
        assertThat(requestsTo(gateway, name)).singleElement().satisfies((request) -> {
            assertThat(request.status()).isEqualTo(403);
            assertThat(request.hadToken()).isTrue();
            assertThat(request.clientId()).isNull();
        });

        assertThat(client(azurite, forger).createBlobContainer(name).exists()).isTrue();
    }

    @Test
    void requestWithoutATokenIsForwardedForAzuriteToAnswer() throws Exception {
        String path = "/anonymous-" + suffix() + "?restype=container";

        HttpResponse<String> throughGateway = send(HttpRequest.newBuilder(URI.create(gateway.blobEndpoint() + path))
            .header("x-ms-version", "2025-01-05"));
        HttpResponse<String> direct = send(HttpRequest.newBuilder(URI.create(azurite.blobEndpoint() + path))
            .header("x-ms-version", "2025-01-05"));

        assertThat(throughGateway.statusCode()).isEqualTo(direct.statusCode()).isGreaterThanOrEqualTo(400);
        assertThat(throughGateway.headers().firstValue("x-ms-error-code"))
            .isEqualTo(direct.headers().firstValue("x-ms-error-code"))
            .isPresent();
        assertThat(gateway.requests()).last().satisfies((request) -> {
            assertThat(request.hadToken()).isFalse();
            assertThat(request.clientId()).isNull();
            assertThat(request.status()).isEqualTo(direct.statusCode());
        });
    }

    private static List<BlobRequest> requestsTo(StorageGateway target, String containerName) {
        return target.requests()
            .stream()
            .filter((request) -> request.path().startsWith("/" + Azurite.ACCOUNT + "/" + containerName))
            .toList();
    }

    private static BlobServiceClient client(StorageGateway target, TokenCredential credential) {
        return client(target.blobEndpoint(), credential);
    }

    private static BlobServiceClient client(Azurite target, TokenCredential credential) {
        return client(target.blobEndpoint(), credential);
    }

    private static BlobServiceClient client(String endpoint, TokenCredential credential) {
        return new BlobServiceClientBuilder().endpoint(endpoint)
            .credential(credential)
            .retryOptions(new RequestRetryOptions(RetryPolicyType.FIXED, 1, 10, 10L, 10L, null))
            .buildClient();
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(FakeAzureTls.jvmDefault().clientContext()).build();
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String suffix() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

}
