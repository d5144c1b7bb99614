package dev.workloadidentity.spring.testsupport.entra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import dev.workloadidentity.spring.testsupport.http.LoopbackHttpsServer;
import dev.workloadidentity.spring.testsupport.kubernetes.ServiceAccountTokenIssuer;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import dev.workloadidentity.spring.testsupport.token.AccessTokenValidator;
import dev.workloadidentity.spring.testsupport.token.InvalidTokenException;
import dev.workloadidentity.spring.testsupport.token.Jwt;
import dev.workloadidentity.spring.testsupport.token.JwtAccessTokenValidator;
import dev.workloadidentity.spring.testsupport.token.JwtClaims;
import org.jspecify.annotations.Nullable;

/**
 * A fake Microsoft Entra ID for the workload-identity exchange: {@code POST /{tenant}/oauth2/v2.0/token} with
 * {@code grant_type=client_credentials} and a federated client assertion, over HTTPS on a loopback port.
 * <p>
 * It holds one tenant, its registered applications (client ids), their federated identity credentials and the
 * public keys of the external issuers it trusts (what real Entra fetches from the issuer's JWKS). It checks the
 * assertion as Entra does and answers failures with Entra's error body and AADSTS code; on success it mints an
 * RS256 v1.0 access token ({@code iss=https://sts.windows.net/{tenant}/}) that the fake services and Azurite
 * accept. Every request is {@linkplain #tokenRequests() recorded}, without the assertion or token.
 */
public final class FakeEntra implements AutoCloseable {

    /** The {@code client_assertion_type} of a JWT client assertion. */
    public static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /** Default {@code expires_in} of an access token, as Entra sends it. */
    public static final Duration DEFAULT_ACCESS_TOKEN_LIFETIME = Duration.ofSeconds(3599);

    private static final System.Logger logger = System.getLogger(FakeEntra.class.getName());

    private static final Pattern TOKEN_PATH = Pattern.compile("/([^/]+)/oauth2/v2\\.0/token/?");

    private static final Set<String> OIDC_SCOPES = Set.of("openid", "profile", "offline_access", "email");

    private static final String DEFAULT_SUFFIX = "/.default";

    private static final DateTimeFormatter ERROR_TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'")
        .withZone(ZoneOffset.UTC);

    private static final DateTimeFormatter ASSERTION_TIME = DateTimeFormatter
        .ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSS'Z'")
        .withZone(ZoneOffset.UTC);

    /** What Entra accepts from an external OIDC token; the AKS webhook projects at most 24 h. */
    private static final Duration MAX_ASSERTION_LIFETIME = Duration.ofHours(24);

    private static final String FIC_DOCS = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

    private final String tenantId;

    private final Clock clock;

    private final KeyPair signingKeys = Jwt.generateKeyPair();

    private final String signingKeyId = UUID.randomUUID().toString();

    private final Map<String, Application> applications = new ConcurrentHashMap<>();

    private final Map<String, List<PublicKey>> trustedIssuers = new ConcurrentHashMap<>();

    private final List<TokenRequest> tokenRequests = new CopyOnWriteArrayList<>();

    private volatile Duration accessTokenLifetime = DEFAULT_ACCESS_TOKEN_LIFETIME;

    private volatile @Nullable EntraError forcedError;

    private volatile @Nullable Duration refreshIn;

    private volatile Duration answerDelay = Duration.ZERO;

    private volatile Duration clockSkewAllowance = Duration.ZERO;

    private final AtomicInteger pendingTokenRequests = new AtomicInteger();

    private final LoopbackHttpsServer server;

    private FakeEntra(String tenantId, FakeAzureTls tls, Clock clock, int port) {
        this.tenantId = tenantId;
        this.clock = clock;
        this.server = LoopbackHttpsServer.start("fake-entra", tls, this::handle, port);
    }

    /**
     * Starts a fake Entra for one tenant, presenting {@link FakeAzureTls#jvmDefault()}'s certificate.
     * @param tenantId the tenant it knows; requests for any other get AADSTS90002
     * @return the running fake
     */
    public static FakeEntra start(String tenantId) {
        return start(tenantId, FakeAzureTls.jvmDefault(), Clock.systemUTC());
    }

    /**
     * Starts a fake Entra.
     * @param tenantId the tenant it knows
     * @param tls the certificate to present
     * @param clock the clock for assertion checks and token lifetimes
     * @return the running fake
     */
    public static FakeEntra start(String tenantId, FakeAzureTls tls, Clock clock) {
        return start(tenantId, tls, clock, 0);
    }

    /**
     * Starts a fake Entra on a given port of {@code 127.0.0.1}. On 443 its authority has no port, like the real
     * one, which is the only case where MSAL4J 1.23.1's token cache hits with instance discovery disabled (see
     * {@code FakeEntraTests.msalCacheMissesWhenTheAuthorityHasAPort}); binding 443 usually needs root.
     * @param tenantId the tenant it knows
     * @param tls the certificate to present
     * @param clock the clock for assertion checks and token lifetimes
     * @param port the port, or 0 for a free one
     * @return the running fake
     * @throws java.io.UncheckedIOException when the port cannot be bound
     */
    public static FakeEntra start(String tenantId, FakeAzureTls tls, Clock clock, int port) {
        return new FakeEntra(tenantId, tls, clock, port);
    }

    /** @return the tenant this Entra knows */
    public String tenantId() {
        return this.tenantId;
    }

    /**
     * @return {@code https://127.0.0.1:<port>/} ({@code https://127.0.0.1/} on 443), with the trailing slash the
     * webhook's {@code AZURE_AUTHORITY_HOST} has
     */
    public String authorityHost() {
        return this.server.baseUrl() + "/";
    }

    /** @return the token endpoint of this Entra's tenant */
    public String tokenEndpoint() {
        return this.server.baseUrl() + "/" + this.tenantId + "/oauth2/v2.0/token";
    }

    /** @return the bound port */
    public int port() {
        return this.server.port();
    }

    /** @return the {@code iss} of the access tokens it issues: {@code https://sts.windows.net/{tenant}/} */
    public String accessTokenIssuer() {
        return "https://sts.windows.net/" + this.tenantId + "/";
    }

    /** @return the key its access tokens are signed with */
    public PublicKey publicKey() {
        return this.signingKeys.getPublic();
    }

    /**
     * Registers an application (or user-assigned managed identity) by client id; registering again keeps it.
     * @param clientId the application's client id
     * @return this
     */
    public FakeEntra registerApplication(String clientId) {
        this.applications.computeIfAbsent(clientId, (id) -> new Application(UUID.randomUUID().toString()));
        return this;
    }

    /**
     * Adds a federated identity credential to an application, registering the application if needed.
     * @param clientId the application's client id
     * @param credential the credential
     * @return this
     */
    public FakeEntra addFederatedIdentityCredential(String clientId, FederatedIdentityCredential credential) {
        registerApplication(clientId);
        this.applications.get(clientId).credentials.add(credential);
        return this;
    }

    /**
     * Removes every federated identity credential of an application; the application stays registered.
     * @param clientId the application's client id
     * @return this
     */
    public FakeEntra removeFederatedIdentityCredentials(String clientId) {
        Application application = this.applications.get(clientId);
        if (application != null) {
            application.credentials.clear();
        }
        return this;
    }

    /**
     * @param clientId a client id
     * @return the application's federated identity credentials, empty when it is unknown
     */
    public List<FederatedIdentityCredential> federatedIdentityCredentials(String clientId) {
        Application application = this.applications.get(clientId);
        return (application != null) ? List.copyOf(application.credentials) : List.of();
    }

    /**
     * Publishes an external issuer's signing keys, as Entra would fetch them from its JWKS; replaces earlier keys.
     * @param issuer the issuer URL, exactly as in the tokens' {@code iss}
     * @param keys its RSA public keys
     * @return this
     */
    public FakeEntra trustIssuer(String issuer, PublicKey... keys) {
        this.trustedIssuers.put(issuer, List.of(keys));
        return this;
    }

    /**
     * Publishes a fake AKS issuer's key.
     * @param issuer the issuer
     * @return this
     */
    public FakeEntra trustIssuer(ServiceAccountTokenIssuer issuer) {
        return trustIssuer(issuer.issuerUrl(), issuer.publicKey());
    }

    /**
     * Forgets an issuer's keys, as when its discovery document or JWKS cannot be fetched (AADSTS90061).
     * @param issuer the issuer URL
     * @return this
     */
    public FakeEntra distrustIssuer(String issuer) {
        this.trustedIssuers.remove(issuer);
        return this;
    }

    /**
     * Sets the lifetime of the access tokens issued from now on.
     * @param lifetime the {@code expires_in}
     * @return this
     */
    public FakeEntra accessTokenLifetime(Duration lifetime) {
        this.accessTokenLifetime = lifetime;
        return this;
    }

    /**
     * Sends {@code refresh_in} (when a client should get a new token) with every token issued from now on. By
     * default it is sent as Entra does: half the lifetime, for tokens living two hours or more.
     * @param refreshIn the {@code refresh_in} to send, or {@code null} for the default
     * @return this
     */
    public FakeEntra refreshIn(@Nullable Duration refreshIn) {
        this.refreshIn = refreshIn;
        return this;
    }

    /**
     * Lets the services accept the access tokens issued from now on for this long after the expiry the client is
     * told, as Azure services allow for clock skew (Microsoft's token validation allows 5 minutes). Without it a
     * client that uses its token until the expiry it was told (as Azure SDK clients do) can have a call refused
     * with tokens of a few seconds: the request reaches the service after {@code exp}, or the client rounded the
     * expiry up to the next second. The fake Key Vault, Service Bus and Azurite check {@code exp} strictly, and
     * Azurite cannot be told otherwise, so the allowance is made here: the tokens' {@code exp} is this much later
     * than {@code expires_in} says. Default zero; keep it small, a few seconds.
     * @param allowance how much later than {@code expires_in} the tokens' {@code exp} is
     * @return this
     */
    public FakeEntra clockSkewAllowance(Duration allowance) {
        if (allowance.isNegative()) {
            throw new IllegalArgumentException("The clock skew allowance must not be negative, got " + allowance);
        }
        this.clockSkewAllowance = allowance;
        return this;
    }

    /**
     * Makes every token request from now on fail with this answer, in Entra's error shape, whatever it carries:
     * for answers the checks here never give (a client secret refused, a throttled tenant, an outage).
     * @param httpStatus the HTTP status, e.g. 400, 401, 429 or 503
     * @param error the OAuth error, e.g. {@code invalid_client}
     * @param aadstsCode the AADSTS number, e.g. 7000215
     * @param description the text after {@code AADSTSnnn: }
     * @return this
     */
    public FakeEntra failTokenRequests(int httpStatus, String error, int aadstsCode, String description) {
        this.forcedError = new EntraError(httpStatus, error, aadstsCode, description);
        return this;
    }

    /**
     * Like {@link #failTokenRequests(int, String, int, String)}, with a {@code Retry-After} header, as Entra sends
     * with a 429 or 503.
     * @param httpStatus the HTTP status, e.g. 429 or 503
     * @param error the OAuth error, e.g. {@code temporarily_unavailable}
     * @param aadstsCode the AADSTS number
     * @param description the text after {@code AADSTSnnn: }
     * @param retryAfter the header's value, in whole seconds
     * @return this
     */
    public FakeEntra failTokenRequests(int httpStatus, String error, int aadstsCode, String description,
            Duration retryAfter) {
        EntraError forced = new EntraError(httpStatus, error, aadstsCode, description);
        forced.retryAfter = retryAfter;
        this.forcedError = forced;
        return this;
    }

    /**
     * Makes every token request from now on wait this long before it is checked and answered, as a slow or
     * stalled Entra would; {@link Duration#ZERO} answers at once again. Closing the fake ends the wait, and the
     * caller sees its connection close without an answer.
     * @param delay how long each answer waits
     * @return this
     */
    public FakeEntra answerDelay(Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("The answer delay must not be negative, got " + delay);
        }
        this.answerDelay = delay;
        return this;
    }

    /** @return how many token requests have been received and are not answered yet, e.g. during an answer delay */
    public int pendingTokenRequests() {
        return this.pendingTokenRequests.get();
    }

    /**
     * Goes back to checking token requests after {@link #failTokenRequests}.
     * @return this
     */
    public FakeEntra stopFailingTokenRequests() {
        this.forcedError = null;
        return this;
    }

    /**
     * The claims Entra puts into an access token for an application and resource.
     * @param clientId the application's client id
     * @param resource the resource, e.g. {@code https://vault.azure.net} (a {@code /.default} suffix is removed)
     * @return the claims, for signing with {@link Jwt#sign} (e.g. with a key nobody trusts) or tweaking first
     */
    public JwtClaims accessTokenClaims(String clientId, String resource) {
        Instant now = this.clock.instant();
        Application application = this.applications.get(clientId);
        String objectId = (application != null) ? application.objectId
                : UUID.nameUUIDFromBytes(clientId.getBytes(StandardCharsets.UTF_8)).toString();
        // Entra back-dates iat and nbf by five minutes to absorb clock skew.
        Instant issuedAt = now.minus(Duration.ofMinutes(5));
        return JwtClaims.builder()
            .audience(stripDefault(resource))
            .issuer(accessTokenIssuer())
            .issuedAt(issuedAt)
            .notBefore(issuedAt)
            .expiresAt(now.plus(this.accessTokenLifetime).plus(this.clockSkewAllowance))
            .claim("aio", base64Random(32))
            .claim("appid", clientId)
            .claim("appidacr", "2")
            .claim("idp", accessTokenIssuer())
            .claim("idtyp", "app")
            .claim("oid", objectId)
            .claim("rh", "0." + base64Random(24))
            .claim("sub", objectId)
            .claim("tid", this.tenantId)
            .claim("uti", base64Random(16))
            .claim("ver", "1.0")
            .build();
    }

    /**
     * Issues an access token directly, without a request being made or recorded.
     * @param clientId the application's client id
     * @param resource the resource ({@code aud})
     * @return a token signed with this Entra's key
     */
    public String issueAccessToken(String clientId, String resource) {
        return Jwt.sign(accessTokenClaims(clientId, resource), this.signingKeys.getPrivate(), this.signingKeyId);
    }

    /**
     * Checks access tokens the way a resource trusting this Entra does: signature with this Entra's key,
     * {@code iss = https://sts.windows.net/{tenant}/}, {@code aud} equal to the resource (with or without a
     * trailing slash), and {@code exp}/{@code nbf}.
     * @param resource the resource, e.g. {@code https://vault.azure.net}
     * @return the validator
     */
    public AccessTokenValidator accessTokenValidator(String resource) {
        String audience = stripDefault(resource);
        String withoutSlash = audience.endsWith("/") ? audience.substring(0, audience.length() - 1) : audience;
        return new JwtAccessTokenValidator(publicKey(), accessTokenIssuer(), List.of(withoutSlash, withoutSlash + "/"),
                this.clock);
    }

    /** @return every token request answered so far, oldest first */
    public List<TokenRequest> tokenRequests() {
        return List.copyOf(this.tokenRequests);
    }

    /** Forgets the recorded token requests. */
    public void clearTokenRequests() {
        this.tokenRequests.clear();
    }

    /** Stops the server and releases its port. */
    @Override
    public void close() {
        this.server.close();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        Matcher matcher = TOKEN_PATH.matcher(path);
        if (!matcher.matches()) {
            LoopbackHttpsServer.sendJson(exchange, 404, Map.of("error", "not_found", "error_description",
                    "The fake Entra serves only POST /{tenant}/oauth2/v2.0/token"));
            return;
        }
        if (!"POST".equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().set("Allow", "POST");
            exchange.sendResponseHeaders(405, -1);
            return;
        }
        this.pendingTokenRequests.incrementAndGet();
        try {
            String body = LoopbackHttpsServer.body(exchange);
            Duration delay = this.answerDelay;
            if (!delay.isZero()) {
                Thread.sleep(delay.toMillis());
            }
            answer(exchange, matcher.group(1), body);
        }
        catch (InterruptedException ex) {
            // Closing: the exchange is closed without an answer.
            Thread.currentThread().interrupt();
        }
        finally {
            this.pendingTokenRequests.decrementAndGet();
        }
    }

    private void answer(HttpExchange exchange, String tenant, String requestBody) throws IOException {
        Map<String, String> form = LoopbackHttpsServer.parseForm(requestBody);
        String clientId = form.get("client_id");
        String resource = resource(form.get("scope"));
        String assertionId = null;
        String clientRequestId = exchange.getRequestHeaders().getFirst("client-request-id");
        if (clientRequestId != null) {
            exchange.getResponseHeaders().set("client-request-id", clientRequestId);
        }
        exchange.getResponseHeaders().set("Cache-Control", "no-store, no-cache");
        String traceId = UUID.randomUUID().toString();
        exchange.getResponseHeaders().set("x-ms-request-id", traceId);
        try {
            JwtClaims assertion = checkRequest(tenant, form, clientId, resource);
            assertionId = assertion.string("jti");
            String accessToken = issueAccessToken(Objects.requireNonNull(clientId), Objects.requireNonNull(resource));
            long expiresIn = this.accessTokenLifetime.toSeconds();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("token_type", "Bearer");
            body.put("expires_in", expiresIn);
            body.put("ext_expires_in", expiresIn);
            Duration refreshIn = this.refreshIn;
            if (refreshIn != null) {
                body.put("refresh_in", refreshIn.toSeconds());
            }
            else if (expiresIn >= Duration.ofHours(2).toSeconds()) {
                body.put("refresh_in", expiresIn / 2);
            }
            body.put("access_token", accessToken);
            record(tenant, clientId, resource, 200, null, assertionId, form.containsKey("claims"));
            LoopbackHttpsServer.sendJson(exchange, 200, body);
        }
        catch (EntraError error) {
            assertionId = error.assertionId;
            record(tenant, clientId, resource, error.status, error.code, assertionId, form.containsKey("claims"));
            if (error.retryAfter != null) {
                exchange.getResponseHeaders().set("Retry-After", Long.toString(error.retryAfter.toSeconds()));
            }
            LoopbackHttpsServer.sendJson(exchange, error.status,
                    errorBody(error, traceId, correlationId(clientRequestId)));
        }
    }


    private JwtClaims checkRequest(String tenant, Map<String, String> form, @Nullable String clientId,
            @Nullable String resource) throws EntraError {
        EntraError forced = this.forcedError;
        if (forced != null) {
            EntraError copy = new EntraError(forced.status, forced.error, forced.code, forced.description);
            copy.retryAfter = forced.retryAfter;
            throw copy;
        }
        if (!this.tenantId.equals(tenant)) {
            throw new EntraError(400, "invalid_request", 90002, "Tenant '" + tenant
                    + "' not found. Check to make sure you have the correct tenant ID and are signing into the correct"
                    + " cloud. Check with your subscription administrator, this may happen if there are no active"
                    + " subscriptions for the tenant.");
        }
        String grantType = form.get("grant_type");
        if (grantType == null) {
            throw missingParameter("grant_type");
        }
        if (!"client_credentials".equals(grantType)) {
            throw new EntraError(400, "unsupported_grant_type", 70003,
                    "The app requested an unsupported grant type '" + grantType + "'.");
        }
        if (clientId == null || clientId.isEmpty()) {
            throw missingParameter("client_id");
        }
        String scope = form.get("scope");
        if (scope == null || resource == null) {
            throw missingParameter("scope");
        }
        String requestedScope = requestedScope(scope);
        if (requestedScope != null && !requestedScope.endsWith(DEFAULT_SUFFIX)) {
            throw new EntraError(400, "invalid_scope", 1002012, "The provided value for scope " + requestedScope
                    + " is not valid. Client credential flows must have a scope value with /.default suffixed to the"
                    + " resource identifier (application ID URI).");
        }
        Application application = this.applications.get(clientId);
        if (application == null) {
            throw new EntraError(400, "unauthorized_client", 700016, "Application with identifier '" + clientId
                    + "' was not found in the directory '" + this.tenantId + "'. This can happen if the application"
                    + " has not been installed by the administrator of the tenant or consented to by any user in the"
                    + " tenant. You may have sent your authentication request to the wrong tenant.");
        }
        String assertionType = form.get("client_assertion_type");
        String assertion = form.get("client_assertion");
        if (assertion == null || assertion.isEmpty()) {
            throw new EntraError(401, "invalid_client", 7000216,
                    "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant"
                            + " type.");
        }
        if (!JWT_BEARER.equals(assertionType)) {
            throw new EntraError(400, "invalid_request", 50027,
                    "Invalid client_assertion_type; expected '" + JWT_BEARER + "'.");
        }
        JwtClaims claims;
        try {
            claims = Jwt.decode(assertion).claims();
        }
        catch (InvalidTokenException ex) {
            throw new EntraError(400, "invalid_request", 50027, "JWT token is invalid or malformed.");
        }
        String assertionId = claims.string("jti");
        String issuer = claims.issuer();
        String subject = claims.subject();
        List<String> audiences = claims.audience();
        if (issuer == null || subject == null || audiences.isEmpty()) {
            throw new EntraError(400, "invalid_request", 50027, "JWT token is invalid or malformed.")
                .assertionId(assertionId);
        }
        List<FederatedIdentityCredential> credentials = List.copyOf(application.credentials);
        if (credentials.isEmpty()) {
            throw new EntraError(400, "invalid_request", 70021,
                    "No matching federated identity record found for presented assertion. Assertion Issuer: '"
                            + issuer + "'. Assertion Subject: '" + subject + "'. Assertion Audience: '"
                            + String.join(",", audiences) + "'. " + FIC_DOCS)
                .assertionId(assertionId);
        }
        List<FederatedIdentityCredential> sameIssuer = credentials.stream()
            .filter((credential) -> credential.issuer().equals(issuer))
            .toList();
        if (sameIssuer.isEmpty()) {
            throw noMatchingRecord(700211, "issuer", issuer).assertionId(assertionId);
        }
        List<PublicKey> keys = this.trustedIssuers.get(issuer);
        if (keys == null || keys.isEmpty()) {
            throw new EntraError(400, "invalid_request", 90061, "Request to External OIDC endpoint failed.")
                .assertionId(assertionId);
        }
        if (!verifiesWithAny(assertion, keys)) {
            throw new EntraError(401, "invalid_client", 700027,
                    "Client assertion failed signature validation. [Reason - The key was not found.]")
                .assertionId(assertionId);
        }
        Instant now = this.clock.instant();
        Instant notBefore = claims.notBefore();
        Instant expiresAt = claims.expiresAt();
        if (expiresAt == null || !now.isBefore(expiresAt) || (notBefore != null && now.isBefore(notBefore))) {
            throw new EntraError(401, "invalid_client", 700024, "Client assertion is not within its valid time range."
                    + " Current time: " + ASSERTION_TIME.format(now) + ", assertion valid from "
                    + ASSERTION_TIME.format((notBefore != null) ? notBefore : Instant.EPOCH)
                    + ", expiry time of assertion "
                    + ((expiresAt != null) ? ASSERTION_TIME.format(expiresAt) : "(none)")
                    + ". Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .")
                .assertionId(assertionId);
        }
        Instant issuedAt = claims.issuedAt();
        if (issuedAt != null && expiresAt != null
                && Duration.between(issuedAt, expiresAt).compareTo(MAX_ASSERTION_LIFETIME) > 0) {
            throw new EntraError(400, "invalid_request", 70023, "The lifetime of the external OIDC token from issuer '"
                    + issuer + "' exceeds the maximum allowed (24 hours).")
                .assertionId(assertionId);
        }
        List<FederatedIdentityCredential> sameSubject = sameIssuer.stream()
            .filter((credential) -> credential.subject().equals(subject))
            .toList();
        if (sameSubject.isEmpty()) {
            throw noMatchingRecord(700213, "subject", subject).assertionId(assertionId);
        }
        if (sameSubject.stream().noneMatch((credential) -> audiences.contains(credential.audience()))) {
            throw noMatchingRecord(700212, "audience", String.join(",", audiences)).assertionId(assertionId);
        }
        return claims;
    }

    private static EntraError noMatchingRecord(int code, String claim, String value) {
        return new EntraError(401, "invalid_client", code, "No matching federated identity record found for presented"
                + " assertion " + claim + " '" + value + "'. Check your federated identity credential Subject,"
                + " Audience and Issuer against the presented assertion. " + FIC_DOCS);
    }

    private static EntraError missingParameter(String name) {
        return new EntraError(400, "invalid_request", 900144,
                "The request body must contain the following parameter: '" + name + "'.");
    }

    private static boolean verifiesWithAny(String assertion, List<PublicKey> keys) {
        for (PublicKey key : keys) {
            try {
                Jwt.verify(assertion, key);
                return true;
            }
            catch (InvalidTokenException ex) {
                // try the next published key
            }
        }
        return false;
    }

    private Map<String, Object> errorBody(EntraError error, String traceId, String correlationId) {
        String timestamp = ERROR_TIMESTAMP.format(this.clock.instant());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error.error);
        body.put("error_description", "AADSTS" + error.code + ": " + error.description + "\r\nTrace ID: " + traceId
                + "\r\nCorrelation ID: " + correlationId + "\r\nTimestamp: " + timestamp);
        body.put("error_codes", List.of(error.code));
        body.put("timestamp", timestamp);
        body.put("trace_id", traceId);
        body.put("correlation_id", correlationId);
        body.put("error_uri", "https://login.microsoftonline.com/error?code=" + error.code);
        return body;
    }

    private void record(String tenant, @Nullable String clientId, @Nullable String resource, int status,
            @Nullable Integer code, @Nullable String assertionId, boolean claimsRequested) {
        this.tokenRequests.add(new TokenRequest(this.clock.instant(), tenant, clientId, resource, status, code,
                assertionId, claimsRequested));
        logger.log(System.Logger.Level.DEBUG, "token request tenant={0} client_id={1} resource={2} -> {3}", tenant,
                clientId, resource, (code != null) ? "AADSTS" + code : "200");
    }

    /** Entra uses the caller's {@code client-request-id} as the correlation id when it is a GUID. */
    private static String correlationId(@Nullable String clientRequestId) {
        if (clientRequestId != null) {
            try {
                return UUID.fromString(clientRequestId).toString();
            }
            catch (IllegalArgumentException ex) {
                // not a GUID: Entra makes its own
            }
        }
        return UUID.randomUUID().toString();
    }

    private static @Nullable String requestedScope(@Nullable String scope) {
        if (scope == null) {
            return null;
        }
        for (String candidate : scope.trim().split("\\s+")) {
            if (!candidate.isEmpty() && !OIDC_SCOPES.contains(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static @Nullable String resource(@Nullable String scope) {
        String requested = requestedScope(scope);
        return (requested != null) ? stripDefault(requested) : null;
    }

    private static String stripDefault(String scope) {
        return scope.endsWith(DEFAULT_SUFFIX) ? scope.substring(0, scope.length() - DEFAULT_SUFFIX.length()) : scope;
    }

    private static String base64Random(int bytes) {
        byte[] random = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    private static final class Application {

        private final String objectId;

        private final List<FederatedIdentityCredential> credentials = new CopyOnWriteArrayList<>();

        private Application(String objectId) {
            this.objectId = objectId;
        }

    }

    /** A rejection, with Entra's HTTP status, OAuth error and AADSTS code. */
    private static final class EntraError extends Exception {

        private static final long serialVersionUID = 1L;

        private final int status;

        private final String error;

        private final int code;

        private final String description;

        private @Nullable String assertionId;

        private @Nullable Duration retryAfter;

        EntraError(int status, String error, int code, String description) {
            super("AADSTS" + code, null, false, false);
            this.status = status;
            this.error = error;
            this.code = code;
            this.description = description;
        }

        EntraError assertionId(@Nullable String assertionId) {
            this.assertionId = assertionId;
            return this;
        }

    }

}
