package dev.workloadidentity.spring.benchmarks.app;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a fixed number of client calls at a fixed rate (open loop): call {@code i} is due at
 * {@code start + i * spread / calls}, whichever of the worker threads is free takes it, and its latency is
 * measured from when it was due. A stall therefore shows up in the latency of every call that was due during
 * it, not only in the one that waited for a token (no coordinated omission).
 */
final class PacedCalls {

    /** Extra time, after the last call was due, that calls may take before the run gives up on them. */
    private static final Duration GRACE = Duration.ofSeconds(60);

    private final List<Op> ops;

    private final int calls;

    private final Duration spread;

    private final int threads;

    private final Map<String, String> firstFailures = new ConcurrentHashMap<>();

    private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();

    private long startedEpochMillis;

    private long endedEpochMillis;

    private int unfinished;

    /**
     * @param ops the calls, taken in turn (call {@code i} is {@code ops[i % ops.size()]})
     * @param calls how many calls in all
     * @param spread the time over which they are due
     * @param threads how many worker threads make them
     */
    PacedCalls(List<Op> ops, int calls, Duration spread, int threads) {
        this.ops = List.copyOf(ops);
        this.calls = calls;
        this.spread = spread;
        this.threads = threads;
    }

    List<TimedCall> run() throws InterruptedException {
        long intervalNanos = this.spread.toNanos() / this.calls;
        long originNanos = System.nanoTime();
        long originEpochMicros = System.currentTimeMillis() * 1_000;
        long startNanos = originNanos + Duration.ofMillis(20).toNanos();
        TimedCall[] results = new TimedCall[this.calls];
        AtomicInteger next = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        this.startedEpochMillis = (originEpochMicros + (startNanos - originNanos) / 1_000) / 1_000;
        for (int t = 0; t < this.threads; t++) {
            Thread worker = new Thread(() -> {
                int i;
                while ((i = next.getAndIncrement()) < this.calls) {
                    long due = startNanos + i * intervalNanos;
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    Op op = this.ops.get(i % this.ops.size());
                    boolean ok = call(op);
                    long latencyMicros = (System.nanoTime() - due) / 1_000;
                    results[i] = new TimedCall(op.name(), originEpochMicros + (due - originNanos) / 1_000,
                            latencyMicros, ok);
                }
            }, "benchmark-caller-" + t);
            worker.setDaemon(true);
            workers.add(worker);
            worker.start();
        }
        long deadline = startNanos + this.spread.toNanos() + GRACE.toNanos();
        for (Thread worker : workers) {
            worker.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
        this.endedEpochMillis = System.currentTimeMillis();
        List<TimedCall> done = Arrays.stream(results).filter(Objects::nonNull).toList();
        this.unfinished = this.calls - done.size();
        return done;
    }

    private boolean call(Op op) {
        try {
            op.call().run();
            return true;
        }
        catch (RuntimeException ex) {
            this.failures.computeIfAbsent(op.name(), (name) -> new AtomicInteger()).incrementAndGet();
            this.firstFailures.putIfAbsent(op.name(), Failures.describe(ex));
            return false;
        }
    }

    void writeSummaryTo(ResultWriter results, String prefix) {
        results.put(prefix + "startedEpochMillis", this.startedEpochMillis);
        results.put(prefix + "endedEpochMillis", this.endedEpochMillis);
        results.put(prefix + "unfinished", this.unfinished);
        this.failures.forEach((op, count) -> results.put(prefix + "failed." + op, count.get()));
        this.firstFailures.forEach((op, failure) -> results.put(prefix + "firstFailure." + op, failure));
    }

    /**
     * A named client call.
     *
     * @param name short name for the results
     * @param call the call; throws when it fails
     */
    record Op(String name, Runnable call) {
    }

}
