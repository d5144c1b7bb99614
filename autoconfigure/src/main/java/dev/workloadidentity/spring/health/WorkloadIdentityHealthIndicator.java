package dev.workloadidentity.spring.health;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.credential.TokenRequestBackoffException;
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
 * unreadable, malformed or expired token is reported without asking Entra. It then asks the shared credential the
 * clients use, with a CAE request as Azure SDK clients make, so it shares their cache entry when the scope is
 * theirs: a check normally costs a memory read, since that credential renews its tokens in the background.
 * Concurrent checks join the one request in flight, and no check waits longer than the timeout: a silent token
 * endpoint makes the check DOWN, while the request carries on and later checks join it; such a DOWN also shows why
 * the previous request failed, if it did. A renewal that failed while the current token is still served keeps the
 * check UP, with a warning. Each distinct problem is logged once.
 * <p>
 * Details never include a token.
 */
public class WorkloadIdentityHealthIndicator extends AbstractHealthIndicator {

    private final SharedTokenCredential credential;

    private final WorkloadIdentityDiagnostics diagnostics;

    private final TokenRequestContext request;

    private final Duration timeout;

    private final FailureLog failureLog;

    /**
     * Creates an indicator.
     * @param credential the credential the application's clients use
     * @param diagnostics what the identity is, and how to explain its failures; its scope is the one requested
     * @param timeout longest time a check waits for the token
     * @param failureLog where problems are logged, once each; shared with whatever else reports on the identity
     */
    public WorkloadIdentityHealthIndicator(SharedTokenCredential credential, WorkloadIdentityDiagnostics diagnostics,
            Duration timeout, FailureLog failureLog) {
        super("Workload identity health check failed");
        this.credential = credential;
        this.diagnostics = diagnostics;
        this.failureLog = failureLog;
        this.request = new TokenRequestContext().addScopes(diagnostics.scope()).setCaeEnabled(true);
        this.timeout = timeout;
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
            AccessToken token = this.credential.getToken(this.request)
                .toFuture()
                .get(this.timeout.toMillis(), TimeUnit.MILLISECONDS);
            builder.up().withDetail("accessTokenExpiresAt", token.getExpiresAt().toInstant().toString());
            if (file.claims() != null && file.claims().expiresAt() != null) {
                builder.withDetail("federatedTokenExpiresAt", file.claims().expiresAt().toString());
            }
            Throwable renewalFailure = this.credential.lastFailure(this.request);
            warnOrRecover(builder, (renewalFailure != null) ? this.diagnostics.diagnose(renewalFailure, file)
                    .during("Renewing the access token (the current one is still served)") : file.problem());
        }
        catch (TimeoutException ex) {
            report(builder, this.diagnostics.timedOut(this.timeout, file));
            Throwable previous = this.credential.lastFailure(this.request);
            if (previous != null) {
                builder.withDetail("lastFailure", this.diagnostics.diagnose(previous, file).reason());
            }
        }
        catch (ExecutionException ex) {
            report(builder, this.diagnostics.diagnose(ex.getCause(), file));
            if (ex.getCause() instanceof TokenRequestBackoffException backoff) {
                builder.withDetail("nextAttemptAt", backoff.getRetryAt().toString());
            }
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

}
