package dev.workloadidentity.spring.autoconfigure.azure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.util.StringUtils;

/**
 * Spring Cloud Azure's Key Vault property sources ({@code spring.cloud.azure.keyvault.secret.property-sources}) as
 * its {@code KeyVaultEnvironmentPostProcessor} will load them: in order, skipping disabled ones and ones without an
 * endpoint, with the same default names. Read from the environment without Spring Cloud Azure's internal classes.
 */
final class KeyVaultPropertySources {

    static final String PREFIX = "spring.cloud.azure.keyvault.secret";

    /**
     * Credential settings that choose another identity. At startup Spring Cloud Azure ignores them once a
     * credential is registered in the bootstrap registry, so they must not be set silently.
     */
    private static final List<String> OTHER_IDENTITY_KEYS = List.of("client-secret", "client-certificate-path",
            "username", "token-credential-bean-name");

    private KeyVaultPropertySources() {
    }

    /**
     * @param environment the prepared environment
     * @return the property sources Spring Cloud Azure will load, in the order it loads them
     */
    static List<Source> toLoad(Environment environment) {
        Binder binder = Binder.get(environment);
        if (!binder.bind(PREFIX + ".property-source-enabled", Boolean.class).orElse(true)) {
            return List.of();
        }
        List<Source> sources = new ArrayList<>();
        int count = count(binder);
        for (int i = 0; i < count; i++) {
            String key = PREFIX + ".property-sources[" + i + "]";
            boolean enabled = binder.bind(key + ".enabled", Boolean.class).orElse(true);
            String endpoint = binder.bind(key + ".endpoint", String.class).orElse("");
            if (enabled && StringUtils.hasText(endpoint)) {
                String name = binder.bind(key + ".name", String.class)
                    .orElse("azure-key-vault-secret-property-source-" + i);
                sources.add(new Source(name, endpoint));
            }
        }
        return sources;
    }

    /** Counts the configured entries, whatever they hold; each entry's keys are then bound one by one. */
    @SuppressWarnings("rawtypes")
    private static int count(Binder binder) {
        Bindable<List<Map>> entries = Bindable.listOf(Map.class);
        return binder.bind(PREFIX + ".property-sources", entries).map(List::size).orElse(0);
    }

    /**
     * @param environment the prepared environment
     * @return the first setting, as {@code key=…}, that would make a property source sign in as another identity
     * (a secret, certificate, user or credential bean), globally or for one property source; values never shown
     */
    static @Nullable String otherIdentitySetting(Environment environment) {
        Binder binder = Binder.get(environment);
        int count = count(binder);
        List<String> prefixes = new ArrayList<>();
        prefixes.add("spring.cloud.azure.credential.");
        for (int i = 0; i < count; i++) {
            prefixes.add(PREFIX + ".property-sources[" + i + "].credential.");
        }
        for (String prefix : prefixes) {
            for (String key : OTHER_IDENTITY_KEYS) {
                if (StringUtils.hasText(binder.bind(prefix + key, String.class).orElse(null))) {
                    return prefix + key;
                }
            }
        }
        return null;
    }

    /**
     * One property source.
     *
     * @param name its name (Spring Cloud Azure's default when none is configured)
     * @param endpoint the vault's URI
     */
    record Source(String name, String endpoint) {

        @Override
        public String toString() {
            return "'" + this.name + "' (" + this.endpoint + ")";
        }

    }

}
