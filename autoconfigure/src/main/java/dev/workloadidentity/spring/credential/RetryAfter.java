package dev.workloadidentity.spring.credential;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

import com.microsoft.aad.msal4j.MsalServiceException;
import org.jspecify.annotations.Nullable;

/** How long Entra asked the caller to wait, with the {@code Retry-After} header of a 429 or 503 answer. */
final class RetryAfter {

    /** Longer waits are not believed: a renewal must still happen while the current token serves. */
    static final Duration LONGEST = Duration.ofMinutes(5);

    private RetryAfter() {
    }

    /**
     * @param failure a failed token request, Entra's answer anywhere in its cause chain
     * @param now the current time, for a header that gives a date
     * @return the wait Entra asked for, at most {@link #LONGEST}, or {@code null} if it asked for none
     */
    static @Nullable Duration of(Throwable failure, Instant now) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof MsalServiceException entra && entra.headers() != null) {
                return parse(entra.headers(), now);
            }
        }
        return null;
    }

    private static @Nullable Duration parse(Map<String, List<String>> headers, Instant now) {
        for (Map.Entry<String, List<String>> header : headers.entrySet()) {
            if ("Retry-After".equalsIgnoreCase(header.getKey()) && !header.getValue().isEmpty()) {
                Duration wait = parse(header.getValue().get(0).trim(), now);
                return (wait == null || wait.isNegative()) ? null : (wait.compareTo(LONGEST) > 0) ? LONGEST : wait;
            }
        }
        return null;
    }

    /** Seconds, or an HTTP date. */
    private static @Nullable Duration parse(String value, Instant now) {
        try {
            return Duration.ofSeconds(Long.parseLong(value));
        }
        catch (NumberFormatException ex) {
            try {
                return Duration.between(now, ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME));
            }
            catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }

}
