package dev.workloadidentity.spring.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.workloadidentity.spring.testsupport.kubernetes.ServiceAccountTokenIssuer;

/** Projected service account tokens for tests that need a token file but no Entra. */
public final class TokenFiles {

    private static final ServiceAccountTokenIssuer ISSUER = ServiceAccountTokenIssuer
        .forTenant("00000000-0000-0000-0000-0000000007e1");

    private TokenFiles() {
    }

    /**
     * Writes a valid-looking federated token (signed, one hour, {@code system:serviceaccount:default:workload}).
     * @param file where to write it
     * @return the file
     * @throws IOException if it cannot be written
     */
    public static Path write(Path file) throws IOException {
        return Files.writeString(file, ISSUER.mint("default", "workload"));
    }

}
