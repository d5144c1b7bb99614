package dev.workloadidentity.spring.diagnostics;

import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every workload identity misconfiguration the starter recognizes, with its cause and its fix. This is the one
 * mapping behind startup failures, health details, log lines and the README's troubleshooting table.
 * <p>
 * Texts are templates: {@code {name}} is replaced by what was found (a path, a claim, a client ID); where nothing
 * was found, for example in the README, it reads {@code <name>}.
 */
public enum Problem {

    // Configuration, found at startup

    CLIENT_ID_MISSING("client-id-missing", EnumSet.of(Shown.STARTUP),
            "Workload identity is on ({tokenFileSetting}) but no client ID is configured: neither AZURE_CLIENT_ID "
                    + "nor workload-identity.client-id is set.",
            "Annotate the pod's service account with azure.workload.identity/client-id: <client ID> and recreate "
                    + "the pod, so the AKS webhook sets AZURE_CLIENT_ID, or set workload-identity.client-id."),

    CLIENT_ID_INVALID("client-id-invalid", EnumSet.of(Shown.STARTUP),
            "The client ID {clientIdSetting} is not a GUID.",
            "Use the client ID of the managed identity or application (a GUID; az identity show --query clientId), "
                    + "not its name, object ID path or resource ID."),

    TENANT_ID_MISSING("tenant-id-missing", EnumSet.of(Shown.STARTUP),
            "Workload identity is on ({tokenFileSetting}) but no tenant ID is configured: neither AZURE_TENANT_ID "
                    + "nor workload-identity.tenant-id is set.",
            "Set AZURE_TENANT_ID (the AKS webhook sets it from the service account annotation "
                    + "azure.workload.identity/tenant-id or the cluster's tenant), or set "
                    + "workload-identity.tenant-id."),

    TENANT_ID_INVALID("tenant-id-invalid", EnumSet.of(Shown.STARTUP),
            "The tenant ID {tenantIdSetting} is not a GUID.",
            "Use the directory (tenant) ID, a GUID (az account show --query tenantId)."),

    PLACEHOLDER_UNRESOLVED("placeholder-unresolved", EnumSet.of(Shown.STARTUP),
            "{setting} is an unresolved placeholder: nothing sets {placeholder}.",
            "Set {placeholder}, for example as an environment variable in the Deployment's env, or write the value "
                    + "in its place."),

    IDENTITY_CLIENT_ID_MISSING("identity-client-id-missing", EnumSet.of(Shown.STARTUP),
            "The identity workload-identity.identities.{identityName} has no client-id.",
            "Set workload-identity.identities.{identityName}.client-id to the client ID of an Entra application or "
                    + "user-assigned managed identity with a federated credential for the pod's service account, "
                    + "or remove the entry."),

    IDENTITY_NAME_TAKEN("identity-name-taken", EnumSet.of(Shown.STARTUP),
            "The identity workload-identity.identities.{identityName} would be the bean '{identityName}', but "
                    + "{takenBy}.",
            "Rename the identity, and the credential.token-credential-bean-name settings that refer to it."),

    CREDENTIAL_BEAN_MISSING("credential-bean-missing", EnumSet.of(Shown.STARTUP),
            "{setting} names the credential bean '{beanName}', but there is none. The identities of "
                    + "workload-identity.identities are: {identities}.",
            "Set it to one of those names, exactly as written under workload-identity.identities, add "
                    + "workload-identity.identities.{beanName}.client-id, or define a TokenCredential bean of that "
                    + "name."),

    AUTHORITY_HOST_NOT_HTTPS("authority-host-not-https", EnumSet.of(Shown.STARTUP),
            "The Entra authority host {authorityHostSetting} is not an https URL. Entra ID and the Azure Identity "
                    + "library accept only https authorities.",
            "Set it to your cloud's https Entra endpoint, for example https://login.microsoftonline.com/, or remove "
                    + "it to use the public cloud."),

    // The projected token file, checked before Entra is asked

    TOKEN_FILE_MISSING("token-file-missing", EnumSet.of(Shown.STARTUP, Shown.OUT_OF_SERVICE),
            "The federated token file {tokenFileSetting} does not exist.",
            "Label the pod template with azure.workload.identity/use: \"true\" (the webhook mounts the token only into "
                    + "pods labelled when they are created) and recreate the pod; if you set the path yourself, point "
                    + "it at the projected service account token."),

    TOKEN_FILE_IS_DIRECTORY("token-file-is-directory", EnumSet.of(Shown.STARTUP, Shown.OUT_OF_SERVICE),
            "The federated token file {tokenFileSetting} is a directory.",
            "Point it at the token file inside the projected volume, for example "
                    + "/var/run/secrets/azure/tokens/azure-identity-token."),

    TOKEN_FILE_UNREADABLE("token-file-unreadable", EnumSet.of(Shown.STARTUP, Shown.OUT_OF_SERVICE),
            "The federated token file {tokenFileSetting} cannot be read: {error}.",
            "Run the container as a user that can read the projected volume (Kubernetes 1.19+ mounts it 0644; older "
                    + "clusters need securityContext.fsGroup)."),

    TOKEN_FILE_EMPTY("token-file-empty", EnumSet.of(Shown.STARTUP, Shown.OUT_OF_SERVICE),
            "The federated token file {tokenFileSetting} is empty.",
            "The kubelet writes the token into the projected volume; check the volume and the kubelet's events, "
                    + "then restart the pod."),

    TOKEN_NOT_A_JWT("token-not-a-jwt", EnumSet.of(Shown.STARTUP, Shown.OUT_OF_SERVICE),
            "The federated token file {tokenFileSetting} does not hold a JWT.",
            "Point the token file setting at the service account token the webhook projects "
                    + "(AZURE_FEDERATED_TOKEN_FILE as injected), not at another file."),

    TOKEN_EXPIRED("token-expired", EnumSet.of(Shown.WARNING, Shown.OUT_OF_SERVICE),
            "The federated token in {tokenFile} expired at {tokenExpiresAt}: the kubelet has not rotated it.",
            Fixes.NOT_ROTATED),

    TOKEN_EXPIRING("token-expiring", EnumSet.of(Shown.WARNING),
            "The federated token in {tokenFile} expires at {tokenExpiresAt} and has not been rotated; the kubelet "
                    + "rotates it well before that.",
            Fixes.NOT_ROTATED),

    TOKEN_WRONG_AUDIENCE("token-wrong-audience", EnumSet.of(Shown.WARNING),
            "The federated token's audience is {tokenAudience}, not api://AzureADTokenExchange: {tokenFile} is "
                    + "probably the pod's default service account token.",
            "Use the token the webhook projects (AZURE_FEDERATED_TOKEN_FILE as injected). If you use a custom "
                    + "audience on purpose, list it in the federated credential."),

    TOKEN_WRONG_SUBJECT("token-wrong-subject", EnumSet.of(Shown.WARNING),
            "The federated token's subject {tokenSubject} is not of the form "
                    + "system:serviceaccount:<namespace>:<service account>.",
            "Use a Kubernetes service account token projected by the webhook."),

    // Entra's answers

    NO_MATCHING_FEDERATED_CREDENTIAL("AADSTS70021", EnumSet.of(Shown.DOWN),
            "No federated identity credential on client {clientId} matches the token: issuer {tokenIssuer}, "
                    + "subject {tokenSubject}, audience {tokenAudience}.",
            "Create or fix the federated credential: issuer = the cluster's OIDC issuer URL (az aks show --query "
                    + "oidcIssuerProfile.issuerUrl; keep the trailing slash), subject = "
                    + "system:serviceaccount:<namespace>:<service account>, audience = api://AzureADTokenExchange. A "
                    + "credential created in the last minutes may still be propagating."),

    FEDERATED_CREDENTIAL_ISSUER_MISMATCH("AADSTS700211", EnumSet.of(Shown.DOWN),
            "No federated identity credential on client {clientId} has the token's issuer {tokenIssuer}.",
            "Add a federated credential with exactly this issuer (the cluster's OIDC issuer URL, trailing slash "
                    + "included), or check that the pod runs on the cluster you federated."),

    FEDERATED_CREDENTIAL_AUDIENCE_MISMATCH("AADSTS700212", EnumSet.of(Shown.DOWN),
            "No federated identity credential on client {clientId} has the token's audience {tokenAudience}.",
            "Set the federated credential's audience to api://AzureADTokenExchange, or to the custom audience your "
                    + "cluster uses."),

    FEDERATED_CREDENTIAL_SUBJECT_MISMATCH("AADSTS700213", EnumSet.of(Shown.DOWN),
            "No federated identity credential on client {clientId} has the token's subject {tokenSubject} "
                    + "(subjects are case-sensitive).",
            "Set the federated credential's subject to the pod's system:serviceaccount:<namespace>:<service account>, "
                    + "or run the pod with the service account the credential names."),

    ASSERTION_OUT_OF_TIME_RANGE("AADSTS700024", EnumSet.of(Shown.OUT_OF_SERVICE),
            "Entra found the federated token outside its valid time range (it expires at {tokenExpiresAt}).",
            "The token is stale: mount the projected volume without subPath, never copy the token, restart the pod "
                    + "if the kubelet stopped rotating it, and check the node's clock."),

    TOKEN_LIFETIME_TOO_LONG("AADSTS70023", EnumSet.of(Shown.OUT_OF_SERVICE),
            "Entra refused the federated token's lifetime as too long: {tokenFile} is probably not the token the "
                    + "webhook projects.",
            "Use AZURE_FEDERATED_TOKEN_FILE as injected, not /var/run/secrets/kubernetes.io/serviceaccount/token."),

    APPLICATION_NOT_FOUND("AADSTS700016", EnumSet.of(Shown.DOWN),
            "Entra has no application with client ID {clientId} in tenant {tenantId}.",
            "Check {clientIdSource}: it must be the identity's client ID, not its resource ID, and the identity "
                    + "must live in that tenant."),

    TENANT_NOT_FOUND("AADSTS90002", EnumSet.of(Shown.DOWN), "Entra does not know tenant {tenantId}.",
            "Fix {tenantIdSource}, and check that the authority host {authorityHost} belongs to the tenant's "
                    + "cloud."),

    TENANT_INVALID("AADSTS900023", EnumSet.of(Shown.DOWN), "Entra rejects {tenantId} as a tenant identifier.",
            "Use the directory (tenant) ID GUID in {tenantIdSource}."),

    ISSUER_UNREACHABLE("AADSTS90061", EnumSet.of(Shown.DOWN),
            "Entra could not fetch the OIDC discovery document or signing keys of the issuer {tokenIssuer}.",
            "Enable the cluster's OIDC issuer (az aks update --enable-oidc-issuer) and keep it publicly reachable; a "
                    + "self-managed issuer must serve .well-known/openid-configuration and its JWKS."),

    ASSERTION_SIGNATURE_INVALID("AADSTS700027", EnumSet.of(Shown.DOWN),
            "Entra could not verify the federated token's signature with the keys issuer {tokenIssuer} publishes.",
            "The cluster's signing key changed: republish the issuer's JWKS (on AKS, az aks update reconciles it) "
                    + "and allow Entra time to refresh its cache."),

    CLIENT_SECRET_INVALID("AADSTS7000215", EnumSet.of(Shown.DOWN),
            "Entra received an invalid client secret: something signs in with a secret, not with the workload "
                    + "identity.",
            Fixes.NO_CLIENT_SECRET),

    CLIENT_SECRET_EXPIRED("AADSTS7000222", EnumSet.of(Shown.DOWN),
            "Entra received an expired client secret: something signs in with a secret, not with the workload "
                    + "identity.",
            Fixes.NO_CLIENT_SECRET),

    RESOURCE_NOT_FOUND("AADSTS500011", EnumSet.of(Shown.DOWN),
            "Entra knows no resource for the requested scope {scope}.",
            "Request <resource>/.default of a resource that exists in the tenant's cloud; check "
                    + "workload-identity.health.scope."),

    SCOPE_INVALID("AADSTS70011", EnumSet.of(Shown.DOWN), "Entra rejects the requested scope {scope}.",
            "Request <resource>/.default, for example https://management.azure.com/.default; check "
                    + "workload-identity.health.scope."),

    ENTRA_ERROR("AADSTS<code>", EnumSet.of(Shown.DOWN), "Entra ID refused the token: {entraMessage}",
            "Look the code up at https://login.microsoftonline.com/error?code=<code>; Azure support asks for the "
                    + "correlation ID."),

    // The network between the pod and Entra

    TENANT_NOT_ALLOWED("tenant-not-allowed", EnumSet.of(Shown.DOWN),
            "A client asked for a token in tenant {requestedTenant} (a Key Vault names its own tenant), but client "
                    + "ID {clientId} signs in to tenant {tenantId}, and Azure Identity does not switch tenants "
                    + "unless allowed to.",
            "Use an identity of the resource's tenant ({requestedTenant}), or, for a multi-tenant application, "
                    + "allow that tenant with a WorkloadIdentityCredentialBuilderCustomizer: "
                    + "builder.additionallyAllowedTenants(\"{requestedTenant}\")."),

    INSTANCE_DISCOVERY_UNREACHABLE("instance-discovery-unreachable", EnumSet.of(Shown.DOWN),
            "Instance discovery could not reach login.microsoftonline.com ({error}); the token client calls it for "
                    + "any authority host that is not a known Microsoft host, such as {authorityHost}.",
            "Set workload-identity.instance-discovery=false for private clouds and local fakes of Entra, or allow "
                    + "egress to login.microsoftonline.com."),

    DNS_FAILURE("dns-failure", EnumSet.of(Shown.DOWN), "The authority host cannot be resolved: {error}.",
            "Check the authority host {authorityHost}, the pod's DNS, and egress rules."),

    CONNECTION_REFUSED("connection-refused", EnumSet.of(Shown.DOWN),
            "The connection to the authority host {authorityHost} was refused.",
            "Check the authority host and port, and any egress proxy or firewall in between."),

    TLS_FAILURE("tls-failure", EnumSet.of(Shown.DOWN), "The TLS handshake with {authorityHost} failed: {error}.",
            "Make the JVM trust the authority's certificate; a TLS-intercepting proxy needs its CA in the trust "
                    + "store."),

    TIMEOUT("timeout", EnumSet.of(Shown.DOWN),
            "No access token within {timeout}: the token endpoint {authorityHost} is slow or unreachable.",
            "Allow egress to the authority host; if the network is just slow, raise workload-identity.health.timeout."),

    UNKNOWN("unknown", EnumSet.of(Shown.DOWN), "The token request failed: {error}.",
            "Read the application log for the whole error."),

    // Key Vault property sources, loaded before the application context starts

    KEY_VAULT_TIMEOUT("key-vault-timeout", EnumSet.of(Shown.STARTUP),
            "Key Vault property source {propertySource}: {waitingFor} did not answer within {timeout}, so startup "
                    + "stopped.",
            "Allow egress from the pod to the vault and to {authorityHost} (network policy, firewall, private "
                    + "endpoint DNS); if they are just slow, raise workload-identity.key-vault.startup-timeout."),

    KEY_VAULT_FAILED("key-vault-failed", EnumSet.of(Shown.STARTUP),
            "Key Vault property source {propertySource} could not load its secrets: {error}.",
            "Check that the endpoint is the vault's URI (az keyvault show --query properties.vaultUri) and reachable "
                    + "from the pod, and that client ID {clientId} may read its secrets (role Key Vault Secrets User)."),

    KEY_VAULT_CREDENTIAL_CONFLICT("key-vault-credential-conflict", EnumSet.of(Shown.STARTUP),
            "{credentialSetting} is set, but Key Vault property sources load at startup with the pod's workload "
                    + "identity and would ignore it.",
            "Remove {credentialSetting} to load the secrets as the workload identity, and give that identity Key "
                    + "Vault Secrets User on the vault; or switch workload identity off for the whole application "
                    + "with the environment variable WORKLOADIDENTITY_ENABLED=false."),

    KEY_VAULT_DEFAULT_CREDENTIAL("key-vault-default-credential", EnumSet.of(Shown.WARNING, Shown.STARTUP),
            "Key Vault property sources {propertySources} loaded their secrets with Spring Cloud Azure's "
                    + "DefaultAzureCredential, which can sign in as the node's managed identity: startup looks for "
                    + "the workload identity only in the process environment and system properties, and it was "
                    + "configured only in application configuration or command-line arguments.",
            "Leave the AKS webhook's variables in the pod's environment, or set workload-identity.token-file (and the "
                    + "IDs) as environment variables (WORKLOADIDENTITY_TOKENFILE) or system properties. Startup "
                    + "fails on this with workload-identity.strict=true."),

    DISABLED_TOO_LATE("disabled-too-late", EnumSet.of(Shown.STARTUP),
            "workload-identity.enabled=false is set in application configuration or a command-line argument, "
                    + "which are read after the Key Vault property sources were given the workload identity the AKS "
                    + "webhook set up.",
            "Switch workload identity off where startup reads it first: the environment variable "
                    + "WORKLOADIDENTITY_ENABLED=false or the system property -Dworkload-identity.enabled=false."),

    BROADER_IDENTITY_BEAN("broader-identity-bean", EnumSet.of(Shown.WARNING, Shown.STARTUP),
            "Bean '{beanName}' is a {credentialType}, which can sign in as the node's or the cluster's managed "
                    + "identity instead of the pod's workload identity, for every client that is given it.",
            "Remove the bean; clients without a credential of their own use the pod's workload identity. Startup "
                    + "fails on this with workload-identity.strict=true."),

    BROADER_IDENTITY_SETTING("broader-identity-setting", EnumSet.of(Shown.WARNING, Shown.STARTUP),
            "{setting} makes Spring Cloud Azure sign in with {identity} instead of the pod's workload identity.",
            "Remove {setting}, and grant the pod's identity the access instead. Startup fails on this with "
                    + "workload-identity.strict=true."),

    CLIENT_ID_IGNORED("client-id-ignored", EnumSet.of(Shown.WARNING, Shown.STARTUP),
            "{setting}={clientId} does not choose an identity: Spring Cloud Azure uses a client's own client ID only "
                    + "with a secret, certificate or managed identity, so that client signs in as the pod's "
                    + "workload identity, client ID {podClientId}.",
            "To sign that client in as {clientId}, federate that identity with the pod's service account, add it as "
                    + "workload-identity.identities.<name>.client-id and set {credentialPrefix}"
                    + "token-credential-bean-name=<name>; otherwise remove the setting. Startup fails on this with "
                    + "workload-identity.strict=true."),

    KEY_VAULT_IDENTITY_SPLIT("key-vault-identity-split", EnumSet.of(Shown.WARNING, Shown.STARTUP),
            "Key Vault property sources read the vault at startup as the pod's identity (client ID {podClientId}), "
                    + "but {setting}={beanName} signs the SecretClient in as another identity, so both need a role "
                    + "on the vault.",
            "Read the vault as one identity: remove {setting}, or load no secrets through property sources. If both "
                    + "must read it, give each a role on just the secrets it reads (Key Vault Secrets User can be "
                    + "assigned per secret). Startup fails on this with workload-identity.strict=true."),

    CLOUD_MISMATCH("cloud-mismatch", EnumSet.of(Shown.WARNING),
            "The authority host {authorityHost} belongs to {authorityCloud}, but {setting}={endpoint} is in "
                    + "{endpointCloud}: that service refuses tokens from another cloud's Entra.",
            "Point both at the same cloud: the authority host (AZURE_AUTHORITY_HOST, set by the webhook from the "
                    + "cluster's cloud, or workload-identity.authority-host) or {setting}."),

    HEALTH_GROUP_MEMBER_MISSING("health-group-member-missing", EnumSet.of(Shown.WARNING),
            "Health group '{group}' includes {member}, but workloadIdentity has no such component (its components: "
                    + "{components}), so the group does not check that identity.",
            "Include workloadIdentity itself; its components, default and one per name, exist only with "
                    + "workload-identity.identities."),

    LEFTOVER_SECRET_VARIABLE("leftover-secret-variable", EnumSet.of(Shown.STARTUP),
            "{variable} is set in the pod's environment; the starter ignores it, but any other Azure client in the "
                    + "process (a DefaultAzureCredential, the Azure CLI) would sign in with it.",
            "Remove {variable} from the pod spec (and its secret), or set workload-identity.strict=false to accept "
                    + "it with a warning.");

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z]+)}");

    private final String code;

    private final Set<Shown> shown;

    private final String cause;

    private final String action;

    Problem(String code, Set<Shown> shown, String cause, String action) {
        this.code = code;
        this.shown = shown;
        this.cause = cause;
        this.action = action;
    }

    /** @return a stable code: the AADSTS code for Entra's answers, a short name otherwise */
    public String code() {
        return this.code;
    }

    /** @return where the problem shows */
    public Set<Shown> shown() {
        return this.shown;
    }

    /** @return whether the pod itself must change (health OUT_OF_SERVICE), as opposed to Azure or the network */
    public boolean podMustChange() {
        return this.shown.contains(Shown.OUT_OF_SERVICE);
    }

    /**
     * @param values what was found, by placeholder name
     * @return the cause with the values filled in
     */
    public String cause(Map<String, ?> values) {
        return fill(this.cause, values);
    }

    /**
     * @param values what was found, by placeholder name
     * @return the fix with the values filled in
     */
    public String action(Map<String, ?> values) {
        return fill(this.action, values);
    }

    /**
     * @param aadstsCode an AADSTS number as Entra reports it
     * @return the problem with that code, if it is one the starter explains
     */
    public static Optional<Problem> forEntraCode(String aadstsCode) {
        for (Problem problem : values()) {
            if (problem.code.equals("AADSTS" + aadstsCode)) {
                return Optional.of(problem);
            }
        }
        return Optional.empty();
    }

    private static String fill(String template, Map<String, ?> values) {
        Matcher matcher = PLACEHOLDER.matcher(template);
        StringBuilder filled = new StringBuilder();
        while (matcher.find()) {
            Object value = values.get(matcher.group(1));
            String replacement = (value != null) ? Redaction.redactTokens(String.valueOf(value))
                    : "<" + matcher.group(1) + ">";
            matcher.appendReplacement(filled, Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(filled);
        return filled.toString();
    }

    /** Fixes that more than one problem shares. */
    private static final class Fixes {

        static final String NOT_ROTATED = "Mount the projected volume without subPath (subPath mounts never rotate) "
                + "and never copy the token; if it is mounted correctly, restart the pod (a known kubelet rotation "
                + "failure, Azure/AKS#5562).";

        static final String NO_CLIENT_SECRET = "Remove AZURE_CLIENT_SECRET and any "
                + "spring.cloud.azure.*.credential.client-secret so the workload identity is used.";

    }

    /** Where a problem shows. */
    public enum Shown {

        /** Startup fails with a report. */
        STARTUP,

        /** A warning at startup and in health details; the app keeps working for now. */
        WARNING,

        /** Health reports OUT_OF_SERVICE: the pod must be fixed. */
        OUT_OF_SERVICE,

        /** Health reports DOWN: Azure-side configuration or the network must be fixed. */
        DOWN

    }

}
