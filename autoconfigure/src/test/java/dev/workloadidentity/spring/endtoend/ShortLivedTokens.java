package dev.workloadidentity.spring.endtoend;

import java.time.Duration;

import dev.workloadidentity.spring.testsupport.entra.FakeEntra;

/** What the ITs that make the fake Entra issue tokens of a few seconds must allow for. */
final class ShortLivedTokens {

    /**
     * How much later than {@code expires_in} says the fakes' tokens may still be used
     * ({@link FakeEntra#clockSkewAllowance}). MSAL counts {@code expires_in} from the whole second it got the answer,
     * so the expiry callers are told can be up to a second after the token's {@code exp}, and Azure SDK clients use
     * their copy of a token to its last millisecond; with tokens of a few seconds that outruns the margin the
     * credential keeps (a minute, for real tokens). Real services allow minutes of clock skew; the fakes check
     * {@code exp} strictly.
     */
    static final Duration CLOCK_SKEW_ALLOWANCE = Duration.ofSeconds(2);

    private ShortLivedTokens() {
    }

}
