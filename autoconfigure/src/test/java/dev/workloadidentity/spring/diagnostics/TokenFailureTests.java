package dev.workloadidentity.spring.diagnostics;

import java.net.ConnectException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.ExecutionException;

import com.microsoft.aad.msal4j.MsalClientException;
import com.microsoft.aad.msal4j.MsalServiceException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TokenFailureTests {

    private static final String DESCRIPTION = "AADSTS700016: Application with identifier 'x' was not found in the "
            + "directory 'y'.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 3";

    @Test
    void findsEntraAnswerWrappedTheWayTheSyncPathWrapsIt() {
        Throwable sync = new RuntimeException(new RuntimeException(
                new ExecutionException(new MsalServiceException(DESCRIPTION, "unauthorized_client"))));
        TokenFailure failure = TokenFailure.of(sync);
        assertThat(failure.reason()).isEqualTo("Entra ID refused the token: AADSTS700016: Application with "
                + "identifier 'x' was not found in the directory 'y'.");
        assertThat(failure.error()).isEqualTo("unauthorized_client");
    }

    @Test
    void findsEntraAnswerBareTheWayTheAsyncPathEmitsIt() {
        assertThat(TokenFailure.of(new MsalServiceException(DESCRIPTION, "unauthorized_client")).reason())
            .startsWith("Entra ID refused the token: AADSTS700016");
    }

    @Test
    void namesMissingTokenFile() {
        Throwable failure = new RuntimeException(new RuntimeException("Failed to read federated token from file. ",
                new NoSuchFileException("/var/run/secrets/azure/tokens/azure-identity-token")));
        assertThat(TokenFailure.of(failure).reason()).isEqualTo(
                "The federated token file /var/run/secrets/azure/tokens/azure-identity-token does not exist.");
    }

    @Test
    void namesUnreadableTokenFile() {
        Throwable failure = new RuntimeException("Failed to read federated token from file. ",
                new AccessDeniedException("/token"));
        assertThat(TokenFailure.of(failure).reason())
            .isEqualTo("The federated token file /token cannot be read: permission denied.");
    }

    @Test
    void fallsBackToRootCause() {
        Throwable failure = new RuntimeException(new MsalClientException(new ConnectException("Connection refused")));
        assertThat(TokenFailure.of(failure).reason())
            .isEqualTo("The token request failed: ConnectException: Connection refused");
    }

    @Test
    void neverRepeatsATokenFromAMessage() {
        String jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln";
        TokenFailure failure = TokenFailure.of(new IllegalArgumentException("assertion " + jwt + " rejected"));
        assertThat(failure.reason()).doesNotContain(jwt).contains("assertion [redacted token] rejected");
    }

}
