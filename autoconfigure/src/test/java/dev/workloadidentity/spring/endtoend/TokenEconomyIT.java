package dev.workloadidentity.spring.endtoend;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.messaging.servicebus.ServiceBusMessage;
import com.azure.messaging.servicebus.ServiceBusSenderClient;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.storage.blob.BlobServiceClient;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityCredentialBuilderCustomizer;
import dev.workloadidentity.spring.health.WorkloadIdentityHealthIndicator;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault;
import dev.workloadidentity.spring.testsupport.token.AccessTokenValidator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How many tokens the application asks Entra for, counted by the fake Entra: one per identity and resource per
 * token lifetime, renewed before the old one expires, and served on while Entra is down. Short token lifetimes
 * from the fake make rollovers happen within the test.
 */
@ExtendWith(OutputCaptureExtension.class)
class TokenEconomyIT {

    private static final String VAULT = "https://vault.azure.net";

    private static final String VAULT_SCOPE = VAULT + "/.default";

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(
            FakeAzure.builder().serviceAccount("shop", "orders-api").keyVault().blobStorage().serviceBus());

    private final ExecutorService callers = Executors.newFixedThreadPool(32);

    private Instant started;

    @BeforeEach
    void secret() {
        azure.get().keyVault().setSecret("greeting", "hello");
        this.started = Instant.now();
    }

    @AfterEach
    void nothingSecretInTheOutput(CapturedOutput output) {
        NothingSecretShown.in(output);
    }

    @AfterEach
    void reset() {
        this.callers.shutdownNow();
        entra().accessTokenLifetime(FakeEntra.DEFAULT_ACCESS_TOKEN_LIFETIME)
            .clockSkewAllowance(Duration.ZERO)
            .stopFailingTokenRequests();
        entra().clearTokenRequests();
    }

    @Test
    void concurrentColdCallsFromEveryClientCostOneTokenPerResource() {
        ClientsOnFakeAzure.runner(azure.get())
            // The first token requests of a cold JVM can take longer than the 3 s default on a busy machine.
            .withPropertyValues("workload-identity.health.scope=" + VAULT_SCOPE, "workload-identity.health.timeout=30s")
            .run((context) -> {
                List<Callable<Object>> calls = List.of(() -> secret(context),
                        () -> context.getBean(BlobServiceClient.class).getBlobContainerClient("orders").exists(),
                        () -> {
                            context.getBean(ServiceBusSenderClient.class).sendMessage(new ServiceBusMessage("order"));
                            return null;
                        }, () -> context.getBean(WorkloadIdentityHealthIndicator.class).health().getStatus(),
                        // Application code asking without CAE shares the token the CAE-asking clients got.
                        () -> context.getBean(TokenCredential.class)
                            .getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE)));
                CyclicBarrier start = new CyclicBarrier(32);
                List<Future<Object>> results = new ArrayList<>();
                for (int i = 0; i < 32; i++) {
                    Callable<Object> call = calls.get(i % calls.size());
                    results.add(this.callers.submit(() -> {
                        start.await();
                        return call.call();
                    }));
                }
                for (Future<Object> result : results) {
                    assertThat(result.get(30, TimeUnit.SECONDS)).isNotEqualTo(Status.DOWN);
                }
            });
        assertThat(entra().tokenRequests()).allSatisfy((request) -> assertThat(request.succeeded()).isTrue())
            .extracting(TokenRequest::resource)
            .containsExactlyInAnyOrder(VAULT, "https://storage.azure.com", "https://servicebus.azure.net");
    }

    @Test
    void tokensAreRenewedBeforeTheyExpireSoCallersAlwaysGetAValidTokenAcrossRollovers() {
        Duration lifetime = Duration.ofSeconds(3);
        entra().accessTokenLifetime(lifetime).clockSkewAllowance(ShortLivedTokens.CLOCK_SKEW_ALLOWANCE);
        AccessTokenValidator keyVaultCheck = entra().accessTokenValidator(VAULT);
        AtomicInteger served = new AtomicInteger();
        // Callers of the application's credential, which every client uses; Azure SDK clients add a cache of
        // their own that only asks again every 30 s or at expiry, longer than this test's tokens live.
        ClientsOnFakeAzure.runner(azure.get()).run((context) -> {
            TokenCredential credential = context.getBean(TokenCredential.class);
            Instant end = Instant.now().plus(lifetime.multipliedBy(2)).plusMillis(500);
            List<Future<Object>> loops = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                loops.add(this.callers.submit(() -> {
                    while (Instant.now().isBefore(end)) {
                        AccessToken token = credential.getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE));
                        keyVaultCheck.validate(token.getToken());
                        assertThat(Duration.between(Instant.now(), token.getExpiresAt().toInstant()))
                            .as("time left on a served token")
                            .isGreaterThanOrEqualTo(lifetime.dividedBy(20));
                        served.incrementAndGet();
                        Thread.sleep(5);
                    }
                    return null;
                }));
            }
            for (Future<Object> loop : loops) {
                loop.get(30, TimeUnit.SECONDS);
            }
        });
        List<TokenRequest> requests = entra().tokenRequests();
        assertThat(requests).allSatisfy((request) -> assertThat(request.resource()).isEqualTo(VAULT));
        // The first token, then one renewal halfway through each token's life: 5 over 2.2 lifetimes.
        assertThat(served.get()).isGreaterThan(100);
        assertThat(requests).hasSizeBetween(3, 6);
        for (int i = 1; i < requests.size(); i++) {
            Instant previousExpiry = requests.get(i - 1).time().plus(lifetime);
            assertThat(requests.get(i).time()).as("renewal %d before the previous token expired", i)
                .isBefore(previousExpiry);
        }
    }

    @Test
    void currentTokenIsServedWhileEntraIsDownAndRenewedWhenItIsBack() {
        Duration lifetime = Duration.ofSeconds(8);
        entra().accessTokenLifetime(lifetime);
        ClientsOnFakeAzure.runner(azure.get())
            .withPropertyValues("workload-identity.health.scope=" + VAULT_SCOPE)
            .run((context) -> {
                WorkloadIdentityHealthIndicator health = context.getBean(WorkloadIdentityHealthIndicator.class);
                secret(context);
                entra().failTokenRequests(503, "temporarily_unavailable", 50000, "Entra is having a bad minute.");
                AtomicBoolean calling = new AtomicBoolean(true);
                Future<Object> loop = this.callers.submit(() -> {
                    while (calling.get()) {
                        secret(context);
                        Thread.sleep(50);
                    }
                    return null;
                });
                // The renewal, due halfway through the token's life, fails; clients and health carry on.
                Health degraded = await().atMost(Duration.ofSeconds(6))
                    .until(health::health, (probe) -> probe.getDetails().containsKey("warning"));
                assertThat(degraded.getStatus()).isEqualTo(Status.UP);
                assertThat((String) degraded.getDetails().get("warning"))
                    .startsWith("Renewing the access token (the current one is still served): ");
                entra().stopFailingTokenRequests();
                await().atMost(Duration.ofSeconds(5))
                    .until(health::health, (probe) -> !probe.getDetails().containsKey("warning"));
                calling.set(false);
                loop.get(10, TimeUnit.SECONDS);
            });
        assertThat(vaultRequests()).as("every Key Vault call accepted").isNotEmpty().allSatisfy((request) ->
                assertThat(request.status()).isEqualTo(200));
        List<TokenRequest> requests = entra().tokenRequests();
        assertThat(requests).filteredOn(Predicate.not(TokenRequest::succeeded))
            .as("failed renewals, retried with backoff rather than per call")
            .hasSizeBetween(1, 6);
        assertThat(requests).filteredOn(TokenRequest::succeeded).hasSize(2);
    }

    @Test
    void requestsToEntraRunOnTheStartersOwnPlatformThreads() {
        List<Thread> senders = new CopyOnWriteArrayList<>();
        HttpPipelinePolicy recordThread = (call, next) -> {
            senders.add(Thread.currentThread());
            return next.process();
        };
        ClientsOnFakeAzure.runner(azure.get())
            .withBean(WorkloadIdentityCredentialBuilderCustomizer.class,
                    () -> (builder) -> builder.addPolicy(recordThread))
            .run((context) -> {
                secret(context);
                context.getBean(BlobServiceClient.class).getBlobContainerClient("orders").exists();
            });
        assertThat(senders).hasSizeGreaterThanOrEqualTo(2).allSatisfy((thread) -> {
            assertThat(thread.getName()).startsWith("workload-identity-msal-");
            assertThat(thread.isDaemon()).isTrue();
        });
    }

    private static Object secret(ApplicationContext context) {
        return context.getBean(SecretClient.class).getSecret("greeting").getValue();
    }

    /** @return the Key Vault requests of this test that carried a token (the first of each client is a challenge) */
    private List<FakeKeyVault.VaultRequest> vaultRequests() {
        return azure.get()
            .keyVault()
            .requests()
            .stream()
            .filter((request) -> request.hadToken() && !request.time().isBefore(this.started))
            .toList();
    }

    private static FakeEntra entra() {
        return azure.get().entra();
    }

}
