package dev.workloadidentity.spring.diagnostics;

import java.util.regex.Pattern;

/**
 * Removes anything shaped like a JWT from text before it reaches a log line, a health detail or an exception
 * message: federated tokens and access tokens are bearer secrets, and some library messages echo them.
 */
public final class Redaction {

    /** Header and payload of a compact JWS or JWE start with base64url of '{"', i.e. "eyJ". */
    private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]*){1,3}");

    private Redaction() {
    }

    /**
     * @param text any text
     * @return the text with every JWT replaced by {@code [redacted token]}
     */
    public static String redactTokens(String text) {
        return JWT.matcher(text).replaceAll("[redacted token]");
    }

}
