package dev.workloadidentity.spring.benchmarks;

import java.time.Duration;
import java.util.Locale;

/** Number formats for the table. */
final class Format {

    private Format() {
    }

    /** @return microseconds as milliseconds, with more digits for small values */
    static String millis(long micros) {
        double millis = micros / 1000.0;
        if (millis < 1) {
            return String.format(Locale.ROOT, "%.3f", millis);
        }
        if (millis < 10) {
            return String.format(Locale.ROOT, "%.2f", millis);
        }
        return String.format(Locale.ROOT, "%.0f", millis);
    }

    static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.2f s", duration.toMillis() / 1000.0);
    }

    static String ratio(double numerator, double denominator) {
        if (denominator == 0) {
            return "—";
        }
        double ratio = numerator / denominator;
        return String.format(Locale.ROOT, (ratio < 0.1) ? "%.3f×" : "%.2f×", ratio);
    }

    static String count(long count) {
        return String.format(Locale.ROOT, "%,d", count);
    }

    static String human(Duration duration) {
        long seconds = duration.toSeconds();
        if (seconds < 1) {
            return duration.toMillis() + " ms";
        }
        if (duration.toMinutes() >= 1 && seconds % 60 == 0) {
            return duration.toMinutes() + " min";
        }
        if (seconds < 90) {
            return (duration.toMillisPart() == 0) ? seconds + " s"
                    : String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
        }
        return (seconds / 60) + " min " + (seconds % 60) + " s";
    }

}
