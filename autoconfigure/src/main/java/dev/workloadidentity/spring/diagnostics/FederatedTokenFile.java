package dev.workloadidentity.spring.diagnostics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * The projected service account token as the credential will read it (the path re-read each time, content
 * trimmed), checked for what Entra would reject or what shows the kubelet stopped rotating it. The token itself
 * is never kept; only its claims are.
 *
 * @param path the file
 * @param setting where the path came from, for messages, e.g. {@code AZURE_FEDERATED_TOKEN_FILE=/var/run/...}
 * @param claims the decoded claims, when the file holds a JWT
 * @param problem the most serious problem found, if any
 */
public record FederatedTokenFile(Path path, String setting, @Nullable FederatedTokenClaims claims,
        @Nullable Diagnosis problem) {

    /** The audience the AKS webhook projects tokens for. */
    public static final String TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

    /**
     * The kubelet rotates a token at 80 % of its lifetime, at least 12 minutes before expiry for the webhook's
     * shortest lifetime (1 h); a token closer to expiry than this was not rotated.
     */
    public static final Duration EXPIRY_WARNING = Duration.ofMinutes(10);

    private static final Set<Problem> UNUSABLE = EnumSet.of(Problem.TOKEN_FILE_MISSING,
            Problem.TOKEN_FILE_IS_DIRECTORY, Problem.TOKEN_FILE_UNREADABLE, Problem.TOKEN_FILE_EMPTY,
            Problem.TOKEN_NOT_A_JWT, Problem.TOKEN_EXPIRED);

    private static final Pattern SERVICE_ACCOUNT_SUBJECT = Pattern.compile("system:serviceaccount:[^:]+:[^:]+");

    /**
     * Reads and checks the file.
     * @param path the file
     * @param setting where the path came from, e.g. {@code AZURE_FEDERATED_TOKEN_FILE=/var/run/...}
     * @param clock the time to judge expiry by
     * @return what was found
     */
    public static FederatedTokenFile inspect(Path path, String setting, Clock clock) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("tokenFile", path);
        values.put("tokenFileSetting", setting);
        if (!Files.exists(path)) {
            return failed(path, setting, Problem.TOKEN_FILE_MISSING, values);
        }
        if (Files.isDirectory(path)) {
            return failed(path, setting, Problem.TOKEN_FILE_IS_DIRECTORY, values);
        }
        String content;
        try {
            content = new String(Files.readAllBytes(path), StandardCharsets.UTF_8).trim();
        }
        catch (IOException ex) {
            values.put("error", (ex instanceof AccessDeniedException) ? "permission denied"
                    : ex.getClass().getSimpleName() + ((ex.getMessage() != null) ? " " + ex.getMessage() : ""));
            return failed(path, setting, Problem.TOKEN_FILE_UNREADABLE, values);
        }
        if (content.isEmpty()) {
            return failed(path, setting, Problem.TOKEN_FILE_EMPTY, values);
        }
        FederatedTokenClaims claims;
        try {
            claims = FederatedTokenClaims.decode(content);
        }
        catch (IllegalArgumentException ex) {
            return failed(path, setting, Problem.TOKEN_NOT_A_JWT, values);
        }
        values.putAll(templateValues(claims));
        Problem problem = check(claims, clock.instant());
        Diagnosis diagnosis = (problem != null)
                ? Diagnosis.of(problem, values).with(Map.of("federatedToken", claims.asDetails())) : null;
        return new FederatedTokenFile(path, setting, claims, diagnosis);
    }

    /** @return whether the credential can use the token at all; a warning still leaves it usable */
    public boolean usable() {
        return this.problem == null || !UNUSABLE.contains(this.problem.problem());
    }

    /** @return placeholder values describing the file and its claims, for other diagnoses */
    public Map<String, Object> templateValues() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("tokenFile", this.path);
        values.put("tokenFileSetting", this.setting);
        if (this.claims != null) {
            values.putAll(templateValues(this.claims));
        }
        return values;
    }

    private static Map<String, Object> templateValues(FederatedTokenClaims claims) {
        Map<String, Object> values = new LinkedHashMap<>();
        putIfPresent(values, "tokenIssuer", claims.issuer());
        putIfPresent(values, "tokenSubject", claims.subject());
        values.put("tokenAudience", String.join(",", claims.audiences()));
        putIfPresent(values, "tokenExpiresAt", claims.expiresAt());
        return values;
    }

    private static @Nullable Problem check(FederatedTokenClaims claims, Instant now) {
        if (claims.expiresAt() != null && !now.isBefore(claims.expiresAt())) {
            return Problem.TOKEN_EXPIRED;
        }
        if (!claims.audiences().contains(TOKEN_EXCHANGE_AUDIENCE)) {
            return Problem.TOKEN_WRONG_AUDIENCE;
        }
        if (claims.subject() == null || !SERVICE_ACCOUNT_SUBJECT.matcher(claims.subject()).matches()) {
            return Problem.TOKEN_WRONG_SUBJECT;
        }
        if (claims.expiresAt() != null && now.plus(EXPIRY_WARNING).isAfter(claims.expiresAt())) {
            return Problem.TOKEN_EXPIRING;
        }
        return null;
    }

    private static FederatedTokenFile failed(Path path, String setting, Problem problem, Map<String, Object> values) {
        return new FederatedTokenFile(path, setting, null, Diagnosis.of(problem, values));
    }

    private static void putIfPresent(Map<String, Object> values, String key, @Nullable Object value) {
        if (value != null) {
            values.put(key, value);
        }
    }

}
