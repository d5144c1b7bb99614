import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Installs the pinned Azurite with {@code npm ci}; the test-support build runs this with the JDK's source
 * launcher ({@code java InstallAzurite.java <dir>}) when {@code node_modules/.bin/azurite-blob} is missing.
 * Fails with a clear message when Node.js 20+ or npm is not on the PATH.
 */
public final class InstallAzurite {

    private static final int MINIMUM_NODE_MAJOR = 20;

    private static final boolean WINDOWS = System.getProperty("os.name", "").toLowerCase(Locale.ROOT)
        .startsWith("windows");

    public static void main(String[] args) throws Exception {
        Path directory = Path.of((args.length > 0) ? args[0] : ".").toAbsolutePath().normalize();
        String nodeVersion = version(WINDOWS ? "node.exe" : "node");
        if (nodeVersion == null) {
            fail("Node.js was not found on the PATH.");
        }
        int major = major(nodeVersion);
        if (major < MINIMUM_NODE_MAJOR) {
            fail("Node.js " + nodeVersion + " is too old.");
        }
        String npm = WINDOWS ? "npm.cmd" : "npm";
        if (version(npm) == null) {
            fail("npm was not found on the PATH.");
        }
        System.out.println("Installing Azurite into " + directory + " with npm ci (Node.js " + nodeVersion + ")");
        Process process = new ProcessBuilder(npm, "ci", "--no-audit", "--no-fund").directory(directory.toFile())
            .inheritIO()
            .start();
        int exit = process.waitFor();
        if (exit != 0) {
            fail("'npm ci' in " + directory + " failed with exit code " + exit + " (see its output above).");
        }
    }

    private static String version(String command) {
        try {
            Process process = new ProcessBuilder(command, "--version").redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                return null;
            }
            return output;
        }
        catch (IOException ex) {
            return null;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static int major(String version) {
        String digits = version.startsWith("v") ? version.substring(1) : version;
        int dot = digits.indexOf('.');
        try {
            return Integer.parseInt((dot >= 0) ? digits.substring(0, dot) : digits);
        }
        catch (NumberFormatException ex) {
            return 0;
        }
    }

    private static void fail(String problem) {
        System.err.println();
        System.err.println("ERROR: " + problem);
        System.err.println("The test-support tests run Azurite, the Azure Storage emulator, which is installed from npm.");
        System.err.println("Node.js " + MINIMUM_NODE_MAJOR + "+ and npm are needed to install it: put them on the PATH,"
                + " then build again.");
        System.err.println("To build without running the tests, pass -DskipTests.");
        System.err.println();
        System.exit(1);
    }

}
