package dev.workloadidentity.spring.benchmarks.app;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/** Short descriptions of failures, never with a token: exception types and the AADSTS code, if any. */
final class Failures {

    private static final Pattern AADSTS = Pattern.compile("AADSTS\\d+");

    private Failures() {
    }

    /**
     * @param failure what was thrown
     * @return its type, the innermost cause's type and the first AADSTS code anywhere in the chain
     */
    static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String code = aadstsCode(failure);
        return failure.getClass().getSimpleName() + ((root != failure) ? " (cause " + root.getClass().getSimpleName()
                + ")" : "") + ((code != null) ? " " + code : " no AADSTS code");
    }

    /**
     * @param failure what was thrown
     * @return the first {@code AADSTSnnnn} in the messages of the cause chain
     */
    static @Nullable String aadstsCode(Throwable failure) {
        for (Throwable current = failure; current != null; current = current.getCause()) {
            String code = aadstsCode(current.getMessage());
            if (code != null) {
                return code;
            }
            if (current.getCause() == current) {
                break;
            }
        }
        return null;
    }

    static @Nullable String aadstsCode(@Nullable String text) {
        if (text == null) {
            return null;
        }
        Matcher matcher = AADSTS.matcher(text);
        return matcher.find() ? matcher.group() : null;
    }

}
