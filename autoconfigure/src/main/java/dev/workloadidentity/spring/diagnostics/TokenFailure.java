package dev.workloadidentity.spring.diagnostics;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.HashSet;
import java.util.Set;

import com.microsoft.aad.msal4j.MsalServiceException;
import org.jspecify.annotations.Nullable;

/**
 * Why a token request failed, in words an operator can act on, found by walking the cause chain: the
 * synchronous credential path wraps Entra's answer several layers deep, the asynchronous one emits it bare.
 *
 * @param reason one sentence, never containing a token
 * @param error Entra's OAuth error code (for example {@code invalid_client}), when Entra answered
 * @param httpStatus Entra's HTTP status, when Entra answered
 * @param correlationId Entra's correlation ID, what Azure support asks for, when Entra answered
 */
public record TokenFailure(String reason, @Nullable String error, @Nullable Integer httpStatus,
        @Nullable String correlationId) {

    /**
     * @param failure what the credential threw or emitted
     * @return the failure described
     */
    public static TokenFailure of(Throwable failure) {
        MsalServiceException entra = find(failure, MsalServiceException.class);
        if (entra != null) {
            return new TokenFailure("Entra ID refused the token: " + firstLine(entra.getMessage()),
                    entra.errorCode(), entra.statusCode(), entra.correlationId());
        }
        NoSuchFileException missing = find(failure, NoSuchFileException.class);
        if (missing != null) {
            return reason("The federated token file " + missing.getFile() + " does not exist.");
        }
        AccessDeniedException denied = find(failure, AccessDeniedException.class);
        if (denied != null) {
            return reason("The federated token file " + denied.getFile() + " cannot be read: permission denied.");
        }
        Throwable root = rootCause(failure);
        return reason("The token request failed: " + root.getClass().getSimpleName()
                + ((root.getMessage() != null) ? ": " + firstLine(root.getMessage()) : "."));
    }

    private static TokenFailure reason(String reason) {
        return new TokenFailure(Redaction.redactTokens(reason), null, null, null);
    }

    private static <T extends Throwable> @Nullable T find(Throwable failure, Class<T> type) {
        Set<Throwable> seen = new HashSet<>();
        for (Throwable current = failure; current != null && seen.add(current); current = current.getCause()) {
            if (type.isInstance(current)) {
                return type.cast(current);
            }
        }
        return null;
    }

    private static Throwable rootCause(Throwable failure) {
        Set<Throwable> seen = new HashSet<>();
        Throwable current = failure;
        while (current.getCause() != null && seen.add(current)) {
            current = current.getCause();
        }
        return current;
    }

    private static String firstLine(@Nullable String message) {
        if (message == null) {
            return "";
        }
        String line = message.lines().findFirst().orElse("").trim();
        return Redaction.redactTokens(line);
    }

}
