package dev.workloadidentity.spring.benchmarks.app;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the application hands back to the driver: {@code key=value} lines, then one line per timed call
 * ({@code call <op> <dueEpochMicros> <latencyMicros> <ok>}). Values are single-line.
 */
final class ResultWriter {

    private final Path file;

    private final Map<String, String> values = new LinkedHashMap<>();

    private final List<String> calls = new ArrayList<>();

    ResultWriter(Path file) {
        this.file = file;
    }

    synchronized void put(String key, Object value) {
        this.values.put(key, String.valueOf(value).replace('\n', ' ').replace('\r', ' '));
    }

    synchronized void addCalls(List<TimedCall> timed) {
        for (TimedCall call : timed) {
            this.calls.add("call " + call.op() + " " + call.dueEpochMicros() + " " + call.latencyMicros() + " "
                    + call.ok());
        }
    }

    synchronized void save() {
        Path temporary = this.file.resolveSibling(this.file.getFileName() + ".tmp");
        try (BufferedWriter out = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
            for (Map.Entry<String, String> entry : this.values.entrySet()) {
                out.write(entry.getKey() + "=" + entry.getValue());
                out.newLine();
            }
            for (String call : this.calls) {
                out.write(call);
                out.newLine();
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        try {
            Files.move(temporary, this.file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

}
