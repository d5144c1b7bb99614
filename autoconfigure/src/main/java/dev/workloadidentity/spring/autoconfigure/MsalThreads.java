package dev.workloadidentity.spring.autoconfigure;

import java.util.concurrent.ExecutorService;

/**
 * The threads the starter's {@code WorkloadIdentityCredential} runs its MSAL client on, shut down when the
 * application context closes: idle threads end at once and a request still waiting for Entra is interrupted, so
 * none outlives the context (otherwise a request waits for Entra's answer or the read timeout, and idle threads for
 * their minute of keep-alive). Not an {@code Executor} bean, which Spring Boot would take for the application's.
 */
final class MsalThreads implements AutoCloseable {

    private final ExecutorService executor;

    MsalThreads(ExecutorService executor) {
        this.executor = executor;
    }

    ExecutorService executor() {
        return this.executor;
    }

    @Override
    public void close() {
        this.executor.shutdownNow();
    }

}
