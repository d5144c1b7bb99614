package dev.workloadidentity.spring.diagnostics;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ExecutionException;

import javax.net.ssl.SSLHandshakeException;

import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.WorkloadIdentityCredential;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import com.microsoft.aad.msal4j.MsalClientException;
import com.microsoft.aad.msal4j.MsalServiceException;
import dev.workloadidentity.spring.autoconfigure.TokenFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * How failures are told apart, whichever way they arrive. The end-to-end matrix produces the same failures for real;
 * this covers the shapes it cannot (the asynchronous path's bare exception, instance discovery offline).
 */
class WorkloadIdentityDiagnosticsTests {

    private static final String DESCRIPTION = "AADSTS700016: Application with identifier 'x' was not found in the "
            + "directory 'y'.\r\nTrace ID: 0b9a2f55-7c4e-4f0e-9d3e-1c2b3a4d5e6f\r\nCorrelation ID: "
            + "6d1c9f0e-5b2a-4c3d-8e7f-9a0b1c2d3e4f\r\nTimestamp: 2026-12-03 12:00:00Z";

    @TempDir
    Path directory;

    private Path tokenFile;

    private FederatedTokenFile file;

    @BeforeEach
    void writeToken() throws IOException {
        this.tokenFile = TokenFiles.write(this.directory.resolve("azure-identity-token"));
        this.file = diagnostics(true).inspectTokenFile();
    }

    @Test
    void entraAnswerWrappedTheWayTheSyncPathWrapsIt() {
        Throwable sync = new RuntimeException(new RuntimeException(
                new ExecutionException(new MsalServiceException(DESCRIPTION, "unauthorized_client"))));
        Diagnosis diagnosis = diagnostics(true).diagnose(sync, this.file);
        assertThat(diagnosis.problem()).isEqualTo(Problem.APPLICATION_NOT_FOUND);
        assertThat(diagnosis.reason()).isEqualTo(
                "Entra has no application with client ID 11111111-2222-3333-4444-555555555555 in tenant "
                        + "00000000-0000-0000-0000-0000000007e1.");
        assertThat(diagnosis.action()).startsWith("Check the service account's azure.workload.identity/client-id "
                + "annotation (AZURE_CLIENT_ID): it must be the identity's client ID");
        assertThat(diagnosis.details()).containsEntry("aadsts", "AADSTS700016")
            .containsEntry("error", "unauthorized_client")
            .containsEntry("traceId", "0b9a2f55-7c4e-4f0e-9d3e-1c2b3a4d5e6f");
    }

    @Test
    void entraAnswerBareTheWayTheAsyncPathEmitsIt() {
        assertThat(diagnostics(true).diagnose(new MsalServiceException(DESCRIPTION, "unauthorized_client"), this.file)
            .problem()).isEqualTo(Problem.APPLICATION_NOT_FOUND);
    }

    @Test
    void unknownEntraCodeIsShownAsItIs() {
        Diagnosis diagnosis = diagnostics(true).diagnose(
                new MsalServiceException("AADSTS50166: Request to External OIDC endpoint failed.", "invalid_request"),
                this.file);
        assertThat(diagnosis.problem()).isEqualTo(Problem.ENTRA_ERROR);
        assertThat(diagnosis.code()).isEqualTo("AADSTS50166");
        assertThat(diagnosis.reason())
            .isEqualTo("Entra ID refused the token: AADSTS50166: Request to External OIDC endpoint failed.");
        assertThat(diagnosis.action()).contains("https://login.microsoftonline.com/error?code=<code>");
    }

    @Test
    void fileThatVanishedBetweenCheckAndRequestIsReportedAsMissing() throws IOException {
        Files.delete(this.tokenFile);
        Throwable failure = new RuntimeException("Failed to read federated token from file. ",
                new NoSuchFileException(this.tokenFile.toString()));
        assertThat(diagnostics(true).diagnose(failure, this.file).problem()).isEqualTo(Problem.TOKEN_FILE_MISSING);
    }

    @Test
    void emptyTokenFileIsReportedAsSuchNotAsAzureIdentitysNullPointer() throws IOException {
        Files.writeString(this.tokenFile, "");
        WorkloadIdentityDiagnostics diagnostics = diagnostics(true);
        // What Azure Identity throws for an empty token file.
        Throwable failure = new RuntimeException(new NullPointerException("assertion"));
        assertThat(diagnostics.diagnose(failure, diagnostics.inspectTokenFile()).problem())
            .isEqualTo(Problem.TOKEN_FILE_EMPTY);
    }

    @Test
    void instanceDiscoveryOfflineIsToldApartFromTheAuthoritysDns() {
        Throwable failure = new MsalClientException(new UnknownHostException("login.microsoftonline.com"));
        assertThat(diagnostics(true).diagnose(failure, this.file).problem())
            .isEqualTo(Problem.INSTANCE_DISCOVERY_UNREACHABLE);
        assertThat(diagnostics(false).diagnose(failure, this.file).problem()).isEqualTo(Problem.DNS_FAILURE);
    }

    @Test
    void tokenForAnotherTenantIsToldFromAServiceFailure() {
        // What Azure Identity itself throws, before any request, when a Key Vault challenge names another tenant.
        WorkloadIdentityCredential credential = new WorkloadIdentityCredentialBuilder()
            .clientId("11111111-2222-3333-4444-555555555555")
            .tenantId("00000000-0000-0000-0000-0000000007e1")
            .tokenFilePath(this.tokenFile.toString())
            .build();
        TokenRequestContext vaultInAnotherTenant = new TokenRequestContext().addScopes("https://vault.azure.net/.default")
            .setTenantId("00000000-0000-0000-0000-0000000000e2");
        Throwable failure = catchThrowable(() -> credential.getTokenSync(vaultInAnotherTenant));
        assertThat(WorkloadIdentityDiagnostics.isTokenFailure(failure)).isTrue();
        Diagnosis diagnosis = diagnostics(true).diagnose(failure, this.file);
        assertThat(diagnosis.problem()).isEqualTo(Problem.TENANT_NOT_ALLOWED);
        assertThat(diagnosis.reason()).startsWith("A client asked for a token in tenant "
                + "00000000-0000-0000-0000-0000000000e2 (a Key Vault names its own tenant), but client ID "
                + "11111111-2222-3333-4444-555555555555 signs in to tenant 00000000-0000-0000-0000-0000000007e1");
        assertThat(diagnosis.action())
            .contains("builder.additionallyAllowedTenants(\"00000000-0000-0000-0000-0000000000e2\")");
    }

    @Test
    void networkFailures() {
        assertThat(diagnose(new ConnectException("Connection refused"))).isEqualTo(Problem.CONNECTION_REFUSED);
        assertThat(diagnose(new SSLHandshakeException("PKIX path building failed"))).isEqualTo(Problem.TLS_FAILURE);
        assertThat(diagnose(new SocketTimeoutException("Read timed out"))).isEqualTo(Problem.TIMEOUT);
        assertThat(diagnose(new IllegalStateException("something else"))).isEqualTo(Problem.UNKNOWN);
    }

    @Test
    void unknownFailureNamesItsRootCauseWithoutTokens() {
        String jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln";
        Diagnosis diagnosis = diagnostics(true)
            .diagnose(new RuntimeException(new IllegalArgumentException("assertion " + jwt + " rejected")), this.file);
        assertThat(diagnosis.reason())
            .isEqualTo("The token request failed: IllegalArgumentException: assertion [redacted token] rejected.");
    }

    @Test
    void everyDiagnosisCarriesTheTokensClaimsButNotTheToken() throws IOException {
        String token = Files.readString(this.tokenFile);
        Diagnosis diagnosis = diagnostics(true).diagnose(new ConnectException("refused"), this.file);
        assertThat(diagnosis.details()).containsKey("federatedToken");
        assertThat(diagnosis.toString()).doesNotContain(token);
    }

    private Problem diagnose(Throwable cause) {
        return diagnostics(true).diagnose(new MsalClientException(cause), this.file).problem();
    }

    private WorkloadIdentityDiagnostics diagnostics(boolean instanceDiscovery) {
        return new WorkloadIdentityDiagnostics("11111111-2222-3333-4444-555555555555",
                "00000000-0000-0000-0000-0000000007e1", "https://login.example.internal/", this.tokenFile,
                "AZURE_FEDERATED_TOKEN_FILE=" + this.tokenFile, instanceDiscovery,
                "https://management.azure.com/.default", Clock.systemUTC());
    }

}
