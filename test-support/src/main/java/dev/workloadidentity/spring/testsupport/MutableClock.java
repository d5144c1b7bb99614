package dev.workloadidentity.spring.testsupport;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock tests move forward, to let tokens expire without waiting. Pass it where a fake takes a {@link Clock}. */
public final class MutableClock extends Clock {

    private volatile Instant now;

    /**
     * @param now the time the clock starts at
     */
    public MutableClock(Instant now) {
        this.now = now;
    }

    /**
     * Moves the clock.
     * @param duration how far ahead
     */
    public void advance(Duration duration) {
        this.now = this.now.plus(duration);
    }

    @Override
    public Instant instant() {
        return this.now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException();
    }

}
