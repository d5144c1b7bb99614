package dev.workloadidentity.spring.sample;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The pod's variables as system properties while a test class runs: the Key Vault property source loads before
 * a test's dynamic properties exist, and the bootstrap phase finds workload identity only in the process
 * environment or system properties, as on a pod. Restores what was there before.
 */
final class PodSystemProperties {

    /** What the properties set were before, {@code null} for absent. */
    private final Map<String, String> previous = new LinkedHashMap<>();

    void set(Map<String, String> properties) {
        properties.forEach((key, value) -> this.previous.put(key, System.setProperty(key, value)));
    }

    void restore() {
        this.previous.forEach((key, value) -> {
            if (value != null) {
                System.setProperty(key, value);
            }
            else {
                System.clearProperty(key);
            }
        });
        this.previous.clear();
    }

}
