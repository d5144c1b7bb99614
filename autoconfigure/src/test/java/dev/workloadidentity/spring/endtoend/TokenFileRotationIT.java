package dev.workloadidentity.spring.endtoend;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import dev.workloadidentity.spring.health.WorkloadIdentityHealthIndicator;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.token.Jwt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault suite: the kubelet rotates the projected token continuously (a {@code ..data} symlink swap every
 * 200-300 ms) while many threads ask the application's credential for tokens for three resources and health
 * probes read the file. Access tokens live 2 s, so the credential keeps asking Entra, and so keeps reading the
 * file, throughout. No call fails, Entra never gets a torn or unknown assertion (it would refuse one), and every
 * assertion it gets is one of the latest on disk.
 */
@ExtendWith(OutputCaptureExtension.class)
class TokenFileRotationIT {

    private static final Duration ACCESS_TOKEN_LIFETIME = Duration.ofSeconds(2);

    private static final Duration RUN = Duration.ofSeconds(6);

    /** How long a read assertion may take to reach Entra (file read, TLS, a loaded machine) and still be fresh. */
    private static final Duration READ_TO_ENTRA = Duration.ofSeconds(2);

    private static final Map<String, String> SCOPES = Map.of("https://vault.azure.net/.default",
            "https://vault.azure.net", "https://storage.azure.com/.default", "https://storage.azure.com",
            "https://management.azure.com/.default", "https://management.azure.com");

    private static final int CALLERS = 6;

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(FakeAzure.builder().serviceAccount("shop",
            "orders-api"));

    @AfterEach
    void nothingSecretInTheOutput(CapturedOutput output) {
        NothingSecretShown.in(output);
    }

    @Test
    void continuousRotationNeverFailsACallAndEntraAlwaysGetsARecentWholeToken() throws Exception {
        FakeAzure fake = azure.get();
        FakeEntra entra = fake.entra()
            .accessTokenLifetime(ACCESS_TOKEN_LIFETIME)
            .clockSkewAllowance(ShortLivedTokens.CLOCK_SKEW_ALLOWANCE);
        List<Rotation> rotations = new ArrayList<>();
        rotations.add(new Rotation(Instant.now(), jti(Files.readString(fake.tokenFile()))));
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger probes = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(CALLERS + 2);
        try {
            ClientsOnFakeAzure.runner(fake).run((context) -> {
                TokenCredential credential = context.getBean(TokenCredential.class);
                WorkloadIdentityHealthIndicator health = context.getBean(WorkloadIdentityHealthIndicator.class);
                AtomicBoolean running = new AtomicBoolean(true);
                List<Future<?>> loops = new ArrayList<>();
                loops.add(threads.submit(() -> {
                    while (running.get()) {
                        Thread.sleep(ThreadLocalRandom.current().nextLong(200, 301));
                        String token = fake.issuer().mint(fake.namespace(), fake.serviceAccount());
                        fake.tokenVolume().rotate(token);
                        synchronized (rotations) {
                            rotations.add(new Rotation(Instant.now(), jti(token)));
                        }
                    }
                    return null;
                }));
                for (int i = 0; i < CALLERS; i++) {
                    boolean async = i % 2 == 1;
                    loops.add(threads.submit(() -> {
                        List<String> scopes = new ArrayList<>(SCOPES.keySet());
                        int n = 0;
                        while (running.get()) {
                            String scope = scopes.get(n++ % scopes.size());
                            TokenRequestContext request = new TokenRequestContext().addScopes(scope);
                            try {
                                AccessToken token = async ? credential.getToken(request).block()
                                        : credential.getTokenSync(request);
                                entra.accessTokenValidator(SCOPES.get(scope)).validate(token.getToken());
                            }
                            catch (Exception ex) {
                                failures.add(ex);
                            }
                            calls.incrementAndGet();
                            Thread.sleep(2);
                        }
                        return null;
                    }));
                }
                loops.add(threads.submit(() -> {
                    while (running.get()) {
                        Status status = health.health().getStatus();
                        if (!Status.UP.equals(status)) {
                            failures.add(new AssertionError("health " + status));
                        }
                        probes.incrementAndGet();
                        Thread.sleep(10);
                    }
                    return null;
                }));
                Thread.sleep(RUN.toMillis());
                running.set(false);
                for (Future<?> loop : loops) {
                    loop.get(30, TimeUnit.SECONDS);
                }
            });
        }
        finally {
            threads.shutdownNow();
            entra.accessTokenLifetime(FakeEntra.DEFAULT_ACCESS_TOKEN_LIFETIME).clockSkewAllowance(Duration.ZERO);
        }
        List<TokenRequest> requests = entra.tokenRequests();
        long distinctAssertions = requests.stream().map(TokenRequest::assertionId).distinct().count();
        System.out.printf("FAULT token-file-rotation: %d threads, %d calls, %d failed, %d health probes, "
                + "%d rotations, %d token requests (%d refused), %d distinct assertions%n", CALLERS, calls.get(),
                failures.size(), probes.get(), rotations.size() - 1, requests.size(),
                requests.stream().filter((request) -> !request.succeeded()).count(), distinctAssertions);
        assertThat(failures).as("failed calls and probes").isEmpty();
        assertThat(rotations).as("rotations").hasSizeGreaterThan(10);
        assertThat(requests).as("token requests").hasSizeGreaterThanOrEqualTo(SCOPES.size() * 2);
        assertThat(requests).allSatisfy((request) -> assertThat(request.outcome()).as("Entra's answer")
            .isEqualTo("success"));
        for (TokenRequest request : requests) {
            int used = indexOf(rotations, request.assertionId());
            assertThat(used).as("assertion %s is a token the kubelet wrote", request.assertionId()).isNotNegative();
            assertThat(used).as("assertion sent at %s is at most %s older than the token on disk then",
                    request.time(), READ_TO_ENTRA)
                .isGreaterThanOrEqualTo(current(rotations, request.time().minus(READ_TO_ENTRA)));
        }
        // The file is read for each round of renewals (the three resources renew together, a second apart), not
        // once: every round sends a newer token.
        assertThat(distinctAssertions).isGreaterThanOrEqualTo(requests.size() / SCOPES.size());
    }

    private static String jti(String token) {
        try {
            return Jwt.decode(token).claims().string("jti");
        }
        catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static int indexOf(List<Rotation> rotations, String jti) {
        for (int i = 0; i < rotations.size(); i++) {
            if (rotations.get(i).jti().equals(jti)) {
                return i;
            }
        }
        return -1;
    }

    /** @return the index of the token that was on disk at the time */
    private static int current(List<Rotation> rotations, Instant time) {
        int current = 0;
        for (int i = 0; i < rotations.size(); i++) {
            if (!rotations.get(i).writtenAt().isAfter(time)) {
                current = i;
            }
        }
        return current;
    }

    /** One token the kubelet projected: when it was in place and its {@code jti}. */
    private record Rotation(Instant writtenAt, String jti) {
    }

}
