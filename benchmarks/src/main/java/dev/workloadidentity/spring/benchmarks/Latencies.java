package dev.workloadidentity.spring.benchmarks;

import java.util.Arrays;
import java.util.Collection;

/** Nearest-rank percentiles of latencies in microseconds. */
final class Latencies {

    private final long[] sorted;

    private Latencies(long[] sorted) {
        this.sorted = sorted;
    }

    static Latencies of(Collection<Long> micros) {
        long[] values = micros.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(values);
        return new Latencies(values);
    }

    int count() {
        return this.sorted.length;
    }

    /**
     * @param percentile e.g. 99
     * @return the smallest latency that at least that share of the calls did not exceed
     */
    long percentile(double percentile) {
        if (this.sorted.length == 0) {
            throw new IllegalStateException("No latencies");
        }
        int rank = (int) Math.ceil(percentile / 100.0 * this.sorted.length);
        return this.sorted[Math.max(0, Math.min(this.sorted.length - 1, rank - 1))];
    }

    long max() {
        return percentile(100);
    }

    /** @return {@code p50 / p99 / max} in milliseconds */
    String p50p99max() {
        return Format.millis(percentile(50)) + " / " + Format.millis(percentile(99)) + " / " + Format.millis(max())
                + " ms";
    }

    /** @return {@code p50 / p99} in milliseconds */
    String p50p99() {
        return Format.millis(percentile(50)) + " / " + Format.millis(percentile(99)) + " ms";
    }

}
