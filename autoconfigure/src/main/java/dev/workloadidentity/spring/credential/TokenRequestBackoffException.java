package dev.workloadidentity.spring.credential;

import java.time.Instant;

import dev.workloadidentity.spring.diagnostics.WorkloadIdentityDiagnostics;

/**
 * Thrown to a caller that finds no usable token while requests to Entra are backing off after failures; its cause
 * is the last failure, which says what is wrong.
 */
public final class TokenRequestBackoffException extends IllegalStateException {

    private final Instant retryAt;

    TokenRequestBackoffException(int failuresInARow, Instant retryAt, Throwable lastFailure) {
        // The cause's summary is in the message because Azure SDK clients log only the message.
        super("No workload identity token: " + ((failuresInARow == 1) ? "the last token request failed with "
                : "the last " + failuresInARow + " token requests failed, the last with ")
                + WorkloadIdentityDiagnostics.summarize(lastFailure) + "; the next is not made before " + retryAt,
                lastFailure);
        this.retryAt = retryAt;
    }

    /** @return when the next request to Entra may be made */
    public Instant getRetryAt() {
        return this.retryAt;
    }

}
