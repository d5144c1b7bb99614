package dev.workloadidentity.spring.diagnostics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;

import dev.workloadidentity.spring.testsupport.kubernetes.ServiceAccountTokenIssuer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

class FederatedTokenFileTests {

    private static final ServiceAccountTokenIssuer ISSUER = ServiceAccountTokenIssuer
        .forTenant("00000000-0000-0000-0000-0000000007e1");

    @TempDir
    Path directory;

    @Test
    void goodTokenHasClaimsAndNoProblem() throws IOException {
        FederatedTokenFile file = inspect(write(ISSUER.mint("shop", "orders-api")));
        assertThat(file.problem()).isNull();
        assertThat(file.usable()).isTrue();
        assertThat(file.claims().issuer()).isEqualTo(ISSUER.issuerUrl());
        assertThat(file.claims().subject()).isEqualTo("system:serviceaccount:shop:orders-api");
        assertThat(file.claims().audiences()).containsExactly("api://AzureADTokenExchange");
    }

    @Test
    void surroundingWhitespaceIsTrimmedAsTheCredentialDoes() throws IOException {
        assertThat(inspect(write("\n" + ISSUER.mint("shop", "orders-api") + "\n")).problem()).isNull();
    }

    @Test
    void missingFile() {
        assertProblem(inspect(this.directory.resolve("absent")), Problem.TOKEN_FILE_MISSING, false);
    }

    @Test
    void directory() {
        assertProblem(inspect(this.directory), Problem.TOKEN_FILE_IS_DIRECTORY, false);
    }

    @Test
    void unreadableFile() throws IOException {
        assumeFalse("root".equals(System.getProperty("user.name")), "root reads any file");
        Path file = write(ISSUER.mint("shop", "orders-api"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        FederatedTokenFile inspected = inspect(file);
        assertProblem(inspected, Problem.TOKEN_FILE_UNREADABLE, false);
        assertThat(inspected.problem().reason()).endsWith("cannot be read: permission denied.");
    }

    @Test
    void emptyFile() throws IOException {
        assertProblem(inspect(write(" \n")), Problem.TOKEN_FILE_EMPTY, false);
    }

    @Test
    void notAJwtNeverRepeatsTheContent() throws IOException {
        FederatedTokenFile file = inspect(write("s3cr3t-client-secret"));
        assertProblem(file, Problem.TOKEN_NOT_A_JWT, false);
        assertThat(file.problem().toString()).doesNotContain("s3cr3t");
    }

    @Test
    void jwtWithGarbagePayloadIsNotAJwt() throws IOException {
        assertProblem(inspect(write("eyJhbGciOiJSUzI1NiJ9.not-base64-json!.c2ln")), Problem.TOKEN_NOT_A_JWT, false);
    }

    @Test
    void expiredTokenIsUnusable() throws IOException {
        FederatedTokenFile file = inspect(write(ISSUER.token("shop", "orders-api").expired().mint()));
        assertProblem(file, Problem.TOKEN_EXPIRED, false);
        assertThat(file.problem().details()).containsKey("federatedToken");
    }

    @Test
    void tokenCloseToExpiryWasNotRotated() throws IOException {
        String token = ISSUER.token("shop", "orders-api").lifetime(Duration.ofMinutes(5)).mint();
        assertProblem(inspect(write(token)), Problem.TOKEN_EXPIRING, true);
    }

    @Test
    void defaultServiceAccountTokenHasTheWrongAudience() throws IOException {
        String token = ISSUER.token("shop", "orders-api").audience("https://kubernetes.default.svc").mint();
        FederatedTokenFile file = inspect(write(token));
        assertProblem(file, Problem.TOKEN_WRONG_AUDIENCE, true);
        assertThat(file.problem().reason())
            .startsWith("The federated token's audience is https://kubernetes.default.svc,");
    }

    @Test
    void subjectMustNameAServiceAccount() throws IOException {
        String token = ISSUER.token("shop", "orders-api").subject("alice@example.com").mint();
        assertProblem(inspect(write(token)), Problem.TOKEN_WRONG_SUBJECT, true);
    }

    private static void assertProblem(FederatedTokenFile file, Problem expected, boolean usable) {
        assertThat(file.problem()).isNotNull();
        assertThat(file.problem().problem()).isEqualTo(expected);
        assertThat(file.problem().code()).isEqualTo(expected.code());
        assertThat(file.problem().reason()).doesNotContain("{").doesNotContain("<token");
        assertThat(file.usable()).isEqualTo(usable);
    }

    private Path write(String content) throws IOException {
        return Files.writeString(this.directory.resolve("azure-identity-token"), content);
    }

    private static FederatedTokenFile inspect(Path path) {
        return FederatedTokenFile.inspect(path, "AZURE_FEDERATED_TOKEN_FILE=" + path, Clock.systemUTC());
    }

}
