package dev.workloadidentity.spring.testsupport.kubernetes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

/**
 * A projected service-account token volume as the kubelet's {@code AtomicWriter} maintains it:
 * <pre>
 * azure-identity-token -&gt; ..data/azure-identity-token
 * ..data -&gt; ..2026_12_03_18_47_00.1234567
 * ..2026_12_03_18_47_00.1234567/azure-identity-token
 * </pre>
 * Every {@link #write(String)} puts the token in a new timestamped directory, points a {@code ..data_tmp}
 * symlink at it, renames that over {@code ..data} in one {@code rename(2)}, and then removes the previous
 * directory. A reader that opens {@link #tokenFile()} always sees one complete token, never a torn one.
 */
public final class ProjectedTokenVolume {

    /** The file name the workload-identity webhook gives the token. */
    public static final String TOKEN_FILE_NAME = "azure-identity-token";

    private static final String DATA_DIR = "..data";

    private static final String DATA_DIR_TMP = "..data_tmp";

    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("'..'yyyy_MM_dd_HH_mm_ss'.'");

    private final Path directory;

    /**
     * @param directory the volume's mount point; created if missing
     */
    public ProjectedTokenVolume(Path directory) {
        this.directory = directory.toAbsolutePath();
        try {
            Files.createDirectories(this.directory);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not create " + this.directory, ex);
        }
    }

    /** @return the mount point */
    public Path directory() {
        return this.directory;
    }

    /** @return the user-visible token path, the value for {@code AZURE_FEDERATED_TOKEN_FILE} */
    public Path tokenFile() {
        return this.directory.resolve(TOKEN_FILE_NAME);
    }

    /**
     * Projects a token, replacing the current one atomically: the first call creates the volume layout, later
     * calls rotate.
     * @param token the service-account token
     */
    public synchronized void write(String token) {
        try {
            Path previous = currentDataDirectory();
            Path timestamped = Files.createTempDirectory(this.directory,
                    TIMESTAMP.format(ZonedDateTime.now(ZoneOffset.UTC)));
            setPermissions(timestamped, "rwxr-xr-x");
            Path file = timestamped.resolve(TOKEN_FILE_NAME);
            Files.write(file, token.getBytes(StandardCharsets.UTF_8));
            setPermissions(file, "rw-r--r--");
            Path tmpLink = this.directory.resolve(DATA_DIR_TMP);
            Files.deleteIfExists(tmpLink);
            Files.createSymbolicLink(tmpLink, timestamped.getFileName());
            Files.move(tmpLink, this.directory.resolve(DATA_DIR), StandardCopyOption.ATOMIC_MOVE);
            Path userVisible = tokenFile();
            if (!Files.isSymbolicLink(userVisible)) {
                Files.createSymbolicLink(userVisible, Path.of(DATA_DIR, TOKEN_FILE_NAME));
            }
            if (previous != null && !previous.equals(timestamped)) {
                deleteRecursively(previous);
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not project the token into " + this.directory, ex);
        }
    }

    /**
     * Rotates the token, as the kubelet does at 80 % of its lifetime; the same as {@link #write(String)}.
     * @param token the new service-account token
     */
    public void rotate(String token) {
        write(token);
    }

    /** @return the timestamped directory {@code ..data} points at now, or {@code null} before the first write */
    public synchronized @Nullable Path currentDataDirectory() {
        Path data = this.directory.resolve(DATA_DIR);
        if (!Files.isSymbolicLink(data)) {
            return null;
        }
        try {
            return this.directory.resolve(Files.readSymbolicLink(data));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static void setPermissions(Path path, String permissions) throws IOException {
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

}
