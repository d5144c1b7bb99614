package dev.workloadidentity.spring.testsupport.rbac;

import dev.workloadidentity.spring.testsupport.token.InvalidTokenException;
import dev.workloadidentity.spring.testsupport.token.Jwt;
import dev.workloadidentity.spring.testsupport.token.JwtClaims;
import org.jspecify.annotations.Nullable;

/**
 * Who called a fake service, as Azure reads it from the access token for role checks and error messages: the
 * application's client id ({@code appid} in the v1.0 tokens Entra issues for Azure resources, {@code azp} in
 * v2.0 ones) and its service principal's object id ({@code oid}).
 * <p>
 * Read it only from a token the service's validator accepted: decoding does not check the signature, and a
 * forged token names whoever its author likes.
 *
 * @param clientId the application's client id
 * @param objectId the service principal's object id, or {@code null} when the token carries none
 */
public record Caller(String clientId, @Nullable String objectId) {

    /**
     * Reads the caller from an access token.
     * @param accessToken a compact JWT that has been validated
     * @return the caller, or {@code null} when the token is not a JWT or names no client id (as the opaque
     * tokens some tests use)
     */
    public static @Nullable Caller of(String accessToken) {
        JwtClaims claims;
        try {
            claims = Jwt.decode(accessToken).claims();
        }
        catch (InvalidTokenException ex) {
            return null;
        }
        String appId = claims.string("appid");
        String clientId = (appId != null) ? appId : claims.string("azp");
        return (clientId != null) ? new Caller(clientId, claims.string("oid")) : null;
    }

    /**
     * Reads the caller's client id from an access token.
     * @param accessToken a compact JWT that has been validated
     * @return the client id, or {@code null} when the token names none
     */
    public static @Nullable String clientIdOf(String accessToken) {
        Caller caller = of(accessToken);
        return (caller != null) ? caller.clientId() : null;
    }

}
