package dev.workloadidentity.spring.endtoend;

import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The check every fault run ends with: what the application showed holds no token or assertion. Access tokens and
 * the federated token are JWTs, so it looks for anything JWT-shaped.
 */
final class NothingSecretShown {

    /** A compact JWT: header and payload, both base64url JSON objects. */
    private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}");

    private NothingSecretShown() {
    }

    /**
     * @param shown logs, health details and exception messages the run produced
     */
    static void in(CharSequence shown) {
        assertThat(shown.toString()).as("what the application showed").doesNotContainPattern(JWT);
    }

}
