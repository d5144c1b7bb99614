package dev.workloadidentity.spring.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault.VaultRequest;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;

/**
 * Runs the whole fake Azure as a process, for the local demo ({@code samples/demo.sh}). It writes into the
 * directory given as first argument:
 * <ul>
 * <li>{@code pod.env}: the variables the AKS webhook would inject into the pod, as shell {@code export} lines;</li>
 * <li>{@code fake-azure.properties}: the Spring properties that point Spring Cloud Azure at the fakes;</li>
 * <li>{@code java-options}: the JVM options that make the app trust the fakes' certificate;</li>
 * <li>{@code greeting}: the value of the Key Vault secret {@value #SECRET_NAME}, which the sample loads as a
 * property at startup and reads again at runtime, for the demo to check;</li>
 * <li>{@code ready}: written last, once everything listens.</li>
 * </ul>
 * It then prints what the fakes see (token requests, vault and Service Bus traffic; never a token) until it is
 * stopped.
 */
public final class FakeAzureMain {

    /** The secret the sample loads as the property {@code greeting} at startup and reads again at runtime. */
    static final String SECRET_NAME = "greeting";

    /** Its value: a demo value, not a real secret. */
    static final String GREETING = "Hello from the fake Key Vault, read with the pod's workload identity";

    /** The queue the sample sends to. */
    static final String QUEUE = "orders";

    private FakeAzureMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("Usage: FakeAzureMain <directory for pod.env, fake-azure.properties, java-options>");
            System.exit(2);
        }
        Path directory = Files.createDirectories(Path.of(args[0]));
        Files.deleteIfExists(directory.resolve("ready"));
        FakeAzure azure = FakeAzure.builder()
            .serviceAccount("workload-identity-sample", "workload-identity-sample")
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
        writeFiles(azure, directory);
        System.out.println("Fake Azure is up: Entra " + azure.entra().authorityHost() + ", Key Vault "
                + azure.keyVault().vaultUrl() + ", Blob " + azure.blobStorage().blobEndpoint() + ", Service Bus "
                + azure.serviceBus().customEndpointAddress());
        System.out.println("Federated credential: issuer " + azure.issuer().issuerUrl() + ", subject "
                + "system:serviceaccount:" + azure.namespace() + ":" + azure.serviceAccount() + ", client "
                + azure.clientId());
        new TrafficPrinter(azure).printUntil(stopped);
    }

    private static void writeFiles(FakeAzure azure, Path directory) throws IOException {
        Files.writeString(directory.resolve("pod.env"), azure.webhookEnvironment()
            .entrySet()
            .stream()
            .map((entry) -> "export " + entry.getKey() + "='" + entry.getValue() + "'\n")
            .collect(Collectors.joining()));
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
        Files.writeString(directory.resolve("ready"), "");
    }

    /** Prints new entries of the fakes' request logs as they appear. */
    private static final class TrafficPrinter {

        private final FakeAzure azure;

        private int tokenRequestsSeen;

        private int vaultRequestsSeen;

        private int messagesSeen;

        private int putTokensSeen;

        TrafficPrinter(FakeAzure azure) {
            this.azure = azure;
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
                lines.add("[fake Entra]       token for " + request.resource() + " to client " + request.clientId()
                        + ": " + (request.succeeded() ? "issued (federated token verified)" : request.outcome()));
            }
            this.tokenRequestsSeen = tokenRequests.size();
            List<VaultRequest> vaultRequests = this.azure.keyVault().requests();
            for (VaultRequest request : vaultRequests.subList(this.vaultRequestsSeen, vaultRequests.size())) {
                lines.add("[fake Key Vault]   " + request.method() + " " + request.path() + " -> " + request.status()
                        + (request.hadToken() ? "" : " (no token yet: bearer challenge)"));
            }
            this.vaultRequestsSeen = vaultRequests.size();
            int putTokens = this.azure.serviceBus().acceptedPutTokens() + this.azure.serviceBus().rejectedPutTokens();
            if (putTokens > this.putTokensSeen) {
                lines.add("[fake Service Bus] put-token: " + this.azure.serviceBus().acceptedPutTokens()
                        + " accepted, " + this.azure.serviceBus().rejectedPutTokens() + " rejected so far");
                this.putTokensSeen = putTokens;
            }
            // The sample's queue; the fake keeps the last 1000 messages, so this stays a window, not a log.
            List<String> orders = this.azure.serviceBus().receivedMessages(QUEUE);
            for (String body : orders.subList(Math.min(this.messagesSeen, orders.size()), orders.size())) {
                lines.add("[fake Service Bus] message to " + QUEUE + ": " + body);
            }
            this.messagesSeen = orders.size();
            return lines;
        }

    }

}
