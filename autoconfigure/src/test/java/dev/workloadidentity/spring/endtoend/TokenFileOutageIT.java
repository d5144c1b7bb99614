package dev.workloadidentity.spring.endtoend;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.security.keyvault.secrets.SecretAsyncClient;
import com.azure.security.keyvault.secrets.SecretClient;
import dev.workloadidentity.spring.credential.TokenRequestBackoffException;
import dev.workloadidentity.spring.health.WorkloadIdentityHealthIndicator;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Fault suite: the projected token is there at startup, then unusable for a while, and then back: absent before
 * the application's first token request, and empty once it has tokens (which live 2 s, so they run out during the
 * outage). Four paths keep calling throughout: the application's {@link TokenCredential}, synchronously and
 * asynchronously (where a bare Azure Identity credential would replay its first failure for ever), and Key Vault's
 * synchronous and asynchronous clients. Each fails during the outage and recovers without a restart, within the
 * shared credential's backoff after the file is back.
 * <p>
 * The outages take the two forms a pod can really see, and which stop a read whoever the process runs as (tests
 * may run as root, for whom file permissions block nothing): <em>absent</em> (the kubelet has not projected the
 * token, or the projection is gone) and <em>empty</em> (a projection that wrote nothing). A token file missing at
 * startup is a startup failure, covered by {@code DiagnosisMatrixIT}.
 */
@ExtendWith(OutputCaptureExtension.class)
class TokenFileOutageIT {

    private static final Duration ACCESS_TOKEN_LIFETIME = Duration.ofSeconds(2);

    /** How long the file stays away once every path has felt it, so that the backoff grows past its first step. */
    private static final Duration OUTAGE = Duration.ofMillis(1500);

    /** What recovery may take beyond the backoff: a token request, a Key Vault call, the callers' 50 ms pace. */
    private static final Duration RECOVERY_SLACK = Duration.ofSeconds(2);

    private static final String VAULT_SCOPE = "https://vault.azure.net/.default";

    private static final String MANAGEMENT_SCOPE = "https://management.azure.com/.default";

    private static final String STORAGE_SCOPE = "https://storage.azure.com/.default";

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(
            FakeAzure.builder().serviceAccount("shop", "orders-api").keyVault());

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void nothingSecretInTheOutput(CapturedOutput output) {
        NothingSecretShown.in(output);
    }

    @AfterEach
    void restore() {
        this.threads.shutdownNow();
        azure.get().rotateToken();
        entra().accessTokenLifetime(FakeEntra.DEFAULT_ACCESS_TOKEN_LIFETIME)
            .clockSkewAllowance(Duration.ZERO)
            .clearTokenRequests();
    }

    @Test
    void everyPathRecoversWithoutARestartWhenTheTokenFileComesBack() throws Exception {
        FakeAzure fake = azure.get();
        fake.keyVault().setSecret("greeting", "hello");
        entra().accessTokenLifetime(ACCESS_TOKEN_LIFETIME).clockSkewAllowance(ShortLivedTokens.CLOCK_SKEW_ALLOWANCE);
        ClientsOnFakeAzure.runner(fake)
            // One attempt per call, so that each call shows what the credential does at that moment.
            .withPropertyValues("spring.cloud.azure.retry.mode=exponential",
                    "spring.cloud.azure.retry.exponential.max-retries=0",
                    "workload-identity.health.scope=" + MANAGEMENT_SCOPE)
            .run((context) -> {
                TokenCredential credential = context.getBean(TokenCredential.class);
                WorkloadIdentityHealthIndicator health = context.getBean(WorkloadIdentityHealthIndicator.class);
                Map<String, Callable<Object>> calls = new LinkedHashMap<>();
                calls.put("credential sync",
                        () -> credential.getTokenSync(new TokenRequestContext().addScopes(MANAGEMENT_SCOPE)));
                calls.put("credential async",
                        () -> credential.getToken(new TokenRequestContext().addScopes(STORAGE_SCOPE)).block());
                calls.put("SecretClient", () -> context.getBean(SecretClient.class).getSecret("greeting"));
                calls.put("SecretAsyncClient",
                        () -> context.getBean(SecretAsyncClient.class).getSecret("greeting").block());
                List<Caller> callers = new ArrayList<>();
                calls.forEach((name, call) -> callers.add(new Caller(name, call)));

                // Before the first token request: the file goes right after startup, and the first calls meet it.
                Outage.ABSENT.apply(fake);
                List<Future<?>> loops = new ArrayList<>();
                for (Caller caller : callers) {
                    loops.add(this.threads.submit(caller::run));
                }
                Measurement beforeFirst = outage(callers, fake, health);

                // After the first tokens: the file is emptied; renewals fail and the 2 s tokens run out.
                assertThat(callers).allSatisfy((caller) -> assertThat(caller.lastSucceeded()).isNotNull());
                Outage.EMPTY.apply(fake);
                Measurement afterFirst = outage(callers, fake, health);

                callers.forEach(Caller::stop);
                for (Future<?> loop : loops) {
                    loop.get(30, TimeUnit.SECONDS);
                }
                System.out.printf("FAULT token-file-outage: %d paths, %d calls, %d failed during the outages, "
                        + "recovery after the file came back: absent before the first token %s, empty after it %s; "
                        + "%d token requests%n", callers.size(),
                        callers.stream().mapToInt(Caller::calls).sum(),
                        callers.stream().mapToInt(Caller::failures).sum(), beforeFirst, afterFirst,
                        entra().tokenRequests().size());
                assertThat(callers).allSatisfy((caller) -> assertThat(caller.unexpected()).as(caller.name).isNull());
            });
    }

    /**
     * Waits until every path has failed, keeps the file away a little longer, brings it back and waits until
     * every path has succeeded again.
     */
    private static Measurement outage(List<Caller> callers, FakeAzure fake, WorkloadIdentityHealthIndicator health)
            throws InterruptedException {
        Instant started = Instant.now();
        await().atMost(Duration.ofSeconds(15))
            .untilAsserted(() -> assertThat(callers).allSatisfy((caller) -> assertThat(caller.lastFailed())
                .as("%s failed during the outage", caller.name)
                .isAfter(started)));
        Thread.sleep(OUTAGE.toMillis());
        assertThat(health.health().getStatus()).as("health during the outage").isEqualTo(Status.OUT_OF_SERVICE);
        Instant latestRetry = callers.stream()
            .map(Caller::retryAt)
            .filter((retryAt) -> retryAt != null)
            .max(Instant::compareTo)
            .orElse(Instant.now());
        fake.rotateToken();
        Instant back = Instant.now();
        Instant due = (latestRetry.isAfter(back) ? latestRetry : back).plus(RECOVERY_SLACK);
        await().atMost(Duration.ofSeconds(40))
            .untilAsserted(() -> assertThat(callers).allSatisfy((caller) -> assertThat(caller.lastSucceeded())
                .as("%s succeeded after the file came back", caller.name)
                .isAfter(back)));
        Map<String, Long> recovery = new LinkedHashMap<>();
        for (Caller caller : callers) {
            Instant recovered = caller.firstSuccessAfter(back);
            assertThat(recovered).as("%s recovered within the backoff (next attempt due %s)", caller.name, latestRetry)
                .isBefore(due);
            recovery.put(caller.name, Duration.between(back, recovered).toMillis());
        }
        assertThat(health.health().getStatus()).as("health after the outage").isEqualTo(Status.UP);
        return new Measurement(Duration.between(started, back), Duration.between(back, latestRetry), recovery);
    }

    private static FakeEntra entra() {
        return azure.get().entra();
    }

    /** What a pod's token file can turn into for a while. */
    private enum Outage {

        /** Not projected (yet), or the projection is gone. */
        ABSENT {
            @Override
            void apply(FakeAzure fake) throws IOException {
                Files.delete(fake.tokenFile());
            }
        },

        /** Projected empty. */
        EMPTY {
            @Override
            void apply(FakeAzure fake) {
                fake.tokenVolume().write("");
            }
        };

        abstract void apply(FakeAzure fake) throws IOException;

    }

    /** How long the file was away, how far the next attempt was then, and each path's recovery in ms. */
    private record Measurement(Duration outage, Duration nextAttemptIn, Map<String, Long> recoveryMillis) {

        @Override
        public String toString() {
            return "[outage " + this.outage.toMillis() + " ms, next attempt due in "
                    + Math.max(0, this.nextAttemptIn.toMillis()) + " ms, recovered in "
                    + this.recoveryMillis.entrySet()
                        .stream()
                        .map((entry) -> entry.getKey() + " " + entry.getValue() + " ms")
                        .collect(Collectors.joining(", "))
                    + "]";
        }

    }

    /** One way of getting a token or using it, called every 50 ms. */
    private static final class Caller {

        private final String name;

        private final Callable<Object> call;

        private final AtomicBoolean running = new AtomicBoolean(true);

        private final AtomicInteger calls = new AtomicInteger();

        private final AtomicInteger failures = new AtomicInteger();

        private final List<Instant> successes = new CopyOnWriteArrayList<>();

        private final AtomicReference<Instant> lastFailed = new AtomicReference<>(Instant.MIN);

        private final AtomicReference<@Nullable Instant> retryAt = new AtomicReference<>();

        private final AtomicReference<@Nullable Throwable> unexpected = new AtomicReference<>();

        Caller(String name, Callable<Object> call) {
            this.name = name;
            this.call = call;
        }

        Object run() throws InterruptedException {
            while (this.running.get()) {
                try {
                    this.call.call();
                    this.successes.add(Instant.now());
                }
                catch (Exception ex) {
                    this.failures.incrementAndGet();
                    this.lastFailed.set(Instant.now());
                    TokenRequestBackoffException backoff = backoff(ex);
                    if (backoff != null) {
                        this.retryAt.set(backoff.getRetryAt());
                    }
                    else if (!readFailure(ex)) {
                        this.unexpected.compareAndSet(null, ex);
                    }
                }
                this.calls.incrementAndGet();
                Thread.sleep(50);
            }
            return null;
        }

        void stop() {
            this.running.set(false);
        }

        int calls() {
            return this.calls.get();
        }

        int failures() {
            return this.failures.get();
        }

        @Nullable Instant lastSucceeded() {
            return this.successes.isEmpty() ? null : this.successes.get(this.successes.size() - 1);
        }

        Instant lastFailed() {
            return this.lastFailed.get();
        }

        @Nullable Instant retryAt() {
            return this.retryAt.get();
        }

        @Nullable Throwable unexpected() {
            return this.unexpected.get();
        }

        Instant firstSuccessAfter(Instant time) {
            return this.successes.stream().filter((success) -> success.isAfter(time)).findFirst().orElseThrow();
        }

        private static @Nullable TokenRequestBackoffException backoff(Throwable failure) {
            for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
                if (cause instanceof TokenRequestBackoffException backoff) {
                    return backoff;
                }
            }
            return null;
        }

        /**
         * The failure of a request while the file is away: Azure Identity "Failed to read federated token from
         * file" (absent), or MSAL refusing the empty assertion ({@code NullPointerException: assertion}).
         */
        private static boolean readFailure(Throwable failure) {
            for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
                String message = String.valueOf(cause.getMessage());
                if (message.startsWith("Failed to read federated token from file")
                        || (cause instanceof NullPointerException && message.equals("assertion"))) {
                    return true;
                }
            }
            return false;
        }

    }

}
