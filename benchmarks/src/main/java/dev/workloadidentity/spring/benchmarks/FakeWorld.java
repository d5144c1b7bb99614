package dev.workloadidentity.spring.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import dev.workloadidentity.spring.testsupport.entra.FederatedIdentityCredential;
import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault;

/**
 * The fake Azure every application talks to, all on 127.0.0.1: one fake Entra, Azurite and a fake Service Bus
 * namespace shared by all, one fake Key Vault per application (its request log stays short). Every application
 * signs in as its own identity, federated with the same service account, so the token requests of applications
 * running side by side are told apart by client ID.
 */
final class FakeWorld implements AutoCloseable {

    static final String SECRET_NAME = "greeting";

    private final FakeAzure azure;

    private final ScheduledExecutorService queueDrainer;

    private final List<String> queues = new CopyOnWriteArrayList<>();

    private FakeWorld(FakeAzure azure) {
        this.azure = azure;
        this.queueDrainer = Executors.newSingleThreadScheduledExecutor((task) -> {
            Thread thread = new Thread(task, "benchmark-queue-drainer");
            thread.setDaemon(true);
            return thread;
        });
        // A consumer would take the messages the applications send; the fake queue holds at most 1000.
        this.queueDrainer.scheduleWithFixedDelay(this::drainQueues, 200, 200, TimeUnit.MILLISECONDS);
    }

    static FakeWorld start(Duration entraLatency, int entraPort) {
        FakeAzure azure = FakeAzure.builder()
            .serviceAccount("benchmarks", "benchmark-app")
            .entraPort(entraPort)
            .blobStorage()
            .serviceBus()
            .start();
        azure.entra().answerDelay(entraLatency);
        return new FakeWorld(azure);
    }

    FakeAzure azure() {
        return this.azure;
    }

    FakeEntra entra() {
        return this.azure.entra();
    }

    /** @return whether the fake Entra's authority has no port (it runs on 443), as Entra's has none */
    boolean entraPortless() {
        return this.azure.entra().port() == 443;
    }

    /** @return a new identity (client ID) with a federated credential for the application's service account */
    String newIdentity() {
        String clientId = UUID.randomUUID().toString();
        entra().addFederatedIdentityCredential(clientId, FederatedIdentityCredential
            .forServiceAccount(this.azure.issuer().issuerUrl(), this.azure.namespace(), this.azure.serviceAccount()));
        return clientId;
    }

    /** @return a new identity that Entra knows but that has no federated credential: every request gets AADSTS70021 */
    String newIdentityWithoutFederatedCredential() {
        String clientId = UUID.randomUUID().toString();
        entra().registerApplication(clientId);
        return clientId;
    }

    /** @return a new fake Key Vault holding the secret the applications read */
    FakeKeyVault newKeyVault() {
        FakeKeyVault vault = FakeKeyVault.start(this.azure.tenantId(),
                entra().accessTokenValidator(FakeKeyVault.RESOURCE));
        vault.setSecret(SECRET_NAME, "read by the benchmark");
        return vault;
    }

    /**
     * @param clientId the identity
     * @param notAfter the end of the window, inclusive
     * @return the token requests of that identity answered up to then
     */
    List<TokenRequest> tokenRequests(String clientId, Instant notAfter) {
        return entra().tokenRequests()
            .stream()
            .filter((request) -> clientId.equals(request.clientId()) && !request.time().isAfter(notAfter))
            .toList();
    }

    /** @return every token request of that identity so far */
    List<TokenRequest> tokenRequests(String clientId) {
        return tokenRequests(clientId, Instant.MAX);
    }

    /**
     * The environment the AKS webhook gives a pod signed in as this identity.
     * @param clientId the identity
     * @return {@code AZURE_CLIENT_ID}, {@code AZURE_TENANT_ID}, {@code AZURE_FEDERATED_TOKEN_FILE},
     * {@code AZURE_AUTHORITY_HOST}
     */
    Map<String, String> podEnvironment(String clientId) {
        Map<String, String> environment = new LinkedHashMap<>(this.azure.webhookEnvironment());
        environment.put("AZURE_CLIENT_ID", clientId);
        return environment;
    }

    /**
     * Spring properties pointing an application at the fakes.
     * @param vault its Key Vault
     * @param queue the Service Bus queue it sends to (drained in the background)
     * @return the properties
     */
    Map<String, String> springProperties(FakeKeyVault vault, String queue) {
        Map<String, String> properties = new LinkedHashMap<>(this.azure.springProperties());
        properties.put("spring.cloud.azure.keyvault.secret.endpoint", vault.vaultUrl());
        properties.put("spring.cloud.azure.keyvault.secret.challenge-resource-verification-enabled", "false");
        properties.put("spring.cloud.azure.servicebus.entity-name", queue);
        properties.put("spring.cloud.azure.servicebus.entity-type", "queue");
        this.queues.add(queue);
        return properties;
    }

    private void drainQueues() {
        for (String queue : new ArrayList<>(this.queues)) {
            this.azure.serviceBus().discardWaitingMessages(queue);
        }
    }

    @Override
    public void close() {
        this.queueDrainer.shutdownNow();
        this.azure.close();
    }

}
