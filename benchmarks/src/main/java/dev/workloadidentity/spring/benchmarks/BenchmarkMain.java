package dev.workloadidentity.spring.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

import dev.workloadidentity.spring.testsupport.storage.Azurite;

/**
 * Runs every benchmark against a fake Azure on 127.0.0.1 and prints one markdown table. Progress goes to standard
 * error, the table to standard output (and to {@code results.md} in the work directory, beside every
 * application's log).
 */
public final class BenchmarkMain {

    private BenchmarkMain() {
    }

    public static void main(String[] args) throws Exception {
        Instant started = Instant.now();
        Settings settings = Settings.fromSystemProperties();
        Path directory = prepare(settings.workDirectory());
        installAzuriteIfMissing(directory);
        progress("Starting the fake Azure (Entra, Azurite, Service Bus) on 127.0.0.1");
        FakeWorld world = startWorld(settings);
        Applications applications = new Applications(directory, world.azure(), settings.applicationJvmOptions());
        Thread cleanUp = new Thread(() -> {
            applications.close();
            world.close();
        }, "benchmark-clean-up");
        Runtime.getRuntime().addShutdownHook(cleanUp);
        Table table = new Table();
        try {
            Run run = new Run(world, applications, settings);
            if (settings.rows().contains(1)) {
                progress("[1/5] Token requests: three applications side by side for about "
                        + Format.human(settings.refreshPeriod().multipliedBy(2)));
                new TokenRequestsBenchmark(run).addTo(table);
            }
            if (settings.rows().contains(2)) {
                progress("[2/5] Key Vault latency across a token refresh: two applications, one after the other");
                new RolloverLatencyBenchmark(run).addTo(table);
            }
            if (settings.rows().contains(3)) {
                progress("[3/5] Health probes");
                new HealthProbeBenchmark(run).addTo(table);
            }
            if (settings.rows().contains(4)) {
                progress("[4/5] Startup: " + (settings.startupRuns() + 1) * 2 + " application starts");
                new StartupBenchmark(run).addTo(table);
            }
            if (settings.rows().contains(5)) {
                progress("[5/5] Misconfigured identity");
                new FailureBenchmark(run).addTo(table);
            }
        }
        finally {
            applications.close();
            world.close();
            Runtime.getRuntime().removeShutdownHook(cleanUp);
        }
        Duration took = Duration.between(started, Instant.now()).truncatedTo(ChronoUnit.SECONDS);
        progress("Done");
        String report = header(settings, applications, world.entraPortless(), started) + "\n" + table.markdown() + "\nRun time: "
                + Format.human(took) + ". Logs and raw results: `" + directory + "`.\n";
        Files.writeString(directory.resolve("results.md"), report);
        System.out.println(report);
    }

    private static FakeWorld startWorld(Settings settings) {
        if (settings.entraPort() != 0) {
            try {
                return FakeWorld.start(settings.entraLatency(), settings.entraPort());
            }
            catch (UncheckedIOException ex) {
                progress("Could not bind 127.0.0.1:" + settings.entraPort() + " for the fake Entra (" + ex.getMessage()
                        + "); using a free port: MSAL's token cache then never hits, see the note in the output");
            }
        }
        return FakeWorld.start(settings.entraLatency(), 0);
    }

    private static String header(Settings settings, Applications applications, boolean portless, Instant started) {
        StringBuilder header = new StringBuilder();
        header.append("### Workload identity starter vs. Spring Cloud Azure alone\n\n");
        header.append("Measured ").append(started.truncatedTo(ChronoUnit.SECONDS)).append(" on one machine (")
            .append(Runtime.getRuntime().availableProcessors()).append(" CPUs, Java ")
            .append(System.getProperty("java.version")).append(", ").append(System.getProperty("os.name"))
            .append("), which other work may share: absolute figures are noisy and only indicative; compare the "
                    + "columns of a row, measured in the same run. Everything talks to fakes on 127.0.0.1 "
                    + "(`test-support`): Entra (answering each token request after ")
            .append(Format.human(settings.entraLatency()))
            .append(", like the real one), Key Vault, Azurite (Blob) and Service Bus (AMQP), all over TLS. Each "
                    + "application is a fresh JVM with the AKS webhook's variables in its environment and no "
                    + "credential settings; \"default\" and \"managed-identity-enabled\" are the same application "
                    + "without the starter's jars (Spring Boot ")
            .append(applications.version("spring-boot"))
            .append(", Spring Cloud Azure ")
            .append(applications.version("spring-cloud-azure-autoconfigure"))
            .append(", azure-identity ")
            .append(applications.version("azure-identity"))
            .append(", msal4j ")
            .append(applications.version("msal4j"))
            .append("; application JVM options `")
            .append(String.join(" ", settings.applicationJvmOptions()))
            .append("`). Spring Cloud Azure's `DefaultAzureCredential` gets `disableInstanceDiscovery()` through "
                    + "a builder customizer, the starter `workload-identity.instance-discovery=false`.\n");
        if (!portless) {
            header.append("\n**Caveat for this run:** port 443 could not be bound, so the fake Entra's authority has "
                    + "a port, and MSAL4J 1.23.1's token cache never hits then: every `DefaultAzureCredential` call "
                    + "went to Entra, which over-counts the Spring Cloud Azure columns of row 1 compared with real "
                    + "Entra. Run as root with 127.0.0.1:443 free for comparable numbers.\n");
        }
        return header.toString();
    }

    private static Path prepare(Path directory) throws IOException {
        Path absolute = directory.toAbsolutePath().normalize();
        if (Files.exists(absolute)) {
            try (Stream<Path> paths = Files.walk(absolute)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    if (!path.equals(absolute)) {
                        Files.delete(path);
                    }
                }
            }
        }
        return Files.createDirectories(absolute);
    }

    /** A fresh clone has no Azurite yet when the build skipped the tests; install it as the build would. */
    private static void installAzuriteIfMissing(Path directory) throws IOException, InterruptedException {
        try {
            Azurite.home();
            return;
        }
        catch (IllegalStateException ex) {
            // not installed
        }
        String configured = System.getProperty(Azurite.HOME_PROPERTY);
        if (configured == null) {
            throw new IllegalStateException("Azurite is not installed and " + Azurite.HOME_PROPERTY + " is not set");
        }
        Path home = Path.of(configured);
        Path log = directory.resolve("azurite-install.log");
        progress("Installing Azurite into " + home + " (npm ci; log " + log + ")");
        boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
        Process install = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin",
                windows ? "java.exe" : "java").toString(), home.resolve("InstallAzurite.java").toString(),
                home.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
        if (install.waitFor() != 0) {
            throw new IllegalStateException("Installing Azurite failed; see " + log);
        }
        Azurite.home();
    }

    private static final long STARTED = System.nanoTime();

    static void progress(String message) {
        long seconds = Duration.ofNanos(System.nanoTime() - STARTED).toSeconds();
        System.err.printf(Locale.ROOT, "[benchmarks %d:%02d] %s%n", seconds / 60, seconds % 60, message);
    }

}
