package dev.workloadidentity.spring.credential;

import com.azure.core.credential.TokenRequestContext;

/**
 * Turns what the delegate credential threw into what callers of a {@link SharedTokenCredential} get, for example
 * an exception whose message says what is wrong and how to fix it, with the original as its cause.
 */
@FunctionalInterface
public interface TokenFailureExplainer {

    /** Hands failures on as they are. */
    TokenFailureExplainer AS_IS = (failure, request) -> failure;

    /**
     * @param failure what the delegate threw
     * @param request what was asked for
     * @return what callers get; its cause chain must still hold {@code failure}
     */
    Throwable explain(Throwable failure, TokenRequestContext request);

}
