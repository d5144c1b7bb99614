package dev.workloadidentity.spring.benchmarks.app;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.util.BinaryData;
import com.azure.messaging.servicebus.ServiceBusMessage;
import com.azure.messaging.servicebus.ServiceBusSenderClient;
import com.azure.security.keyvault.secrets.SecretAsyncClient;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceAsyncClient;
import com.azure.storage.blob.BlobServiceClient;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

/**
 * The workloads, each using the clients and beans Spring Cloud Azure and the actuator registered, as application
 * code would.
 */
final class Workloads {

    /** Spring Cloud Azure's name for the credential its clients use when they have none of their own. */
    static final String DEFAULT_CREDENTIAL = "springCloudAzureDefaultCredential";

    static final String HEALTH_CONTRIBUTOR = "workloadIdentity";

    private static final String VAULT_SCOPE = "https://vault.azure.net/.default";

    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(90);

    private Workloads() {
    }

    static void run(String workload, ConfigurableApplicationContext context, ResultWriter results)
            throws Exception {
        Environment environment = context.getEnvironment();
        switch (workload) {
            case "calls" -> calls(context, environment, results);
            case "key-vault-latency" -> keyVaultLatency(context, environment, results);
            case "health-probes" -> healthProbes(context, environment, results);
            case "first-token" -> firstToken(context, environment, results);
            case "misconfigured" -> misconfigured(context, environment, results);
            default -> throw new IllegalArgumentException("Unknown benchmark.workload " + workload);
        }
    }

    static String defaultCredentialType(ConfigurableApplicationContext context) {
        return context.containsBean(DEFAULT_CREDENTIAL)
                ? context.getBean(DEFAULT_CREDENTIAL).getClass().getSimpleName() : "none";
    }

    /**
     * Calls spread over every client: Key Vault and Blob through their synchronous and asynchronous clients, Service
     * Bus through its sender. First creates the container and blob it reads.
     */
    private static void calls(ConfigurableApplicationContext context, Environment environment, ResultWriter results)
            throws InterruptedException {
        SecretClient secrets = context.getBean(SecretClient.class);
        SecretAsyncClient asyncSecrets = context.getBean(SecretAsyncClient.class);
        BlobServiceClient blobs = context.getBean(BlobServiceClient.class);
        BlobServiceAsyncClient asyncBlobs = context.getBean(BlobServiceAsyncClient.class);
        ServiceBusSenderClient sender = context.getBean(ServiceBusSenderClient.class);
        String secret = environment.getRequiredProperty("benchmark.secret-name");
        String container = environment.getRequiredProperty("benchmark.container-name");
        String blob = "benchmark.txt";
        results.put("setupStartedEpochMillis", System.currentTimeMillis());
        BlobContainerClient containerClient = blobs.getBlobContainerClient(container);
        containerClient.createIfNotExists();
        containerClient.getBlobClient(blob).upload(BinaryData.fromString("read by the benchmark"), true);
        List<PacedCalls.Op> ops = List.of(new PacedCalls.Op("keyvault-sync", () -> secrets.getSecret(secret)),
                new PacedCalls.Op("keyvault-async", () -> asyncSecrets.getSecret(secret).block()),
                new PacedCalls.Op("blob-sync",
                        () -> containerClient.getBlobClient(blob).downloadContent()),
                new PacedCalls.Op("blob-async",
                        () -> asyncBlobs.getBlobContainerAsyncClient(container)
                            .getBlobAsyncClient(blob)
                            .downloadContent()
                            .block()),
                new PacedCalls.Op("servicebus-send", () -> sender.sendMessage(new ServiceBusMessage("benchmark"))));
        PacedCalls paced = paced(environment, ops);
        List<TimedCall> calls = paced.run();
        paced.writeSummaryTo(results, "calls.");
        results.put("calls.done", calls.size());
        results.put("calls.ok", calls.stream().filter(TimedCall::ok).count());
    }

    /** Key Vault {@code getSecret} at a fixed rate; the driver makes the token expire during the run. */
    private static void keyVaultLatency(ConfigurableApplicationContext context, Environment environment,
            ResultWriter results) throws InterruptedException {
        SecretClient secrets = context.getBean(SecretClient.class);
        String secret = environment.getRequiredProperty("benchmark.secret-name");
        int warmUpCalls = environment.getProperty("benchmark.warm-up-calls", Integer.class, 0);
        if (warmUpCalls > 0) {
            // Compiles the hot paths faster than the measured rate would, so the steady window is steady.
            PacedCalls warmUp = new PacedCalls(List.of(new PacedCalls.Op("warm-up", () -> secrets.getSecret(secret))),
                    warmUpCalls, Duration.parse(environment.getRequiredProperty("benchmark.warm-up-spread")),
                    environment.getRequiredProperty("benchmark.threads", Integer.class));
            warmUp.run();
            warmUp.writeSummaryTo(results, "warmUp.");
        }
        PacedCalls paced = paced(environment, List.of(new PacedCalls.Op("getSecret", () -> secrets.getSecret(secret))));
        List<TimedCall> calls = paced.run();
        paced.writeSummaryTo(results, "calls.");
        results.addCalls(calls);
    }

    private static PacedCalls paced(Environment environment, List<PacedCalls.Op> ops) {
        return new PacedCalls(ops, environment.getRequiredProperty("benchmark.calls", Integer.class),
                Duration.parse(environment.getRequiredProperty("benchmark.spread")),
                environment.getRequiredProperty("benchmark.threads", Integer.class));
    }

    /** The starter's health contributor, looked up by name as the actuator does: sequential, then concurrent. */
    private static void healthProbes(ConfigurableApplicationContext context, Environment environment,
            ResultWriter results) throws Exception {
        HealthIndicator indicator = healthIndicator(context);
        if (indicator == null) {
            results.put("health.missing", true);
            return;
        }
        int probes = environment.getRequiredProperty("benchmark.probes", Integer.class);
        int threads = environment.getRequiredProperty("benchmark.threads", Integer.class);
        Health warmUp = indicator.health(true);
        results.put("health.warmUpStatus", warmUp.getStatus());
        results.put("health.warmedUpEpochMillis", System.currentTimeMillis());
        List<TimedCall> calls = new ArrayList<>();
        AtomicInteger notUp = new AtomicInteger();
        for (int i = 0; i < probes; i++) {
            calls.add(probe(indicator, "sequential", notUp));
        }
        List<TimedCall> concurrent = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    go.await();
                }
                catch (InterruptedException ex) {
                    return;
                }
                while (next.getAndIncrement() < probes) {
                    concurrent.add(probe(indicator, "concurrent", notUp));
                }
            }, "benchmark-probe-" + t);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
        go.countDown();
        for (Thread worker : workers) {
            worker.join(STEP_TIMEOUT.toMillis());
        }
        calls.addAll(concurrent);
        results.put("health.notUp", notUp.get());
        results.put("health.endedEpochMillis", System.currentTimeMillis());
        results.addCalls(calls);
    }

    private static TimedCall probe(HealthIndicator indicator, String op, AtomicInteger notUp) {
        long startedEpochMicros = System.currentTimeMillis() * 1_000;
        long started = System.nanoTime();
        Health health = indicator.health(true);
        long latencyMicros = (System.nanoTime() - started) / 1_000;
        boolean up = "UP".equals(health.getStatus().getCode());
        if (!up) {
            notUp.incrementAndGet();
        }
        return new TimedCall(op, startedEpochMicros, latencyMicros, up);
    }

    private static @Nullable HealthIndicator healthIndicator(ConfigurableApplicationContext context) {
        HealthContributorRegistry registry = context.getBean(HealthContributorRegistry.class);
        HealthContributor contributor = registry.getContributor(HEALTH_CONTRIBUTOR);
        return (contributor instanceof HealthIndicator indicator) ? indicator : null;
    }

    /** The first Key Vault call after startup: the first token the application gets. */
    private static void firstToken(ConfigurableApplicationContext context, Environment environment,
            ResultWriter results) {
        SecretClient secrets = context.getBean(SecretClient.class);
        long started = System.nanoTime();
        secrets.getSecret(environment.getRequiredProperty("benchmark.secret-name"));
        results.put("firstCall.micros", (System.nanoTime() - started) / 1_000);
        results.put("firstCall.endedEpochMillis", System.currentTimeMillis());
    }

    /**
     * An identity Entra refuses: how long until the application says so, through the health contributor (when the
     * starter is there), the default credential and a Key Vault call.
     */
    private static void misconfigured(ConfigurableApplicationContext context, Environment environment,
            ResultWriter results) {
        HealthIndicator indicator = healthIndicator(context);
        if (indicator != null) {
            step(results, "health", () -> {
                Health health = indicator.health(true);
                Object code = health.getDetails().get("code");
                return health.getStatus() + " " + code;
            });
        }
        TokenCredential credential = context.getBean(DEFAULT_CREDENTIAL, TokenCredential.class);
        step(results, "credential", () -> {
            credential.getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE));
            return "token";
        });
        SecretClient secrets = context.getBean(SecretClient.class);
        step(results, "keyvault", () -> {
            secrets.getSecret(environment.getRequiredProperty("benchmark.secret-name"));
            return "secret";
        });
    }

    /** Runs one step on its own thread, bounded, and records its outcome, duration and end. */
    private static void step(ResultWriter results, String name, Supplier<String> step) {
        long started = System.nanoTime();
        String outcome;
        CompletableFuture<String> future = CompletableFuture.supplyAsync(step, (task) -> {
            Thread thread = new Thread(task, "benchmark-step-" + name);
            thread.setDaemon(true);
            thread.start();
        });
        try {
            outcome = "returned " + future.get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (ExecutionException ex) {
            outcome = "threw " + Failures.describe(ex.getCause());
        }
        catch (TimeoutException ex) {
            outcome = "no answer within " + STEP_TIMEOUT.toSeconds() + " s";
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            outcome = "interrupted";
        }
        results.put(name + ".micros", (System.nanoTime() - started) / 1_000);
        results.put(name + ".endedEpochMillis", System.currentTimeMillis());
        results.put(name + ".outcome", outcome);
    }

}
