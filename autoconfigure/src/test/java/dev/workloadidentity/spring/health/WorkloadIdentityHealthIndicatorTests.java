package dev.workloadidentity.spring.health;

import java.io.IOException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.microsoft.aad.msal4j.MsalServiceException;
import dev.workloadidentity.spring.autoconfigure.TokenFiles;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.diagnostics.FailureLog;
import dev.workloadidentity.spring.diagnostics.FederatedTokenClaims;
import dev.workloadidentity.spring.diagnostics.WorkloadIdentityDiagnostics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The indicator's own logic: joining requests in flight, the timeout and what the details show. It checks a real
 * {@link SharedTokenCredential} in front of in-process stand-ins for Entra; the end-to-end tests run the indicator
 * against the fake Entra.
 */
@ExtendWith(OutputCaptureExtension.class)
class WorkloadIdentityHealthIndicatorTests {

    private static final String SCOPE = "https://management.azure.com/.default";

    private static final OffsetDateTime EXPIRY = OffsetDateTime.of(2030, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    private static final String ACCESS_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl";

    private final List<SharedTokenCredential> credentials = new ArrayList<>();

    @TempDir
    Path directory;

    private Path tokenFile;

    @BeforeEach
    void writeTokenFile() throws IOException {
        this.tokenFile = TokenFiles.write(this.directory.resolve("azure-identity-token"));
    }

    @AfterEach
    void close() {
        this.credentials.forEach(SharedTokenCredential::close);
    }

    @Test
    void upWithTokenExpiryAndIdentity() {
        Health health = indicator(new CountingCredential(0), Duration.ofSeconds(3)).health();
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("clientId", "client")
            .containsEntry("scope", SCOPE)
            .containsEntry("accessTokenExpiresAt", "2030-01-01T00:00:00Z")
            .containsKey("federatedTokenExpiresAt")
            .doesNotContainKeys("warning", "reason");
        assertThat(health.toString()).doesNotContain(ACCESS_TOKEN);
    }

    @Test
    void asksForACaeTokenLikeAzureSdkClients() {
        CountingCredential credential = new CountingCredential(0);
        indicator(credential, Duration.ofSeconds(3)).health();
        assertThat(credential.requests).singleElement().satisfies((request) -> {
            assertThat(request.getScopes()).containsExactly(SCOPE);
            assertThat(request.isCaeEnabled()).isTrue();
        });
    }

    @Test
    void downWithEntrasAnswerExplained() throws IOException {
        String issuer = FederatedTokenClaims.decode(Files.readString(this.tokenFile)).issuer();
        TokenCredential rejecting = (request) -> Mono.error(new IllegalStateException("wrapped",
                new MsalServiceException("AADSTS70021: No matching federated identity record found for presented "
                        + "assertion.\r\nTrace ID: 2f4b0f3e-9c1d-4a57-8e6f-0d1c2b3a4f5e\r\nCorrelation ID: c", "invalid_request")));
        Health health = indicator(rejecting, Duration.ofSeconds(3)).health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat((String) health.getDetails().get("reason"))
            .isEqualTo("No federated identity credential on client client matches the token: issuer " + issuer
                    + ", subject system:serviceaccount:default:workload, audience api://AzureADTokenExchange.");
        assertThat(health.getDetails()).containsEntry("code", "AADSTS70021")
            .containsEntry("aadsts", "AADSTS70021")
            .containsEntry("error", "invalid_request")
            .containsEntry("traceId", "2f4b0f3e-9c1d-4a57-8e6f-0d1c2b3a4f5e")
            .containsKeys("action", "federatedToken");
    }

    @Test
    void downWithinTimeoutWhenTokenEndpointIsSilent() {
        CountDownLatch never = new CountDownLatch(1);
        TokenCredential silent = (request) -> Mono.fromCallable(() -> {
            never.await();
            return null;
        });
        long start = System.nanoTime();
        Health health = indicator(silent, Duration.ofMillis(200)).health();
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat((String) health.getDetails().get("reason")).startsWith("No access token within 200 ms");
        assertThat(health.getDetails()).containsEntry("code", "timeout");
        assertThat(elapsedMillis).isLessThan(5_000);
        never.countDown();
    }

    @Test
    void timeoutShowsWhyThePreviousRequestFailed() throws InterruptedException {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch never = new CountDownLatch(1);
        TokenCredential failingThenSilent = new TokenCredential() {

            @Override
            public Mono<AccessToken> getToken(TokenRequestContext request) {
                return Mono.fromCallable(() -> getTokenSync(request));
            }

            @Override
            public AccessToken getTokenSync(TokenRequestContext request) {
                if (calls.incrementAndGet() == 1) {
                    throw new IllegalStateException("first", new UnknownHostException("login.example"));
                }
                try {
                    never.await();
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("never answered");
            }

        };
        WorkloadIdentityHealthIndicator indicator = indicator(failingThenSilent, Duration.ofMillis(200));
        assertThat(indicator.health().getDetails()).doesNotContainKey("lastFailure");
        Thread.sleep(1100); // past the backoff after the first failure
        Health second = indicator.health();
        assertThat((String) second.getDetails().get("reason")).startsWith("No access token within 200 ms");
        assertThat(second.getDetails()).containsEntry("lastFailure",
                "The authority host cannot be resolved: UnknownHostException: login.example.");
        never.countDown();
    }

    @Test
    void concurrentChecksShareOneTokenRequest() throws Exception {
        CountingCredential slow = new CountingCredential(300);
        WorkloadIdentityHealthIndicator indicator = indicator(slow, Duration.ofSeconds(5));
        ExecutorService probes = Executors.newFixedThreadPool(16);
        try {
            List<Future<Health>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                results.add(probes.submit((Callable<Health>) indicator::health));
            }
            for (Future<Health> result : results) {
                assertThat(result.get(10, TimeUnit.SECONDS).getStatus()).isEqualTo(Status.UP);
            }
        }
        finally {
            probes.shutdownNow();
        }
        assertThat(slow.calls.get()).isEqualTo(1);
    }

    @Test
    void checksAfterTimeoutJoinTheRequestStillInFlight() {
        CountingCredential slow = new CountingCredential(1_000);
        WorkloadIdentityHealthIndicator indicator = indicator(slow, Duration.ofMillis(100));
        assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN);
        assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN);
        assertThat(slow.calls.get()).isEqualTo(1);
    }

    @Test
    void repeatedChecksReuseTheTokenWhileItIsFresh() {
        CountingCredential credential = new CountingCredential(0);
        WorkloadIdentityHealthIndicator indicator = indicator(credential, Duration.ofSeconds(3));
        for (int i = 0; i < 5; i++) {
            assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);
        }
        assertThat(credential.calls.get()).isEqualTo(1);
    }

    @Test
    void failedRenewalKeepsTheCheckUpWithAWarning(CapturedOutput output) {
        AtomicInteger calls = new AtomicInteger();
        TokenCredential firstOnly = (request) -> (calls.incrementAndGet() == 1)
                ? Mono.just(new AccessToken(ACCESS_TOKEN, OffsetDateTime.now().plusSeconds(4)))
                : Mono.error(new IllegalStateException("renewal", new UnknownHostException("login.example")));
        WorkloadIdentityHealthIndicator indicator = indicator(firstOnly, Duration.ofSeconds(3));
        assertThat(indicator.health().getDetails()).doesNotContainKey("warning");
        // Renewed halfway through the token's 4 s life, in the background; the token is served for 3.6 s.
        await().atMost(Duration.ofSeconds(3)).until(() -> calls.get() == 2);
        Health health = indicator.health();
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("warning",
                "Renewing the access token (the current one is still served): "
                        + "The authority host cannot be resolved: UnknownHostException: login.example.");
        assertThat(health.getDetails()).containsKeys("action", "code");
        assertThat(output.toString().lines().filter((line) -> line.contains("Renewing the access token"))).hasSize(1);
    }

    @Test
    void checkAfterAFailureShowsItWithoutAskingAgainDuringTheBackoff() {
        AtomicInteger calls = new AtomicInteger();
        TokenCredential failing = (request) -> {
            calls.incrementAndGet();
            return Mono.error(new IllegalStateException("down", new UnknownHostException("login.example")));
        };
        WorkloadIdentityHealthIndicator indicator = indicator(failing, Duration.ofSeconds(3));
        Health first = indicator.health();
        Health second = indicator.health();
        assertThat(calls.get()).isEqualTo(1);
        assertThat(second.getStatus()).isEqualTo(Status.DOWN);
        assertThat(second.getDetails()).containsEntry("reason", first.getDetails().get("reason"))
            .containsKey("nextAttemptAt");
        await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
            indicator.health();
            assertThat(calls.get()).isEqualTo(2);
        });
    }

    @Test
    void tokenInFailureMessageIsRedacted() {
        TokenCredential leaky = (request) -> Mono.error(new IllegalStateException("bad assertion " + ACCESS_TOKEN));
        Health health = indicator(leaky, Duration.ofSeconds(3)).health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.toString()).doesNotContain(ACCESS_TOKEN).contains("[redacted token]");
    }

    @Test
    void missingTokenFileIsOutOfServiceWithoutAskingEntra() throws IOException {
        CountingCredential credential = new CountingCredential(0);
        Files.delete(this.tokenFile);
        Health health = indicator(credential, Duration.ofSeconds(3)).health();
        assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
        assertThat(health.getDetails()).containsEntry("code", "token-file-missing")
            .containsEntry("reason", "The federated token file AZURE_FEDERATED_TOKEN_FILE=" + this.tokenFile
                    + " does not exist.");
        assertThat(credential.calls.get()).isZero();
    }

    @Test
    void eachDistinctProblemIsLoggedOnce(CapturedOutput output) throws IOException {
        CountingCredential credential = new CountingCredential(0);
        WorkloadIdentityHealthIndicator indicator = indicator(credential, Duration.ofSeconds(3));
        Files.delete(this.tokenFile);
        for (int i = 0; i < 5; i++) {
            indicator.health();
        }
        Files.writeString(this.tokenFile, "not a token");
        indicator.health();
        indicator.health();
        TokenFiles.write(this.tokenFile);
        indicator.health();
        indicator.health();
        assertThat(output.toString().lines().filter((line) -> line.contains("[token-file-missing]"))).hasSize(1);
        assertThat(output.toString().lines().filter((line) -> line.contains("[token-not-a-jwt]"))).hasSize(1);
        assertThat(output.toString().lines().filter((line) -> line.contains("tokens are acquired again"))).hasSize(1);
        assertThat(output).doesNotContain("not a token");
    }

    private WorkloadIdentityHealthIndicator indicator(TokenCredential entra, Duration timeout) {
        SharedTokenCredential credential = new SharedTokenCredential(entra);
        this.credentials.add(credential);
        return new WorkloadIdentityHealthIndicator(credential, diagnostics(), timeout, new FailureLog());
    }

    private WorkloadIdentityDiagnostics diagnostics() {
        return new WorkloadIdentityDiagnostics("client", "tenant", "https://login.microsoftonline.com/",
                this.tokenFile, "AZURE_FEDERATED_TOKEN_FILE=" + this.tokenFile, true, SCOPE);
    }

    /** Answers after a delay and counts how often it was asked. */
    static class CountingCredential implements TokenCredential {

        final AtomicInteger calls = new AtomicInteger();

        final List<TokenRequestContext> requests = new ArrayList<>();

        private final long delayMillis;

        CountingCredential(long delayMillis) {
            this.delayMillis = delayMillis;
        }

        @Override
        public Mono<AccessToken> getToken(TokenRequestContext request) {
            return Mono.fromCallable(() -> getTokenSync(request));
        }

        @Override
        public AccessToken getTokenSync(TokenRequestContext request) {
            this.calls.incrementAndGet();
            synchronized (this.requests) {
                this.requests.add(request);
            }
            try {
                Thread.sleep(this.delayMillis);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            return new AccessToken(ACCESS_TOKEN, EXPIRY);
        }

    }

}
