package dev.workloadidentity.spring.testsupport.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.workloadidentity.spring.testsupport.json.Json;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import org.jspecify.annotations.Nullable;

/**
 * A JDK {@link HttpsServer} on {@code 127.0.0.1} and a free port, presenting the fake Azure certificate, with
 * daemon worker threads. A handler that throws gets a bare 500 (the exception text is not sent: it might
 * quote a token).
 */
public final class LoopbackHttpsServer implements AutoCloseable {

    private static final System.Logger logger = System.getLogger(LoopbackHttpsServer.class.getName());

    private final HttpsServer server;

    private final ExecutorService executor;

    private LoopbackHttpsServer(HttpsServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds and starts a server.
     * @param name thread-name prefix, e.g. {@code fake-entra}
     * @param tls the certificate to present
     * @param handler serves every path
     * @return the running server
     */
    public static LoopbackHttpsServer start(String name, FakeAzureTls tls, HttpHandler handler) {
        return start(name, tls, handler, 0);
    }

    /**
     * Binds and starts a server on a given port.
     * @param name thread-name prefix, e.g. {@code fake-entra}
     * @param tls the certificate to present
     * @param handler serves every path
     * @param port the port, or 0 for a free one; ports below 1024 usually need root
     * @return the running server
     * @throws UncheckedIOException when the port cannot be bound
     */
    public static LoopbackHttpsServer start(String name, FakeAzureTls tls, HttpHandler handler, int port) {
        AtomicInteger threads = new AtomicInteger();
        ExecutorService executor = Executors.newCachedThreadPool((runnable) -> {
            Thread thread = new Thread(runnable, name + "-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        try {
            HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
            server.setHttpsConfigurator(new HttpsConfigurator(tls.serverContext()));
            server.setExecutor(executor);
            server.createContext("/", (exchange) -> handle(name, handler, exchange));
            server.start();
            return new LoopbackHttpsServer(server, executor);
        }
        catch (IOException ex) {
            executor.shutdownNow();
            throw new UncheckedIOException("Could not start " + name + ((port != 0) ? " on port " + port : ""), ex);
        }
    }

    /** @return the bound port */
    public int port() {
        return this.server.getAddress().getPort();
    }

    /** @return {@code https://127.0.0.1:<port>} ({@code https://127.0.0.1} on 443), without a trailing slash */
    public String baseUrl() {
        return (port() == 443) ? "https://127.0.0.1" : "https://127.0.0.1:" + port();
    }

    /** Stops accepting connections, releases the port and stops the worker threads. */
    @Override
    public void close() {
        this.server.stop(0);
        this.executor.shutdownNow();
    }

    /**
     * Reads the request body.
     * @param exchange the exchange
     * @return the body as UTF-8
     * @throws IOException when reading fails
     */
    public static String body(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * @param exchange a request
     * @return the token of its {@code Authorization: Bearer <token>} header (the scheme in any case), or
     * {@code null} when it has none
     */
    public static @Nullable String bearerToken(HttpExchange exchange) {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        return (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7))
                ? authorization.substring(7).trim() : null;
    }

    /**
     * Parses an {@code application/x-www-form-urlencoded} body or query string; the first value of a repeated
     * name wins.
     * @param encoded the encoded form, may be empty
     * @return names to decoded values, in order
     */
    public static Map<String, String> parseForm(String encoded) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : encoded.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = (equals >= 0) ? pair.substring(0, equals) : pair;
            String value = (equals >= 0) ? pair.substring(equals + 1) : "";
            form.putIfAbsent(URLDecoder.decode(name, StandardCharsets.UTF_8),
                    URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return form;
    }

    /**
     * Sends a JSON response and closes the exchange.
     * @param exchange the exchange
     * @param status HTTP status
     * @param body a JSON value, written with {@link Json#write(Object)}
     * @throws IOException when writing fails
     */
    public static void sendJson(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void handle(String name, HttpHandler handler, HttpExchange exchange) throws IOException {
        try {
            handler.handle(exchange);
        }
        catch (IOException | RuntimeException ex) {
            logger.log(System.Logger.Level.WARNING, "{0} failed on {1} {2}: {3}", name, exchange.getRequestMethod(),
                    exchange.getRequestURI().getPath(), ex.getClass().getName());
            try {
                exchange.sendResponseHeaders(500, -1);
            }
            catch (IOException | RuntimeException ignored) {
                // The response was already started; the client sees a broken connection instead.
            }
        }
        finally {
            exchange.close();
        }
    }

}
