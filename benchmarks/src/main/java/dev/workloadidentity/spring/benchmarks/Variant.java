package dev.workloadidentity.spring.benchmarks;

import java.util.Map;

/** How the application signs in: the starter, or Spring Cloud Azure alone in one of its two usual setups. */
enum Variant {

    /** The starter on the classpath; nothing else configured. */
    STARTER("starter", true, Map.of()),

    /** Spring Cloud Azure alone: its {@code DefaultAzureCredential}, which finds the webhook's variables. */
    SPRING_CLOUD_AZURE_DEFAULT("sca-default", false, Map.of()),

    /** Spring Cloud Azure alone with {@code managed-identity-enabled=true}: a credential per client. */
    SPRING_CLOUD_AZURE_MANAGED_IDENTITY("sca-managed-identity", false,
            Map.of("spring.cloud.azure.credential.managed-identity-enabled", "true"));

    private final String id;

    private final boolean starter;

    private final Map<String, String> properties;

    Variant(String id, boolean starter, Map<String, String> properties) {
        this.id = id;
        this.starter = starter;
        this.properties = properties;
    }

    /** @return a short name for files and logs */
    String id() {
        return this.id;
    }

    /** @return whether the starter is on the application's classpath */
    boolean starter() {
        return this.starter;
    }

    /** @return the Spring properties that select this variant */
    Map<String, String> properties() {
        return this.properties;
    }

}
