package dev.workloadidentity.spring.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault;

/**
 * Row 4: application context refresh time and JVM start to first token, with the starter and with Spring Cloud
 * Azure alone. Each run is a fresh JVM, as a pod start is; one warm-up run each (not counted, it warms the disk
 * cache), then the measured runs, alternating which variant goes first.
 */
final class StartupBenchmark {

    private static final List<Variant> VARIANTS = List.of(Variant.STARTER, Variant.SPRING_CLOUD_AZURE_DEFAULT);

    private final Run run;

    StartupBenchmark(Run run) {
        this.run = run;
    }

    void addTo(Table table) throws InterruptedException {
        Settings settings = this.run.settings();
        this.run.world().entra().accessTokenLifetime(FakeEntra.DEFAULT_ACCESS_TOKEN_LIFETIME).refreshIn(null);
        Map<Variant, List<Long>> refreshMicros = new EnumMap<>(Variant.class);
        Map<Variant, List<Long>> firstTokenMicros = new EnumMap<>(Variant.class);
        VARIANTS.forEach((variant) -> {
            refreshMicros.put(variant, new ArrayList<>());
            firstTokenMicros.put(variant, new ArrayList<>());
        });
        try (FakeKeyVault vault = this.run.world().newKeyVault()) {
            for (Variant variant : VARIANTS) {
                start(vault, variant, "warm-up");
            }
            for (int i = 0; i < settings.startupRuns(); i++) {
                List<Variant> order = (i % 2 == 0) ? VARIANTS : List.of(VARIANTS.get(1), VARIANTS.get(0));
                for (Variant variant : order) {
                    Startup startup = start(vault, variant, Integer.toString(i + 1));
                    refreshMicros.get(variant).add(startup.refreshMicros());
                    firstTokenMicros.get(variant).add(startup.firstTokenMicros());
                }
            }
        }
        Latencies starterRefresh = Latencies.of(refreshMicros.get(Variant.STARTER));
        Latencies defaultRefresh = Latencies.of(refreshMicros.get(Variant.SPRING_CLOUD_AZURE_DEFAULT));
        Latencies starterToken = Latencies.of(firstTokenMicros.get(Variant.STARTER));
        Latencies defaultToken = Latencies.of(firstTokenMicros.get(Variant.SPRING_CLOUD_AZURE_DEFAULT));
        int note = table.note("Row 4: " + settings.startupRuns() + " runs per variant, each a fresh JVM with the "
                + "same options and Spring properties, alternating which variant starts first, after one warm-up "
                + "run each; median (min–max). Without the starter, only its jars are left off the classpath. "
                + "\"Context refresh\" is `ApplicationPreparedEvent` to `ContextRefreshedEvent`; neither variant "
                + "asks Entra while starting. \"First token\" runs from JVM start until the fake Entra answered the "
                + "token request of the first Key Vault call, made right after startup (it includes the "
                + Format.human(settings.entraLatency()) + " the fake Entra takes). Ratio: the median of the "
                + "ratios within each pair of runs (run back to back, so a burst of load elsewhere on the machine "
                + "tends to hit both), then the ratio of the medians.");
        table.row("4a", "Application context refresh [" + note + "]", median(starterRefresh), median(defaultRefresh),
                Table.NOT_APPLICABLE, Table.NOT_APPLICABLE,
                ratios(refreshMicros, starterRefresh, defaultRefresh));
        table.row("4b", "JVM start → first token [" + note + "]", median(starterToken), median(defaultToken),
                Table.NOT_APPLICABLE, Table.NOT_APPLICABLE, ratios(firstTokenMicros, starterToken, defaultToken));
    }

    private Startup start(FakeKeyVault vault, Variant variant, String label) throws InterruptedException {
        String identity = this.run.world().newIdentity();
        String name = "4-startup-" + variant.id() + "-" + label;
        AppResults results = this.run.applications()
            .start(name, variant, this.run.world().podEnvironment(identity),
                    this.run.properties(vault, name, "first-token"))
            .await(Duration.ofMinutes(2));
        List<TokenRequest> requests = this.run.world().tokenRequests(identity);
        if (requests.isEmpty()) {
            throw new IllegalStateException(name + " made no token request");
        }
        Instant jvmStarted = results.instant("jvmStartedEpochMillis");
        long firstToken = Duration.between(jvmStarted, requests.get(0).time()).toNanos() / 1_000;
        return new Startup(results.longValue("refreshMicros"), firstToken);
    }

    /** The median of the per-pair ratios, robust to load that changes during the row, and that of the medians. */
    private static String ratios(Map<Variant, List<Long>> runs, Latencies starter, Latencies scaDefault) {
        List<Long> starterRuns = runs.get(Variant.STARTER);
        List<Long> defaultRuns = runs.get(Variant.SPRING_CLOUD_AZURE_DEFAULT);
        List<Long> pairRatios = new ArrayList<>();
        for (int i = 0; i < starterRuns.size(); i++) {
            // Parts per million, so the percentile helper can sort them.
            pairRatios.add(starterRuns.get(i) * 1_000_000 / Math.max(1, defaultRuns.get(i)));
        }
        return Format.ratio(Latencies.of(pairRatios).percentile(50), 1_000_000) + " paired, "
                + Format.ratio(starter.percentile(50), scaDefault.percentile(50)) + " of medians";
    }

    private static String median(Latencies latencies) {
        return Format.seconds(Duration.ofNanos(latencies.percentile(50) * 1_000)) + " ("
                + Format.seconds(Duration.ofNanos(latencies.percentile(0) * 1_000)).replace(" s", "") + "–"
                + Format.seconds(Duration.ofNanos(latencies.max() * 1_000)) + ")";
    }

    private record Startup(long refreshMicros, long firstTokenMicros) {
    }

}
