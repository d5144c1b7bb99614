package dev.workloadidentity.spring.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;

/**
 * Finds Spring Cloud Azure credential settings, {@code spring.cloud.azure[.<service>].credential.<key>}, in every
 * form Spring binds them from: configuration keys ({@code credential.client-secret}) and environment variables
 * ({@code SPRING_CLOUD_AZURE_CREDENTIAL_CLIENTSECRET}), which is how settings usually reach a pod. Names are
 * compared as Spring's relaxed binding does (case, dashes, underscores); Key Vault property sources, which are
 * indexed and load before the context, are not included.
 */
final class CredentialSettings {

    private static final Pattern SETTING = Pattern
        .compile("spring\\.cloud\\.azure\\.(?:([a-z0-9.]+)\\.)?credential\\.([a-z0-9]+)");

    private CredentialSettings() {
    }

    /**
     * @param environment where to look
     * @param key the key in its dashed form, e.g. {@code managed-identity-enabled}
     * @param ofServicesOnly whether to leave out the global {@code spring.cloud.azure.credential.<key>}
     * @return the settings found, each once, by the name they were written with
     */
    static List<Setting> find(ConfigurableEnvironment environment, String key, boolean ofServicesOnly) {
        String uniformKey = key.replace("-", "");
        List<Setting> found = new ArrayList<>();
        environment.getPropertySources().forEach((source) -> {
            if (source instanceof EnumerablePropertySource<?> enumerable) {
                for (String name : enumerable.getPropertyNames()) {
                    Setting setting = parse(name, uniformKey);
                    if (setting != null && (!ofServicesOnly || setting.service() != null)
                            && found.stream().noneMatch((other) -> other.name().equals(name))) {
                        found.add(setting);
                    }
                }
            }
        });
        return found;
    }

    /**
     * @param name a property name as written, in configuration or as an environment variable
     * @return it as relaxed binding compares names: lower case, dots for underscores, no dashes
     */
    static String uniform(String name) {
        return name.toLowerCase(Locale.ROOT).replace('_', '.').replace("-", "");
    }

    private static @Nullable Setting parse(String name, String uniformKey) {
        Matcher matcher = SETTING.matcher(uniform(name));
        if (!matcher.matches() || !matcher.group(2).equals(uniformKey)) {
            return null;
        }
        String service = matcher.group(1);
        if (service != null && service.contains("propertysources")) {
            return null;
        }
        return new Setting(name, service);
    }

    /**
     * One setting as it was written.
     *
     * @param name its name as written, e.g. {@code SPRING_CLOUD_AZURE_STORAGE_BLOB_CREDENTIAL_CLIENTID}
     * @param service the service it is for in uniform form (e.g. {@code storage.blob}), {@code null} for the
     * global one
     */
    record Setting(String name, @Nullable String service) {

        /**
         * @return the prefix of its credential block, to read sibling keys with
         * ({@code spring.cloud.azure.storage.blob.credential.}), as Spring resolves it in any form
         */
        String credentialPrefix() {
            return "spring.cloud.azure." + ((this.service != null) ? this.service + "." : "") + "credential.";
        }

    }

}
