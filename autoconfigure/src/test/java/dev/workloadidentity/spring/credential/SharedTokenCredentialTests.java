package dev.workloadidentity.spring.credential;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
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
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class SharedTokenCredentialTests {

    private static final String VAULT = "https://vault.azure.net/.default";

    private static final String STORAGE = "https://storage.azure.com/.default";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-03T10:00:00Z"));

    private final RecordingEntra entra = new RecordingEntra(this.clock);

    private final SharedTokenCredential credential = new SharedTokenCredential(this.entra, this.clock);

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
    void anotherTenantGetsItsOwnToken() {
        this.credential.getTokenSync(request(VAULT));
        this.credential.getTokenSync(request(VAULT).setTenantId("72f988bf-86f1-41af-91ab-2d7cd011db47"));
        assertThat(this.entra.requests).hasSize(2);
    }

    @Test
    void tokenIsServedUntilFiveMinutesBeforeExpiryThenRenewed() {
        AccessToken first = this.credential.getTokenSync(request(VAULT));
        this.clock.advance(Duration.ofMinutes(54));
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(first);
        this.clock.advance(Duration.ofMinutes(1));
        assertThat(this.credential.getTokenSync(request(VAULT)).getToken()).isEqualTo("token-2");
        assertThat(this.entra.requests).hasSize(2);
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
        AccessToken first = this.credential.getTokenSync(request(VAULT));
        this.clock.advance(Duration.ofMinutes(29));
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(first);
        this.clock.advance(Duration.ofMinutes(1));
        assertThat(this.credential.getTokenSync(request(VAULT))).isNotSameAs(first);
        assertThat(this.entra.requests).hasSize(2);
    }

    @Test
    void shortLivedTokenIsServedForHalfItsLife() {
        this.entra.lifetime = Duration.ofSeconds(20);
        AccessToken first = this.credential.getTokenSync(request(VAULT));
        this.clock.advance(Duration.ofSeconds(9));
        assertThat(this.credential.getTokenSync(request(VAULT))).isSameAs(first);
        this.clock.advance(Duration.ofSeconds(1));
        assertThat(this.credential.getTokenSync(request(VAULT))).isNotSameAs(first);
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
    void failureReachesEveryWaiterAndTheNextCallAsksAgain() throws Exception {
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
        assertThat(this.credential.getTokenSync(request(VAULT)).getToken()).isEqualTo("token-2");
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

    private static TokenRequestContext request(String scope) {
        return new TokenRequestContext().addScopes(scope);
    }

    /** Plays Entra for the delegate: numbered one-hour tokens, optionally held until the test answers. */
    private static final class RecordingEntra implements TokenCredential {

        final List<TokenRequestContext> requests = new CopyOnWriteArrayList<>();

        final List<Thread> threads = new CopyOnWriteArrayList<>();

        private final MutableClock clock;

        private final CountDownLatch requested = new CountDownLatch(1);

        private final AtomicReference<RuntimeException> failure = new AtomicReference<>();

        private volatile CountDownLatch answer = new CountDownLatch(0);

        volatile Duration lifetime = Duration.ofHours(1);

        volatile OffsetDateTime refreshAt;

        RecordingEntra(MutableClock clock) {
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
