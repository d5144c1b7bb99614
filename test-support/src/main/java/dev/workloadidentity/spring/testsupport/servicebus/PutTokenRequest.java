package dev.workloadidentity.spring.testsupport.servicebus;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * One put-token request the namespace's {@code $cbs} node answered, without the token: what a test reads to
 * tell which identity a Service Bus client authenticated as.
 *
 * @param time when it was answered
 * @param audience the audience the token was put for ({@code name}), e.g.
 * {@code amqp://fake-ns.servicebus.windows.net/orders}
 * @param status the {@code status-code} answered: 202, or 400, 401 or 500
 * @param clientId the caller's client id ({@code appid}) when the token was accepted and names one, else
 * {@code null}
 */
public record PutTokenRequest(Instant time, String audience, int status, @Nullable String clientId) {

    /** @return whether the token was accepted (202) */
    public boolean accepted() {
        return this.status == 202;
    }

}
