package dev.workloadidentity.spring.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The knobs, as system properties (the Maven profile passes them through): {@code benchmark.calls},
 * {@code benchmark.threads}, {@code benchmark.refresh-period}, {@code benchmark.entra-latency},
 * {@code benchmark.startup-runs}, {@code benchmark.probes}, {@code benchmark.key-vault-rate},
 * {@code benchmark.entra-port}, {@code benchmark.work-directory}, {@code benchmark.rows},
 * {@code benchmark.app-jvm-options}.
 *
 * @param calls calls in row 1, per variant
 * @param threads caller threads (rows 1 and 2) and probe threads (row 3)
 * @param refreshPeriod how long after issue a token is due for refresh (rows 1 and 2): Entra's
 * {@code refresh_in}; the token stays valid {@link #VALID_AFTER_REFRESH} longer
 * @param entraLatency how long the fake Entra takes to answer a token request
 * @param startupRuns measured startups per variant in row 4 (after one warm-up each)
 * @param probes health probes per mode in row 3
 * @param keyVaultRate Key Vault calls per second in row 2
 * @param entraPort the fake Entra's port: 443 (an authority without a port, as Entra's) unless it cannot be bound
 * @param workDirectory where the applications' logs and results go
 * @param rows which rows to run ({@code benchmark.rows}, e.g. {@code 1,2}; default all)
 * @param applicationJvmOptions extra options for the applications' JVMs ({@code benchmark.app-jvm-options},
 * space-separated; default a fixed 512 MB heap, so that heap growth does not add pauses)
 */
record Settings(int calls, int threads, Duration refreshPeriod, Duration entraLatency, int startupRuns, int probes,
        int keyVaultRate, int entraPort, Path workDirectory, Set<Integer> rows, List<String> applicationJvmOptions) {

    /**
     * How long a token stays valid after it is due for refresh: just under the 5 minutes before expiry at which
     * azure-identity and azure-core stop using a token, so that every layer rolls over at the refresh period, as
     * every layer does 5 minutes before the end of a real 1-hour token.
     */
    static final Duration VALID_AFTER_REFRESH = Duration.ofSeconds(290);

    /** azure-core's {@code AccessTokenCache} asks the credential again at most every 30 s. */
    static final Duration MINIMUM_REFRESH_PERIOD = Duration.ofSeconds(30);

    static Settings fromSystemProperties() {
        Settings settings = new Settings(intProperty("benchmark.calls", 10_000), intProperty("benchmark.threads", 32),
                Duration.parse(System.getProperty("benchmark.refresh-period", "PT30S")),
                Duration.parse(System.getProperty("benchmark.entra-latency", "PT0.2S")),
                intProperty("benchmark.startup-runs", 5), intProperty("benchmark.probes", 1_000),
                intProperty("benchmark.key-vault-rate", 100), intProperty("benchmark.entra-port", 443),
                Path.of(System.getProperty("benchmark.work-directory", "benchmarks/target/benchmark-run")),
                Arrays.stream(System.getProperty("benchmark.rows", "1,2,3,4,5").split(","))
                    .map(String::trim)
                    .filter((row) -> !row.isEmpty())
                    .map(Integer::valueOf)
                    .collect(Collectors.toCollection(TreeSet::new)),
                Arrays.stream(System.getProperty("benchmark.app-jvm-options", "-Xms512m -Xmx512m").trim().split("\\s+"))
                    .filter((option) -> !option.isEmpty())
                    .toList());
        if (settings.refreshPeriod.compareTo(MINIMUM_REFRESH_PERIOD) < 0) {
            throw new IllegalArgumentException("benchmark.refresh-period must be at least " + MINIMUM_REFRESH_PERIOD
                    + ": azure-core's token cache does not ask for a new token more often");
        }
        return settings;
    }

    /** @return the access token lifetime the fake Entra gives in rows 1 and 2 */
    Duration tokenLifetime() {
        return this.refreshPeriod.plus(VALID_AFTER_REFRESH);
    }

    private static int intProperty(String name, int defaultValue) {
        return Integer.parseInt(System.getProperty(name, Integer.toString(defaultValue)));
    }

}
