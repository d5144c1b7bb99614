package dev.workloadidentity.spring.autoconfigure.azure;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.workloadidentity.spring.autoconfigure.WorkloadIdentitySettings;
import dev.workloadidentity.spring.autoconfigure.azure.KeyVaultPropertySources.Source;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.diagnostics.Problem;
import dev.workloadidentity.spring.diagnostics.WorkloadIdentityDiagnostics;
import org.jspecify.annotations.Nullable;

/**
 * Bounds how long each Key Vault property source may take to load at startup, and explains a failure while one
 * loads.
 * <p>
 * Spring Cloud Azure loads the property sources on the starting thread with no overall deadline: each request to
 * the vault or to Entra may wait a minute, and retries multiply that. Once a source's time is up, the watch
 * interrupts the starting thread, and keeps doing so until that thread has left Spring Cloud Azure's Key Vault
 * post-processor, because the SDK's retries may swallow one interrupt.
 */
final class KeyVaultStartupWatch {

    static final String KEY_VAULT_POST_PROCESSOR = "com.azure.spring.cloud.autoconfigure.implementation.keyvault."
            + "environment.KeyVaultEnvironmentPostProcessor";

    static final String VAULT_SCOPE = "https://vault.azure.net/.default";

    private static final long REINTERRUPT_MILLIS = 100;

    private final List<Source> sources;

    private final Duration timeout;

    private final WorkloadIdentitySettings settings;

    private final SharedTokenCredential credential;

    private final Thread loader;

    private int started;

    private @Nullable Source loading;

    private long deadline;

    private @Nullable Diagnosis timedOut;

    private boolean stopped;

    private @Nullable Thread watcher;

    /**
     * @param sources the property sources Spring Cloud Azure will load, in order
     * @param timeout how long each may take
     * @param settings the identity they load with
     * @param credential its credential
     */
    KeyVaultStartupWatch(List<Source> sources, Duration timeout, WorkloadIdentitySettings settings,
            SharedTokenCredential credential) {
        this.sources = sources;
        this.timeout = timeout;
        this.settings = settings;
        this.credential = credential;
        this.loader = Thread.currentThread();
    }

    /** The starting thread begins the next property source; its time starts now. */
    synchronized void nextPropertySource() {
        this.loading = this.sources.isEmpty() ? new Source("unknown", "unknown")
                : this.sources.get(Math.min(this.started, this.sources.size() - 1));
        this.started++;
        this.deadline = System.nanoTime() + this.timeout.toNanos();
        if (this.watcher == null) {
            this.watcher = new Thread(this::watch, "workload-identity-key-vault-watch");
            this.watcher.setDaemon(true);
            this.watcher.start();
        }
        notifyAll();
    }

    /** Loading is over (called on the starting thread); clears the interrupt this watch may have left. */
    synchronized void stop() {
        this.stopped = true;
        this.loading = null;
        if (this.timedOut != null && Thread.currentThread() == this.loader) {
            Thread.interrupted();
        }
        notifyAll();
    }

    /**
     * @param failure why startup failed
     * @return what went wrong with the property source that was loading, or {@code null} when the failure did not
     * come from loading one
     */
    synchronized @Nullable Diagnosis explain(Throwable failure) {
        if (this.loading == null || !thrownByKeyVaultPostProcessor(failure)) {
            return null;
        }
        if (this.timedOut != null) {
            return this.timedOut;
        }
        if (WorkloadIdentityDiagnostics.isTokenFailure(failure)) {
            WorkloadIdentityDiagnostics diagnostics = this.settings.diagnostics(VAULT_SCOPE);
            return diagnostics.diagnose(failure, diagnostics.inspectTokenFile())
                .during("Key Vault property source " + this.loading);
        }
        return Diagnosis.of(Problem.KEY_VAULT_FAILED, Map.of("propertySource", this.loading, "error",
                WorkloadIdentityDiagnostics.summarize(failure), "clientId", this.settings.clientId()));
    }

    private synchronized void watch() {
        try {
            while (!this.stopped && this.loading != null) {
                long left = this.deadline - System.nanoTime();
                if (left > 0) {
                    wait(Math.max(1, Duration.ofNanos(left).toMillis()));
                    continue;
                }
                if (!insideKeyVaultPostProcessor()) {
                    return;
                }
                if (this.timedOut == null) {
                    this.timedOut = timedOut(this.loading);
                }
                this.loader.interrupt();
                wait(REINTERRUPT_MILLIS);
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    private Diagnosis timedOut(Source source) {
        String waitingFor = this.credential.isAcquiring()
                ? "the token request to Entra (" + this.settings.authorityHost() + ")" : "the vault";
        return Diagnosis.of(Problem.KEY_VAULT_TIMEOUT, Map.of("propertySource", source, "waitingFor", waitingFor,
                "timeout", this.timeout.toString().substring(2).toLowerCase(Locale.ROOT), "authorityHost", this.settings.authorityHost()));
    }

    private boolean insideKeyVaultPostProcessor() {
        for (StackTraceElement frame : this.loader.getStackTrace()) {
            if (KEY_VAULT_POST_PROCESSOR.equals(frame.getClassName())) {
                return true;
            }
        }
        return false;
    }

    private static boolean thrownByKeyVaultPostProcessor(Throwable failure) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable current = failure; current != null && seen.add(current); current = current.getCause()) {
            for (StackTraceElement frame : current.getStackTrace()) {
                if (KEY_VAULT_POST_PROCESSOR.equals(frame.getClassName())) {
                    return true;
                }
            }
        }
        return false;
    }

}
