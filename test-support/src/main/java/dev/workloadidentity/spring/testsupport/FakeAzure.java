package dev.workloadidentity.spring.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import dev.workloadidentity.spring.testsupport.entra.FederatedIdentityCredential;
import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault;
import dev.workloadidentity.spring.testsupport.kubernetes.ProjectedTokenVolume;
import dev.workloadidentity.spring.testsupport.kubernetes.ServiceAccountTokenIssuer;
import dev.workloadidentity.spring.testsupport.servicebus.FakeServiceBus;
import dev.workloadidentity.spring.testsupport.storage.Azurite;
import dev.workloadidentity.spring.testsupport.storage.StorageGateway;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import org.jspecify.annotations.Nullable;

/**
 * A whole fake Azure for one workload: a fake AKS issuer and the pod's projected token, a fake Entra with the
 * application and a matching federated identity credential, and the services asked for, all over HTTPS with the
 * JVM-wide {@link FakeAzureTls#jvmDefault() fake certificate}. What a pod would get from the webhook is in
 * {@link #webhookEnvironment()}; what points Spring Cloud Azure at the fakes is in {@link #springProperties()}.
 * <p>
 * Further {@linkplain Builder#identity(String) named identities} are applications federated to the same service
 * account, as when one pod signs in as several Entra identities with the one projected token; assign them roles
 * on the services ({@code keyVault().assignRole(azure.clientId("vault-reader"))}) to prove which identity each
 * client used.
 * <pre>
 * try (FakeAzure azure = FakeAzure.builder().keyVault().blobStorage().start()) {
 *     azure.keyVault().setSecret("greeting", "hello");
 *     ...
 * }
 * </pre>
 */
public final class FakeAzure implements AutoCloseable {

    /** The Service Bus namespace the fake pretends to be, as Spring Cloud Azure's {@code namespace} takes it. */
    public static final String SERVICE_BUS_NAMESPACE = "fake-ns";

    private static final String SERVICE_BUS_DOMAIN = "servicebus.windows.net";

    private static final String SERVICE_BUS_RESOURCE = "https://servicebus.azure.net";

    private static final String STORAGE_RESOURCE = "https://storage.azure.com";

    private final String tenantId;

    private final String clientId;

    private final Map<String, String> identities = new LinkedHashMap<>();

    private final String namespace;

    private final String serviceAccount;

    private final FakeAzureTls tls;

    private final Path directory;

    private final ServiceAccountTokenIssuer issuer;

    private final ProjectedTokenVolume tokenVolume;

    private final List<AutoCloseable> started = new ArrayList<>();

    private final FakeEntra entra;

    private final @Nullable FakeKeyVault keyVault;

    private final @Nullable Azurite azurite;

    private final @Nullable StorageGateway blobStorage;

    private final @Nullable FakeServiceBus serviceBus;

    private FakeAzure(Builder builder) {
        this.tenantId = (builder.tenantId != null) ? builder.tenantId : UUID.randomUUID().toString();
        this.clientId = (builder.clientId != null) ? builder.clientId : UUID.randomUUID().toString();
        this.namespace = builder.namespace;
        this.serviceAccount = builder.serviceAccount;
        this.tls = FakeAzureTls.jvmDefault();
        this.directory = createDirectory();
        try {
            this.issuer = ServiceAccountTokenIssuer.forTenant(this.tenantId);
            this.tokenVolume = new ProjectedTokenVolume(this.directory.resolve("azure-identity-token"));
            this.tokenVolume.write(this.issuer.mint(this.namespace, this.serviceAccount));
            this.entra = started(FakeEntra.start(this.tenantId, this.tls, Clock.systemUTC(), builder.entraPort));
            this.entra.trustIssuer(this.issuer);
            federate(this.clientId);
            for (String name : builder.identities) {
                this.identities.put(name, federate(UUID.randomUUID().toString()));
            }
            this.keyVault = builder.keyVault ? started(FakeKeyVault.start(this.tenantId,
                    this.entra.accessTokenValidator(FakeKeyVault.RESOURCE), this.tls, Clock.systemUTC())) : null;
            this.azurite = builder.blobStorage ? started(Azurite.start(this.tls)) : null;
            this.blobStorage = (this.azurite != null) ? started(StorageGateway.start(this.azurite,
                    this.entra.accessTokenValidator(STORAGE_RESOURCE), this.tls)) : null;
            this.serviceBus = builder.serviceBus ? started(new FakeServiceBus(this.tls.serverContext(),
                    SERVICE_BUS_NAMESPACE + "." + SERVICE_BUS_DOMAIN,
                    this.entra.accessTokenValidator(SERVICE_BUS_RESOURCE))) : null;
        }
        catch (RuntimeException ex) {
            closeAll(ex);
            throw ex;
        }
    }

    /** Federates an application to the pod's service account, as {@code az identity federated-credential create}. */
    private String federate(String applicationClientId) {
        this.entra.addFederatedIdentityCredential(applicationClientId, FederatedIdentityCredential
            .forServiceAccount(this.issuer.issuerUrl(), this.namespace, this.serviceAccount));
        return applicationClientId;
    }

    private static Path createDirectory() {
        try {
            return Files.createTempDirectory("fake-azure-");
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not create the fake Azure's directory", ex);
        }
    }

    /** @return a builder with random tenant and client ids, service account {@code default/workload} */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the tenant id */
    public String tenantId() {
        return this.tenantId;
    }

    /** @return the client id of the application the webhook names ({@code AZURE_CLIENT_ID}) */
    public String clientId() {
        return this.clientId;
    }

    /**
     * Returns the client id of a further identity.
     * @param name the name it was added with, {@link Builder#identity(String)}
     * @return its client id, a random GUID per start
     * @throws IllegalArgumentException when no identity has that name
     */
    public String clientId(String name) {
        String identity = this.identities.get(name);
        if (identity == null) {
            throw new IllegalArgumentException("No identity named '" + name + "'; the known ones are "
                    + this.identities.keySet() + ". Add it with FakeAzure.builder().identity(\"" + name + "\").");
        }
        return identity;
    }

    /** @return the pod's namespace */
    public String namespace() {
        return this.namespace;
    }

    /** @return the pod's service account */
    public String serviceAccount() {
        return this.serviceAccount;
    }

    /** @return the certificate every fake presents, trusted JVM-wide */
    public FakeAzureTls tls() {
        return this.tls;
    }

    /** @return the fake cluster's OIDC issuer, trusted by the fake Entra */
    public ServiceAccountTokenIssuer issuer() {
        return this.issuer;
    }

    /** @return the pod's projected token volume */
    public ProjectedTokenVolume tokenVolume() {
        return this.tokenVolume;
    }

    /** @return the token path, as in {@code AZURE_FEDERATED_TOKEN_FILE} */
    public Path tokenFile() {
        return this.tokenVolume.tokenFile();
    }

    /** Projects a fresh valid service-account token, as the kubelet does before the old one expires. */
    public void rotateToken() {
        this.tokenVolume.write(this.issuer.mint(this.namespace, this.serviceAccount));
    }

    /** @return the fake Entra */
    public FakeEntra entra() {
        return this.entra;
    }

    /**
     * @return the fake Key Vault
     * @throws IllegalStateException when it was not asked for with {@link Builder#keyVault()}
     */
    public FakeKeyVault keyVault() {
        if (this.keyVault == null) {
            throw new IllegalStateException("No Key Vault: start with FakeAzure.builder().keyVault()");
        }
        return this.keyVault;
    }

    /**
     * @return Blob storage as clients reach it: the gateway that checks tokens and roles in front of Azurite
     * @throws IllegalStateException when it was not asked for with {@link Builder#blobStorage()}
     */
    public StorageGateway blobStorage() {
        if (this.blobStorage == null) {
            throw new IllegalStateException("No Blob storage: start with FakeAzure.builder().blobStorage()");
        }
        return this.blobStorage;
    }

    /**
     * @return Azurite itself, behind {@link #blobStorage()}; calling it directly skips the signature and role
     * checks
     * @throws IllegalStateException when it was not asked for with {@link Builder#blobStorage()}
     */
    public Azurite azurite() {
        if (this.azurite == null) {
            throw new IllegalStateException("No Blob storage: start with FakeAzure.builder().blobStorage()");
        }
        return this.azurite;
    }

    /**
     * @return the fake Service Bus namespace
     * @throws IllegalStateException if it was not asked for in the builder
     */
    public FakeServiceBus serviceBus() {
        if (this.serviceBus == null) {
            throw new IllegalStateException("The fake Service Bus was not started: call serviceBus() on the builder");
        }
        return this.serviceBus;
    }

    /**
     * The four variables the AKS workload-identity webhook injects into the pod.
     * @return {@code AZURE_CLIENT_ID}, {@code AZURE_TENANT_ID}, {@code AZURE_FEDERATED_TOKEN_FILE} and
     * {@code AZURE_AUTHORITY_HOST} (with its trailing slash)
     */
    public Map<String, String> webhookEnvironment() {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("AZURE_CLIENT_ID", this.clientId);
        environment.put("AZURE_TENANT_ID", this.tenantId);
        environment.put("AZURE_FEDERATED_TOKEN_FILE", tokenFile().toString());
        environment.put("AZURE_AUTHORITY_HOST", this.entra.authorityHost());
        return Collections.unmodifiableMap(environment);
    }

    /**
     * Spring properties that point Spring Cloud Azure and the starter at the fakes that are running.
     * @return the Key Vault endpoint (with challenge-resource verification off, as {@code 127.0.0.1} is not under
     * {@code vault.azure.net}), the Blob endpoint (the {@link StorageGateway}'s), the Service Bus namespace with the
     * fake's address as custom endpoint, and {@code workload-identity.instance-discovery=false}
     */
    public Map<String, String> springProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        if (this.keyVault != null) {
            properties.put("spring.cloud.azure.keyvault.secret.endpoint", this.keyVault.vaultUrl());
            properties.put("spring.cloud.azure.keyvault.secret.challenge-resource-verification-enabled", "false");
        }
        if (this.blobStorage != null) {
            properties.put("spring.cloud.azure.storage.blob.endpoint", this.blobStorage.blobEndpoint());
        }
        if (this.serviceBus != null) {
            properties.put("spring.cloud.azure.servicebus.namespace", SERVICE_BUS_NAMESPACE);
            properties.put("spring.cloud.azure.servicebus.custom-endpoint-address",
                    this.serviceBus.customEndpointAddress());
        }
        properties.put("workload-identity.instance-discovery", "false");
        return Collections.unmodifiableMap(properties);
    }

    /** Stops every service (Azurite included), releases the ports and deletes the token volume. */
    @Override
    public void close() {
        RuntimeException failure = closeAll(null);
        if (failure != null) {
            throw failure;
        }
    }

    private <T extends AutoCloseable> T started(T service) {
        this.started.add(service);
        return service;
    }

    private @Nullable RuntimeException closeAll(@Nullable RuntimeException earlier) {
        RuntimeException failure = earlier;
        for (int i = this.started.size() - 1; i >= 0; i--) {
            try {
                this.started.get(i).close();
            }
            catch (Exception ex) {
                failure = suppressed(failure, ex);
            }
        }
        this.started.clear();
        if (Files.exists(this.directory)) {
            try (Stream<Path> paths = Files.walk(this.directory)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
            catch (IOException ex) {
                failure = suppressed(failure, ex);
            }
        }
        return failure;
    }

    private static RuntimeException suppressed(@Nullable RuntimeException failure, Exception ex) {
        if (failure == null) {
            return (ex instanceof RuntimeException runtime) ? runtime
                    : new IllegalStateException("Could not stop the fake Azure cleanly", ex);
        }
        failure.addSuppressed(ex);
        return failure;
    }

    /** Chooses the identity and the services; {@link #start()} starts them. */
    public static final class Builder {

        private @Nullable String tenantId;

        private @Nullable String clientId;

        private final Set<String> identities = new LinkedHashSet<>();

        private String namespace = "default";

        private String serviceAccount = "workload";

        private int entraPort;

        private boolean keyVault;

        private boolean blobStorage;

        private boolean serviceBus;

        private Builder() {
        }

        /** Sets the tenant id (default: a random GUID per start). */
        public Builder tenantId(String tenantId) {
            this.tenantId = tenantId;
            return this;
        }

        /** Sets the application's client id (default: a random GUID per start). */
        public Builder clientId(String clientId) {
            this.clientId = clientId;
            return this;
        }

        /**
         * Adds an identity: an application with a random client id, federated to the pod's service account like
         * the default one, so the same projected token signs in as either. Adding a name again changes nothing.
         * @param name what the test calls it, e.g. {@code blob-writer}; {@link FakeAzure#clientId(String)} gives
         * its client id
         * @return this builder
         */
        public Builder identity(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("An identity needs a name, e.g. \"blob-writer\"");
            }
            this.identities.add(name);
            return this;
        }

        /** Sets the pod's service account (default {@code default/workload}). */
        public Builder serviceAccount(String namespace, String name) {
            this.namespace = namespace;
            this.serviceAccount = name;
            return this;
        }

        /**
         * Starts the fake Entra on this port of {@code 127.0.0.1} (default: a free one). On 443 the authority has
         * no port, like the real one, and MSAL4J's token cache then hits as it does against Entra; binding 443
         * usually needs root.
         */
        public Builder entraPort(int port) {
            this.entraPort = port;
            return this;
        }

        /** Starts a fake Key Vault that accepts the fake Entra's tokens for {@code https://vault.azure.net}. */
        public Builder keyVault() {
            this.keyVault = true;
            return this;
        }

        /**
         * Starts Azurite for Blob storage behind a {@link StorageGateway} that checks the fake Entra's tokens for
         * {@code https://storage.azure.com} (needs the npm install the build makes; about 1–2 s to start).
         */
        public Builder blobStorage() {
            this.blobStorage = true;
            return this;
        }

        /**
         * Starts a fake Service Bus namespace ({@value #SERVICE_BUS_NAMESPACE}) that accepts the fake Entra's
         * tokens for {@code https://servicebus.azure.net}.
         */
        public Builder serviceBus() {
            this.serviceBus = true;
            return this;
        }

        /** @return the running fake Azure */
        public FakeAzure start() {
            return new FakeAzure(this);
        }

    }

}
