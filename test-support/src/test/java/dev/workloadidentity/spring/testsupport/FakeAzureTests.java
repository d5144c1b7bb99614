package dev.workloadidentity.spring.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.util.BinaryData;
import com.azure.identity.WorkloadIdentityCredential;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobStorageException;
import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.storage.StorageGateway;
import dev.workloadidentity.spring.testsupport.token.Jwt;
import com.azure.messaging.servicebus.ServiceBusClientBuilder;
import com.azure.messaging.servicebus.ServiceBusMessage;
import com.azure.messaging.servicebus.ServiceBusSenderClient;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.tuple;

/** The whole fake Azure, used the way a pod on AKS would see it. */
class FakeAzureTests {

    @Test
    void startsEverythingAndClosesCleanly() throws Exception {
        FakeAzure azure = FakeAzure.builder()
            .tenantId("7f3e2d1c-0000-4000-8000-000000000001")
            .clientId("0a1b2c3d-0000-4000-8000-000000000002")
            .serviceAccount("shop", "orders")
            .keyVault()
            .blobStorage()
            .serviceBus()
            .start();
        int entraPort = azure.entra().port();
        int vaultPort = azure.keyVault().port();
        int blobPort = azure.blobStorage().port();
        int azuritePort = azure.azurite().port();
        int serviceBusPort = azure.serviceBus().port();
        long azuritePid = azure.azurite().pid();
        Path tokenFile = azure.tokenFile();
        try {
            assertThat(azure.webhookEnvironment()).containsExactly(
                    entry("AZURE_CLIENT_ID", "0a1b2c3d-0000-4000-8000-000000000002"),
                    entry("AZURE_TENANT_ID", "7f3e2d1c-0000-4000-8000-000000000001"),
                    entry("AZURE_FEDERATED_TOKEN_FILE", tokenFile.toString()),
                    entry("AZURE_AUTHORITY_HOST", "https://127.0.0.1:" + entraPort + "/"));
            assertThat(azure.springProperties()).containsExactly(
                    entry("spring.cloud.azure.keyvault.secret.endpoint", "https://127.0.0.1:" + vaultPort),
                    entry("spring.cloud.azure.keyvault.secret.challenge-resource-verification-enabled", "false"),
                    entry("spring.cloud.azure.storage.blob.endpoint",
                            "https://127.0.0.1:" + blobPort + "/devstoreaccount1"),
                    entry("spring.cloud.azure.servicebus.namespace", "fake-ns"),
                    entry("spring.cloud.azure.servicebus.custom-endpoint-address",
                            "https://127.0.0.1:" + serviceBusPort),
                    entry("workload-identity.instance-discovery", "false"));
            assertThat(Files.isSymbolicLink(tokenFile)).isTrue();
            assertThat(azure.issuer().issuerUrl()).contains(azure.tenantId()).endsWith("/");

            WorkloadIdentityCredential credential = credentialFrom(azure.webhookEnvironment());
            azure.keyVault().setSecret("greeting", "hello");
            SecretClient secrets = new SecretClientBuilder().vaultUrl(azure.keyVault().vaultUrl())
                .credential(credential)
                .disableChallengeResourceVerification()
                .buildClient();
            assertThat(secrets.getSecret("greeting").getValue()).isEqualTo("hello");
            BlobContainerClient container = new BlobServiceClientBuilder().endpoint(azure.blobStorage().blobEndpoint())
                .credential(credential)
                .buildClient()
                .createBlobContainer("fake-azure");
            container.getBlobClient("a.txt").upload(BinaryData.fromString("stored"));
            assertThat(container.getBlobClient("a.txt").downloadContent().toString()).isEqualTo("stored");
            try (ServiceBusSenderClient sender = new ServiceBusClientBuilder()
                .credential("fake-ns.servicebus.windows.net", credential)
                .customEndpointAddress(azure.serviceBus().customEndpointAddress())
                .sender()
                .queueName("orders")
                .buildClient()) {
                sender.sendMessage(new ServiceBusMessage("order 1"));
            }
            assertThat(azure.serviceBus().receivedMessages("orders")).containsExactly("order 1");
            assertThat(azure.entra().tokenRequests()).extracting(TokenRequest::outcome).containsOnly("success");
        }
        finally {
            azure.close();
        }

        assertThat(ProcessHandle.of(azuritePid).filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(List.of(entraPort, vaultPort, blobPort, azuritePort, serviceBusPort)).allSatisfy((port) -> assertThat(canBind(port)).isTrue());
        assertThat(tokenFile.getParent().getParent()).doesNotExist();
    }

    @Test
    void rotateTokenProjectsAFreshToken() throws IOException {
        try (FakeAzure azure = FakeAzure.builder().start()) {
            String first = Files.readString(azure.tokenFile());

            azure.rotateToken();

            assertThat(Files.readString(azure.tokenFile())).isNotEqualTo(first);
        }
    }

    @Test
    void servicesThatWereNotAskedForAreAbsent() {
        try (FakeAzure azure = FakeAzure.builder().start()) {
            assertThatIllegalStateException().isThrownBy(azure::keyVault).withMessageContaining("keyVault()");
            assertThatIllegalStateException().isThrownBy(azure::blobStorage).withMessageContaining("blobStorage()");
            assertThatIllegalStateException().isThrownBy(azure::azurite).withMessageContaining("blobStorage()");
            assertThatIllegalStateException().isThrownBy(azure::serviceBus).withMessageContaining("serviceBus()");
            assertThat(azure.springProperties()).containsOnlyKeys("workload-identity.instance-discovery");
            assertThat(azure.tenantId()).isNotEqualTo(azure.clientId());
        }
    }

    @Test
    void namedIdentitySignsInWithThePodsTokenFileAsItsOwnApplication() throws Exception {
        try (FakeAzure azure = FakeAzure.builder().identity("blob-writer").identity("vault-reader").start()) {
            String writer = azure.clientId("blob-writer");
            WorkloadIdentityCredential credential = TestClients.workloadIdentity(azure.entra(), azure.tenantId(),
                    writer, azure.tokenFile());

            AccessToken token = credential.getTokenSync(new TokenRequestContext().addScopes(
                    "https://storage.azure.com/.default"));

            assertThat(writer).isNotEqualTo(azure.clientId()).isNotEqualTo(azure.clientId("vault-reader"));
            assertThat(UUID.fromString(writer)).isNotNull();
            assertThat(Jwt.decode(token.getToken()).claims().string("appid")).isEqualTo(writer);
            assertThat(azure.entra().tokenRequests()).singleElement().satisfies((request) -> {
                assertThat(request.clientId()).isEqualTo(writer);
                assertThat(request.succeeded()).isTrue();
            });
            assertThat(azure.entra().federatedIdentityCredentials(writer))
                .isEqualTo(azure.entra().federatedIdentityCredentials(azure.clientId()));
            assertThat(azure.webhookEnvironment()).containsEntry("AZURE_CLIENT_ID", azure.clientId());
        }
    }

    @Test
    void unknownIdentityNameIsRefusedNamingTheKnownOnes() {
        try (FakeAzure azure = FakeAzure.builder().identity("blob-writer").start()) {
            assertThatIllegalArgumentException().isThrownBy(() -> azure.clientId("blob-reader"))
                .withMessageContaining("'blob-reader'")
                .withMessageContaining("[blob-writer]");
        }
    }

    @Test
    void blobRoleOfANamedIdentityServesItAndRefusesTheDefaultOne() {
        try (FakeAzure azure = FakeAzure.builder().identity("blob-writer").blobStorage().start()) {
            String writer = azure.clientId("blob-writer");
            azure.blobStorage().assignRole(writer);

            new BlobServiceClientBuilder().endpoint(azure.blobStorage().blobEndpoint())
                .credential(TestClients.workloadIdentity(azure.entra(), azure.tenantId(), writer, azure.tokenFile()))
                .buildClient()
                .createBlobContainer("written");
            BlobServiceClient asDefault = new BlobServiceClientBuilder().endpoint(azure.blobStorage().blobEndpoint())
                .credential(credentialFrom(azure.webhookEnvironment()))
                .buildClient();

            assertThatExceptionOfType(BlobStorageException.class)
                .isThrownBy(() -> asDefault.createBlobContainer("refused"))
                .satisfies((ex) -> assertThat(ex.getStatusCode()).isEqualTo(403));
            assertThat(azure.blobStorage().requests())
                .extracting(StorageGateway.BlobRequest::status, StorageGateway.BlobRequest::clientId)
                .containsExactly(tuple(201, writer), tuple(403, azure.clientId()));
            assertThat(azure.springProperties()).containsEntry("spring.cloud.azure.storage.blob.endpoint",
                    azure.blobStorage().blobEndpoint());
        }
    }

    private static WorkloadIdentityCredential credentialFrom(java.util.Map<String, String> environment) {
        return new WorkloadIdentityCredentialBuilder().clientId(environment.get("AZURE_CLIENT_ID"))
            .tenantId(environment.get("AZURE_TENANT_ID"))
            .tokenFilePath(environment.get("AZURE_FEDERATED_TOKEN_FILE"))
            .authorityHost(environment.get("AZURE_AUTHORITY_HOST"))
            .disableInstanceDiscovery()
            .build();
    }

    private static java.util.Map.Entry<String, String> entry(String key, String value) {
        return java.util.Map.entry(key, value);
    }

    private static boolean canBind(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        }
        catch (IOException ex) {
            return false;
        }
    }

}
