package dev.workloadidentity.spring.autoconfigure;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

import org.springframework.core.env.PropertyResolver;
import org.springframework.util.StringUtils;

/**
 * The identity this pod signs in as, resolved from {@code workload-identity.*} with the webhook's
 * {@code AZURE_*} variables as fallbacks, and checked before anything asks Entra for a token.
 *
 * @param clientId client ID of the Entra application or managed identity
 * @param tenantId its tenant
 * @param tokenFile the projected service account token (re-read on every token request, never cached)
 * @param authorityHost the Entra authority host, https
 * @param instanceDiscovery whether the token client may look up the authority with Microsoft's discovery
 */
public record WorkloadIdentitySettings(String clientId, String tenantId, Path tokenFile, String authorityHost,
        boolean instanceDiscovery) {

    static final String CLIENT_ID_VARIABLE = "AZURE_CLIENT_ID";

    static final String TENANT_ID_VARIABLE = "AZURE_TENANT_ID";

    static final String AUTHORITY_HOST_VARIABLE = "AZURE_AUTHORITY_HOST";

    static final String ACTIVE_DIRECTORY_ENDPOINT_PROPERTY = "spring.cloud.azure.profile.environment."
            + "active-directory-endpoint";

    static final String CLOUD_TYPE_PROPERTY = "spring.cloud.azure.profile.cloud-type";

    private static final String TURN_OFF = " To run without workload identity, set workload-identity.enabled=false.";

    /** @return the Azure Resource Manager scope of the cloud the authority host belongs to */
    public String resourceManagerScope() {
        return AzureCloud.fromAuthorityHost(this.authorityHost).resourceManagerScope();
    }

    /**
     * Resolves and checks the settings. Reads the file system (the token file must exist) but not the network.
     * @param properties the bound {@code workload-identity.*} properties
     * @param environment where the webhook's variables and Spring Cloud Azure's profile are read from
     * @return the settings
     * @throws WorkloadIdentityConfigurationException naming the variable or property to fix
     */
    public static WorkloadIdentitySettings resolve(WorkloadIdentityProperties properties,
            PropertyResolver environment) {
        Setting tokenFile = Setting.first(environment, properties.getTokenFile(), "workload-identity.token-file",
                WorkloadIdentityDetection.TOKEN_FILE_VARIABLE);
        if (tokenFile == null) {
            throw new WorkloadIdentityConfigurationException(
                    "Workload identity is enabled but no federated token file is configured.",
                    "Label the pod with azure.workload.identity/use: \"true\" so the AKS webhook sets "
                            + "AZURE_FEDERATED_TOKEN_FILE, or set workload-identity.token-file." + TURN_OFF);
        }
        Setting clientId = Setting.first(environment, properties.getClientId(), "workload-identity.client-id",
                CLIENT_ID_VARIABLE);
        if (clientId == null) {
            throw missing("client ID", "AZURE_CLIENT_ID", "workload-identity.client-id", tokenFile,
                    "Annotate the pod's service account with azure.workload.identity/client-id: <client ID> and "
                            + "recreate the pod, so the AKS webhook sets AZURE_CLIENT_ID, or set "
                            + "workload-identity.client-id.");
        }
        Setting tenantId = Setting.first(environment, properties.getTenantId(), "workload-identity.tenant-id",
                TENANT_ID_VARIABLE);
        if (tenantId == null) {
            throw missing("tenant ID", "AZURE_TENANT_ID", "workload-identity.tenant-id", tokenFile,
                    "Set AZURE_TENANT_ID (the AKS webhook sets it from the service account annotation "
                            + "azure.workload.identity/tenant-id or the cluster's tenant), or set "
                            + "workload-identity.tenant-id.");
        }
        return new WorkloadIdentitySettings(clientId.value(), tenantId.value(), checkTokenFile(tokenFile),
                resolveAuthorityHost(properties, environment), properties.isInstanceDiscovery());
    }

    private static WorkloadIdentityConfigurationException missing(String what, String variable, String property,
            Setting tokenFile, String action) {
        return new WorkloadIdentityConfigurationException("Workload identity is enabled (" + tokenFile
                + ") but no " + what + " is configured: neither " + variable + " nor " + property + " is set.",
                action + TURN_OFF);
    }

    private static Path checkTokenFile(Setting tokenFile) {
        Path path = Path.of(tokenFile.value());
        String fix = "Check that the pod carries the label azure.workload.identity/use: \"true\" and that the "
                + "webhook's projected volume is mounted; if you set " + tokenFile.source()
                + " yourself, point it at the projected service account token." + TURN_OFF;
        if (!Files.exists(path)) {
            throw new WorkloadIdentityConfigurationException(
                    "The federated token file " + tokenFile + " does not exist.", fix);
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new WorkloadIdentityConfigurationException("The federated token file " + tokenFile
                    + " is not a readable file" + (Files.isDirectory(path) ? " (it is a directory)." : "."), fix);
        }
        return path;
    }

    private static String resolveAuthorityHost(WorkloadIdentityProperties properties, PropertyResolver environment) {
        Setting configured = Setting.first(environment, properties.getAuthorityHost(),
                "workload-identity.authority-host", AUTHORITY_HOST_VARIABLE, ACTIVE_DIRECTORY_ENDPOINT_PROPERTY);
        if (configured == null) {
            String cloudType = environment.getProperty(CLOUD_TYPE_PROPERTY, "");
            return AzureCloud.fromCloudType(cloudType).orElse(AzureCloud.AZURE).authorityHost();
        }
        URI uri = parse(configured);
        if (uri == null || !"https".equals(uri.getScheme().toLowerCase(Locale.ROOT)) || uri.getHost() == null) {
            throw new WorkloadIdentityConfigurationException(
                    "The Entra authority host " + configured + " is not an https URL. Entra ID and the "
                            + "Azure Identity library accept only https authorities.",
                    "Set " + configured.source() + " to your cloud's https Entra endpoint, for example "
                            + AzureCloud.AZURE.authorityHost() + ", or remove it to use the public cloud.");
        }
        return configured.value();
    }

    private static @Nullable URI parse(Setting setting) {
        try {
            URI uri = URI.create(setting.value());
            return (uri.getScheme() != null) ? uri : null;
        }
        catch (IllegalArgumentException ex) {
            return null;
        }
    }

    /** A value and the property or variable it came from, so messages can name what to fix. */
    private record Setting(String source, String value) {

        static @Nullable Setting first(PropertyResolver environment, @Nullable String property,
                String propertyName, String... fallbacks) {
            if (StringUtils.hasText(property)) {
                return new Setting(propertyName, property.trim());
            }
            for (String fallback : fallbacks) {
                String value = environment.getProperty(fallback);
                if (StringUtils.hasText(value)) {
                    return new Setting(fallback, value.trim());
                }
            }
            return null;
        }

        @Override
        public String toString() {
            return this.source + "=" + this.value;
        }

    }

}
