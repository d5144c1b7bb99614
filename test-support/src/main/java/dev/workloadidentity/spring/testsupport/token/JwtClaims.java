package dev.workloadidentity.spring.testsupport.token;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * The claims set of a JWT, in document order. Times are seconds since the epoch on the wire and {@link Instant}s
 * here; {@code aud} may be a string or an array on the wire and is always a list here.
 */
public final class JwtClaims {

    private final Map<String, Object> claims;

    private JwtClaims(Map<String, Object> claims) {
        this.claims = Collections.unmodifiableMap(new LinkedHashMap<>(claims));
    }

    /**
     * Wraps decoded claims.
     * @param claims the claims as JSON values
     * @return the claims set
     */
    public static JwtClaims of(Map<String, ?> claims) {
        return new JwtClaims(new LinkedHashMap<>(claims));
    }

    /** @return a builder for a new claims set */
    public static Builder builder() {
        return new Builder(new LinkedHashMap<>());
    }

    /** @return a builder starting from these claims, for deriving a variant */
    public Builder toBuilder() {
        return new Builder(new LinkedHashMap<>(this.claims));
    }

    /** @return {@code iss}, or {@code null} when absent or not a string */
    public @Nullable String issuer() {
        return string("iss");
    }

    /** @return {@code sub}, or {@code null} when absent or not a string */
    public @Nullable String subject() {
        return string("sub");
    }

    /** @return {@code aud} as a list: empty when absent, one element when it is a string */
    public List<String> audience() {
        Object aud = this.claims.get("aud");
        if (aud instanceof String single) {
            return List.of(single);
        }
        List<String> audiences = new ArrayList<>();
        if (aud instanceof List<?> list) {
            for (Object element : list) {
                if (element instanceof String string) {
                    audiences.add(string);
                }
            }
        }
        return List.copyOf(audiences);
    }

    /** @return {@code exp}, or {@code null} when absent or not a number */
    public @Nullable Instant expiresAt() {
        return instant("exp");
    }

    /** @return {@code nbf}, or {@code null} when absent or not a number */
    public @Nullable Instant notBefore() {
        return instant("nbf");
    }

    /** @return {@code iat}, or {@code null} when absent or not a number */
    public @Nullable Instant issuedAt() {
        return instant("iat");
    }

    /**
     * @param name claim name
     * @return the claim as a JSON value, or {@code null}
     */
    public @Nullable Object get(String name) {
        return this.claims.get(name);
    }

    /**
     * @param name claim name
     * @return the claim when it is a string, else {@code null}
     */
    public @Nullable String string(String name) {
        return (this.claims.get(name) instanceof String string) ? string : null;
    }

    /** @return all claims, unmodifiable, in document order */
    public Map<String, Object> asMap() {
        return this.claims;
    }

    private @Nullable Instant instant(String name) {
        return (this.claims.get(name) instanceof Number number) ? Instant.ofEpochSecond(number.longValue()) : null;
    }

    @Override
    public String toString() {
        return "JwtClaims" + this.claims.keySet();
    }

    /** Builds a claims set; setting a claim to {@code null} removes it. */
    public static final class Builder {

        private final Map<String, Object> claims;

        private Builder(Map<String, Object> claims) {
            this.claims = claims;
        }

        public Builder issuer(@Nullable String issuer) {
            return claim("iss", issuer);
        }

        public Builder subject(@Nullable String subject) {
            return claim("sub", subject);
        }

        /** Sets {@code aud} to a single string, the way Entra writes it. */
        public Builder audience(@Nullable String audience) {
            return claim("aud", audience);
        }

        /** Sets {@code aud} to an array, the way Kubernetes writes it. */
        public Builder audiences(List<String> audiences) {
            return claim("aud", List.copyOf(audiences));
        }

        public Builder expiresAt(@Nullable Instant expiresAt) {
            return claim("exp", (expiresAt != null) ? expiresAt.getEpochSecond() : null);
        }

        public Builder notBefore(@Nullable Instant notBefore) {
            return claim("nbf", (notBefore != null) ? notBefore.getEpochSecond() : null);
        }

        public Builder issuedAt(@Nullable Instant issuedAt) {
            return claim("iat", (issuedAt != null) ? issuedAt.getEpochSecond() : null);
        }

        /**
         * Sets any claim.
         * @param name claim name
         * @param value a JSON value (string, number, boolean, list, map), or {@code null} to remove the claim
         * @return this builder
         */
        public Builder claim(String name, @Nullable Object value) {
            if (value == null) {
                this.claims.remove(name);
            }
            else {
                this.claims.put(name, value);
            }
            return this;
        }

        public JwtClaims build() {
            return new JwtClaims(this.claims);
        }

    }

}
