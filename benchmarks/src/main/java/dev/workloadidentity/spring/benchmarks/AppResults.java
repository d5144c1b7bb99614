package dev.workloadidentity.spring.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/** What one application run measured, as written by its {@code ResultWriter}. */
final class AppResults {

    private final Map<String, String> values;

    private final List<Call> calls;

    private AppResults(Map<String, String> values, List<Call> calls) {
        this.values = values;
        this.calls = calls;
    }

    static AppResults read(Path file) {
        Map<String, String> values = new LinkedHashMap<>();
        List<Call> calls = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("call ")) {
                    String[] parts = line.split(" ");
                    calls.add(new Call(parts[1], Long.parseLong(parts[2]), Long.parseLong(parts[3]),
                            Boolean.parseBoolean(parts[4])));
                }
                else if (line.contains("=")) {
                    int equals = line.indexOf('=');
                    values.put(line.substring(0, equals), line.substring(equals + 1));
                }
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return new AppResults(values, calls);
    }

    @Nullable String get(String key) {
        return this.values.get(key);
    }

    String require(String key) {
        String value = this.values.get(key);
        if (value == null) {
            throw new IllegalStateException("The application did not report " + key + ": " + this.values);
        }
        return value;
    }

    long longValue(String key) {
        return Long.parseLong(require(key));
    }

    Instant instant(String key) {
        return Instant.ofEpochMilli(longValue(key));
    }

    /** @return every value whose key starts with the prefix, prefix removed */
    Map<String, String> withPrefix(String prefix) {
        Map<String, String> found = new LinkedHashMap<>();
        this.values.forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                found.put(key.substring(prefix.length()), value);
            }
        });
        return found;
    }

    List<Call> calls() {
        return this.calls;
    }

    /**
     * One timed call.
     *
     * @param op what it was
     * @param dueEpochMicros when it was due (or started)
     * @param latencyMicros its latency
     * @param ok whether it succeeded
     */
    record Call(String op, long dueEpochMicros, long latencyMicros, boolean ok) {

        Instant due() {
            return Instant.ofEpochSecond(this.dueEpochMicros / 1_000_000, (this.dueEpochMicros % 1_000_000) * 1_000);
        }

    }

}
