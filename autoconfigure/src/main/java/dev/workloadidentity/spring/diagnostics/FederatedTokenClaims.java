package dev.workloadidentity.spring.diagnostics;

import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import org.jspecify.annotations.Nullable;

/**
 * The claims of a federated (Kubernetes service account) token, decoded without checking its signature: enough to
 * tell an operator which issuer, subject and audience Entra was shown, and when the token expires.
 *
 * @param issuer {@code iss}
 * @param subject {@code sub}
 * @param audiences {@code aud}, as a list
 * @param expiresAt {@code exp}
 * @param issuedAt {@code iat}
 */
public record FederatedTokenClaims(@Nullable String issuer, @Nullable String subject, List<String> audiences,
        @Nullable Instant expiresAt, @Nullable Instant issuedAt) {

    /**
     * @param jwt a compact JWT
     * @return its claims
     * @throws IllegalArgumentException if it is not a JWT; the message never repeats the input
     */
    public static FederatedTokenClaims decode(String jwt) {
        String[] parts = jwt.split("\\.", -1);
        if (parts.length != 3 || parts[1].isEmpty()) {
            throw new IllegalArgumentException("not a compact JWT (header.payload.signature)");
        }
        Map<String, Object> claims;
        try (JsonReader reader = JsonProviders.createReader(Base64.getUrlDecoder().decode(parts[1]))) {
            claims = reader.readMap(JsonReader::readUntyped);
        }
        catch (IOException | RuntimeException ex) {
            throw new IllegalArgumentException("the JWT payload is not base64url-encoded JSON");
        }
        if (claims == null) {
            throw new IllegalArgumentException("the JWT payload is not a JSON object");
        }
        return new FederatedTokenClaims(string(claims.get("iss")), string(claims.get("sub")),
                audiences(claims.get("aud")), instant(claims.get("exp")), instant(claims.get("iat")));
    }

    /** @return the claims for health details and templates; never the token */
    public Map<String, Object> asDetails() {
        Map<String, Object> details = new LinkedHashMap<>();
        put(details, "issuer", this.issuer);
        put(details, "subject", this.subject);
        put(details, "audience", String.join(",", this.audiences));
        put(details, "expiresAt", (this.expiresAt != null) ? this.expiresAt.toString() : null);
        return details;
    }

    private static void put(Map<String, Object> details, String key, @Nullable Object value) {
        if (value != null) {
            details.put(key, value);
        }
    }

    private static @Nullable String string(@Nullable Object value) {
        return (value instanceof String text) ? text : null;
    }

    private static List<String> audiences(@Nullable Object value) {
        if (value instanceof String text) {
            return List.of(text);
        }
        if (value instanceof List<?> list) {
            return list.stream().filter(String.class::isInstance).map(String.class::cast).toList();
        }
        return List.of();
    }

    private static @Nullable Instant instant(@Nullable Object value) {
        return (value instanceof Number seconds) ? Instant.ofEpochSecond(seconds.longValue()) : null;
    }

}
