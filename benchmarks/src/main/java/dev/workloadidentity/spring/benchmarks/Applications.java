package dev.workloadidentity.spring.benchmarks;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;

/**
 * Starts the benchmark application ({@code dev.workloadidentity.spring.benchmarks.app.BenchmarkApplication}) in
 * JVMs of its own, as a pod would run it: the webhook's variables in a clean process environment, the fakes'
 * certificate in the JVM trust store, the rest as Spring properties on the command line. Without the starter, the
 * starter's jars are left off the classpath; nothing else differs.
 */
final class Applications implements AutoCloseable {

    static final String MAIN_CLASS = "dev.workloadidentity.spring.benchmarks.app.BenchmarkApplication";

    /** What marks the starter's jars (or class directories) on the classpath. */
    private static final List<String> STARTER_MARKERS = List.of(
            "dev/workloadidentity/spring/autoconfigure/WorkloadIdentityAutoConfiguration.class",
            "META-INF/maven/dev.workloadidentity/workload-identity-spring-boot-starter/pom.xml");

    private static final Set<String> ENVIRONMENT_PREFIXES_REMOVED = Set.of("AZURE_", "WORKLOADIDENTITY_",
            "WORKLOAD_IDENTITY_", "SPRING_", "MSAL_", "IDENTITY_", "IMDS_", "MSI_", "JAVA_TOOL_OPTIONS",
            "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

    private final Path directory;

    private final FakeAzure azure;

    private final List<String> withStarter;

    private final List<String> withoutStarter;

    private final List<String> jvmOptions;

    private final List<Application> running = new CopyOnWriteArrayList<>();

    Applications(Path directory, FakeAzure azure, List<String> jvmOptions) {
        this.directory = directory;
        this.azure = azure;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.withStarter = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter((entry) -> !entry.isBlank())
            .toList();
        this.withoutStarter = this.withStarter.stream().filter((entry) -> !isStarter(Path.of(entry))).toList();
        int removed = this.withStarter.size() - this.withoutStarter.size();
        if (removed < 2) {
            throw new IllegalStateException("Expected the starter and its auto-configuration on the driver's "
                    + "classpath (found " + removed + " of them); run the driver with benchmarks/run.sh");
        }
    }

    /**
     * Starts the application.
     * @param name a name for its log and results files
     * @param variant with or without the starter, and how
     * @param environment the pod's environment (the webhook's variables)
     * @param properties Spring properties
     * @return the running application
     */
    Application start(String name, Variant variant, Map<String, String> environment, Map<String, String> properties) {
        Path log = this.directory.resolve(name + ".log");
        Path results = this.directory.resolve(name + ".results");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(this.jvmOptions);
        FakeAzureTls tls = this.azure.tls();
        command.add("-Djavax.net.ssl.trustStore=" + tls.trustStore());
        command.add("-Djavax.net.ssl.trustStorePassword=" + FakeAzureTls.PASSWORD);
        command.add("-Djavax.net.ssl.trustStoreType=PKCS12");
        command.add("-cp");
        command.add(String.join(File.pathSeparator, variant.starter() ? this.withStarter : this.withoutStarter));
        command.add(MAIN_CLASS);
        Map<String, String> all = new LinkedHashMap<>();
        all.put("spring.main.banner-mode", "off");
        all.put("logging.level.root", "WARN");
        all.putAll(variant.properties());
        all.putAll(properties);
        all.put("benchmark.results", results.toString());
        all.forEach((key, value) -> command.add("--" + key + "=" + value));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(log.toFile());
        Map<String, String> processEnvironment = builder.environment();
        processEnvironment.keySet()
            .removeIf((key) -> ENVIRONMENT_PREFIXES_REMOVED.stream().anyMatch(key::startsWith));
        processEnvironment.putAll(environment);
        try {
            Files.deleteIfExists(results);
            Application application = new Application(name, builder.start(), log, results);
            this.running.add(application);
            return application;
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not start " + name, ex);
        }
    }

    /**
     * @param artifactId a Maven artifact on the applications' classpath, e.g. {@code azure-identity}
     * @return its version, from the jar's name, or {@code ?}
     */
    String version(String artifactId) {
        Pattern jar = Pattern.compile("(^|[/\\\\])" + Pattern.quote(artifactId) + "-(\\d[^/\\\\]*)\\.jar$");
        for (String entry : this.withStarter) {
            Matcher matcher = jar.matcher(entry);
            if (matcher.find()) {
                return matcher.group(2);
            }
        }
        return "?";
    }

    /** Stops every application still running. */
    @Override
    public void close() {
        for (Application application : this.running) {
            application.close();
        }
    }

    private static boolean isStarter(Path entry) {
        if (Files.isDirectory(entry)) {
            return STARTER_MARKERS.stream().anyMatch((marker) -> Files.exists(entry.resolve(marker)));
        }
        if (!Files.isRegularFile(entry) || !entry.toString().endsWith(".jar")) {
            return false;
        }
        try (FileSystem jar = FileSystems.newFileSystem(URI.create("jar:" + entry.toUri()), Map.of())) {
            return STARTER_MARKERS.stream().anyMatch((marker) -> Files.exists(jar.getPath(marker)));
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not read " + entry, ex);
        }
    }

    /** One application JVM. Closing it ends the process (and its children) if it is still running. */
    static final class Application implements AutoCloseable {

        private final String name;

        private final Process process;

        private final Path log;

        private final Path results;

        Application(String name, Process process, Path log, Path results) {
            this.name = name;
            this.process = process;
            this.log = log;
            this.results = results;
        }

        String name() {
            return this.name;
        }

        /**
         * Waits for the application to finish its workload.
         * @param timeout how long at most
         * @return what it measured
         * @throws IllegalStateException when it fails, or does not finish in time (it is then stopped)
         */
        AppResults await(Duration timeout) throws InterruptedException {
            if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                close();
                throw failed("did not finish within " + timeout.toSeconds() + " s");
            }
            if (this.process.exitValue() != 0 || !Files.isRegularFile(this.results)) {
                throw failed("exited with code " + this.process.exitValue());
            }
            return AppResults.read(this.results);
        }

        private IllegalStateException failed(String what) {
            return new IllegalStateException("Application " + this.name + " " + what + "; its log " + this.log
                    + " ends with:\n" + tail(this.log, 40));
        }

        @Override
        public void close() {
            List<ProcessHandle> descendants = this.process.descendants().toList();
            try {
                this.process.getOutputStream().close();
            }
            catch (IOException ex) {
                // already closed
            }
            if (this.process.isAlive()) {
                this.process.destroy();
                try {
                    if (!this.process.waitFor(5, TimeUnit.SECONDS)) {
                        this.process.destroyForcibly();
                        this.process.waitFor(5, TimeUnit.SECONDS);
                    }
                }
                catch (InterruptedException ex) {
                    this.process.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
            descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        }

        private static String tail(Path file, int lines) {
            try {
                List<String> all = Files.readAllLines(file);
                return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
            }
            catch (IOException ex) {
                return "(no log: " + ex.getMessage() + ")";
            }
        }

    }

}
