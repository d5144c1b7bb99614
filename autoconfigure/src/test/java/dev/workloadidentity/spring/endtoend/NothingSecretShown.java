package dev.workloadidentity.spring.endtoend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The check every fault run ends with: what the application showed holds no token, assertion or secret. */
final class NothingSecretShown {

    /** A compact JWT: header and payload, both base64url JSON objects. */
    private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}");

    private NothingSecretShown() {
    }

    /**
     * @param shown logs, health details and exception messages the run produced
     * @param tokenFile the federated token file, whose current content must not appear either
     */
    static void in(CharSequence shown, Path tokenFile) throws Exception {
        String federatedToken = Files.readString(tokenFile).trim();
        assertThat(shown.toString()).as("what the application showed")
            .doesNotContain(federatedToken)
            .doesNotContainPattern(JWT);
    }

}
