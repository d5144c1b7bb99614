package dev.workloadidentity.spring.autoconfigure;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.diagnostics.Problem;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.util.StringUtils;

/**
 * Warns at startup when the authority host belongs to one sovereign cloud (public, US Government, China) and a
 * configured Spring Cloud Azure service endpoint to another: that service would refuse every token. Endpoints of
 * private clouds and local fakes belong to none and are left alone.
 */
final class CloudMismatchCheck implements SmartInitializingSingleton {

    private static final Log logger = LogFactory.getLog(CloudMismatchCheck.class);

    /**
     * Service endpoints and namespaces, e.g. {@code spring.cloud.azure.keyvault.secret.endpoint}, in the uniform form
     * of {@link CredentialSettings#uniform} so that environment variables match too.
     */
    private static final Pattern ENDPOINT_SETTING = Pattern
        .compile("spring\\.cloud\\.azure\\.[a-z0-9.\\[\\]]+\\.(endpoint|namespace|domainname)");

    private final String authorityHost;

    private final ConfigurableEnvironment environment;

    CloudMismatchCheck(String authorityHost, ConfigurableEnvironment environment) {
        this.authorityHost = authorityHost;
        this.environment = environment;
    }

    @Override
    public void afterSingletonsInstantiated() {
        mismatches().forEach((mismatch) -> logger.warn("Workload identity: " + mismatch.describe()));
    }

    List<Diagnosis> mismatches() {
        Optional<AzureCloud> authorityCloud = AzureCloud.ofKnownAuthorityHost(this.authorityHost);
        if (authorityCloud.isEmpty()) {
            return List.of();
        }
        List<Diagnosis> mismatches = new ArrayList<>();
        for (String setting : endpointSettings()) {
            String endpoint = this.environment.getProperty(setting);
            String host = (endpoint != null) ? host(endpoint) : null;
            Optional<AzureCloud> endpointCloud = (host != null) ? AzureCloud.ofServiceHost(host) : Optional.empty();
            if (endpointCloud.isPresent() && endpointCloud.get() != authorityCloud.get()) {
                mismatches.add(Diagnosis.of(Problem.CLOUD_MISMATCH,
                        Map.of("authorityHost", this.authorityHost, "authorityCloud", authorityCloud.get().label(),
                                "setting", setting, "endpoint", endpoint, "endpointCloud",
                                endpointCloud.get().label())));
            }
        }
        return mismatches;
    }

    /** A URL's host, or the value itself when it is a bare host name such as a namespace. */
    private static @Nullable String host(String endpoint) {
        if (!StringUtils.hasText(endpoint)) {
            return null;
        }
        if (!endpoint.contains("://")) {
            return endpoint.trim();
        }
        try {
            return URI.create(endpoint.trim()).getHost();
        }
        catch (IllegalArgumentException ex) {
            return null;
        }
    }

    private Set<String> endpointSettings() {
        Set<String> names = new LinkedHashSet<>();
        this.environment.getPropertySources().forEach((source) -> {
            if (source instanceof EnumerablePropertySource<?> enumerable) {
                for (String name : enumerable.getPropertyNames()) {
                    if (ENDPOINT_SETTING.matcher(CredentialSettings.uniform(name)).matches()) {
                        names.add(name);
                    }
                }
            }
        });
        return names;
    }

}
