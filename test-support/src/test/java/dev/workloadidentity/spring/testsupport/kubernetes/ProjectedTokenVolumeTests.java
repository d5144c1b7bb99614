package dev.workloadidentity.spring.testsupport.kubernetes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class ProjectedTokenVolumeTests {

    @TempDir
    Path directory;

    @Test
    void writesTheKubeletLayout() throws IOException {
        ProjectedTokenVolume volume = new ProjectedTokenVolume(this.directory);

        volume.write("token-1");

        Path tokenFile = volume.tokenFile();
        assertThat(tokenFile).isEqualTo(this.directory.resolve("azure-identity-token"));
        assertThat(Files.isSymbolicLink(tokenFile)).isTrue();
        assertThat(Files.readSymbolicLink(tokenFile)).isEqualTo(Path.of("..data", "azure-identity-token"));
        Path data = this.directory.resolve("..data");
        assertThat(Files.isSymbolicLink(data)).isTrue();
        assertThat(Files.readSymbolicLink(data).toString()).matches("\\.\\.\\d{4}_\\d{2}_\\d{2}_\\d{2}_\\d{2}_\\d{2}\\..+");
        assertThat(Files.readString(tokenFile)).isEqualTo("token-1");
        assertThat(entries()).containsExactlyInAnyOrder("azure-identity-token", "..data",
                Files.readSymbolicLink(data).toString());
    }

    @Test
    void rotationSwapsDataAndRemovesTheOldDirectory() throws IOException {
        ProjectedTokenVolume volume = new ProjectedTokenVolume(this.directory);
        volume.write("token-1");
        Path first = volume.currentDataDirectory();

        volume.rotate("token-2");

        Path second = volume.currentDataDirectory();
        assertThat(second).isNotEqualTo(first);
        assertThat(first).doesNotExist();
        assertThat(Files.readString(volume.tokenFile())).isEqualTo("token-2");
        assertThat(this.directory.resolve("..data_tmp")).doesNotExist();
        assertThat(entries()).hasSize(3);
    }

    @Test
    void readersNeverSeeATornToken() throws Exception {
        ProjectedTokenVolume volume = new ProjectedTokenVolume(this.directory);
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            written.add(String.valueOf((char) ('a' + i % 26)).repeat(1 + (i * 997) % 20_000));
        }
        volume.write(written.get(0));
        Set<String> allowed = Set.copyOf(written);
        AtomicInteger torn = new AtomicInteger();
        AtomicInteger reads = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        Thread reader = new Thread(() -> {
            while (!done.get()) {
                try {
                    String read = Files.readString(volume.tokenFile());
                    reads.incrementAndGet();
                    if (!allowed.contains(read)) {
                        torn.incrementAndGet();
                    }
                }
                catch (NoSuchFileException ex) {
                    // the old directory went away between resolving ..data and opening: a retry, not a torn read
                }
                catch (IOException ex) {
                    throw new IllegalStateException(ex);
                }
            }
        });
        reader.start();
        for (String token : written.subList(1, written.size())) {
            volume.write(token);
        }
        done.set(true);
        reader.join(10_000);

        assertThat(reads.get()).isPositive();
        assertThat(torn.get()).isZero();
        assertThat(Files.readString(volume.tokenFile())).isEqualTo(written.get(written.size() - 1));
        assertThat(entries()).hasSize(3);
    }

    private List<String> entries() throws IOException {
        try (Stream<Path> entries = Files.list(this.directory)) {
            return entries.map((path) -> path.getFileName().toString()).toList();
        }
    }

}
