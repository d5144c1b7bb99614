package dev.workloadidentity.spring.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault;

/**
 * Row 3: the starter's {@code workloadIdentity} health contributor, probed sequentially and concurrently: latency
 * and the token requests the probes cause after the first one. Spring Cloud Azure has no such contributor.
 */
final class HealthProbeBenchmark {

    private final Run run;

    HealthProbeBenchmark(Run run) {
        this.run = run;
    }

    void addTo(Table table) throws InterruptedException {
        Settings settings = this.run.settings();
        this.run.world().entra().accessTokenLifetime(FakeEntra.DEFAULT_ACCESS_TOKEN_LIFETIME).refreshIn(null);
        String identity = this.run.world().newIdentity();
        String name = "3-health-" + Variant.STARTER.id();
        AppResults results;
        try (FakeKeyVault vault = this.run.world().newKeyVault()) {
            Map<String, String> properties = this.run.properties(vault, name, "health-probes");
            properties.put("benchmark.probes", Integer.toString(settings.probes()));
            results = this.run.applications()
                .start(name, Variant.STARTER, this.run.world().podEnvironment(identity), properties)
                .await(Duration.ofMinutes(3));
        }
        if (results.get("health.missing") != null) {
            throw new IllegalStateException("The starter's application has no workloadIdentity health contributor");
        }
        Instant warmedUp = results.instant("health.warmedUpEpochMillis");
        Instant ended = results.instant("health.endedEpochMillis");
        List<TokenRequest> requests = this.run.world().tokenRequests(identity, ended);
        long afterWarmUp = requests.stream().filter((request) -> request.time().isAfter(warmedUp)).count();
        Latencies sequential = Latencies.of(latencies(results, "sequential"));
        Latencies concurrent = Latencies.of(latencies(results, "concurrent"));
        long notUp = results.longValue("health.notUp");
        String none = "no credential health contributor";
        int note = table.note("Row 3: `HealthContributorRegistry.getContributor(\"workloadIdentity\")`, as the "
                + "actuator resolves it, then `health(true)`: first one probe (its token request is the warm-up; "
                + "answered " + results.require("health.warmUpStatus") + "), then " + Format.count(settings.probes())
                + " one after the other, then " + Format.count(settings.probes()) + " from " + settings.threads()
                + " threads at once. Latency is measured inside the application (no HTTP). Access tokens live "
                + Format.human(FakeEntra.DEFAULT_ACCESS_TOKEN_LIFETIME) + " here, as Entra's. Probes not UP: "
                + notUp + ". Token requests in all, warm-up included: " + requests.size() + ".");
        table.row("3a", "Health probe, " + Format.count(settings.probes()) + " sequential: p50 / p99 [" + note + "]",
                sequential.p50p99(), none, none, Table.NOT_APPLICABLE, Table.NOT_APPLICABLE);
        table.row("3b", "Health probe, " + Format.count(settings.probes()) + " concurrent (" + settings.threads()
                + " threads): p50 / p99 [" + note + "]", concurrent.p50p99(), none, none, Table.NOT_APPLICABLE,
                Table.NOT_APPLICABLE);
        table.row("3c", "Token requests caused by those " + Format.count(settings.probes() * 2L) + " probes [" + note
                + "]", Long.toString(afterWarmUp), none, none, "0", Table.NOT_APPLICABLE);
    }

    private static List<Long> latencies(AppResults results, String op) {
        return results.calls()
            .stream()
            .filter((call) -> call.op().equals(op))
            .map(AppResults.Call::latencyMicros)
            .toList();
    }

}
