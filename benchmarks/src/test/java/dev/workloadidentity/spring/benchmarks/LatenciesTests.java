package dev.workloadidentity.spring.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LatenciesTests {

    @Test
    void percentilesAreNearestRank() {
        Latencies latencies = Latencies.of(LongStream.rangeClosed(1, 100).map((i) -> 101 - i).boxed().toList());

        assertThat(latencies.percentile(50)).isEqualTo(50);
        assertThat(latencies.percentile(99)).isEqualTo(99);
        assertThat(latencies.max()).isEqualTo(100);
        assertThat(latencies.percentile(0)).isEqualTo(1);
    }

    @Test
    void oneSlowCallInAHundredIsTheMaxButNotTheP99() {
        List<Long> micros = new ArrayList<>(LongStream.range(0, 99).mapToObj((i) -> 2_000L).toList());
        micros.add(200_000L);

        Latencies latencies = Latencies.of(micros);

        assertThat(latencies.p50p99max()).isEqualTo("2.00 / 2.00 / 200 ms");
    }

    @Test
    void ratiosKeepTwoDecimals() {
        assertThat(Format.ratio(5, 15)).isEqualTo("0.33×");
        assertThat(Format.ratio(1, 0)).isEqualTo("—");
    }

}
