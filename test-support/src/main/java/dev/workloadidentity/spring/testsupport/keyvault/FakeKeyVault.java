package dev.workloadidentity.spring.testsupport.keyvault;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpExchange;
import dev.workloadidentity.spring.testsupport.http.LoopbackHttpsServer;
import dev.workloadidentity.spring.testsupport.json.Json;
import dev.workloadidentity.spring.testsupport.rbac.Caller;
import dev.workloadidentity.spring.testsupport.rbac.RoleAssignments;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import dev.workloadidentity.spring.testsupport.token.AccessTokenValidator;
import dev.workloadidentity.spring.testsupport.token.InvalidTokenException;
import org.jspecify.annotations.Nullable;

/**
 * A fake Azure Key Vault serving secrets ({@code GET}/{@code PUT /secrets/{name}[/{version}]}, and the list
 * {@code GET /secrets} that Spring Cloud Azure's Key Vault property sources read) over HTTPS on a loopback port,
 * behind the real bearer challenge.
 * <p>
 * A request without a bearer token gets {@code 401} with
 * {@code WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/{tenant}", resource="https://vault.azure.net"},
 * which is how {@code SecretClient} learns the tenant and scope; a token its {@link AccessTokenValidator} rejects
 * gets the same challenge plus {@code error="invalid_token"}. Clients must disable challenge-resource
 * verification ({@code 127.0.0.1} is not a subdomain of {@code vault.azure.net}).
 * <p>
 * Like a vault with the Azure RBAC permission model, it serves a valid token only when its caller
 * ({@code appid}) {@linkplain #assignRole holds a role} on the vault, else it answers {@code 403} with Key
 * Vault's {@code Forbidden}/{@code ForbiddenByRbac} body; while no role is assigned every valid token is served.
 * Each {@linkplain #requests() request} records the caller's client id, so a test can tell which identity a
 * client used.
 */
public final class FakeKeyVault implements AutoCloseable {

    /** The resource a Key Vault challenge names; tokens need this audience. */
    public static final String RESOURCE = "https://vault.azure.net";

    private static final System.Logger logger = System.getLogger(FakeKeyVault.class.getName());

    private final String tenantId;

    private final AccessTokenValidator validator;

    private final Clock clock;

    private final Map<String, List<SecretVersion>> secrets = new ConcurrentHashMap<>();

    private final RoleAssignments roles = new RoleAssignments();

    private final List<VaultRequest> requests = new CopyOnWriteArrayList<>();

    private final LoopbackHttpsServer server;

    private FakeKeyVault(String tenantId, AccessTokenValidator validator, FakeAzureTls tls, Clock clock) {
        this.tenantId = tenantId;
        this.validator = validator;
        this.clock = clock;
        this.server = LoopbackHttpsServer.start("fake-keyvault", tls, this::handle);
    }

    /**
     * Starts a vault presenting {@link FakeAzureTls#jvmDefault()}'s certificate.
     * @param tenantId the tenant its challenge names
     * @param validator checks every bearer token, e.g. {@code entra.accessTokenValidator(FakeKeyVault.RESOURCE)}
     * @return the running vault
     */
    public static FakeKeyVault start(String tenantId, AccessTokenValidator validator) {
        return start(tenantId, validator, FakeAzureTls.jvmDefault(), Clock.systemUTC());
    }

    /**
     * Starts a vault.
     * @param tenantId the tenant its challenge names
     * @param validator checks every bearer token
     * @param tls the certificate to present
     * @param clock the clock for the {@code created}/{@code updated} attributes
     * @return the running vault
     */
    public static FakeKeyVault start(String tenantId, AccessTokenValidator validator, FakeAzureTls tls, Clock clock) {
        return new FakeKeyVault(tenantId, validator, tls, clock);
    }

    /** @return {@code https://127.0.0.1:<port>}, the vault URL for {@code SecretClientBuilder.vaultUrl} */
    public String vaultUrl() {
        return this.server.baseUrl();
    }

    /** @return the bound port */
    public int port() {
        return this.server.port();
    }

    /**
     * Seeds a secret (a new version when it exists), without a request.
     * @param name the secret name
     * @param value the value
     * @return this
     */
    public FakeKeyVault setSecret(String name, String value) {
        addVersion(name, value);
        return this;
    }

    /**
     * @param name a secret name
     * @return the latest value, or {@code null} when there is no such secret
     */
    public @Nullable String secret(String name) {
        List<SecretVersion> versions = this.secrets.get(name);
        if (versions == null) {
            return null;
        }
        synchronized (versions) {
            return versions.isEmpty() ? null : versions.get(versions.size() - 1).value;
        }
    }

    /**
     * Assigns an identity a data role on the vault, as {@code Key Vault Secrets Officer} would: from now on only
     * identities holding one are served, others get {@code 403 ForbiddenByRbac}.
     * @param clientId the application's client id, as in its tokens' {@code appid}
     * @return this
     */
    public FakeKeyVault assignRole(String clientId) {
        this.roles.assign(clientId);
        return this;
    }

    /** @return every request served so far, oldest first, without tokens or secret values */
    public List<VaultRequest> requests() {
        return List.copyOf(this.requests);
    }

    /** Stops the server and releases its port. */
    @Override
    public void close() {
        this.server.close();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        String token = LoopbackHttpsServer.bearerToken(exchange);
        if (token == null) {
            LoopbackHttpsServer.body(exchange);
            challenge(exchange, null, "AKV10000: Request is missing a Bearer or PoP token.", false);
            return;
        }
        try {
            this.validator.validate(token);
        }
        catch (InvalidTokenException ex) {
            LoopbackHttpsServer.body(exchange);
            logger.log(System.Logger.Level.DEBUG, "rejected token on {0} {1}: {2}", method, path, ex.getMessage());
            challenge(exchange, "invalid_token", "AKV10022: Invalid token: " + ex.getMessage(), true);
            return;
        }
        Caller caller = Caller.of(token);
        String clientId = (caller != null) ? caller.clientId() : null;
        if (!this.roles.permits(clientId)) {
            LoopbackHttpsServer.body(exchange);
            logger.log(System.Logger.Level.DEBUG, "refused {0} {1} to {2}: no role assigned", method, path, clientId);
            forbidden(exchange, method, path, caller);
            return;
        }
        serve(exchange, method, path, clientId);
    }

    /**
     * Answers as a vault on the Azure RBAC permission model does when the caller holds no role: {@code 403},
     * {@code code=Forbidden} with the caller and action in the message, {@code innererror.code=ForbiddenByRbac}.
     * The SDK puts this body into its exception message, so it names the caller but never the token.
     */
    private void forbidden(HttpExchange exchange, String method, String path, @Nullable Caller caller)
            throws IOException {
        String who = (caller == null) ? "appid=(none)"
                : "appid=" + caller.clientId() + ((caller.objectId() != null) ? ";oid=" + caller.objectId() : "");
        String message = "Caller is not authorized to perform action on resource.\r\n"
                + "If role assignments, deny assignments or role definitions were changed recently, please observe"
                + " propagation time.\r\n"
                + "Caller: " + who + ";iss=https://sts.windows.net/" + this.tenantId + "/\r\n"
                + "Action: '" + action(method, path) + "'\r\n"
                + "Resource: '" + vaultUrl() + path + "'\r\n"
                + "Assignment: (not found)\r\n"
                + "DenyAssignmentId: null\r\n"
                + "DecisionReason: null \r\n"
                + "Vault: " + vaultUrl() + "\r\n";
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", "Forbidden");
        error.put("message", message);
        error.put("innererror", Map.of("code", "ForbiddenByRbac"));
        respond(exchange, 403, Map.of("error", error), true, (caller != null) ? caller.clientId() : null);
    }

    /** The RBAC data action a request needs, as the 403 message names it. */
    private static String action(String method, String path) {
        boolean list = path.equals("/secrets") || path.equals("/secrets/");
        String operation = "PUT".equals(method) ? "setSecret" : (list ? "readMetadata" : "getSecret");
        return "Microsoft.KeyVault/vaults/secrets/" + operation + "/action";
    }

    private void serve(HttpExchange exchange, String method, String path, @Nullable String clientId)
            throws IOException {
        String body = LoopbackHttpsServer.body(exchange);
        String query = exchange.getRequestURI().getRawQuery();
        if (query == null || !LoopbackHttpsServer.parseForm(query).containsKey("api-version")) {
            error(exchange, 400, "BadParameter", "The 'api-version' query parameter is required.", true, clientId);
            return;
        }
        String[] segments = path.split("/", -1);
        if ("GET".equals(method) && (path.equals("/secrets") || path.equals("/secrets/"))) {
            respond(exchange, 200, list(exchange), true, clientId);
            return;
        }
        // "/secrets/name", "/secrets/name/" (the SDK's GET with an empty version) or "/secrets/name/version"
        if (segments.length < 3 || segments.length > 4 || !segments[0].isEmpty() || !"secrets".equals(segments[1])
                || segments[2].isEmpty()) {
            error(exchange, 404, "NotFound", "The fake Key Vault serves only /secrets and /secrets/{name}[/{version}].",
                    true, clientId);
            return;
        }
        String name = segments[2];
        String version = (segments.length == 4) ? segments[3] : "";
        if ("GET".equals(method)) {
            SecretVersion secret = find(name, version);
            if (secret == null) {
                error(exchange, 404, "SecretNotFound", "A secret with (name/id) " + name
                        + (version.isEmpty() ? "" : "/" + version) + " was not found in this key vault. If you recently"
                        + " deleted this secret you may be able to recover it using the correct recovery command."
                        + " For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182",
                        true, clientId);
                return;
            }
            respond(exchange, 200, bundle(exchange, name, secret), true, clientId);
            return;
        }
        if ("PUT".equals(method) && version.isEmpty()) {
            Object value;
            try {
                value = Json.parseObject(body).get("value");
            }
            catch (IllegalArgumentException ex) {
                value = null;
            }
            if (!(value instanceof String string)) {
                error(exchange, 400, "BadParameter", "Property 'value' is required and must be a string.", true,
                        clientId);
                return;
            }
            SecretVersion secret = addVersion(name, string);
            respond(exchange, 200, bundle(exchange, name, secret), true, clientId);
            return;
        }
        exchange.getResponseHeaders().set("Allow", version.isEmpty() ? "GET, PUT" : "GET");
        error(exchange, 405, "MethodNotAllowed", "Method " + method + " is not allowed on " + path + ".", true,
                clientId);
    }

    private void challenge(HttpExchange exchange, @Nullable String error, String message, boolean hadToken)
            throws IOException {
        String challenge = "Bearer authorization=\"https://login.microsoftonline.com/" + this.tenantId
                + "\", resource=\"" + RESOURCE + "\"";
        if (error != null) {
            challenge += ", error=\"" + error + "\"";
        }
        exchange.getResponseHeaders().set("WWW-Authenticate", challenge);
        error(exchange, 401, "Unauthorized", message, hadToken, null);
    }

    private void error(HttpExchange exchange, int status, String code, String message, boolean hadToken,
            @Nullable String clientId) throws IOException {
        respond(exchange, status, Map.of("error", Map.of("code", code, "message", message)), hadToken, clientId);
    }

    /**
     * Records the request, then answers it: a test that reads {@link #requests()} as soon as its client has the
     * answer must find the request there.
     */
    private void respond(HttpExchange exchange, int status, Object body, boolean hadToken, @Nullable String clientId)
            throws IOException {
        this.requests.add(new VaultRequest(this.clock.instant(), exchange.getRequestMethod(),
                exchange.getRequestURI().getPath(), status, hadToken, clientId));
        LoopbackHttpsServer.sendJson(exchange, status, body);
    }

    private @Nullable SecretVersion find(String name, String version) {
        List<SecretVersion> versions = this.secrets.get(name);
        if (versions == null) {
            return null;
        }
        synchronized (versions) {
            if (version.isEmpty()) {
                return versions.isEmpty() ? null : versions.get(versions.size() - 1);
            }
            return versions.stream().filter((candidate) -> candidate.version.equals(version)).findFirst().orElse(null);
        }
    }

    private SecretVersion addVersion(String name, String value) {
        long now = this.clock.instant().getEpochSecond();
        SecretVersion secret = new SecretVersion(UUID.randomUUID().toString().replace("-", ""), value, now);
        List<SecretVersion> versions = this.secrets.computeIfAbsent(name, (key) -> new ArrayList<>());
        synchronized (versions) {
            versions.add(secret);
        }
        return secret;
    }

    /** Every secret's latest version, in one page, as the list operation answers (ids without a version). */
    private Map<String, Object> list(HttpExchange exchange) {
        List<Map<String, Object>> items = new ArrayList<>();
        new TreeMap<>(this.secrets).forEach((name, versions) -> {
            SecretVersion latest = find(name, "");
            if (latest != null) {
                Map<String, Object> item = new LinkedHashMap<>();
                item.put("id", baseUrl(exchange) + "/secrets/" + name);
                item.put("attributes", attributes(latest));
                items.add(item);
            }
        });
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("value", items);
        page.put("nextLink", null);
        return page;
    }

    private Map<String, Object> bundle(HttpExchange exchange, String name, SecretVersion secret) {
        Map<String, Object> bundle = new LinkedHashMap<>();
        bundle.put("value", secret.value);
        bundle.put("id", baseUrl(exchange) + "/secrets/" + name + "/" + secret.version);
        bundle.put("attributes", attributes(secret));
        return bundle;
    }

    /** The id echoes the Host the client used, so it names the vault the way the client addressed it. */
    private String baseUrl(HttpExchange exchange) {
        String host = exchange.getRequestHeaders().getFirst("Host");
        return (host != null) ? "https://" + host : vaultUrl();
    }

    private static Map<String, Object> attributes(SecretVersion secret) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        attributes.put("enabled", true);
        attributes.put("created", secret.created);
        attributes.put("updated", secret.created);
        attributes.put("recoveryLevel", "Recoverable+Purgeable");
        attributes.put("recoverableDays", 90);
        return attributes;
    }

    /**
     * One request the vault answered.
     *
     * @param time when
     * @param method HTTP method
     * @param path request path
     * @param status HTTP status answered
     * @param hadToken whether a bearer token was sent
     * @param clientId the caller's client id ({@code appid}) when its token was valid, else {@code null}
     */
    public record VaultRequest(Instant time, String method, String path, int status, boolean hadToken,
            @Nullable String clientId) {
    }

    private record SecretVersion(String version, String value, long created) {
    }

}
