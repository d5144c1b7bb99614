package dev.workloadidentity.spring.testsupport.storage;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import org.jspecify.annotations.Nullable;

/**
 * The Azure Storage emulator Azurite ({@code azurite-blob}, pinned in {@code test-support/azurite}) as a child
 * process: Blob service only, HTTPS with the fake Azure certificate, OAuth on ({@code --oauth basic}: bearer
 * tokens need a {@code https://sts.windows.net/} issuer, a storage audience and a valid lifetime; the signature
 * is not checked), in-memory storage, on a free loopback port.
 * <p>
 * The install is found through the system property {@value #HOME_PROPERTY} (set by the build's Surefire
 * configuration), else by searching upward from the working directory for {@code test-support/azurite}. The
 * Maven build of {@code test-support} installs it with {@code npm ci} when it is missing.
 */
public final class Azurite implements AutoCloseable {

    /** The system property naming the directory that holds Azurite's {@code node_modules}. */
    public static final String HOME_PROPERTY = "fake-azure.azurite-home";

    /** The emulator's well-known storage account. */
    public static final String ACCOUNT = "devstoreaccount1";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private static final Pattern LISTENING = Pattern.compile("successfully listens on https://127\\.0\\.0\\.1:(\\d+)");

    private static final int OUTPUT_LINES_KEPT = 50;

    private final Process process;

    private final int port;

    private final Thread shutdownHook;

    private final Deque<String> output;

    private Azurite(Process process, int port, Thread shutdownHook, Deque<String> output) {
        this.process = process;
        this.port = port;
        this.shutdownHook = shutdownHook;
        this.output = output;
    }

    /**
     * Starts Azurite with {@link FakeAzureTls#jvmDefault()}'s certificate.
     * @return the running emulator, answering over HTTPS
     */
    public static Azurite start() {
        return start(FakeAzureTls.jvmDefault());
    }

    /**
     * Starts Azurite and waits (at most a minute) until it answers over HTTPS.
     * @param tls the certificate to serve; the JVM's clients must trust it
     * @return the running emulator
     * @throws IllegalStateException when Azurite is not installed, or does not start
     */
    public static Azurite start(FakeAzureTls tls) {
        Path executable = executable(home());
        List<String> command = List.of(executable.toString(), "--blobHost", "127.0.0.1", "--blobPort", "0", "--oauth",
                "basic", "--cert", tls.keyStore().toString(), "--pwd", FakeAzureTls.PASSWORD, "--inMemoryPersistence",
                "--skipApiVersionCheck", "--disableTelemetry");
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        }
        catch (IOException ex) {
            throw new IllegalStateException("Could not run " + executable + " (is Node.js 20+ on the PATH?)", ex);
        }
        Thread shutdownHook = new Thread(() -> stop(process), "azurite-shutdown-" + process.pid());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        Deque<String> output = new ArrayDeque<>();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> readOutput(process, output, port), "azurite-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
        Azurite azurite = null;
        try {
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            int boundPort = port.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            azurite = new Azurite(process, boundPort, shutdownHook, output);
            azurite.awaitHttps(tls, deadline);
            return azurite;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw failedToStart(process, shutdownHook, output, "interrupted");
        }
        catch (ExecutionException | TimeoutException | IllegalStateException ex) {
            String reason = (ex instanceof TimeoutException) ? "no listening message within " + START_TIMEOUT
                    : String.valueOf((ex.getCause() != null) ? ex.getCause().getMessage() : ex.getMessage());
            throw failedToStart(process, shutdownHook, output, reason);
        }
    }

    /**
     * Finds the directory Azurite is installed in.
     * @return the directory holding {@code node_modules/.bin/azurite-blob}
     * @throws IllegalStateException naming the fix when it is not installed
     */
    public static Path home() {
        String configured = System.getProperty(HOME_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path home = Path.of(configured).toAbsolutePath().normalize();
            if (Files.isRegularFile(executable(home))) {
                return home;
            }
            throw notInstalled(home);
        }
        Path directory = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path candidate = directory; candidate != null; candidate = candidate.getParent()) {
            for (Path home : List.of(candidate.resolve("azurite"), candidate.resolve("test-support/azurite"))) {
                if (Files.isRegularFile(home.resolve("package.json"))) {
                    if (Files.isRegularFile(executable(home))) {
                        return home;
                    }
                    throw notInstalled(home);
                }
            }
        }
        throw new IllegalStateException("Azurite is not installed: no test-support/azurite found above " + directory
                + " and system property " + HOME_PROPERTY + " is not set. Set " + HOME_PROPERTY
                + " to the directory holding Azurite's package.json, then run 'npm ci' there (needs Node.js 20+ and npm).");
    }

    /** @return {@code https://127.0.0.1:<port>/devstoreaccount1}, the endpoint for {@code BlobServiceClientBuilder} */
    public String blobEndpoint() {
        return "https://127.0.0.1:" + this.port + "/" + ACCOUNT;
    }

    /** @return the port Azurite bound */
    public int port() {
        return this.port;
    }

    /** @return the process id of the Node.js process */
    public long pid() {
        return this.process.pid();
    }

    /** @return whether the process is still running */
    public boolean isAlive() {
        return this.process.isAlive();
    }

    /** @return the last lines Azurite printed, for diagnostics */
    public List<String> recentOutput() {
        synchronized (this.output) {
            return List.copyOf(this.output);
        }
    }

    /** Sends SIGTERM, then SIGKILL if it has not exited after five seconds; waits until it is gone. */
    @Override
    public void close() {
        stop(this.process);
        try {
            Runtime.getRuntime().removeShutdownHook(this.shutdownHook);
        }
        catch (IllegalStateException ex) {
            // the JVM is already shutting down; the hook stops the process as well
        }
    }

    private void awaitHttps(FakeAzureTls tls, long deadline) {
        HttpClient client = HttpClient.newBuilder()
            .sslContext(tls.clientContext())
            .connectTimeout(Duration.ofSeconds(2))
            .build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + this.port + "/"))
            .timeout(Duration.ofSeconds(2))
            .build();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (!this.process.isAlive()) {
                throw new IllegalStateException("Azurite exited with code " + this.process.exitValue());
            }
            try {
                client.send(request, HttpResponse.BodyHandlers.discarding());
                return;
            }
            catch (IOException ex) {
                last = ex;
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
            try {
                Thread.sleep(100);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
        }
        throw new IllegalStateException("no HTTPS answer on port " + this.port + " within " + START_TIMEOUT
                + ((last != null) ? " (last error: " + last + ")" : ""));
    }

    private static void readOutput(Process process, Deque<String> output, CompletableFuture<Integer> port) {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                synchronized (output) {
                    output.addLast(line);
                    while (output.size() > OUTPUT_LINES_KEPT) {
                        output.removeFirst();
                    }
                }
                Matcher matcher = LISTENING.matcher(line);
                if (matcher.find()) {
                    port.complete(Integer.parseInt(matcher.group(1)));
                }
            }
        }
        catch (IOException ex) {
            // the process went away
        }
        port.completeExceptionally(new IllegalStateException("Azurite exited before listening"
                + (process.isAlive() ? "" : " (exit code " + exitValue(process) + ")")));
    }

    private static @Nullable Integer exitValue(Process process) {
        try {
            return process.waitFor(1, TimeUnit.SECONDS) ? process.exitValue() : null;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static IllegalStateException failedToStart(Process process, Thread shutdownHook, Deque<String> output,
            String reason) {
        stop(process);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
        catch (IllegalStateException ex) {
            // shutting down
        }
        String printed;
        synchronized (output) {
            printed = String.join(System.lineSeparator(), output);
        }
        return new IllegalStateException("Azurite did not start: " + reason + ". Its output:" + System.lineSeparator()
                + printed);
    }

    private static void stop(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            catch (InterruptedException ex) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    private static Path executable(Path home) {
        boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
        return home.resolve("node_modules/.bin/" + (windows ? "azurite-blob.cmd" : "azurite-blob"));
    }

    private static IllegalStateException notInstalled(Path home) {
        return new IllegalStateException("Azurite is not installed in " + home + " (" + executable(home)
                + " is missing). Install it with 'npm ci' in " + home + " (needs Node.js 20+ and npm), or run"
                + " './mvnw -pl test-support initialize', which does that when node_modules is missing.");
    }

}
