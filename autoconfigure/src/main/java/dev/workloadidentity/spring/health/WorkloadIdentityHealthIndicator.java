package dev.workloadidentity.spring.health;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.diagnostics.FailureLog;
import dev.workloadidentity.spring.diagnostics.FederatedTokenFile;
import dev.workloadidentity.spring.diagnostics.WorkloadIdentityDiagnostics;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Reports whether the workload identity can get an access token: UP with the expiry of the federated and the
 * access token; otherwise what is wrong and how to fix it, OUT_OF_SERVICE when the pod itself must change (its
 * token file), DOWN when Azure's configuration or the network must.
 * <p>
 * Every check first inspects the federated token file, which costs a file read and no network: a missing,
 * unreadable, malformed or expired token is reported without asking Entra. A check then reuses the last token
 * it got until that token is within five minutes of expiry, the point where the credential itself would go back
 * to Entra, so repeated checks cause no Entra traffic. Past that point it asks the credential, with a CAE request
 * as Azure SDK clients make, so it shares their cache entry when the scope is theirs. Concurrent checks join the
 * one request in flight instead of starting their own, and no check waits longer than the timeout: a silent token
 * endpoint makes the check DOWN, while the request carries on in the background and later checks join it; such a
 * DOWN also shows why the previous request failed, if it did. Each distinct problem is logged once.
 * <p>
 * Details never include a token.
 */
public class WorkloadIdentityHealthIndicator extends AbstractHealthIndicator implements AutoCloseable {

    /** Azure Identity's own refresh offset: its cache stops serving a token this long before expiry. */
    private static final Duration REFRESH_BEFORE_EXPIRY = Duration.ofMinutes(5);

    private final TokenCredential credential;

    private final WorkloadIdentityDiagnostics diagnostics;

    private final TokenRequestContext request;

    private final Duration timeout;

    private final Clock clock;

    private final FailureLog failureLog;

    private final ExecutorService executor = Executors.newSingleThreadExecutor((task) -> {
        Thread thread = new Thread(task, "workload-identity-health");
        thread.setDaemon(true);
        return thread;
    });

    private @Nullable CompletableFuture<AccessToken> inFlight;

    private @Nullable AccessToken lastToken;

    private @Nullable Throwable lastFailure;

    /**
     * Creates an indicator.
     * @param credential the credential to check
     * @param diagnostics what the identity is, and how to explain its failures; its scope is the one requested
     * @param timeout longest time a check waits for the token
     * @param failureLog where problems are logged, once each; shared with whatever else reports on the identity
     */
    public WorkloadIdentityHealthIndicator(TokenCredential credential, WorkloadIdentityDiagnostics diagnostics,
            Duration timeout, FailureLog failureLog) {
        this(credential, diagnostics, timeout, failureLog, Clock.systemUTC());
    }

    WorkloadIdentityHealthIndicator(TokenCredential credential, WorkloadIdentityDiagnostics diagnostics,
            Duration timeout, FailureLog failureLog, Clock clock) {
        super("Workload identity health check failed");
        this.credential = credential;
        this.diagnostics = diagnostics;
        this.failureLog = failureLog;
        this.request = new TokenRequestContext().addScopes(diagnostics.scope()).setCaeEnabled(true);
        this.timeout = timeout;
        this.clock = clock;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        builder.withDetails(this.diagnostics.identityDetails());
        FederatedTokenFile file = this.diagnostics.inspectTokenFile();
        if (!file.usable()) {
            report(builder, file.problem());
            return;
        }
        try {
            AccessToken token = acquire().get(this.timeout.toMillis(), TimeUnit.MILLISECONDS);
            builder.up().withDetail("accessTokenExpiresAt", token.getExpiresAt().toInstant().toString());
            if (file.claims() != null && file.claims().expiresAt() != null) {
                builder.withDetail("federatedTokenExpiresAt", file.claims().expiresAt().toString());
            }
            warnOrRecover(builder, file.problem());
        }
        catch (TimeoutException ex) {
            report(builder, this.diagnostics.timedOut(this.timeout, file));
            Throwable previous = lastFailure();
            if (previous != null) {
                builder.withDetail("lastFailure", this.diagnostics.diagnose(previous, file).reason());
            }
        }
        catch (ExecutionException ex) {
            report(builder, this.diagnostics.diagnose(ex.getCause(), file));
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            builder.unknown().withDetail("reason", "Interrupted while waiting for an access token.");
        }
    }

    private void report(Health.Builder builder, Diagnosis diagnosis) {
        builder.status(diagnosis.problem().podMustChange() ? Status.OUT_OF_SERVICE : Status.DOWN)
            .withDetail("reason", diagnosis.reason())
            .withDetail("action", diagnosis.action())
            .withDetail("code", diagnosis.code())
            .withDetails(diagnosis.details());
        this.failureLog.failed(diagnosis);
    }

    private void warnOrRecover(Health.Builder builder, @Nullable Diagnosis warning) {
        if (warning == null) {
            this.failureLog.recovered();
            return;
        }
        builder.withDetail("warning", warning.reason())
            .withDetail("action", warning.action())
            .withDetail("code", warning.code());
        this.failureLog.failed(warning);
    }

    /** The last token while it is fresh, else the request in flight, else a new request. */
    private synchronized CompletableFuture<AccessToken> acquire() {
        if (this.lastToken != null && this.clock.instant()
            .isBefore(this.lastToken.getExpiresAt().toInstant().minus(REFRESH_BEFORE_EXPIRY))) {
            return CompletableFuture.completedFuture(this.lastToken);
        }
        if (this.inFlight == null || this.inFlight.isDone()) {
            this.inFlight = CompletableFuture.supplyAsync(this::request, this.executor);
        }
        return this.inFlight;
    }

    /** Records the outcome before the future completes, so no later check can miss it. */
    private AccessToken request() {
        try {
            AccessToken token = this.credential.getTokenSync(this.request);
            synchronized (this) {
                this.lastToken = token;
                this.lastFailure = null;
            }
            return token;
        }
        catch (RuntimeException ex) {
            synchronized (this) {
                this.lastFailure = ex;
            }
            throw ex;
        }
    }

    private synchronized @Nullable Throwable lastFailure() {
        return this.lastFailure;
    }

    /** Lets a request in flight finish on its daemon thread rather than interrupt it mid-call. */
    @Override
    public void close() {
        this.executor.shutdown();
    }

}
