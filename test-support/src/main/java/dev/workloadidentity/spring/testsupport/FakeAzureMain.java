package dev.workloadidentity.spring.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault.VaultRequest;
import dev.workloadidentity.spring.testsupport.servicebus.PutTokenRequest;
import dev.workloadidentity.spring.testsupport.storage.StorageGateway.BlobRequest;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import org.jspecify.annotations.Nullable;

/**
 * Runs the whole fake Azure as a process, for the local demo ({@code samples/demo.sh}):
 * {@code FakeAzureMain <directory> [--two-identities]}. Besides the pod's identity ({@code AZURE_CLIENT_ID}) it
 * always registers a second application, {@value #BLOB_WRITER}, federated to the same service account. Without
 * {@code --two-identities} no role is assigned, so every valid token is served; with it, roles are assigned as the
 * sample's {@code two-identities} profile expects: Key Vault and Service Bus to the pod's identity only, Blob
 * storage to {@value #BLOB_WRITER} only, so a client signing in as the other identity is refused (403).
 * <p>
 * It writes into the directory:
 * <ul>
 * <li>{@code pod.env}: the variables the AKS webhook would inject into the pod, as shell {@code export} lines;</li>
 * <li>{@code identities.env}: {@code export BLOB_WRITER_CLIENT_ID=...}, the client id of {@value #BLOB_WRITER},
 * which the webhook does not inject: the {@code two-identities} profile reads it from configuration;</li>
 * <li>{@code fake-azure.properties}: the Spring properties that point Spring Cloud Azure at the fakes;</li>
 * <li>{@code java-options}: the JVM options that make the app trust the fakes' certificate;</li>
 * <li>{@code greeting}: the value of the Key Vault secret {@value #SECRET_NAME}, which the sample loads as a
 * property at startup and reads again at runtime, for the demo to check;</li>
 * <li>{@code ready}: written last, once everything listens and the first lines are printed.</li>
 * </ul>
 * It prints three lines (the endpoints, the federated credentials, the role assignments), then what the fakes see
 * until it is stopped: token requests, Key Vault, Blob and Service Bus requests, each with the caller's client id
 * and which identity that is; never a token.
 */
public final class FakeAzureMain {

    /** The secret the sample loads as the property {@code greeting} at startup and reads again at runtime. */
    static final String SECRET_NAME = "greeting";

    /** Its value: a demo value, not a real secret. */
    static final String GREETING = "Hello from the fake Key Vault, read with the pod's workload identity";

    /** The queue the sample sends to. */
    static final String QUEUE = "orders";

    /** The second identity, the one the {@code two-identities} profile gives Blob storage. */
    static final String BLOB_WRITER = "blob-writer";

    /** The argument that assigns roles as the {@code two-identities} profile expects. */
    static final String TWO_IDENTITIES = "--two-identities";

    private static final String USAGE = "Usage: FakeAzureMain <directory for pod.env, identities.env, "
            + "fake-azure.properties, java-options> [" + TWO_IDENTITIES + "]";

    private FakeAzureMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2 || (args.length == 2 && !TWO_IDENTITIES.equals(args[1]))) {
            System.err.println(USAGE);
            System.exit(2);
        }
        boolean twoIdentities = args.length == 2;
        Path directory = Files.createDirectories(Path.of(args[0]));
        Files.deleteIfExists(directory.resolve("ready"));
        FakeAzure azure = FakeAzure.builder()
            .serviceAccount("workload-identity-sample", "workload-identity-sample")
            .identity(BLOB_WRITER)
            .keyVault()
            .blobStorage()
            .serviceBus()
            .start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            azure.close();
            stopped.countDown();
        }, "fake-azure-shutdown"));
        azure.keyVault().setSecret(SECRET_NAME, GREETING);
        String roles;
        if (twoIdentities) {
            azure.keyVault().assignRole(azure.clientId());
            azure.serviceBus().assignRole(azure.clientId());
            azure.blobStorage().assignRole(azure.clientId(BLOB_WRITER));
            roles = "Role assignments: Key Vault and Service Bus to the pod's identity only, Blob to " + BLOB_WRITER
                    + " only";
        }
        else {
            roles = "Role assignments: none, so every service serves any valid token";
        }
        writeFiles(azure, directory);
        System.out.println("Fake Azure is up: Entra " + azure.entra().authorityHost() + ", Key Vault "
                + azure.keyVault().vaultUrl() + ", Blob " + azure.blobStorage().blobEndpoint() + ", Service Bus "
                + azure.serviceBus().customEndpointAddress());
        System.out.println("Federated credentials: issuer " + azure.issuer().issuerUrl() + ", subject "
                + "system:serviceaccount:" + azure.namespace() + ":" + azure.serviceAccount() + ", clients "
                + azure.clientId() + " (pod identity) and " + azure.clientId(BLOB_WRITER) + " (" + BLOB_WRITER + ")");
        System.out.println(roles);
        Files.writeString(directory.resolve("ready"), "");
        new TrafficPrinter(azure, twoIdentities).printUntil(stopped);
    }

    private static void writeFiles(FakeAzure azure, Path directory) throws IOException {
        Files.writeString(directory.resolve("pod.env"), exports(azure.webhookEnvironment()));
        Files.writeString(directory.resolve("identities.env"),
                exports(Map.of("BLOB_WRITER_CLIENT_ID", azure.clientId(BLOB_WRITER))));
        Files.writeString(directory.resolve("fake-azure.properties"), azure.springProperties()
            .entrySet()
            .stream()
            .map((entry) -> entry.getKey() + "=" + entry.getValue() + "\n")
            .collect(Collectors.joining()));
        Files.writeString(directory.resolve(SECRET_NAME), GREETING + "\n");
        FakeAzureTls tls = azure.tls();
        Files.writeString(directory.resolve("java-options"), "-Djavax.net.ssl.trustStore=" + tls.trustStore()
                + " -Djavax.net.ssl.trustStorePassword=" + FakeAzureTls.PASSWORD
                + " -Djavax.net.ssl.trustStoreType=PKCS12\n");
    }

    private static String exports(Map<String, String> variables) {
        return variables.entrySet()
            .stream()
            .map((entry) -> "export " + entry.getKey() + "='" + entry.getValue() + "'\n")
            .collect(Collectors.joining());
    }

    /** Prints new entries of the fakes' request logs as they appear. */
    private static final class TrafficPrinter {

        private final FakeAzure azure;

        /** Names of the identities the fake Entra knows, by client id, for the output. */
        private final Map<String, String> identities = new LinkedHashMap<>();

        /** Whether roles are assigned, so that a 403 to a valid token means the caller holds none. */
        private final boolean rolesAssigned;

        private int tokenRequestsSeen;

        private int vaultRequestsSeen;

        private int blobRequestsSeen;

        private int putTokensSeen;

        private int refusedLinksSeen;

        private int messagesSeen;

        TrafficPrinter(FakeAzure azure, boolean rolesAssigned) {
            this.azure = azure;
            this.rolesAssigned = rolesAssigned;
            this.identities.put(azure.clientId(), "pod identity");
            this.identities.put(azure.clientId(BLOB_WRITER), BLOB_WRITER);
        }

        void printUntil(CountDownLatch stopped) throws InterruptedException {
            while (!stopped.await(250, TimeUnit.MILLISECONDS)) {
                for (String line : newLines()) {
                    System.out.println(line);
                }
            }
        }

        private List<String> newLines() {
            List<String> lines = new ArrayList<>();
            List<TokenRequest> tokenRequests = this.azure.entra().tokenRequests();
            for (TokenRequest request : tokenRequests.subList(this.tokenRequestsSeen, tokenRequests.size())) {
                lines.add("[fake Entra]       token for " + request.resource() + " to " + caller(request.clientId())
                        + ": " + (request.succeeded() ? "issued (federated token verified)" : request.outcome()));
            }
            this.tokenRequestsSeen = tokenRequests.size();
            List<VaultRequest> vaultRequests = this.azure.keyVault().requests();
            for (VaultRequest request : vaultRequests.subList(this.vaultRequestsSeen, vaultRequests.size())) {
                lines.add("[fake Key Vault]   " + request.method() + " " + request.path() + " -> " + request.status()
                        + outcome(request.status(), request.hadToken(), request.clientId(),
                                "no token yet: bearer challenge", "ForbiddenByRbac"));
            }
            this.vaultRequestsSeen = vaultRequests.size();
            List<BlobRequest> blobRequests = this.azure.blobStorage().requests();
            for (BlobRequest request : blobRequests.subList(this.blobRequestsSeen, blobRequests.size())) {
                lines.add("[fake Blob]        " + request.method() + " " + request.path() + " -> " + request.status()
                        + outcome(request.status(), request.hadToken(), request.clientId(), "no token: anonymous",
                                "AuthorizationPermissionMismatch"));
            }
            this.blobRequestsSeen = blobRequests.size();
            List<PutTokenRequest> putTokens = this.azure.serviceBus().putTokenRequests();
            for (PutTokenRequest request : putTokens.subList(this.putTokensSeen, putTokens.size())) {
                lines.add("[fake Service Bus] put-token for " + request.audience() + " -> " + request.status()
                        + (request.accepted() ? ", " + caller(request.clientId()) : " (token rejected)"));
            }
            this.putTokensSeen = putTokens.size();
            List<String> refusedLinks = this.azure.serviceBus().refusedLinks();
            for (String address : refusedLinks.subList(this.refusedLinksSeen, refusedLinks.size())) {
                lines.add("[fake Service Bus] link to " + address + " refused: unauthorized-access (no valid token "
                        + "or no role)");
            }
            this.refusedLinksSeen = refusedLinks.size();
            // The sample's queue; the fake keeps the last 1000 messages, so this stays a window, not a log.
            List<String> orders = this.azure.serviceBus().receivedMessages(QUEUE);
            for (String body : orders.subList(Math.min(this.messagesSeen, orders.size()), orders.size())) {
                lines.add("[fake Service Bus] message to " + QUEUE + ": " + body);
            }
            this.messagesSeen = orders.size();
            return lines;
        }

        /** Who called, as {@code ", client <id> (<name>)"}, and why a call with a token was refused. */
        private String outcome(int status, boolean hadToken, @Nullable String clientId, String withoutToken,
                String noRoleCode) {
            if (!hadToken) {
                return " (" + withoutToken + ")";
            }
            if (clientId == null) {
                return " (token rejected)";
            }
            boolean noRole = this.rolesAssigned && status == 403;
            return ", " + caller(clientId) + (noRole ? ": no role assignment (" + noRoleCode + ")" : "");
        }

        private String caller(@Nullable String clientId) {
            if (clientId == null) {
                return "client (none)";
            }
            String name = this.identities.get(clientId);
            return "client " + clientId + ((name != null) ? " (" + name + ")" : "");
        }

    }

}
