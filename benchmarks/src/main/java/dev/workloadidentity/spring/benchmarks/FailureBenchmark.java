package dev.workloadidentity.spring.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault;

/**
 * Row 5: an identity without a federated credential (Entra answers AADSTS70021): how soon the application says
 * so, and whether it names the cause, with the starter and with Spring Cloud Azure's default credential.
 */
final class FailureBenchmark {

    private static final List<Variant> VARIANTS = List.of(Variant.STARTER, Variant.SPRING_CLOUD_AZURE_DEFAULT);

    private static final String CODE = "AADSTS70021";

    private final Run run;

    FailureBenchmark(Run run) {
        this.run = run;
    }

    void addTo(Table table) throws InterruptedException {
        Map<Variant, AppResults> measured = new EnumMap<>(Variant.class);
        Map<Variant, List<TokenRequest>> tokenRequests = new EnumMap<>(Variant.class);
        try (FakeKeyVault vault = this.run.world().newKeyVault()) {
            for (Variant variant : VARIANTS) {
                String identity = this.run.world().newIdentityWithoutFederatedCredential();
                String name = "5-misconfigured-" + variant.id();
                AppResults results = this.run.applications()
                    .start(name, variant, this.run.world().podEnvironment(identity),
                            this.run.properties(vault, name, "misconfigured"))
                    .await(Duration.ofMinutes(5));
                measured.put(variant, results);
                tokenRequests.put(variant, this.run.world().tokenRequests(identity));
            }
        }
        AppResults starter = measured.get(Variant.STARTER);
        AppResults scaDefault = measured.get(Variant.SPRING_CLOUD_AZURE_DEFAULT);
        int note = table.note("Row 5: the identity exists in the fake Entra but has no federated credential, so every "
                + "token request is refused with " + CODE + " (after the " + Format.human(this.run.settings()
                    .entraLatency())
                + " the fake Entra takes). Right after startup (which succeeds either way: neither variant asks "
                + "Entra while starting) the application checks the `workloadIdentity` health contributor (starter "
                + "only), calls `getTokenSync` on `springCloudAzureDefaultCredential`, then Key Vault `getSecret`, "
                + "each bounded to 90 s. Times are each step's own, then from JVM start (startup included). Token "
                + "requests per step: starter " + perStep(starter, tokenRequests.get(Variant.STARTER))
                + "; default " + perStep(scaDefault, tokenRequests.get(Variant.SPRING_CLOUD_AZURE_DEFAULT))
                + ". `getSecret` sends one request more than the number of retries azure-core's retry policy makes "
                + "when the credential fails, which is where most of its time goes (back-off).");
        table.row("5a", "Misconfigured identity: first answer naming the cause [" + note + "]",
                "health `" + starter.require("health.outcome").replace("returned ", "") + "` after "
                        + step(starter, "health"),
                "`getToken` " + outcome(scaDefault, "credential") + " after " + step(scaDefault, "credential"),
                Table.NOT_APPLICABLE, "names " + CODE,
                Format.ratio(starter.longValue("health.micros"), scaDefault.longValue("credential.micros")));
        table.row("5b", "Misconfigured identity: Key Vault `getSecret` fails [" + note + "]",
                outcome(starter, "keyvault") + " after " + step(starter, "keyvault"),
                outcome(scaDefault, "keyvault") + " after " + step(scaDefault, "keyvault"), Table.NOT_APPLICABLE,
                "names " + CODE, Format.ratio(starter.longValue("keyvault.micros"), scaDefault.longValue(
                        "keyvault.micros")));
    }

    /** How many of the token requests fell into each step, by the time the fake Entra answered them. */
    private static String perStep(AppResults results, List<TokenRequest> requests) {
        StringBuilder counts = new StringBuilder();
        Instant from = Instant.MIN;
        for (String step : List.of("health", "credential", "keyvault")) {
            String ended = results.get(step + ".endedEpochMillis");
            if (ended == null) {
                continue;
            }
            Instant to = Instant.ofEpochMilli(Long.parseLong(ended));
            Instant start = from;
            long count = requests.stream()
                .filter((request) -> request.time().isAfter(start) && !request.time().isAfter(to))
                .count();
            counts.append((counts.length() > 0) ? ", " : "").append(step).append(' ').append(count);
            from = to;
        }
        return counts.toString();
    }

    private static String outcome(AppResults results, String step) {
        String outcome = results.require(step + ".outcome");
        return "`" + outcome + "`";
    }

    private static String step(AppResults results, String step) {
        Duration took = Duration.ofNanos(results.longValue(step + ".micros") * 1_000);
        Instant jvmStarted = results.instant("jvmStartedEpochMillis");
        Duration sinceStart = Duration.between(jvmStarted, results.instant(step + ".endedEpochMillis"));
        return Format.seconds(took) + " (" + Format.seconds(sinceStart) + " from JVM start)";
    }

}
