package dev.workloadidentity.spring.credential;

import java.time.Instant;

/**
 * Thrown to a caller that finds no usable token while requests to Entra are backing off after failures; its cause
 * is the last failure, which says what is wrong.
 */
public final class TokenRequestBackoffException extends IllegalStateException {

    private final Instant retryAt;

    TokenRequestBackoffException(int failuresInARow, Instant retryAt, Throwable lastFailure) {
        super("No workload identity token: the last " + ((failuresInARow == 1) ? "request" : failuresInARow
                + " requests") + " to Entra failed, and the next is not made before " + retryAt
                + " (see the cause)", lastFailure);
        this.retryAt = retryAt;
    }

    /** @return when the next request to Entra may be made */
    public Instant getRetryAt() {
        return this.retryAt;
    }

}
