package dev.workloadidentity.spring.testsupport.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away certificate authority for the fake Azure servers: one self-signed certificate whose names
 * cover {@code 127.0.0.1}, {@code localhost}, {@code *.vault.azure.net} and {@code *.servicebus.windows.net}.
 * <p>
 * The JDK has no public API to issue certificates, so this runs the JDK's own {@code keytool}. The key store
 * serves the fakes (and Azurite); the trust store is what clients must trust. Clients of the Azure SDK pick
 * their trust from the JVM: the Entra, Key Vault and Blob clients through Netty's default trust manager, the
 * Service Bus client through {@link SSLContext#getDefault()}. {@link #installAsJvmDefault()} sets both, and
 * must run before the first TLS client is built because reactor-netty caches its default SSL provider.
 */
public final class FakeAzureTls {

    /** Password of both stores; these stores protect nothing. */
    public static final String PASSWORD = "changeit";

    private static final String ALIAS = "fake-azure";

    private static final List<String> SUBJECT_ALTERNATIVE_NAMES = List.of("dns:localhost", "ip:127.0.0.1",
            "dns:*.vault.azure.net", "dns:*.servicebus.windows.net", "dns:*.blob.core.windows.net");

    private static volatile FakeAzureTls jvmDefault;

    private final Path keyStore;

    private final Path trustStore;

    private FakeAzureTls(Path keyStore, Path trustStore) {
        this.keyStore = keyStore;
        this.trustStore = trustStore;
    }

    /**
     * Creates the stores in {@code directory}, or reuses them when an earlier run left them there.
     * @param directory where {@code fake-azure-keystore.p12} and {@code fake-azure-truststore.p12} live
     * @return the stores
     */
    public static FakeAzureTls createIn(Path directory) {
        Path keyStore = directory.resolve("fake-azure-keystore.p12");
        Path trustStore = directory.resolve("fake-azure-truststore.p12");
        if (!Files.isRegularFile(keyStore) || !Files.isRegularFile(trustStore)) {
            try {
                Files.createDirectories(directory);
                Files.deleteIfExists(keyStore);
                Files.deleteIfExists(trustStore);
                Path certificate = directory.resolve("fake-azure.crt");
                keytool("-genkeypair", "-alias", ALIAS, "-keyalg", "RSA", "-keysize", "2048", "-validity", "3650",
                        "-dname", "CN=fake-azure", "-ext", "SAN=" + String.join(",", SUBJECT_ALTERNATIVE_NAMES),
                        "-keystore", keyStore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD,
                        "-keypass", PASSWORD);
                keytool("-exportcert", "-rfc", "-alias", ALIAS, "-keystore", keyStore.toString(), "-storepass",
                        PASSWORD, "-file", certificate.toString());
                keytool("-importcert", "-noprompt", "-alias", ALIAS, "-file", certificate.toString(), "-keystore",
                        trustStore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
            }
            catch (IOException ex) {
                throw new UncheckedIOException("Could not create the fake Azure TLS stores in " + directory, ex);
            }
        }
        return new FakeAzureTls(keyStore, trustStore);
    }

    /**
     * Returns the stores this JVM trusts, creating them in a temporary directory (deleted when the JVM exits) and
     * {@linkplain #installAsJvmDefault() installing} them on first use.
     * @return the JVM-wide stores
     */
    public static synchronized FakeAzureTls jvmDefault() {
        if (jvmDefault == null) {
            try {
                Path directory = Files.createTempDirectory("fake-azure-tls");
                Runtime.getRuntime()
                    .addShutdownHook(new Thread(() -> deleteQuietly(directory), "fake-azure-tls-cleanup"));
                FakeAzureTls tls = createIn(directory);
                tls.installAsJvmDefault();
                jvmDefault = tls;
            }
            catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
        return jvmDefault;
    }

    private static void deleteQuietly(Path directory) {
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(directory);
        }
        catch (IOException ex) {
            // A temporary directory left behind is harmless.
        }
    }

    /** Makes every TLS client in this JVM trust (only) the fake servers' certificate. */
    public void installAsJvmDefault() {
        System.setProperty("javax.net.ssl.trustStore", this.trustStore.toString());
        System.setProperty("javax.net.ssl.trustStorePassword", PASSWORD);
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        SSLContext.setDefault(clientContext());
    }

    /** @return the PKCS12 key store (certificate and private key) the servers present */
    public Path keyStore() {
        return this.keyStore;
    }

    /** @return the PKCS12 trust store a client needs */
    public Path trustStore() {
        return this.trustStore;
    }

    /** @return a server-side context presenting the fake certificate */
    public SSLContext serverContext() {
        try {
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(load(this.keyStore), PASSWORD.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), null, null);
            return context;
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("Could not load " + this.keyStore, ex);
        }
    }

    /** @return a client-side context trusting the fake certificate */
    public SSLContext clientContext() {
        try {
            TrustManagerFactory trustManagers = TrustManagerFactory
                .getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(load(this.trustStore));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trustManagers.getTrustManagers(), null);
            return context;
        }
        catch (GeneralSecurityException ex) {
            throw new IllegalStateException("Could not load " + this.trustStore, ex);
        }
    }

    private static KeyStore load(Path path) throws GeneralSecurityException {
        try (InputStream in = Files.newInputStream(path)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, PASSWORD.toCharArray());
            return store;
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static void keytool(String... arguments) throws IOException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new java.util.ArrayList<>();
        command.add(keytool.toString());
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("keytool " + arguments[0] + " failed: " + output.trim());
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while running keytool", ex);
        }
    }

}
