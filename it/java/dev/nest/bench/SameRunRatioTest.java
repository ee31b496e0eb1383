package dev.nest.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A same-run ratio of medians and its noise over interleaved subsets. */
class SameRunRatioTest {
    @Test
    void ratiosAndNoise() {
        record Row(List<Double> num, List<Double> den, double value, double noise) {
        }
        for (Row r : List.of(
                // equal subsets: no spread
                new Row(List.of(5.0, 5.0, 5.0, 5.0, 5.0, 5.0), List.of(10.0, 10.0, 10.0, 10.0, 10.0, 10.0), 0.5, 0.0),
                // two subsets (even: 4/10, odd: 6/10): medians of all 4/10 (nearest rank), spread 0.2
                new Row(List.of(4.0, 6.0, 4.0, 6.0, 4.0, 6.0), List.of(10.0, 10.0, 10.0, 10.0, 10.0, 10.0), 0.4, 0.2),
                // one sample: the tolerance is as wide as the ratio
                new Row(List.of(3.0), List.of(6.0), 0.5, 0.5))) {
            BenchBlock.Ratio x = SameRunRatio.of("a.b", r.num(), r.den(), false);
            assertEquals(r.value(), x.value(), 1e-9, r.toString());
            assertEquals(r.value(), x.floor(), 1e-9, r.toString());
            assertEquals(r.noise(), x.noise(), 1e-9, r.toString());
        }
    }

    @Test
    void emptyOrZeroBaselinesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SameRunRatio.of("a", List.of(), List.of(1.0), true));
        assertThrows(IllegalArgumentException.class, () -> SameRunRatio.of("a", List.of(1.0, 2.0), List.of(0.0, 0.0), true));
    }
}
