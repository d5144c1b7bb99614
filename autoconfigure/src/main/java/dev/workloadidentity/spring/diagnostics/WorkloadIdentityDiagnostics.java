package dev.workloadidentity.spring.diagnostics;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLException;

import com.microsoft.aad.msal4j.MsalException;
import com.microsoft.aad.msal4j.MsalServiceException;
import org.jspecify.annotations.Nullable;

/**
 * Explains why one workload identity cannot get tokens: inspects its federated token file, and turns whatever a
 * token request threw into a {@link Diagnosis}, walking the cause chain, because the synchronous credential path
 * wraps Entra's answer several layers deep while the asynchronous one emits it bare.
 */
public final class WorkloadIdentityDiagnostics {

    private static final Pattern AADSTS = Pattern.compile("AADSTS(\\d+)");

    /** Azure Identity's refusal of a tenant the client asked for (a Key Vault challenge names the vault's). */
    private static final Pattern TENANT_NOT_ALLOWED = Pattern
        .compile("not configured to acquire tokens for tenant (\\S+?)\\. ");

    private static final Pattern TRACE_ID = Pattern.compile("Trace ID: ([0-9a-fA-F-]+)");

    private static final String INSTANCE_DISCOVERY_HOST = "login.microsoftonline.com";

    private static final String CLIENT_ID_VARIABLE = "AZURE_CLIENT_ID";

    private static final String TENANT_ID_VARIABLE = "AZURE_TENANT_ID";

    private final String clientId;

    private final String tenantId;

    private final String authorityHost;

    private final Path tokenFile;

    private final String tokenFileSetting;

    private final boolean instanceDiscovery;

    private final String scope;

    private final Clock clock;

    private final String clientIdSource;

    private final String tenantIdSource;

    /**
     * @param clientId the identity's client ID
     * @param tenantId its tenant
     * @param authorityHost the Entra authority host
     * @param tokenFile the federated token file
     * @param tokenFileSetting where its path came from, e.g. {@code AZURE_FEDERATED_TOKEN_FILE=/var/run/...}
     * @param instanceDiscovery whether the token client uses instance discovery
     * @param scope the scope tokens are requested for
     */
    public WorkloadIdentityDiagnostics(String clientId, String tenantId, String authorityHost, Path tokenFile,
            String tokenFileSetting, boolean instanceDiscovery, String scope) {
        this(clientId, tenantId, authorityHost, tokenFile, tokenFileSetting, instanceDiscovery, scope,
                Clock.systemUTC());
    }

    WorkloadIdentityDiagnostics(String clientId, String tenantId, String authorityHost, Path tokenFile,
            String tokenFileSetting, boolean instanceDiscovery, String scope, Clock clock) {
        this(clientId, tenantId, authorityHost, tokenFile, tokenFileSetting, instanceDiscovery, scope, clock,
                CLIENT_ID_VARIABLE, TENANT_ID_VARIABLE);
    }

    private WorkloadIdentityDiagnostics(String clientId, String tenantId, String authorityHost, Path tokenFile,
            String tokenFileSetting, boolean instanceDiscovery, String scope, Clock clock, String clientIdSource,
            String tenantIdSource) {
        this.clientId = clientId;
        this.tenantId = tenantId;
        this.authorityHost = authorityHost;
        this.tokenFile = tokenFile;
        this.tokenFileSetting = tokenFileSetting;
        this.instanceDiscovery = instanceDiscovery;
        this.scope = scope;
        this.clock = clock;
        this.clientIdSource = clientIdSource;
        this.tenantIdSource = tenantIdSource;
    }

    /**
     * Names where the client ID and tenant came from, so that fixes point there: {@code AZURE_CLIENT_ID} and
     * {@code AZURE_TENANT_ID} (the service account's annotations, through the webhook) unless told otherwise.
     * @param clientIdSource the variable or property the client ID came from
     * @param tenantIdSource the variable or property the tenant came from
     * @return diagnostics that name them
     */
    public WorkloadIdentityDiagnostics configuredBy(String clientIdSource, String tenantIdSource) {
        return new WorkloadIdentityDiagnostics(this.clientId, this.tenantId, this.authorityHost, this.tokenFile,
                this.tokenFileSetting, this.instanceDiscovery, this.scope, this.clock, clientIdSource,
                tenantIdSource);
    }

    /** @return the scope tokens are requested for */
    public String scope() {
        return this.scope;
    }

    /** @return what to show about the identity; no secrets */
    public Map<String, Object> identityDetails() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("clientId", this.clientId);
        details.put("tenantId", this.tenantId);
        details.put("authorityHost", this.authorityHost);
        details.put("tokenFile", this.tokenFile.toString());
        details.put("scope", this.scope);
        return details;
    }

    /** @return the federated token file as the credential would read it now */
    public FederatedTokenFile inspectTokenFile() {
        return FederatedTokenFile.inspect(this.tokenFile, this.tokenFileSetting, this.clock);
    }

    /**
     * @param timeout how long the caller waited
     * @param file the token file as inspected for this request
     * @return why no token came in time
     */
    public Diagnosis timedOut(Duration timeout, FederatedTokenFile file) {
        Map<String, Object> values = values(file);
        values.put("timeout", timeout.toMillis() + " ms");
        return Diagnosis.of(Problem.TIMEOUT, values).with(tokenDetails(file));
    }

    /**
     * @param failure what the credential threw or emitted
     * @param file the token file as inspected for this request
     * @return why the token request failed
     */
    public Diagnosis diagnose(Throwable failure, FederatedTokenFile file) {
        MsalServiceException entra = find(failure, MsalServiceException.class);
        if (entra != null) {
            return entraAnswer(entra, file);
        }
        String requestedTenant = requestedTenant(failure);
        if (requestedTenant != null) {
            Map<String, Object> values = values(file);
            values.put("requestedTenant", requestedTenant);
            return Diagnosis.of(Problem.TENANT_NOT_ALLOWED, values);
        }
        if (find(failure, NoSuchFileException.class) != null || find(failure, AccessDeniedException.class) != null) {
            // The file changed between the check and the request: look again.
            FederatedTokenFile now = inspectTokenFile();
            if (now.problem() != null) {
                return now.problem();
            }
        }
        Problem problem = networkProblem(failure);
        if (problem == Problem.UNKNOWN && !file.usable() && file.problem() != null) {
            // Azure Identity fails obscurely on a token file it cannot use (an empty one: "NullPointerException:
            // assertion"); what is wrong with the file says more.
            return file.problem();
        }
        Map<String, Object> values = values(file);
        values.put("error", describe(rootCause(failure)));
        return Diagnosis.of(problem, values).with(tokenDetails(file));
    }

    /**
     * @param failure what a client call threw
     * @return whether it failed getting a token (Entra's answer, the way to Entra, the token file) rather than
     * talking to the service itself
     */
    public static boolean isTokenFailure(Throwable failure) {
        return find(failure, MsalException.class) != null || find(failure, NoSuchFileException.class) != null
                || find(failure, AccessDeniedException.class) != null || requestedTenant(failure) != null;
    }

    private static @Nullable String requestedTenant(Throwable failure) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable current = failure; current != null && seen.add(current); current = current.getCause()) {
            Matcher matcher = TENANT_NOT_ALLOWED.matcher(String.valueOf(current.getMessage()));
            if (matcher.find()) {
                return matcher.group(1);
            }
        }
        return null;
    }

    /**
     * @param failure any failure
     * @return its root cause's type and first message line, with anything token-shaped redacted
     */
    public static String summarize(Throwable failure) {
        return describe(rootCause(failure));
    }

    private Diagnosis entraAnswer(MsalServiceException entra, FederatedTokenFile file) {
        String message = (entra.getMessage() != null) ? entra.getMessage() : "";
        Matcher code = AADSTS.matcher(message);
        String aadsts = code.find() ? "AADSTS" + code.group(1) : null;
        Problem problem = (aadsts != null) ? Problem.forEntraCode(code.group(1)).orElse(Problem.ENTRA_ERROR)
                : Problem.ENTRA_ERROR;
        Map<String, Object> values = values(file);
        values.put("entraMessage", firstLine(message));
        Diagnosis diagnosis = Diagnosis.of(problem, values);
        if (problem == Problem.ENTRA_ERROR) {
            diagnosis = diagnosis.withCode((aadsts != null) ? aadsts : "entra-" + entra.statusCode());
        }
        Matcher traceId = TRACE_ID.matcher(message);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("aadsts", aadsts);
        details.put("error", entra.errorCode());
        details.put("httpStatus", entra.statusCode());
        details.put("correlationId", entra.correlationId());
        details.put("traceId", traceId.find() ? traceId.group(1) : null);
        details.putAll(tokenDetails(file));
        return diagnosis.with(details);
    }

    private Problem networkProblem(Throwable failure) {
        UnknownHostException unknownHost = find(failure, UnknownHostException.class);
        if (unknownHost != null) {
            boolean discovery = this.instanceDiscovery && String.valueOf(unknownHost.getMessage())
                .contains(INSTANCE_DISCOVERY_HOST) && !this.authorityHost.contains(INSTANCE_DISCOVERY_HOST);
            return discovery ? Problem.INSTANCE_DISCOVERY_UNREACHABLE : Problem.DNS_FAILURE;
        }
        if (find(failure, ConnectException.class) != null) {
            return Problem.CONNECTION_REFUSED;
        }
        if (find(failure, SSLException.class) != null) {
            return Problem.TLS_FAILURE;
        }
        if (find(failure, SocketTimeoutException.class) != null || find(failure, TimeoutException.class) != null) {
            return Problem.TIMEOUT;
        }
        return Problem.UNKNOWN;
    }

    private Map<String, Object> values(FederatedTokenFile file) {
        Map<String, Object> values = new LinkedHashMap<>(file.templateValues());
        values.put("clientId", this.clientId);
        values.put("tenantId", this.tenantId);
        values.put("clientIdSource", CLIENT_ID_VARIABLE.equals(this.clientIdSource)
                ? "the service account's azure.workload.identity/client-id annotation (AZURE_CLIENT_ID)"
                : this.clientIdSource);
        values.put("tenantIdSource", TENANT_ID_VARIABLE.equals(this.tenantIdSource)
                ? "AZURE_TENANT_ID (the service account's azure.workload.identity/tenant-id annotation, or the "
                        + "cluster's tenant)" : this.tenantIdSource);
        values.put("authorityHost", this.authorityHost);
        values.put("scope", this.scope);
        return values;
    }

    private static Map<String, Object> tokenDetails(FederatedTokenFile file) {
        return (file.claims() != null) ? Map.of("federatedToken", file.claims().asDetails()) : Map.of();
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage();
        return failure.getClass().getSimpleName() + ((message != null) ? ": " + firstLine(message) : "");
    }

    private static String firstLine(String message) {
        return Redaction.redactTokens(message.lines().findFirst().orElse("").trim());
    }

    private static <T extends Throwable> @Nullable T find(Throwable failure, Class<T> type) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable current = failure; current != null && seen.add(current); current = current.getCause()) {
            if (type.isInstance(current)) {
                return type.cast(current);
            }
        }
        return null;
    }

    private static Throwable rootCause(Throwable failure) {
        Set<Throwable> seen = new HashSet<>();
        Throwable current = failure;
        while (current.getCause() != null && seen.add(current)) {
            current = current.getCause();
        }
        return current;
    }

}
