package dev.workloadidentity.spring.testsupport.token;

/**
 * What a fake Azure service runs on every bearer token it receives, the way the real service checks
 * signature, issuer, audience and lifetime before it serves a request.
 */
@FunctionalInterface
public interface AccessTokenValidator {

    /**
     * Checks an access token.
     * @param accessToken the compact JWT as the client sent it
     * @throws InvalidTokenException with the reason when the service would reject the token
     */
    void validate(String accessToken) throws InvalidTokenException;

}
