package dev.workloadidentity.spring.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings for Microsoft Entra Workload ID. Every identity setting is optional: on an AKS pod the workload
 * identity webhook injects the matching {@code AZURE_*} variable, which is used when the property is unset.
 */
@ConfigurationProperties("workload-identity")
public class WorkloadIdentityProperties {

    /**
     * Whether to use the pod's workload identity when AZURE_FEDERATED_TOKEN_FILE (or token-file) is set.
     */
    private boolean enabled = true;

    /**
     * Client ID of the Entra application or user-assigned managed identity to sign in as. Falls back to
     * AZURE_CLIENT_ID.
     */
    private @Nullable String clientId;

    /**
     * Entra tenant ID of that identity. Falls back to AZURE_TENANT_ID.
     */
    private @Nullable String tenantId;

    /**
     * Path of the projected service account token that Entra accepts as a federated credential. Falls back to
     * AZURE_FEDERATED_TOKEN_FILE.
     */
    private @Nullable String tokenFile;

    /**
     * Entra authority host (https). Falls back to AZURE_AUTHORITY_HOST, then to
     * spring.cloud.azure.profile.environment.active-directory-endpoint and spring.cloud.azure.profile.cloud-type,
     * then to the public cloud.
     */
    private @Nullable String authorityHost;

    /**
     * Whether to let the token client look up the authority host with Microsoft's instance discovery. Turn it off
     * for private clouds and local fakes of Entra.
     */
    private boolean instanceDiscovery = true;

    /**
     * Whether anything that would sign in as a broader identity than the pod's (managed identity or client secret
     * settings, ManagedIdentityCredential or DefaultAzureCredential beans, secrets left in the environment) fails
     * startup instead of being reported with a warning.
     */
    private boolean strict;

    /**
     * Further Entra identities federated to the pod's service account, by name, each with a client-id and an
     * optional tenant-id (default: the pod's). Each becomes a TokenCredential bean of that name, with its own token
     * cache, for the clients that name it in Spring Cloud Azure's credential.token-credential-bean-name; every other
     * client keeps the pod's identity.
     */
    private final Map<String, Identity> identities = new LinkedHashMap<>();

    private final Health health = new Health();

    private final KeyVault keyVault = new KeyVault();

    public boolean isEnabled() {
        return this.enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public @Nullable String getClientId() {
        return this.clientId;
    }

    public void setClientId(@Nullable String clientId) {
        this.clientId = clientId;
    }

    public @Nullable String getTenantId() {
        return this.tenantId;
    }

    public void setTenantId(@Nullable String tenantId) {
        this.tenantId = tenantId;
    }

    public @Nullable String getTokenFile() {
        return this.tokenFile;
    }

    public void setTokenFile(@Nullable String tokenFile) {
        this.tokenFile = tokenFile;
    }

    public @Nullable String getAuthorityHost() {
        return this.authorityHost;
    }

    public void setAuthorityHost(@Nullable String authorityHost) {
        this.authorityHost = authorityHost;
    }

    public boolean isInstanceDiscovery() {
        return this.instanceDiscovery;
    }

    public void setInstanceDiscovery(boolean instanceDiscovery) {
        this.instanceDiscovery = instanceDiscovery;
    }

    public boolean isStrict() {
        return this.strict;
    }

    public void setStrict(boolean strict) {
        this.strict = strict;
    }

    public Map<String, Identity> getIdentities() {
        return this.identities;
    }

    public Health getHealth() {
        return this.health;
    }

    public KeyVault getKeyVault() {
        return this.keyVault;
    }

    /** One further identity: its own client ID, the pod's token file and authority. */
    public static class Identity {

        /**
         * Client ID of the Entra application or user-assigned managed identity, which must have a federated
         * credential for the pod's service account.
         */
        private @Nullable String clientId;

        /**
         * Entra tenant ID of that identity. Defaults to the pod's (workload-identity.tenant-id or AZURE_TENANT_ID).
         */
        private @Nullable String tenantId;

        public @Nullable String getClientId() {
            return this.clientId;
        }

        public void setClientId(@Nullable String clientId) {
            this.clientId = clientId;
        }

        public @Nullable String getTenantId() {
            return this.tenantId;
        }

        public void setTenantId(@Nullable String tenantId) {
            this.tenantId = tenantId;
        }

    }

    /** Settings of the workloadIdentity health indicator. */
    public static class Health {

        /**
         * Scope of the access token the health check acquires. Defaults to the Azure Resource Manager scope of the
         * cloud the authority host belongs to.
         */
        private @Nullable String scope;

        /**
         * Longest time a health check waits for a token before it reports DOWN.
         */
        private Duration timeout = Duration.ofSeconds(3);

        public @Nullable String getScope() {
            return this.scope;
        }

        public void setScope(@Nullable String scope) {
            this.scope = scope;
        }

        public Duration getTimeout() {
            return this.timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

    }

    /** Settings for Spring Cloud Azure's Key Vault property sources, which load secrets before the context starts. */
    public static class KeyVault {

        /**
         * Longest time startup waits for each vault of spring.cloud.azure.keyvault.secret.property-sources to
         * answer and for its token, before it fails naming the vault and what did not answer.
         */
        private Duration startupTimeout = Duration.ofSeconds(30);

        public Duration getStartupTimeout() {
            return this.startupTimeout;
        }

        public void setStartupTimeout(Duration startupTimeout) {
            this.startupTimeout = startupTimeout;
        }

    }

}
