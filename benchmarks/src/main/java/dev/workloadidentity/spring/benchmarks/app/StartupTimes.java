package dev.workloadidentity.spring.benchmarks.app;

import java.lang.management.ManagementFactory;

import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.event.ApplicationStartingEvent;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextRefreshedEvent;

/**
 * When the JVM started and the application passed each startup milestone, as epoch milliseconds (comparable with
 * the fake Entra's request log) and as a monotonic duration for the refresh itself.
 */
final class StartupTimes implements ApplicationListener<ApplicationEvent> {

    private final long jvmStartedEpochMillis = ManagementFactory.getRuntimeMXBean().getStartTime();

    private long startingEpochMillis;

    private long preparedNanos;

    private long refreshedNanos;

    private long readyEpochMillis;

    @Override
    public void onApplicationEvent(ApplicationEvent event) {
        if (event instanceof ApplicationStartingEvent) {
            this.startingEpochMillis = System.currentTimeMillis();
        }
        else if (event instanceof ApplicationPreparedEvent) {
            this.preparedNanos = System.nanoTime();
        }
        else if (event instanceof ContextRefreshedEvent && this.refreshedNanos == 0) {
            this.refreshedNanos = System.nanoTime();
        }
        else if (event instanceof ApplicationReadyEvent) {
            this.readyEpochMillis = System.currentTimeMillis();
        }
    }

    void writeTo(ResultWriter results) {
        results.put("jvmStartedEpochMillis", this.jvmStartedEpochMillis);
        results.put("applicationStartingEpochMillis", this.startingEpochMillis);
        results.put("refreshMicros", (this.refreshedNanos - this.preparedNanos) / 1_000);
        results.put("readyEpochMillis", this.readyEpochMillis);
    }

}
