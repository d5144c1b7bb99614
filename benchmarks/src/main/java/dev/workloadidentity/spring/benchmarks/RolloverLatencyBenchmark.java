package dev.workloadidentity.spring.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault;

/**
 * Row 2: Key Vault {@code getSecret} latency at a fixed rate, in a window without a token refresh and in one
 * around it, with the starter and with Spring Cloud Azure's default credential. The two applications run one
 * after the other.
 */
final class RolloverLatencyBenchmark {

    private static final List<Variant> VARIANTS = List.of(Variant.STARTER, Variant.SPRING_CLOUD_AZURE_DEFAULT);

    /** Length of each window. */
    private static final Duration WINDOW = Duration.ofSeconds(8);

    /** How far the refresh window reaches before the moment the first token is due for refresh. */
    private static final Duration BEFORE_REFRESH = Duration.ofSeconds(4);

    /** How long the application makes calls before the measured ones, at a higher rate. */
    private static final Duration WARM_UP = Duration.ofSeconds(10);

    private static final int WARM_UP_RATE = 300;

    private static final Duration MARGIN = Duration.ofSeconds(2);

    private final Run run;

    RolloverLatencyBenchmark(Run run) {
        this.run = run;
    }

    void addTo(Table table) throws InterruptedException {
        Settings settings = this.run.settings();
        this.run.world().entra().accessTokenLifetime(settings.tokenLifetime()).refreshIn(settings.refreshPeriod());
        // Warm-up calls first (they fetch the first token), then the measured calls until the refresh window ends.
        Duration spread = settings.refreshPeriod().plus(WINDOW).plus(MARGIN).minus(WARM_UP);
        int calls = (int) (settings.keyVaultRate() * spread.toSeconds());
        int warmUpCalls = (int) (WARM_UP_RATE * WARM_UP.toSeconds());
        Map<Variant, Measured> measured = new EnumMap<>(Variant.class);
        for (Variant variant : VARIANTS) {
            String identity = this.run.world().newIdentity();
            String name = "2-latency-" + variant.id();
            try (FakeKeyVault vault = this.run.world().newKeyVault()) {
                Map<String, String> properties = this.run.properties(vault, name, "key-vault-latency");
                properties.put("benchmark.calls", Integer.toString(calls));
                properties.put("benchmark.spread", spread.toString());
                properties.put("benchmark.warm-up-calls", Integer.toString(warmUpCalls));
                properties.put("benchmark.warm-up-spread", WARM_UP.toString());
                AppResults results = this.run.applications()
                    .start(name, variant, this.run.world().podEnvironment(identity), properties)
                    .await(spread.plus(Duration.ofMinutes(2)));
                measured.put(variant, measure(results, this.run.world().tokenRequests(identity), settings));
            }
        }
        Measured starter = measured.get(Variant.STARTER);
        Measured scaDefault = measured.get(Variant.SPRING_CLOUD_AZURE_DEFAULT);
        int note = table.note("Row 2: Key Vault `SecretClient.getSecret` due at " + settings.keyVaultRate()
                + " calls/s, after " + Format.human(WARM_UP) + " of warm-up calls at " + WARM_UP_RATE
                + "/s that fetch the first token (open loop: latency counts from when a call was due, so calls queued behind a stalled "
                + "one count too) by " + settings.threads() + " threads, each application alone. The fake Entra takes "
                + Format.human(settings.entraLatency()) + " per token request. Windows of " + Format.human(WINDOW)
                + " (" + starter.steadyWindow().latencies().count() + " and " + starter.refreshWindow().latencies()
                    .count() + " calls with the starter): \"steady\" ends "
                + Format.human(BEFORE_REFRESH) + " before the first token is due for refresh (at "
                + Format.human(settings.refreshPeriod()) + "), \"refresh\" starts there. Token requests after the "
                + "first, relative to it: starter " + starter.refreshes() + ", default " + scaDefault.refreshes()
                + ". azure-core's `AccessTokenCache` holds a lock while a synchronous client renews its token, so "
                + "every call on that client waits for the renewal.");
        table.row("2a", "Key Vault `getSecret` latency, steady: p50 / p99 / max [" + note + "]", starter.steady(),
                scaDefault.steady(), Table.NOT_APPLICABLE, Table.NOT_APPLICABLE,
                "p99 " + Format.ratio(starter.steadyP99(), scaDefault.steadyP99()));
        table.row("2b", "Key Vault `getSecret` latency, across the token refresh: p50 / p99 / max [" + note + "]",
                starter.refresh(), scaDefault.refresh(), Table.NOT_APPLICABLE, "p99 as in 2a",
                "p99 " + Format.ratio(starter.refreshP99(), scaDefault.refreshP99()));
    }

    private static Measured measure(AppResults results, List<TokenRequest> requests, Settings settings) {
        List<TokenRequest> vault = requests.stream()
            .filter((request) -> "https://vault.azure.net".equals(request.resource()))
            .toList();
        if (vault.isEmpty()) {
            throw new IllegalStateException("No Key Vault token request seen: " + requests);
        }
        Instant first = vault.get(0).time();
        Instant refreshDue = first.plus(settings.refreshPeriod());
        Instant refreshStart = refreshDue.minus(BEFORE_REFRESH);
        Instant steadyStart = refreshStart.minus(WINDOW);
        Window steady = window(results, steadyStart, refreshStart);
        Window refresh = window(results, refreshStart, refreshStart.plus(WINDOW));
        String refreshes = vault.stream()
            .skip(1)
            .map((request) -> "+" + Format.seconds(Duration.between(first, request.time())))
            .collect(Collectors.joining(", "));
        return new Measured(steady, refresh, refreshes.isEmpty() ? "none" : refreshes);
    }

    private static Window window(AppResults results, Instant from, Instant to) {
        List<AppResults.Call> calls = results.calls()
            .stream()
            .filter((call) -> "getSecret".equals(call.op()) && !call.due().isBefore(from) && call.due().isBefore(to))
            .toList();
        long failed = calls.stream().filter((call) -> !call.ok()).count();
        Latencies latencies = Latencies.of(calls.stream().map(AppResults.Call::latencyMicros).toList());
        return new Window(latencies, failed);
    }

    private record Window(Latencies latencies, long failed) {

        String cell() {
            if (this.latencies.count() == 0) {
                return "no calls";
            }
            return this.latencies.p50p99max() + ((this.failed > 0) ? " (" + this.failed + " failed)" : "");
        }

    }

    private record Measured(Window steadyWindow, Window refreshWindow, String refreshes) {

        String steady() {
            return this.steadyWindow.cell();
        }

        String refresh() {
            return this.refreshWindow.cell();
        }

        long steadyP99() {
            return this.steadyWindow.latencies().percentile(99);
        }

        long refreshP99() {
            return this.refreshWindow.latencies().percentile(99);
        }

    }

}
