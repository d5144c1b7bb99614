package dev.workloadidentity.spring.testsupport.token;

import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Checks an access token the way an Azure resource does: RS256 signature with the issuer's key, exact
 * {@code iss}, an accepted {@code aud}, and {@code exp}/{@code nbf} against the clock (no skew allowance).
 */
public final class JwtAccessTokenValidator implements AccessTokenValidator {

    private final PublicKey signingKey;

    private final String issuer;

    private final Set<String> audiences;

    private final Clock clock;

    /**
     * @param signingKey the token issuer's public key
     * @param issuer the exact {@code iss} required
     * @param audiences the {@code aud} values accepted
     * @param clock the clock lifetimes are checked against
     */
    public JwtAccessTokenValidator(PublicKey signingKey, String issuer, Collection<String> audiences, Clock clock) {
        this.signingKey = signingKey;
        this.issuer = issuer;
        this.audiences = Set.copyOf(audiences);
        this.clock = clock;
    }

    /**
     * A validator on the system clock.
     * @param signingKey the token issuer's public key
     * @param issuer the exact {@code iss} required
     * @param audiences the {@code aud} values accepted
     */
    public JwtAccessTokenValidator(PublicKey signingKey, String issuer, Collection<String> audiences) {
        this(signingKey, issuer, audiences, Clock.systemUTC());
    }

    @Override
    public void validate(String accessToken) throws InvalidTokenException {
        JwtClaims claims = Jwt.verify(accessToken, this.signingKey).claims();
        if (!this.issuer.equals(claims.issuer())) {
            throw new InvalidTokenException(
                    "Invalid issuer '" + claims.issuer() + "', expected '" + this.issuer + "'");
        }
        List<String> audience = claims.audience();
        if (audience.stream().noneMatch(this.audiences::contains)) {
            throw new InvalidTokenException("Invalid audience " + audience + ", expected one of " + this.audiences);
        }
        Instant now = this.clock.instant();
        Instant expiresAt = claims.expiresAt();
        if (expiresAt == null || !now.isBefore(expiresAt)) {
            throw new InvalidTokenException("Token is expired (exp " + expiresAt + ", now " + now + ")");
        }
        Instant notBefore = claims.notBefore();
        if (notBefore != null && now.isBefore(notBefore)) {
            throw new InvalidTokenException("Token is not valid yet (nbf " + notBefore + ", now " + now + ")");
        }
    }

}
