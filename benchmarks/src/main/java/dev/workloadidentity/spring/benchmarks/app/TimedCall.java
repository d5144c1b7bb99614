package dev.workloadidentity.spring.benchmarks.app;

/**
 * One client call of a paced workload.
 *
 * @param op which call it was
 * @param dueEpochMicros when it was scheduled to start
 * @param latencyMicros from its scheduled start to its end, so time spent waiting behind stalled calls counts
 * @param ok whether it succeeded
 */
record TimedCall(String op, long dueEpochMicros, long latencyMicros, boolean ok) {
}
