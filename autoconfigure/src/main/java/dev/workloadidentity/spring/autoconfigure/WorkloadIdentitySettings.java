package dev.workloadidentity.spring.autoconfigure;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.http.policy.ExponentialBackoffOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.credential.TokenThreads;
import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.diagnostics.FederatedTokenFile;
import dev.workloadidentity.spring.diagnostics.Problem;
import dev.workloadidentity.spring.diagnostics.WorkloadIdentityDiagnostics;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.core.env.PropertyResolver;
import org.springframework.util.StringUtils;

/**
 * The identity this pod signs in as, resolved from {@code workload-identity.*} with the webhook's
 * {@code AZURE_*} variables as fallbacks, and checked before anything asks Entra for a token.
 *
 * @param clientId client ID of the Entra application or managed identity
 * @param tenantId its tenant
 * @param tokenFile the projected service account token (re-read on every token request, never cached)
 * @param tokenFileSource the property or variable the token file's path came from
 * @param authorityHost the Entra authority host, https
 * @param instanceDiscovery whether the token client may look up the authority with Microsoft's discovery
 * @param clientIdSource the variable or property the client ID came from
 * @param tenantIdSource the variable or property the tenant came from
 */
public record WorkloadIdentitySettings(String clientId, String tenantId, Path tokenFile, String tokenFileSource,
        String authorityHost, boolean instanceDiscovery, String clientIdSource, String tenantIdSource) {

    static final String CLIENT_ID_VARIABLE = "AZURE_CLIENT_ID";

    static final String TENANT_ID_VARIABLE = "AZURE_TENANT_ID";

    static final String AUTHORITY_HOST_VARIABLE = "AZURE_AUTHORITY_HOST";

    static final String ACTIVE_DIRECTORY_ENDPOINT_PROPERTY = "spring.cloud.azure.profile.environment."
            + "active-directory-endpoint";

    static final String CLOUD_TYPE_PROPERTY = "spring.cloud.azure.profile.cloud-type";

    private static final Pattern UNRESOLVED_PLACEHOLDER = Pattern.compile("\\$\\{([^}:]+)");

    private static final Pattern GUID = Pattern
        .compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    /** @return where the token file came from and its path, e.g. {@code AZURE_FEDERATED_TOKEN_FILE=/var/run/...} */
    public String tokenFileSetting() {
        return this.tokenFileSource + "=" + this.tokenFile;
    }

    /**
     * A new pool of the daemon platform threads ({@code workload-identity-msal-*}) that the credential's MSAL client
     * runs on. Whoever builds the credential owns it and shuts it down with the credential (the auto-configuration
     * does when the application context closes), so no request to Entra and no idle thread outlives it.
     * @return the pool
     */
    public static ExecutorService msalThreads() {
        return TokenThreads.pool("workload-identity-msal-", 4);
    }

    /**
     * A builder for this identity's credential, which runs on the given {@link #msalThreads() MSAL threads} and
     * makes one attempt per token request: the {@link SharedTokenCredential} in front of it retries with backoff
     * while it serves the current token, where Azure Identity's own retries would keep one request going for 13 s
     * against a 503 and send 8 requests (measured against the fake Entra).
     * @param msalThreads the threads the credential's MSAL client runs on, from {@link #msalThreads()}
     * @return the builder; callers apply customizers, then build
     */
    public WorkloadIdentityCredentialBuilder credentialBuilder(ExecutorService msalThreads) {
        WorkloadIdentityCredentialBuilder builder = new WorkloadIdentityCredentialBuilder().executorService(msalThreads)
            .retryOptions(new RetryOptions(new ExponentialBackoffOptions().setMaxRetries(0)));
        PropertyMapper map = PropertyMapper.get();
        map.from(this.clientId).to(builder::clientId);
        map.from(this.tenantId).to(builder::tenantId);
        map.from(this.tokenFile.toString()).to(builder::tokenFilePath);
        map.from(this.authorityHost).to(builder::authorityHost);
        map.from(this.instanceDiscovery).whenFalse().toCall(builder::disableInstanceDiscovery);
        return builder;
    }

    /**
     * The token cache all of this identity's callers share, in front of its credential. A failed token request
     * reaches them as a {@link ClientAuthenticationException}, the type Azure SDK code catches, whose message is the
     * diagnosis (cause, fix and code; Azure SDK clients log only the message), with the credential's own exception
     * as its cause.
     * @param credential this identity's credential, built from {@link #credentialBuilder}
     * @return the shared credential
     */
    public SharedTokenCredential sharedCredential(TokenCredential credential) {
        return new SharedTokenCredential(credential, this.tenantId, this::explain);
    }

    private Throwable explain(Throwable failure, TokenRequestContext request) {
        WorkloadIdentityDiagnostics diagnostics = diagnostics(String.join(" ", request.getScopes()));
        Diagnosis diagnosis = diagnostics.diagnose(failure, diagnostics.inspectTokenFile());
        return new ClientAuthenticationException("Workload identity: " + diagnosis.describe(), null, failure);
    }

    /**
     * @param scope the scope tokens are requested for
     * @return what explains this identity's token failures
     */
    public WorkloadIdentityDiagnostics diagnostics(String scope) {
        return new WorkloadIdentityDiagnostics(this.clientId, this.tenantId, this.authorityHost, this.tokenFile,
                tokenFileSetting(), this.instanceDiscovery, scope).configuredBy(this.clientIdSource,
                        this.tenantIdSource);
    }

    /** @return the Azure Resource Manager scope of the cloud the authority host belongs to */
    public String resourceManagerScope() {
        return AzureCloud.fromAuthorityHost(this.authorityHost).resourceManagerScope();
    }

    /**
     * The settings of one of {@code workload-identity.identities}: its own client ID and, when set, tenant, with
     * this pod's token file and authority.
     * @param name its name under {@code workload-identity.identities}
     * @param identity its bound properties
     * @return its settings
     * @throws WorkloadIdentityConfigurationException naming the property to fix
     */
    public WorkloadIdentitySettings forIdentity(String name, WorkloadIdentityProperties.Identity identity) {
        String prefix = "workload-identity.identities." + name + ".";
        Map<String, Object> found = new LinkedHashMap<>();
        found.put("identityName", name);
        Setting clientId = Setting.of(identity.getClientId(), prefix + "client-id");
        check(clientId, Problem.IDENTITY_CLIENT_ID_MISSING, Problem.CLIENT_ID_INVALID, "clientIdSetting", found);
        Setting tenantId = Setting.of(identity.getTenantId(), prefix + "tenant-id");
        if (tenantId != null) {
            check(tenantId, Problem.TENANT_ID_MISSING, Problem.TENANT_ID_INVALID, "tenantIdSetting", found);
        }
        return new WorkloadIdentitySettings(clientId.value(), (tenantId != null) ? tenantId.value() : this.tenantId,
                this.tokenFile, this.tokenFileSource, this.authorityHost, this.instanceDiscovery, clientId.source(),
                (tenantId != null) ? tenantId.source() : this.tenantIdSource);
    }

    /**
     * Resolves and checks the settings. Reads the token file (it must hold a JWT) but not the network.
     * @param properties the bound {@code workload-identity.*} properties
     * @param environment where the webhook's variables and Spring Cloud Azure's profile are read from
     * @param warnings told about a token Entra is likely to refuse but the kubelet may still replace (expired,
     * close to expiry) or that may be meant (another audience)
     * @return the settings
     * @throws WorkloadIdentityConfigurationException naming the variable or property to fix
     */
    public static WorkloadIdentitySettings resolve(WorkloadIdentityProperties properties,
            PropertyResolver environment, Consumer<Diagnosis> warnings) {
        Setting tokenFile = Setting.first(environment, properties.getTokenFile(), "workload-identity.token-file",
                WorkloadIdentityDetection.TOKEN_FILE_VARIABLE);
        if (tokenFile == null) {
            throw fail(Problem.TOKEN_FILE_MISSING, Map.of("tokenFileSetting", "AZURE_FEDERATED_TOKEN_FILE"));
        }
        Map<String, Object> found = new LinkedHashMap<>();
        found.put("tokenFileSetting", tokenFile);
        Setting clientId = Setting.first(environment, properties.getClientId(), "workload-identity.client-id",
                CLIENT_ID_VARIABLE);
        check(clientId, Problem.CLIENT_ID_MISSING, Problem.CLIENT_ID_INVALID, "clientIdSetting", found);
        Setting tenantId = Setting.first(environment, properties.getTenantId(), "workload-identity.tenant-id",
                TENANT_ID_VARIABLE);
        check(tenantId, Problem.TENANT_ID_MISSING, Problem.TENANT_ID_INVALID, "tenantIdSetting", found);
        String authorityHost = resolveAuthorityHost(properties, environment);
        Path path = Path.of(tokenFile.value());
        checkTokenFile(FederatedTokenFile.inspect(path, tokenFile.toString(), Clock.systemUTC()), warnings);
        return new WorkloadIdentitySettings(clientId.value(), tenantId.value(), path, tokenFile.source(),
                authorityHost, properties.isInstanceDiscovery(), clientId.source(), tenantId.source());
    }

    private static void check(@Nullable Setting setting, Problem missing, Problem invalid, String name,
            Map<String, Object> found) {
        if (setting == null) {
            throw fail(missing, found);
        }
        Matcher placeholder = UNRESOLVED_PLACEHOLDER.matcher(setting.value());
        if (placeholder.find()) {
            // Spring leaves a placeholder nothing resolves as it is, e.g. a variable missing from the Deployment.
            throw fail(Problem.PLACEHOLDER_UNRESOLVED, Map.of("setting", setting, "placeholder", placeholder.group(1)));
        }
        if (!GUID.matcher(setting.value()).matches()) {
            found.put(name, setting);
            throw fail(invalid, found);
        }
    }

    private static void checkTokenFile(FederatedTokenFile file, Consumer<Diagnosis> warnings) {
        Diagnosis problem = file.problem();
        if (problem == null) {
            return;
        }
        if (!file.usable() && problem.problem() != Problem.TOKEN_EXPIRED) {
            throw new WorkloadIdentityConfigurationException(problem);
        }
        warnings.accept(problem);
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
            throw fail(Problem.AUTHORITY_HOST_NOT_HTTPS, Map.of("authorityHostSetting", configured));
        }
        return configured.value();
    }

    private static WorkloadIdentityConfigurationException fail(Problem problem, Map<String, ?> found) {
        return new WorkloadIdentityConfigurationException(Diagnosis.of(problem, found));
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

        static @Nullable Setting of(@Nullable String property, String propertyName) {
            return StringUtils.hasText(property) ? new Setting(propertyName, property.trim()) : null;
        }

        static @Nullable Setting first(PropertyResolver environment, @Nullable String property,
                String propertyName, String... fallbacks) {
            Setting configured = of(property, propertyName);
            if (configured != null) {
                return configured;
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
