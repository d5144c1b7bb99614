package dev.workloadidentity.spring.testsupport.entra;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * One request the fake Entra answered on its token endpoint. Holds no token and no assertion.
 *
 * @param time when it was answered
 * @param tenant the tenant in the request path
 * @param clientId the {@code client_id} sent, if any
 * @param resource the resource asked for (the scope without {@code /.default}), if any
 * @param status the HTTP status answered
 * @param errorCode the AADSTS code answered, or {@code null} on success
 * @param assertionId the {@code jti} of the client assertion, when it had one; tells rotated tokens apart
 * @param claimsRequested whether the request carried a {@code claims} parameter (the SDK's CAE requests do)
 */
public record TokenRequest(Instant time, String tenant, @Nullable String clientId, @Nullable String resource,
        int status, @Nullable Integer errorCode, @Nullable String assertionId, boolean claimsRequested) {

    /** @return whether a token was issued */
    public boolean succeeded() {
        return this.errorCode == null && this.status == 200;
    }

    /** @return {@code success} or {@code AADSTS<code>} */
    public String outcome() {
        return (this.errorCode != null) ? "AADSTS" + this.errorCode : (succeeded() ? "success" : "HTTP " + this.status);
    }

}
