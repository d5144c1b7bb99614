package dev.workloadidentity.spring.credential;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import dev.workloadidentity.spring.testsupport.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

class SharedTokenCredentialTests {

    private static final String VAULT = "https://vault.azure.net/.default";

    private static final String STORAGE = "https://storage.azure.com/.default";

    private static final String HOME_TENANT = "0e3f5a5c-8a3b-4c1e-9f41-3c1f0a7d2b10";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-03T10:00:00Z"));

    private final RecordingEntra entra = new RecordingEntra(this.clock);

    private final SharedTokenCredential credential = new SharedTokenCredential(this.entra, HOME_TENANT,
            this.clock);

    private final ExecutorService callers = Executors.newFixedThreadPool(16);

    @AfterEach
    void close() {
        this.credential.close();
        this.callers.shutdownNow();
    }

    @Test
    void concurrentColdCallersShareOneRequest() throws Exception {
        this.entra.holdAnswers();
        List<Future<AccessToken>> calls = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            calls.add(this.callers.submit(() -> this.credential.getTokenSync(request(VAULT))));
        }
        this.entra.awaitRequest();
        Thread.sleep(100); // let the other callers arrive while the request is still open
        this.entra.answer();
        for (Future<AccessToken> call : calls) {
            assertThat(call.get(5, TimeUnit.SECONDS).getToken()).isEqualTo("token-1");
        }
        assertThat(this.entra.requests).hasSize(1);
    }

    @Test
    void caeAndNonCaeCallersShareOneTokenRequestedWithCae() {
        AccessToken plain = this.credential.getTokenSync(request(VAULT));
        AccessToken cae = this.credential.getTokenSync(request(VAULT).setCaeEnabled(true));
        assertThat(cae).isSameAs(plain);
        assertThat(this.entra.requests).singleElement().satisfies((sent) -> assertThat(sent.isCaeEnabled()).isTrue());
    }

    @Test
    void eachResourceGetsItsOwnToken() {
        AccessToken vault = this.credential.getTokenSync(request(VAULT));
        AccessToken storage = this.credential.getTokenSync(request(STORAGE));
        assertThat(vault.getToken()).isNotEqualTo(storage.getToken());
        assertThat(this.credential.getTokenSync(request(STORAGE))).isSameAs(storage);
        assertThat(this.entra.requests).hasSize(2);
    }

    @Test
    void requestNamingTheHomeTenantSharesTheTokenOfRequestsNamingNone() {
        // Key Vault clients name the tenant from the vault's challenge; health checks and application code don't.
        AccessToken plain = this.credential.getTokenSync(request(VAULT));
        assertThat(this.credential.getTokenSync(request(VAULT).setTenantId(HOME_TENANT.toUpperCase())))
            .isSameAs(plain);
        assertThat(this.entra.requests).hasSize(1);
    }

    @Test
    void anotherTenantGetsItsOwnToken() {
        this.credential.getTokenSync(request(VAULT));
        this.credential.getTokenSync(request(VAULT).setTenantId("72f988bf-86f1-41af-91ab-2d7cd011db47"));
        assertThat(this.entra.requests).hasSize(2);
    }

    @Test
    void tokenIsRenewedInTheBackgroundFiveMinutesBeforeExpiry() {
        AccessToken first = this.credential.getTokenSync(request(VAULT));
        this.clock.advance(Duration.ofMinutes(54));
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(first);
        assertThat(this.entra.requests).hasSize(1);
        this.clock.advance(Duration.ofMinutes(1));
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(first);
        awaitRequests(2);
        assertThat(this.credential.getTokenSync(request(VAULT)).getToken()).isEqualTo("token-2");
        assertThat(this.entra.requests).hasSize(2);
    }

    @Test
    void callersKeepTheCurrentTokenWhileItsRenewalIsWaitingForEntra() throws Exception {
        AccessToken first = this.credential.getTokenSync(request(VAULT));
        this.clock.advance(Duration.ofMinutes(55));
        this.entra.holdAnswers();
        List<Future<AccessToken>> calls = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            calls.add(this.callers.submit(() -> this.credential.getTokenSync(request(VAULT))));
        }
        for (Future<AccessToken> call : calls) {
            assertThat(call.get(1, TimeUnit.SECONDS)).isSameAs(first);
        }
        assertThat(this.credential.isAcquiring()).isTrue();
        this.entra.answer();
        awaitRequests(2);
        await().untilAsserted(() -> assertThat(this.credential.getTokenSync(request(VAULT))).isNotSameAs(first));
        assertThat(this.entra.requests).hasSize(2);
    }

    @Test
    void renewalStartsOnItsOwnWhenDueAndStopsForResourcesNobodyAsksFor() {
        RecordingEntra realTimeEntra = new RecordingEntra(Clock.systemUTC());
        realTimeEntra.lifetime = Duration.ofMillis(1200);
        try (SharedTokenCredential credential = new SharedTokenCredential(realTimeEntra, HOME_TENANT,
                Clock.systemUTC())) {
            AccessToken first = credential.getTokenSync(request(VAULT));
            // Renewed halfway through its life with nobody asking, because somebody asked for the first token.
            await().atMost(Duration.ofSeconds(3)).until(() -> realTimeEntra.requests.size() == 2);
            await().untilAsserted(() -> assertThat(credential.getTokenSync(request(VAULT))).isNotSameAs(first));
            await().atMost(Duration.ofSeconds(3)).until(() -> realTimeEntra.requests.size() == 3);
            // Nobody asked for the third token: it lapses without a fourth request.
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
                .until(() -> realTimeEntra.requests.size() == 3);
        }
    }

    @Test
    void failedRenewalKeepsServingTheCurrentTokenAndRetriesWithBackoff() {
        AccessToken first = this.credential.getTokenSync(request(VAULT));
        this.entra.failWith(new IllegalStateException("AADSTS50000: Entra is having a bad minute"));
        this.clock.advance(Duration.ofMinutes(55));
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(first);
        awaitRequests(2);
        await().until(() -> this.credential.lastFailure(request(VAULT)) != null);
        assertThat(this.credential.lastFailure(request(VAULT))).hasMessageContaining("AADSTS50000");
        // Within the backoff: still the current token, and no new request.
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(first);
        assertThat(this.entra.requests).hasSize(2);
        this.entra.failWith(null);
        this.clock.advance(SharedTokenCredential.FIRST_RETRY);
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(first);
        awaitRequests(3);
        await().until(() -> this.credential.lastFailure(request(VAULT)) == null);
        assertThat(this.credential.getTokenSync(request(VAULT)).getToken()).isEqualTo("token-3");
    }

    @Test
    void tokenIsNotServedInItsLastMinuteEvenWhileRenewalsFail() {
        this.credential.getTokenSync(request(VAULT));
        this.entra.failWith(new IllegalStateException("AADSTS50000: Entra is having a bad minute"));
        this.clock.advance(Duration.ofMinutes(59));
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> this.credential.getTokenSync(request(VAULT)))
            .withMessageContaining("AADSTS50000");
    }

    @Test
    void refreshTimeInThePastIsIgnoredAsMsalReportsOneWhenEntraSentNone() {
        this.entra.refreshAt = OffsetDateTime.parse("1970-01-01T00:00:00Z");
        AccessToken first = this.credential.getTokenSync(request(VAULT));
        this.clock.advance(Duration.ofMinutes(54));
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(first);
        assertThat(this.entra.requests).hasSize(1);
    }

    @Test
    void refreshTimeEntraAsksForIsHonoured() {
        this.entra.refreshAt = this.clock.instant().plus(Duration.ofMinutes(30)).atOffset(ZoneOffset.UTC);
        this.credential.getTokenSync(request(VAULT));
        this.clock.advance(Duration.ofMinutes(29));
        this.credential.getTokenSync(request(VAULT));
        assertThat(this.entra.requests).hasSize(1);
        this.clock.advance(Duration.ofMinutes(1));
        this.credential.getTokenSync(request(VAULT));
        awaitRequests(2);
    }

    @Test
    void shortLivedTokenIsRenewedHalfwayAndServedForNineTenthsOfItsLife() {
        this.entra.lifetime = Duration.ofSeconds(20);
        this.entra.failWith(new IllegalStateException("AADSTS50000: Entra is having a bad minute"));
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> this.credential.getTokenSync(request(VAULT)));
        this.entra.failWith(null);
        this.clock.advance(SharedTokenCredential.FIRST_RETRY);
        AccessToken first = this.credential.getTokenSync(request(VAULT));
        this.entra.failWith(new IllegalStateException("AADSTS50000: Entra is having a bad minute"));
        this.clock.advance(Duration.ofSeconds(9));
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(first);
        assertThat(this.entra.requests).hasSize(2);
        this.clock.advance(Duration.ofSeconds(1));
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(first);
        awaitRequests(3);
        this.clock.advance(Duration.ofMillis(7999));
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(first);
        this.clock.advance(Duration.ofMillis(1));
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> this.credential.getTokenSync(request(VAULT)));
    }

    @Test
    void claimsChallengeGetsANewTokenThatEveryoneThenShares() {
        AccessToken before = this.credential.getTokenSync(request(VAULT));
        AccessToken challenged = this.credential.getTokenSync(request(VAULT).setClaims("{\"access_token\":{}}"));
        assertThat(challenged).isNotSameAs(before);
        assertThat(this.entra.requests.get(1).getClaims()).isEqualTo("{\"access_token\":{}}");
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(challenged);
    }

    @Test
    void callersGetTheFailureAsTheExplainerPutsItWithTheOriginalAsCause() {
        IllegalStateException original = new IllegalStateException("AADSTS70021: no matching federated identity record");
        List<String> explainedScopes = new ArrayList<>();
        try (SharedTokenCredential explained = new SharedTokenCredential(this.entra, HOME_TENANT, (failure, request) -> {
            explainedScopes.addAll(request.getScopes());
            return new IllegalArgumentException("explained: " + failure.getMessage(), failure);
        }, this.clock)) {
            this.entra.failWith(original);
            assertThatIllegalArgumentException().isThrownBy(() -> explained.getTokenSync(request(VAULT)))
                .withMessage("explained: AADSTS70021: no matching federated identity record")
                .withCause(original);
            assertThat(explainedScopes).containsExactly(VAULT);
            // Later callers, within the backoff, get the explained failure as cause too.
            assertThatExceptionOfType(TokenRequestBackoffException.class)
                .isThrownBy(() -> explained.getTokenSync(request(VAULT)))
                .havingCause()
                .withMessageStartingWith("explained: ");
        }
    }

    @Test
    void anExplainerThatFailsDoesNotCostTheFailure() {
        IllegalStateException original = new IllegalStateException("AADSTS70021: no matching federated identity record");
        try (SharedTokenCredential explained = new SharedTokenCredential(this.entra, HOME_TENANT, (failure, request) -> {
            throw new UnsupportedOperationException("broken explainer");
        }, this.clock)) {
            this.entra.failWith(original);
            assertThatIllegalStateException().isThrownBy(() -> explained.getTokenSync(request(VAULT)))
                .isSameAs(original)
                .satisfies((failure) -> assertThat(failure.getSuppressed()).hasSize(1));
        }
    }

    @Test
    void failureReachesEveryWaiterAndTheFirstCallAfterTheBackoffAsksAgain() throws Exception {
        this.entra.holdAnswers();
        this.entra.failWith(new IllegalStateException("AADSTS70021: no matching federated identity record"));
        Future<AccessToken> first = this.callers.submit(() -> this.credential.getTokenSync(request(VAULT)));
        this.entra.awaitRequest();
        Future<AccessToken> second = this.callers.submit(() -> this.credential.getTokenSync(request(VAULT)));
        Thread.sleep(100);
        this.entra.answer();
        for (Future<AccessToken> call : List.of(first, second)) {
            assertThatExceptionOfType(Exception.class).isThrownBy(() -> call.get(5, TimeUnit.SECONDS))
                .havingRootCause()
                .isInstanceOf(IllegalStateException.class)
                .withMessageContaining("AADSTS70021");
        }
        this.entra.failWith(null);
        // Until the backoff ends, callers get the failure without a new request.
        assertThatExceptionOfType(TokenRequestBackoffException.class)
            .isThrownBy(() -> this.credential.getTokenSync(request(VAULT)))
            .withMessageContaining("the last token request failed with IllegalStateException: AADSTS70021")
            .havingCause()
            .withMessageContaining("AADSTS70021");
        assertThat(this.entra.requests).hasSize(1);
        this.clock.advance(SharedTokenCredential.FIRST_RETRY);
        assertThat(this.credential.getTokenSync(request(VAULT)).getToken()).isEqualTo("token-2");
    }

    @Test
    void backoffDoublesUpToThirtySeconds() {
        assertThat(List.of(1, 2, 3, 4, 5, 6, 7, 100).stream().map(SharedTokenCredential::retryDelay))
            .extracting(Duration::toSeconds)
            .containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L);
    }

    @Test
    void asyncCallersShareTheCache() {
        AccessToken async = this.credential.getToken(request(VAULT)).block(Duration.ofSeconds(5));
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(async);
        assertThat(this.credential.getToken(request(VAULT)).block(Duration.ofSeconds(5))).isSameAs(async);
        assertThat(this.entra.requests).hasSize(1);
    }

    @Test
    void asyncCallAsksOnlyWhenSubscribed() {
        Mono<AccessToken> token = this.credential.getToken(request(VAULT));
        assertThat(this.entra.requests).isEmpty();
        token.block(Duration.ofSeconds(5));
        assertThat(this.entra.requests).hasSize(1);
    }

    @Test
    void asksEntraOnItsOwnDaemonPlatformThreads() {
        this.credential.getTokenSync(request(VAULT));
        Thread thread = this.entra.threads.get(0);
        assertThat(thread.getName()).startsWith("workload-identity-token-");
        assertThat(thread.isDaemon()).isTrue();
        assertThat(thread).isNotSameAs(Thread.currentThread());
    }

    @Test
    void closeStopsItsThreads() throws Exception {
        this.credential.getTokenSync(request(VAULT));
        Thread thread = this.entra.threads.get(0);
        this.credential.close();
        thread.join(5000);
        assertThat(thread.isAlive()).isFalse();
    }

    @Test
    void callersOfAClosedCredentialFailInsteadOfWaitingForever() {
        this.credential.close();
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> this.credential.getTokenSync(request(VAULT)))
            .withMessage("The workload identity credential is closed");
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> this.credential.getTokenSync(request(VAULT)));
    }

    @Test
    void callerWaitingForARequestInFlightWhenTheCredentialClosesIsToldItClosed() throws Exception {
        CountDownLatch requested = new CountDownLatch(1);
        // Fails when interrupted, as Azure Identity does ("RuntimeException: java.lang.InterruptedException").
        TokenCredential interruptible = new TokenCredential() {

            @Override
            public Mono<AccessToken> getToken(TokenRequestContext request) {
                return Mono.fromCallable(() -> getTokenSync(request));
            }

            @Override
            public AccessToken getTokenSync(TokenRequestContext request) {
                requested.countDown();
                try {
                    Thread.sleep(Duration.ofMinutes(1).toMillis());
                    throw new IllegalStateException("Not interrupted");
                }
                catch (InterruptedException ex) {
                    throw new RuntimeException(ex);
                }
            }

        };
        SharedTokenCredential closing = new SharedTokenCredential(interruptible, HOME_TENANT, this.clock);
        Future<AccessToken> waiting = this.callers.submit(() -> closing.getTokenSync(request(VAULT)));
        assertThat(requested.await(5, TimeUnit.SECONDS)).isTrue();
        closing.close();
        assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> waiting.get(5, TimeUnit.SECONDS))
            .havingCause()
            .isInstanceOf(IllegalStateException.class)
            .withMessage("The workload identity credential is closed")
            .withRootCauseInstanceOf(InterruptedException.class);
        // No backoff after a closed credential's interrupted request: later callers are told it is closed too.
        assertThatExceptionOfType(IllegalStateException.class)
            .isThrownBy(() -> closing.getToken(request(VAULT)).block())
            .withMessage("The workload identity credential is closed");
    }

    private void awaitRequests(int count) {
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(this.entra.requests).hasSize(count));
    }

    private static TokenRequestContext request(String scope) {
        return new TokenRequestContext().addScopes(scope);
    }

    /** Plays Entra for the delegate: numbered one-hour tokens, optionally held until the test answers. */
    private static final class RecordingEntra implements TokenCredential {

        final List<TokenRequestContext> requests = new CopyOnWriteArrayList<>();

        final List<Thread> threads = new CopyOnWriteArrayList<>();

        private final Clock clock;

        private final CountDownLatch requested = new CountDownLatch(1);

        private final AtomicReference<RuntimeException> failure = new AtomicReference<>();

        private volatile CountDownLatch answer = new CountDownLatch(0);

        volatile Duration lifetime = Duration.ofHours(1);

        volatile OffsetDateTime refreshAt;

        RecordingEntra(Clock clock) {
            this.clock = clock;
        }

        void holdAnswers() {
            this.answer = new CountDownLatch(1);
        }

        void answer() {
            this.answer.countDown();
        }

        void failWith(RuntimeException failure) {
            this.failure.set(failure);
        }

        void awaitRequest() throws InterruptedException {
            assertThat(this.requested.await(5, TimeUnit.SECONDS)).isTrue();
        }

        @Override
        public Mono<AccessToken> getToken(TokenRequestContext request) {
            return Mono.fromCallable(() -> getTokenSync(request));
        }

        @Override
        public AccessToken getTokenSync(TokenRequestContext request) {
            this.requests.add(request);
            this.threads.add(Thread.currentThread());
            this.requested.countDown();
            try {
                this.answer.await(5, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            RuntimeException failure = this.failure.get();
            if (failure != null) {
                throw failure;
            }
            OffsetDateTime expiresAt = this.clock.instant().plus(this.lifetime).atOffset(ZoneOffset.UTC);
            return new AccessToken("token-" + this.requests.size(), expiresAt, this.refreshAt);
        }

    }

}
