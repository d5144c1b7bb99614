package dev.workloadidentity.spring.endtoend;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.azure.core.util.BinaryData;
import com.azure.security.keyvault.secrets.SecretAsyncClient;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobServiceAsyncClient;
import com.azure.storage.blob.BlobServiceClient;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault suite: Key Vault and Blob clients, synchronous and asynchronous, keep calling across three access-token
 * expiries (tokens live 3 s), and none of their calls fails.
 * <p>
 * Azure SDK clients keep their own copy of the token and ask the credential again only every 30 s, or once their
 * copy has expired by the clock, so they use a token to its very end. Real services allow for clock skew (minutes)
 * and accept a token that expires while the request is on its way; the fakes check {@code exp} strictly, and MSAL
 * counts {@code expires_in} from the second it received the answer, so the client's expiry can be up to a second
 * later than the token's {@code exp}. Measured without an allowance, 25-63 of about 1000 calls in 9 s failed,
 * refused by the vault or by Azurite as expired. The fake Entra therefore grants the small allowance that real
 * services have ({@link ShortLivedTokens#CLOCK_SKEW_ALLOWANCE}).
 */
@ExtendWith(OutputCaptureExtension.class)
class ClientsAcrossTokenExpiryIT {

    private static final Duration ACCESS_TOKEN_LIFETIME = Duration.ofSeconds(3);

    private static final Duration RUN = ACCESS_TOKEN_LIFETIME.multipliedBy(3);


    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(
            FakeAzure.builder().serviceAccount("shop", "orders-api").keyVault().blobStorage());

    @AfterEach
    void nothingSecretInTheOutput(CapturedOutput output) {
        NothingSecretShown.in(output);
    }

    @Test
    void keyVaultAndBlobCallsNeverFailAcrossTokenExpiry() throws Exception {
        FakeAzure fake = azure.get();
        fake.keyVault().setSecret("greeting", "hello");
        FakeEntra entra = fake.entra()
            .accessTokenLifetime(ACCESS_TOKEN_LIFETIME)
            .clockSkewAllowance(ShortLivedTokens.CLOCK_SKEW_ALLOWANCE);
        Instant started = Instant.now();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        Map<String, AtomicInteger> calls = new LinkedHashMap<>();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            ClientsOnFakeAzure.runner(fake).run((context) -> {
                BlobClient blob = context.getBean(BlobServiceClient.class)
                    .createBlobContainerIfNotExists("orders")
                    .getBlobClient("order.txt");
                blob.upload(BinaryData.fromString("order 42"), true);
                Map<String, Callable<Object>> paths = new LinkedHashMap<>();
                paths.put("SecretClient", () -> context.getBean(SecretClient.class).getSecret("greeting"));
                paths.put("SecretAsyncClient",
                        () -> context.getBean(SecretAsyncClient.class).getSecret("greeting").block());
                paths.put("BlobClient", () -> blob.downloadContent());
                paths.put("BlobServiceAsyncClient", () -> context.getBean(BlobServiceAsyncClient.class)
                    .getBlobContainerAsyncClient("orders")
                    .exists()
                    .block());
                Instant end = Instant.now().plus(RUN);
                List<Future<?>> loops = new ArrayList<>();
                paths.forEach((name, path) -> {
                    AtomicInteger count = new AtomicInteger();
                    calls.put(name, count);
                    loops.add(threads.submit(() -> {
                        while (Instant.now().isBefore(end)) {
                            try {
                                path.call();
                            }
                            catch (Exception ex) {
                                failures.add(name + ": " + ex.toString().replaceAll("\\s+", " "));
                            }
                            count.incrementAndGet();
                            Thread.sleep(20);
                        }
                        return null;
                    }));
                });
                for (Future<?> loop : loops) {
                    loop.get(RUN.plusSeconds(30).toSeconds(), TimeUnit.SECONDS);
                }
            });
        }
        finally {
            threads.shutdownNow();
            entra.accessTokenLifetime(FakeEntra.DEFAULT_ACCESS_TOKEN_LIFETIME).clockSkewAllowance(Duration.ZERO);
        }
        List<FakeKeyVault.VaultRequest> refused = fake.keyVault()
            .requests()
            .stream()
            .filter((request) -> request.hadToken() && request.status() == 401 && request.time().isAfter(started))
            .toList();
        List<TokenRequest> tokenRequests = entra.tokenRequests();
        System.out.printf("FAULT clients-across-expiry: %d s with %d s tokens (+%d s clock skew allowed), calls %s, "
                + "%d failed, %d tokens the vault refused, %d token requests%n", RUN.toSeconds(),
                ACCESS_TOKEN_LIFETIME.toSeconds(), ShortLivedTokens.CLOCK_SKEW_ALLOWANCE.toSeconds(), calls,
                failures.size(), refused.size(), tokenRequests.size());
        assertThat(failures).as("failed calls").isEmpty();
        // Key Vault clients answer a refused token by asking for another, which would hide a refusal.
        assertThat(refused).as("tokens the vault refused").isEmpty();
        assertThat(calls.values()).allSatisfy((count) -> assertThat(count.get()).isGreaterThan(50));
        // Renewed halfway through each 3 s life, for each of the two resources.
        assertThat(tokenRequests).allSatisfy((request) -> assertThat(request.succeeded()).isTrue())
            .hasSizeBetween(2 * 3, 2 * 3 * 3);
    }

}
