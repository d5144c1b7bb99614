package dev.workloadidentity.spring.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault;

/**
 * Row 1: how many token requests Entra sees for the same calls, over two refresh periods, with the starter and
 * with Spring Cloud Azure alone in its two setups. The three applications run side by side, each as its own
 * identity.
 */
final class TokenRequestsBenchmark {

    /** Resources in table order, with their short names. */
    static final Map<String, String> RESOURCES = resources();

    private static final Duration SLACK = Duration.ofSeconds(6);

    private final Run run;

    TokenRequestsBenchmark(Run run) {
        this.run = run;
    }

    void addTo(Table table) throws InterruptedException {
        Settings settings = this.run.settings();
        this.run.world().entra().accessTokenLifetime(settings.tokenLifetime()).refreshIn(settings.refreshPeriod());
        // Calls end a little before the second refresh period does, so no client needs a third token.
        Duration spread = settings.refreshPeriod().multipliedBy(2).minus(SLACK);
        Map<Variant, Measured> measured = new EnumMap<>(Variant.class);
        List<Started> started = new ArrayList<>();
        for (Variant variant : Variant.values()) {
            String identity = this.run.world().newIdentity();
            FakeKeyVault vault = this.run.world().newKeyVault();
            String name = "1-calls-" + variant.id();
            Map<String, String> properties = this.run.properties(vault, name, "calls");
            properties.put("benchmark.calls", Integer.toString(settings.calls()));
            properties.put("benchmark.spread", spread.toString());
            started.add(new Started(variant, identity, vault, this.run.applications()
                .start(name, variant, this.run.world().podEnvironment(identity), properties)));
        }
        try {
            for (Started app : started) {
                AppResults results = app.application().await(spread.plus(Duration.ofMinutes(3)));
                Instant end = results.instant("calls.endedEpochMillis");
                List<TokenRequest> requests = this.run.world().tokenRequests(app.identity(), end);
                long failed = results.withPrefix("calls.failed.").values().stream().mapToLong(Long::parseLong).sum()
                        + results.longValue("calls.unfinished");
                Duration window = requests.isEmpty() ? Duration.ZERO
                        : Duration.between(requests.get(0).time(), end);
                measured.put(app.variant(), new Measured(requests, failed, window, results.require("credential"),
                        results.withPrefix("calls.firstFailure.")));
            }
        }
        finally {
            started.forEach((app) -> app.vault().close());
        }
        Measured starter = measured.get(Variant.STARTER);
        Measured scaDefault = measured.get(Variant.SPRING_CLOUD_AZURE_DEFAULT);
        int limit = 2 + 2 + 1;
        int note = table.note("Row 1: " + Format.count(settings.calls()) + " calls due at an even rate over "
                + Format.human(spread) + " by " + settings.threads() + " threads, taken in turn from Key Vault "
                + "`SecretClient.getSecret` and `SecretAsyncClient.getSecret`, Blob `downloadContent` through "
                + "`BlobServiceClient` and `BlobServiceAsyncClient`, and Service Bus `ServiceBusSenderClient.sendMessage` "
                + "(the clients Spring Cloud Azure registers), after creating the container and blob. The three "
                + "applications ran at the same time, each as its own identity; token requests are counted per "
                + "identity from its first until its last call. Tokens are due for refresh after "
                + Format.human(settings.refreshPeriod()) + " (`refresh_in`) and valid for "
                + Format.human(settings.tokenLifetime()) + ", so every layer (MSAL, azure-identity, azure-core, the "
                + "starter) renews them at " + Format.human(settings.refreshPeriod()) + " while the old one is still "
                + "valid, as it renews a real 1-hour token 5 minutes before its end: the window holds two refresh "
                + "periods. Service Bus links renew at 90 % of a token's validity (" + Format.human(
                        Duration.ofMillis(settings.tokenLifetime().toMillis() * 9 / 10))
                + " here), after the window, so the limit counts one Service Bus token: " + limit + " = 1 identity × "
                + "(Key Vault + Blob) × 2 periods + Service Bus × 1. " + (this.run.world().entraPortless()
                        ? "The fake Entra listens on 127.0.0.1:443, so its authority has no port, like Entra's: only "
                                + "then does MSAL's own token cache hit. "
                        : "")
                + "Credentials in use: starter `"
                + starter.credential() + "`, default `" + scaDefault.credential() + "`, managed identity `"
                + measured.get(Variant.SPRING_CLOUD_AZURE_MANAGED_IDENTITY).credential() + "`.");
        table.row("1", "Token requests for " + Format.count(settings.calls()) + " calls over 2 token refresh periods, "
                + settings.threads() + " threads (Key Vault · Blob · Service Bus) [" + note + "]",
                cell(starter), cell(scaDefault), cell(measured.get(Variant.SPRING_CLOUD_AZURE_MANAGED_IDENTITY)),
                limit + " (2 · 2 · 1)", Format.ratio(starter.requests().size(), scaDefault.requests().size()));
        for (Map.Entry<Variant, Measured> entry : measured.entrySet()) {
            Duration twoPeriods = settings.refreshPeriod().multipliedBy(2);
            if (entry.getValue().window().compareTo(twoPeriods) > 0) {
                table.note("Row 1, " + entry.getKey().id() + ": its calls took " + Format.human(entry.getValue()
                    .window()) + ", longer than two refresh periods (" + Format.human(twoPeriods)
                        + "): the machine was too busy and its count may include a third round of tokens.");
            }
        }
    }

    private static String cell(Measured measured) {
        Map<String, Integer> perResource = new LinkedHashMap<>();
        RESOURCES.keySet().forEach((resource) -> perResource.put(resource, 0));
        int other = 0;
        for (TokenRequest request : measured.requests()) {
            if (perResource.containsKey(request.resource())) {
                perResource.merge(request.resource(), 1, Integer::sum);
            }
            else {
                other++;
            }
        }
        StringBuilder cell = new StringBuilder().append(measured.requests().size()).append(" (");
        cell.append(String.join(" · ", perResource.values().stream().map(String::valueOf).toList()));
        if (other > 0) {
            cell.append(" + ").append(other).append(" other");
        }
        cell.append(')');
        long refused = measured.requests().stream().filter((request) -> !request.succeeded()).count();
        if (refused > 0) {
            cell.append(", ").append(refused).append(" refused");
        }
        if (measured.failedCalls() > 0) {
            cell.append("; ").append(measured.failedCalls()).append(" calls failed: ").append(measured.failures());
        }
        return cell.toString();
    }

    private static Map<String, String> resources() {
        Map<String, String> resources = new LinkedHashMap<>();
        resources.put("https://vault.azure.net", "Key Vault");
        resources.put("https://storage.azure.com", "Blob");
        resources.put("https://servicebus.azure.net", "Service Bus");
        return resources;
    }

    private record Started(Variant variant, String identity, FakeKeyVault vault, Applications.Application application) {
    }

    private record Measured(List<TokenRequest> requests, long failedCalls, Duration window, String credential,
            Map<String, String> failures) {
    }

}
