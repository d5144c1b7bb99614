package dev.workloadidentity.spring.endtoend;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.azure.core.http.policy.ExponentialBackoffOptions;
import com.azure.core.http.policy.RetryOptions;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityAutoConfiguration;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityCredentialBuilderCustomizer;
import dev.workloadidentity.spring.autoconfigure.health.WorkloadIdentityHealthContributorAutoConfiguration;
import dev.workloadidentity.spring.diagnostics.Problem;
import dev.workloadidentity.spring.health.WorkloadIdentityHealthIndicator;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.http.LoopbackHttpsServer;
import dev.workloadidentity.spring.testsupport.http.SilentServer;
import dev.workloadidentity.spring.testsupport.kubernetes.ServiceAccountTokenIssuer;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.io.support.SpringFactoriesLoader;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every misconfiguration the starter diagnoses, produced for real: a fake Entra that answers as Entra does, token
 * files as a broken pod would have them, and a network that refuses, mis-certifies or stays silent. For each, the
 * exact problem is reported where it belongs (startup report or health), logged once, and no token, assertion or
 * secret appears in any log line, health detail or exception message.
 */
@ExtendWith(OutputCaptureExtension.class)
class DiagnosisMatrixIT {

    private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}");

    private static final String SECRET = "s3cr3t-Value~From.A-Forgotten-Variable";

    @TempDir
    Path directory;

    private FakeAzure azure;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void startFakeEntra() {
        this.azure = FakeAzure.builder().serviceAccount("shop", "orders-api").start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : this.closeables) {
            closeable.close();
        }
        this.azure.close();
    }

    static Stream<Named<Case>> cases() {
        return Stream.of(
                // Token file, found at startup
                startup("token file missing", Problem.TOKEN_FILE_MISSING,
                        (t) -> t.properties.add("AZURE_FEDERATED_TOKEN_FILE=" + t.directory.resolve("nowhere"))),
                startup("token file is a directory", Problem.TOKEN_FILE_IS_DIRECTORY,
                        (t) -> t.properties.add("AZURE_FEDERATED_TOKEN_FILE=" + t.directory)),
                startup("token file empty", Problem.TOKEN_FILE_EMPTY, (t) -> t.writeToken("")),
                startup("token file holds a secret, not a JWT", Problem.TOKEN_NOT_A_JWT, (t) -> t.writeToken(SECRET)),
                startup("client ID is a name", Problem.CLIENT_ID_INVALID,
                        (t) -> t.properties.add("AZURE_CLIENT_ID=orders-api-identity")),
                startup("tenant ID is a domain", Problem.TENANT_ID_INVALID,
                        (t) -> t.properties.add("AZURE_TENANT_ID=contoso.onmicrosoft.com")),
                startup("authority host over http", Problem.AUTHORITY_HOST_NOT_HTTPS,
                        (t) -> t.properties.add("AZURE_AUTHORITY_HOST=http://login.microsoftonline.com/")),
                // Token file, found by health before Entra is asked
                health("token file deleted after startup", Problem.TOKEN_FILE_MISSING, Status.OUT_OF_SERVICE,
                        (t) -> t.afterStartup = () -> Files.delete(t.azure.tokenFile())),
                health("token file emptied after startup", Problem.TOKEN_FILE_EMPTY, Status.OUT_OF_SERVICE,
                        (t) -> t.afterStartup = () -> t.azure.tokenVolume().write("")),
                health("token expired (not rotated)", Problem.TOKEN_EXPIRED, Status.OUT_OF_SERVICE,
                        (t) -> t.writeToken(t.token().expired().mint())),
                // Entra's answers
                health("no federated credential on the identity", Problem.NO_MATCHING_FEDERATED_CREDENTIAL,
                        Status.DOWN, (t) -> t.azure.entra().removeFederatedIdentityCredentials(t.azure.clientId())),
                health("pod on another cluster (issuer)", Problem.FEDERATED_CREDENTIAL_ISSUER_MISMATCH, Status.DOWN,
                        (t) -> {
                            ServiceAccountTokenIssuer otherCluster = ServiceAccountTokenIssuer
                                .forTenant(t.azure.tenantId());
                            t.azure.entra().trustIssuer(otherCluster);
                            t.writeToken(otherCluster.mint("shop", "orders-api"));
                        }),
                health("default service account token (audience)", Problem.FEDERATED_CREDENTIAL_AUDIENCE_MISMATCH,
                        Status.DOWN,
                        (t) -> t.writeToken(t.token().audience("https://kubernetes.default.svc.cluster.local").mint())),
                health("pod runs as another service account (subject)",
                        Problem.FEDERATED_CREDENTIAL_SUBJECT_MISMATCH, Status.DOWN,
                        (t) -> t.writeToken(t.azure.issuer().mint("shop", "payments-api"))),
                health("assertion outside its time range", Problem.ASSERTION_OUT_OF_TIME_RANGE, Status.OUT_OF_SERVICE,
                        (t) -> t.azure.entra().failTokenRequests(401, "invalid_client", 700024,
                                "Client assertion is not within its valid time range.")),
                health("a year-long token (wrong file)", Problem.TOKEN_LIFETIME_TOO_LONG, Status.OUT_OF_SERVICE,
                        (t) -> t.writeToken(t.token().lifetime(Duration.ofDays(365)).mint())),
                health("wrong client ID", Problem.APPLICATION_NOT_FOUND, Status.DOWN,
                        (t) -> t.properties.add("AZURE_CLIENT_ID=11111111-2222-3333-4444-555555555555")),
                health("wrong tenant", Problem.TENANT_NOT_FOUND, Status.DOWN,
                        (t) -> t.properties.add("AZURE_TENANT_ID=11111111-2222-3333-4444-555555555555")),
                health("tenant identifier refused", Problem.TENANT_INVALID, Status.DOWN,
                        (t) -> t.azure.entra().failTokenRequests(400, "invalid_request", 900023,
                                "Specified tenant identifier 'x' is neither a valid DNS name, nor a valid external domain.")),
                health("issuer's keys cannot be fetched", Problem.ISSUER_UNREACHABLE, Status.DOWN,
                        (t) -> t.azure.entra().distrustIssuer(t.azure.issuer().issuerUrl())),
                health("cluster signing key rotated", Problem.ASSERTION_SIGNATURE_INVALID, Status.DOWN,
                        (t) -> t.writeToken(t.token().signedByUnknownKey().mint())),
                health("a client secret is being used", Problem.CLIENT_SECRET_INVALID, Status.DOWN,
                        (t) -> t.azure.entra().failTokenRequests(401, "invalid_client", 7000215,
                                "Invalid client secret provided.")),
                health("an expired client secret is being used", Problem.CLIENT_SECRET_EXPIRED, Status.DOWN,
                        (t) -> t.azure.entra().failTokenRequests(401, "invalid_client", 7000222,
                                "The provided client secret keys for app are expired.")),
                health("scope names an unknown resource", Problem.RESOURCE_NOT_FOUND, Status.DOWN,
                        (t) -> t.properties.add("workload-identity.health.scope=https://nothing.example/.default"),
                        (t) -> t.azure.entra().failTokenRequests(400, "invalid_resource", 500011,
                                "The resource principal named https://nothing.example was not found.")),
                health("scope is invalid", Problem.SCOPE_INVALID, Status.DOWN,
                        (t) -> t.azure.entra().failTokenRequests(400, "invalid_scope", 70011,
                                "The provided value for the input parameter 'scope' is not valid.")),
                health("an Entra code the starter does not know", Problem.ENTRA_ERROR, Status.DOWN,
                        (t) -> t.azure.entra().failTokenRequests(400, "invalid_request", 50166,
                                "Request to External OIDC endpoint failed.")),
                // The network
                health("authority port closed", Problem.CONNECTION_REFUSED, Status.DOWN,
                        (t) -> t.properties.add("AZURE_AUTHORITY_HOST=https://127.0.0.1:" + t.closedPort() + "/")),
                health("authority host does not resolve", Problem.DNS_FAILURE, Status.DOWN,
                        (t) -> t.properties.add("AZURE_AUTHORITY_HOST=https://login.nonexistent.invalid/")),
                health("authority certificate not trusted", Problem.TLS_FAILURE, Status.DOWN,
                        (t) -> t.properties.add("AZURE_AUTHORITY_HOST=" + t.untrustedHttpsServer())),
                health("authority silent", Problem.TIMEOUT, Status.DOWN,
                        (t) -> t.properties.add("AZURE_AUTHORITY_HOST=https://127.0.0.1:" + t.silentPort() + "/")));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void reportsTheCauseAndNeverAToken(Case matrixCase, CapturedOutput output) throws Exception {
        Trial trial = new Trial(this.azure, this.directory, this.closeables);
        String federatedToken = Files.readString(this.azure.tokenFile());
        trial.properties.add("AZURE_CLIENT_SECRET=" + SECRET);
        matrixCase.setup().forEach((step) -> step.accept(trial));
        List<String> exposed = new ArrayList<>();
        trial.runner().run((context) -> {
            if (matrixCase.status() == null) {
                assertThat(context).hasFailed();
                FailureAnalysis analysis = analyze(context.getStartupFailure());
                assertThat(analysis.getAction()).endsWith("[" + matrixCase.problem().code() + "]");
                exposed.add(analysis.getDescription() + analysis.getAction() + stackOf(context.getStartupFailure()));
                return;
            }
            assertThat(context).hasNotFailed();
            trial.afterStartup.run();
            WorkloadIdentityHealthIndicator indicator = context.getBean(WorkloadIdentityHealthIndicator.class);
            Health first = indicator.health();
            Health second = indicator.health();
            for (Health health : List.of(first, second)) {
                assertThat(health.getStatus()).as("%s", health).isEqualTo(matrixCase.status());
                assertThat(health.getDetails()).as("%s", health)
                    .containsEntry("code", expectedCode(matrixCase.problem()))
                    .containsKeys("reason", "action");
                assertThat((String) health.getDetails().get("reason")).doesNotContain("{", "<tokenFile");
                exposed.add(health.toString());
            }
            List<String> logged = output.toString()
                .lines()
                .filter((line) -> line.matches(".*\\[" + expectedCode(matrixCase.problem()) + "[],].*"))
                .toList();
            assertThat(logged).as("log lines for the problem").hasSize(1);
            if (matrixCase.problem().code().startsWith("AADSTS")) {
                assertThat(first.getDetails()).containsKeys("correlationId", "traceId", "federatedToken");
                assertThat(logged.get(0)).contains("correlation ID " + first.getDetails().get("correlationId"));
            }
        });
        exposed.add(output.toString());
        assertThat(String.join("\n", exposed)).as("what the app showed")
            .doesNotContain(federatedToken)
            .doesNotContain(SECRET)
            .doesNotContainPattern(JWT);
    }

    private static String expectedCode(Problem problem) {
        return (problem == Problem.ENTRA_ERROR) ? "AADSTS50166" : problem.code();
    }

    private static FailureAnalysis analyze(Throwable failure) {
        // Boot's own analyzers need a bean factory; skipping them leaves the ones registered without arguments.
        for (FailureAnalyzer analyzer : SpringFactoriesLoader.forDefaultResourceLocation()
            .load(FailureAnalyzer.class, null, (type, implementation, ex) -> {
            })) {
            FailureAnalysis analysis = analyzer.analyze(failure);
            if (analysis != null) {
                return analysis;
            }
        }
        throw new AssertionError("No failure analysis for " + failure, failure);
    }

    private static String stackOf(Throwable failure) {
        StringBuilder messages = new StringBuilder();
        for (Throwable current = failure; current != null; current = current.getCause()) {
            messages.append(current).append('\n');
        }
        return messages.toString();
    }

    @SafeVarargs
    private static Named<Case> startup(String name, Problem problem, Consumer<Trial>... setup) {
        return Named.of(name, new Case(problem, null, List.of(setup)));
    }

    @SafeVarargs
    private static Named<Case> health(String name, Problem problem, Status status, Consumer<Trial>... setup) {
        return Named.of(name, new Case(problem, status, List.of(setup)));
    }

    /** One bad input: what to break, and what must be reported (a null status means startup must fail). */
    record Case(Problem problem, Status status, List<Consumer<Trial>> setup) {
    }

    /** The world of one case: a fake Entra, the pod's token, and the app's properties. */
    static final class Trial {

        final FakeAzure azure;

        final Path directory;

        final List<String> properties = new ArrayList<>();

        final List<AutoCloseable> closeables;

        ThrowingRunnable afterStartup = () -> {
        };

        Trial(FakeAzure azure, Path directory, List<AutoCloseable> closeables) {
            this.azure = azure;
            this.directory = directory;
            this.closeables = closeables;
        }

        ServiceAccountTokenIssuer.TokenBuilder token() {
            return this.azure.issuer().token("shop", "orders-api");
        }

        void writeToken(String token) {
            this.azure.tokenVolume().write(token);
        }

        int closedPort() {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort();
            }
            catch (IOException ex) {
                throw new IllegalStateException(ex);
            }
        }

        /** Accepts connections and never answers, like a black-holed endpoint. */
        int silentPort() {
            SilentServer server = SilentServer.start();
            this.closeables.add(server);
            return server.port();
        }

        /** An HTTPS server whose certificate the JVM does not trust. */
        String untrustedHttpsServer() {
            FakeAzureTls otherCertificate = FakeAzureTls.createIn(this.directory.resolve("other-tls"));
            LoopbackHttpsServer server = LoopbackHttpsServer.start("untrusted", otherCertificate,
                    (exchange) -> exchange.sendResponseHeaders(500, -1));
            this.closeables.add(server);
            return server.baseUrl() + "/";
        }

        ApplicationContextRunner runner() {
            List<String> all = new ArrayList<>();
            this.azure.webhookEnvironment().forEach((key, value) -> all.add(key + "=" + value));
            this.azure.springProperties().forEach((key, value) -> all.add(key + "=" + value));
            all.add("workload-identity.health.timeout=3s");
            all.addAll(this.properties);
            return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(WorkloadIdentityAutoConfiguration.class,
                        WorkloadIdentityHealthContributorAutoConfiguration.class))
                // One attempt per token request: the matrix is about what is reported, not about retries.
                .withBean(WorkloadIdentityCredentialBuilderCustomizer.class, () -> (builder) -> builder
                    .retryOptions(new RetryOptions(new ExponentialBackoffOptions().setMaxRetries(0))))
                .withPropertyValues(all.toArray(String[]::new));
        }

    }

    @FunctionalInterface
    interface ThrowingRunnable {

        void run() throws Exception;

    }

}
