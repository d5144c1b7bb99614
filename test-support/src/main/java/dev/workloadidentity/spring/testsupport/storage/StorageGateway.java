package dev.workloadidentity.spring.testsupport.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpExchange;
import dev.workloadidentity.spring.testsupport.http.LoopbackHttpsServer;
import dev.workloadidentity.spring.testsupport.rbac.Caller;
import dev.workloadidentity.spring.testsupport.rbac.RoleAssignments;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import dev.workloadidentity.spring.testsupport.token.AccessTokenValidator;
import dev.workloadidentity.spring.testsupport.token.InvalidTokenException;
import org.jspecify.annotations.Nullable;

/**
 * An HTTPS reverse proxy in front of {@link Azurite}'s Blob service that checks bearer tokens as Azure Storage
 * does and Azurite does not: Azurite checks issuer, audience and lifetime but neither the signature nor who
 * the caller is, so a forged token, or a token of the wrong identity, would pass.
 * <p>
 * A request with a bearer token is served only when the {@link AccessTokenValidator} (e.g. the fake Entra's,
 * for {@code https://storage.azure.com}) accepts the token, else it gets {@code 403 AuthenticationFailed}
 * with the reason as {@code AuthenticationErrorDetail}, the answer Azurite gives to the tokens it rejects, so
 * clients see one behaviour whichever check failed. Like a storage account on Azure RBAC, once an identity
 * {@linkplain #assignRole holds a role} a valid token of any other identity gets
 * {@code 403 AuthorizationPermissionMismatch}. Requests without a bearer token (anonymous, Shared Key, SAS)
 * are forwarded untouched, for Azurite to answer.
 * <p>
 * Forwarded requests keep method, raw path and query, headers and body (read whole, so chunked uploads reach
 * Azurite with a length); hop-by-hop headers and those the JDK client sets itself ({@code Host},
 * {@code Content-Length}, {@code Expect}) are not forwarded. Status, headers and body come back as Azurite sent
 * them, streamed, with the {@code Content-Length} of {@code HEAD} answers kept. URLs inside Azurite's bodies
 * (e.g. {@code ServiceEndpoint} in listings) name Azurite's own port, as the {@code Host} header cannot be
 * forwarded. Every {@linkplain #requests() request} is recorded with the caller's client id, never the token.
 */
public final class StorageGateway implements AutoCloseable {

    private static final System.Logger logger = System.getLogger(StorageGateway.class.getName());

    /** RFC 9110 hop-by-hop headers: they describe one connection, not the request. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

    /** What {@link HttpClient} derives itself and refuses to be given. */
    private static final Set<String> SET_BY_CLIENT = Set.of("host", "content-length", "expect");

    /** What {@link com.sun.net.httpserver.HttpServer} sets on every response. */
    private static final Set<String> SET_BY_SERVER = Set.of("content-length", "date");

    private static final Duration FORWARD_TIMEOUT = Duration.ofMinutes(2);

    private final String upstream;

    private final AccessTokenValidator validator;

    private final Clock clock;

    private final RoleAssignments roles = new RoleAssignments();

    private final List<BlobRequest> requests = new CopyOnWriteArrayList<>();

    private final HttpClient client;

    private final LoopbackHttpsServer server;

    private StorageGateway(Azurite azurite, AccessTokenValidator validator, FakeAzureTls tls, Clock clock) {
        this.upstream = "https://127.0.0.1:" + azurite.port();
        this.validator = validator;
        this.clock = clock;
        this.client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .sslContext(tls.clientContext())
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
        this.server = LoopbackHttpsServer.start("storage-gateway", tls, this::handle);
    }

    /**
     * Starts a gateway presenting {@link FakeAzureTls#jvmDefault()}'s certificate.
     * @param azurite the emulator to forward to
     * @param validator checks every bearer token, e.g. {@code entra.accessTokenValidator("https://storage.azure.com")}
     * @return the running gateway
     */
    public static StorageGateway start(Azurite azurite, AccessTokenValidator validator) {
        return start(azurite, validator, FakeAzureTls.jvmDefault());
    }

    /**
     * Starts a gateway on a free loopback port.
     * @param azurite the emulator to forward to; it must present a certificate {@code tls} trusts
     * @param validator checks every bearer token
     * @param tls the certificate to present, and to trust Azurite's with
     * @return the running gateway
     */
    public static StorageGateway start(Azurite azurite, AccessTokenValidator validator, FakeAzureTls tls) {
        return new StorageGateway(azurite, validator, tls, Clock.systemUTC());
    }

    /** @return {@code https://127.0.0.1:<port>/devstoreaccount1}, the endpoint for {@code BlobServiceClientBuilder} */
    public String blobEndpoint() {
        return this.server.baseUrl() + "/" + Azurite.ACCOUNT;
    }

    /** @return the port the gateway bound */
    public int port() {
        return this.server.port();
    }

    /**
     * Assigns an identity a data role on the account, as {@code Storage Blob Data Contributor} would: from now on
     * only identities holding one are served with a bearer token, others get
     * {@code 403 AuthorizationPermissionMismatch}.
     * @param clientId the application's client id, as in its tokens' {@code appid}
     * @return this
     */
    public StorageGateway assignRole(String clientId) {
        this.roles.assign(clientId);
        return this;
    }

    /** @return every request answered so far, oldest first, without tokens or bodies */
    public List<BlobRequest> requests() {
        return List.copyOf(this.requests);
    }

    /** Stops the gateway and releases its port; Azurite keeps running. */
    @Override
    public void close() {
        this.server.close();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String path = exchange.getRequestURI().getPath();
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        String token = LoopbackHttpsServer.bearerToken(exchange);
        boolean bearer = token != null;
        String clientId = null;
        if (bearer) {
            try {
                this.validator.validate(token);
            }
            catch (InvalidTokenException ex) {
                logger.log(System.Logger.Level.DEBUG, "rejected token on {0} {1}: {2}", method, path, ex.getMessage());
                record(method, path, 403, true, null);
                storageError(exchange, 403, "AuthenticationFailed", "Server failed to authenticate the request. Make"
                        + " sure the value of the Authorization header is formed correctly including the signature.",
                        String.valueOf(ex.getMessage()));
                return;
            }
            clientId = Caller.clientIdOf(token);
            if (!this.roles.permits(clientId)) {
                logger.log(System.Logger.Level.DEBUG, "refused {0} {1} to {2}: no role assigned", method, path,
                        clientId);
                record(method, path, 403, true, clientId);
                storageError(exchange, 403, "AuthorizationPermissionMismatch",
                        "This request is not authorized to perform this operation using this permission.", null);
                return;
            }
        }
        HttpResponse<InputStream> response = send(upstreamRequest(exchange, method, body));
        record(method, path, response.statusCode(), bearer, clientId);
        relay(exchange, method, response);
    }

    /** Sends Azurite's answer back as it came. */
    private static void relay(HttpExchange exchange, String method, HttpResponse<InputStream> response)
            throws IOException {
        int status = response.statusCode();
        response.headers().map().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(lower) && !SET_BY_SERVER.contains(lower)) {
                exchange.getResponseHeaders().put(name, values);
            }
        });
        boolean head = "HEAD".equalsIgnoreCase(method);
        long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        try (InputStream in = response.body()) {
            if (head || status == 204 || status == 304 || length == 0) {
                if ((head || status == 304) && length >= 0) {
                    // The server keeps a Content-Length set by hand on these: a HEAD tells the blob's size by it.
                    exchange.getResponseHeaders().set("Content-Length", Long.toString(length));
                }
                exchange.sendResponseHeaders(status, -1);
                in.transferTo(OutputStream.nullOutputStream());
            }
            else {
                exchange.sendResponseHeaders(status, (length > 0) ? length : 0); // 0: chunked, as Azurite sent it
                try (OutputStream out = exchange.getResponseBody()) {
                    in.transferTo(out);
                }
            }
        }
    }

    private HttpRequest upstreamRequest(HttpExchange exchange, String method, byte[] body) {
        URI uri = exchange.getRequestURI();
        String target = this.upstream + uri.getRawPath() + ((uri.getRawQuery() != null) ? "?" + uri.getRawQuery() : "");
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target))
            .timeout(FORWARD_TIMEOUT)
            .method(method, (body.length > 0) ? HttpRequest.BodyPublishers.ofByteArray(body)
                    : HttpRequest.BodyPublishers.noBody());
        exchange.getRequestHeaders().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(lower) && !SET_BY_CLIENT.contains(lower)) {
                values.forEach((value) -> request.header(name, value));
            }
        });
        return request.build();
    }

    /**
     * Sends to Azurite, once more when the connection fails: Node closes idle keep-alive connections after five
     * seconds, and a request can catch a pooled connection just as it closes. The body is in memory, so
     * sending it again is safe.
     */
    private HttpResponse<InputStream> send(HttpRequest request) throws IOException {
        try {
            try {
                return this.client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            }
            catch (IOException ex) {
                logger.log(System.Logger.Level.DEBUG, "forwarding {0} {1} failed ({2}), trying again",
                        request.method(), request.uri().getPath(), ex.toString());
                return this.client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while forwarding to Azurite", ex);
        }
    }

    /** Answers in Azure Storage's error shape: XML body, {@code x-ms-error-code}, no body for {@code HEAD}. */
    private static void storageError(HttpExchange exchange, int status, String code, String message,
            @Nullable String authenticationErrorDetail) throws IOException {
        String requestId = UUID.randomUUID().toString();
        String detail = (authenticationErrorDetail != null)
                ? "<AuthenticationErrorDetail>" + escape(authenticationErrorDetail) + "</AuthenticationErrorDetail>" : "";
        String xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + code + "</Code><Message>"
                + escape(message) + "\nRequestId:" + requestId + "\nTime:" + Instant.now() + "</Message>" + detail
                + "</Error>";
        exchange.getResponseHeaders().set("x-ms-error-code", code);
        exchange.getResponseHeaders().set("x-ms-request-id", requestId);
        String version = exchange.getRequestHeaders().getFirst("x-ms-version");
        if (version != null) {
            exchange.getResponseHeaders().set("x-ms-version", version);
        }
        if ("HEAD".equalsIgnoreCase(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        byte[] bytes = xml.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/xml");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Records a request before it is answered, so a test finds it as soon as its client has the answer. */
    private void record(String method, String path, int status, boolean hadToken, @Nullable String clientId) {
        this.requests.add(new BlobRequest(this.clock.instant(), method, path, status, hadToken, clientId));
    }

    /**
     * One request the gateway answered, itself or through Azurite.
     *
     * @param time when
     * @param method HTTP method
     * @param path request path, e.g. {@code /devstoreaccount1/orders/order.txt}
     * @param status HTTP status answered
     * @param hadToken whether a bearer token was sent
     * @param clientId the caller's client id ({@code appid}) when its token was valid, else {@code null}
     */
    public record BlobRequest(Instant time, String method, String path, int status, boolean hadToken,
            @Nullable String clientId) {
    }

}
