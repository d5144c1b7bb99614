package dev.workloadidentity.spring.testsupport;

import java.nio.file.Path;
import java.time.OffsetDateTime;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.identity.WorkloadIdentityCredential;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import com.microsoft.aad.msal4j.MsalServiceException;
import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import org.assertj.core.api.Assertions;
import reactor.core.publisher.Mono;

/** Real Azure SDK clients wired to the fakes, as the tests use them. */
public final class TestClients {

    private TestClients() {
    }

    /**
     * @return a workload-identity credential against the fake Entra, as an app on AKS builds it
     */
    public static WorkloadIdentityCredential workloadIdentity(FakeEntra entra, String tenantId, String clientId,
            Path tokenFile) {
        return new WorkloadIdentityCredentialBuilder().authorityHost(entra.authorityHost())
            .disableInstanceDiscovery()
            .tenantId(tenantId)
            .clientId(clientId)
            .tokenFilePath(tokenFile.toString())
            .build();
    }

    /** @return a credential that hands out one fixed access token, e.g. one a service must reject */
    public static TokenCredential fixedToken(String accessToken) {
        AccessToken token = new AccessToken(accessToken, OffsetDateTime.now().plusHours(1));
        return (context) -> Mono.just(token);
    }

    /** @return the {@link MsalServiceException} in the cause chain; fails the test when there is none */
    public static MsalServiceException msalFailure(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof MsalServiceException msal) {
                return msal;
            }
        }
        throw Assertions.<AssertionError>fail("No MsalServiceException in the cause chain of " + failure, failure);
    }

}
