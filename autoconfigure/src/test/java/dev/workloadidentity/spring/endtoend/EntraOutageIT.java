package dev.workloadidentity.spring.endtoend;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

import com.azure.security.keyvault.secrets.SecretClient;
import dev.workloadidentity.spring.health.WorkloadIdentityHealthIndicator;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import dev.workloadidentity.spring.testsupport.http.FaultyRoute;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Entra having a bad minute, in each way it does: the application reaches the fake Entra through a route that
 * refuses, black-holes or delays connections, or Entra answers 500, 503 or 429 (with and without
 * {@code Retry-After}). Clients keep working on the current token while it lasts, health says what is wrong within
 * its timeout, the number of requests stays bounded, and everything recovers on its own once Entra is back.
 */
@ExtendWith(OutputCaptureExtension.class)
class EntraOutageIT {

    private static final String VAULT_SCOPE = "https://vault.azure.net/.default";

    /** Above the 1 s MSAL waits before it retries a 5xx once. */
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(3);

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(
            FakeAzure.builder().serviceAccount("shop", "orders-api").keyVault().serviceBus());

    private final ExecutorService callers = Executors.newFixedThreadPool(4);

    private FaultyRoute route;

    /** What Entra, or the way to it, does wrong. */
    enum Fault {

        REFUSED("connection-refused", (route, entra) -> route.refuse()),

        BLACK_HOLE("timeout", (route, entra) -> route.blackHole()),

        SLOW("timeout", (route, entra) -> route.delay(Duration.ofSeconds(20))),

        HTTP_500("AADSTS50000", (route, entra) -> entra.failTokenRequests(500, "server_error", 50000,
                "There was an error issuing a token.")),

        HTTP_503("AADSTS50000", (route, entra) -> entra.failTokenRequests(503, "temporarily_unavailable", 50000,
                "The service is temporarily unavailable.")),

        HTTP_429("AADSTS50196", (route, entra) -> entra.failTokenRequests(429, "temporarily_unavailable", 50196,
                "The server terminated an operation because it encountered a client request loop.")),

        HTTP_429_RETRY_AFTER("AADSTS50196", (route, entra) -> entra.failTokenRequests(429,
                "temporarily_unavailable", 50196, "Too many requests.", Duration.ofSeconds(3)));

        final String healthCode;

        private final BiConsumer<FaultyRoute, FakeEntra> start;

        Fault(String healthCode, BiConsumer<FaultyRoute, FakeEntra> start) {
            this.healthCode = healthCode;
            this.start = start;
        }

        void start(FaultyRoute route, FakeEntra entra) {
            this.start.accept(route, entra);
        }

    }

    @BeforeEach
    void routeToEntra() {
        this.route = FaultyRoute.to(entra().port());
        azure.get().keyVault().setSecret("greeting", "hello");
    }

    @AfterEach
    void nothingSecretInTheOutput(CapturedOutput output) {
        NothingSecretShown.in(output);
    }

    @AfterEach
    void closeRoute() {
        this.callers.shutdownNow();
        this.route.close();
        entra().stopFailingTokenRequests().accessTokenLifetime(FakeEntra.DEFAULT_ACCESS_TOKEN_LIFETIME);
        entra().clearTokenRequests();
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void startingDuringAnOutageHealthSaysWhyInTimeAndRecoversWithoutARestart(Fault fault) throws Exception {
        fault.start(this.route, entra());
        runner().run((context) -> {
            WorkloadIdentityHealthIndicator indicator = context.getBean(WorkloadIdentityHealthIndicator.class);
            long start = System.nanoTime();
            Health down = indicator.health();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(down.getStatus()).isEqualTo(Status.DOWN);
            assertThat(down.getDetails()).containsEntry("code", fault.healthCode);
            NothingSecretShown.in(down.toString());
            assertThat(took).isLessThan(HEALTH_TIMEOUT.plusSeconds(2));
            // Probes during the outage: still DOWN with the cause, no request storm, no pile-up of threads.
            long threads = workloadIdentityThreads();
            Instant outageEnd = Instant.now().plusSeconds(3);
            int probes = 0;
            while (Instant.now().isBefore(outageEnd)) {
                assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN);
                probes++;
                Thread.sleep(10);
            }
            int attempts = attemptsSeen();
            assertThat(workloadIdentityThreads()).as("at most the credential's two pools of 4 threads")
                .isLessThanOrEqualTo(threads + 8);
            endOutage();
            Instant mended = Instant.now();
            await().atMost(Duration.ofSeconds(20)).until(() -> indicator.health().getStatus().equals(Status.UP));
            Duration recovery = Duration.between(mended, Instant.now());
            assertThat(attempts).as("requests to Entra during %s probes of a ~4 s outage", probes)
                .isLessThanOrEqualTo(8);
            System.out.printf("FAULT entra-%s cold: health %s in %d ms, %d probes caused %d attempts, "
                    + "UP %d ms after recovery%n", fault.name().toLowerCase(), fault.healthCode, took.toMillis(), probes,
                    attempts, recovery.toMillis());
        });
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = { "REFUSED", "BLACK_HOLE", "HTTP_503", "HTTP_429_RETRY_AFTER" })
    void outageDuringRenewalClientsKeepTheCurrentTokenAndRenewalResumesAfterwards(Fault fault) throws Exception {
        Duration lifetime = Duration.ofSeconds(6);
        entra().accessTokenLifetime(lifetime);
        runner().run((context) -> {
            WorkloadIdentityHealthIndicator indicator = context.getBean(WorkloadIdentityHealthIndicator.class);
            SecretClient secrets = context.getBean(SecretClient.class);
            secrets.getSecret("greeting");
            Instant firstToken = Instant.now();
            assertThat(indicator.health().getStatus()).isEqualTo(Status.UP);
            fault.start(this.route, entra());
            AtomicBoolean calling = new AtomicBoolean(true);
            AtomicInteger calls = new AtomicInteger();
            Future<?> loop = this.callers.submit(() -> {
                while (calling.get()) {
                    secrets.getSecret("greeting");
                    calls.incrementAndGet();
                    Thread.sleep(50);
                }
                return null;
            });
            // The renewal is due halfway through the token's life; until a tenth of its life before expiry the
            // current token is served, and health stays UP (with a warning once a renewal has failed).
            Instant servedUntil = firstToken.plus(lifetime.multipliedBy(8).dividedBy(10));
            while (Instant.now().isBefore(servedUntil.minusMillis(500))) {
                Health health = indicator.health();
                NothingSecretShown.in(health.toString());
                assertThat(health.getStatus()).isEqualTo(Status.UP);
                Thread.sleep(100);
            }
            int attempts = attemptsSeen();
            endOutage();
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                Health health = indicator.health();
                return health.getStatus().equals(Status.UP) && !health.getDetails().containsKey("warning");
            });
            calling.set(false);
            loop.get(10, TimeUnit.SECONDS);
            assertThat(attempts).as("requests to Entra while renewals failed").isLessThanOrEqualTo(8);
            System.out.printf("FAULT entra-%s during renewal: %d Key Vault calls, 0 failed, %d attempts%n",
                    fault.name().toLowerCase(), calls.get(), attempts);
        });
    }

    private void endOutage() {
        entra().stopFailingTokenRequests();
        this.route.up();
    }

    /** Token requests Entra answered, or connections made through the route (refused ones are not seen at all). */
    private int attemptsSeen() {
        return Math.max(entra().tokenRequests().size(), this.route.connections());
    }

    private static long workloadIdentityThreads() {
        return Thread.getAllStackTraces()
            .keySet()
            .stream()
            .filter((thread) -> thread.getName().startsWith("workload-identity-"))
            .count();
    }

    private ApplicationContextRunner runner() {
        return ClientsOnFakeAzure.runner(azure.get())
            .withPropertyValues("AZURE_AUTHORITY_HOST=" + this.route.httpsUrl(),
                    "workload-identity.health.scope=" + VAULT_SCOPE,
                    "workload-identity.health.timeout=" + HEALTH_TIMEOUT.toMillis() + "ms");
    }

    private static FakeEntra entra() {
        return azure.get().entra();
    }

}
